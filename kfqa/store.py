"""The chunk store: a Chroma collection (embedded or server) plus files beside it.

Layout of ``Settings.store_dir``::

    chroma/          Chroma PersistentClient data (absent when a Chroma server is used)
    manifest.json    source of truth: which file versions are committed, which model built the store
    chunks.jsonl     every committed chunk (id, text, metadata): BM25 and eval read it
    bm25/            persisted BM25 index over chunks.jsonl
    ingest.lock      held by a running ingest

A chunk is visible to queries only when its ``file_hash`` is the one the manifest
commits for its ``source``: a file half-written by a killed ingest stays invisible
until the next ingest completes or removes it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kfqa.config import COLLECTION, Settings
from kfqa.model_files import EMBED_MODEL_ID
from kfqa.types import Chunk, ChunkMeta, StoreError

MANIFEST_VERSION = 1


@dataclass
class FileEntry:
    file_hash: str
    kind: str
    chunk_ids: list[str] = field(default_factory=list)
    ingested_at: str = ""
    root: str = ""  # the ingested folder the file came from (removals are scoped to it)
    chunker: str = ""  # chunker version that cut it: a new version re-chunks unchanged files


@dataclass
class Manifest:
    embedding_model: str = EMBED_MODEL_ID
    files: dict[str, FileEntry] = field(default_factory=dict)
    last_ingest: str = ""
    corpus_dir: str = ""
    version: int = MANIFEST_VERSION

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = set(FileEntry.__dataclass_fields__)
        files = {
            k: FileEntry(**{f: x for f, x in v.items() if f in names})
            for k, v in data.pop("files", {}).items()
        }
        return cls(files=files, **data)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "embedding_model": self.embedding_model,
            "last_ingest": self.last_ingest,
            "corpus_dir": self.corpus_dir,
            "files": {k: vars(v) for k, v in sorted(self.files.items())},
        }


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a kill never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Store:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = Path(settings.store_dir)

    # --- locations -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def chunks_path(self) -> Path:
        return self.dir / "chunks.jsonl"

    @property
    def bm25_dir(self) -> Path:
        return self.dir / "bm25"

    @property
    def lock_path(self) -> Path:
        return self.dir / "ingest.lock"

    @property
    def location(self) -> str:
        if self.settings.uses_server:
            return f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port or 8000} (+ {self.dir})"
        return str(self.dir)

    # --- manifest --------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def load_manifest(self) -> Manifest:
        if not self.exists():
            return Manifest()
        try:
            return Manifest.load(self.manifest_path)
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(
                f"{self.manifest_path} is unreadable ({exc}); delete the store and run `kfqa ingest`"
            ) from exc

    def save_manifest(self, manifest: Manifest) -> None:
        write_atomic(self.manifest_path, json.dumps(manifest.to_json(), indent=1))

    def check_model(self, manifest: Manifest) -> None:
        if manifest.embedding_model != EMBED_MODEL_ID:
            raise StoreError(
                f"The store at {self.dir} was built with the embedding model {manifest.embedding_model!r}, "
                f"but kfqa embeds with {EMBED_MODEL_ID!r}; vectors from different models can't be compared. "
                f"Use another --store, or delete this one and run `kfqa ingest`."
            )

    def open_for_queries(self) -> Manifest:
        """The manifest of a usable store, or a StoreError that says how to make one."""
        if not self.exists():
            raise StoreError(
                f"No kfqa store at {self.dir}. Build it with `kfqa ingest` (bundled corpus) or `kfqa ingest PATH`."
            )
        manifest = self.load_manifest()
        self.check_model(manifest)
        if not manifest.files or not self.chunks_path.is_file():
            raise StoreError(f"The kfqa store at {self.dir} is empty. Run `kfqa ingest` to fill it.")
        return manifest

    # --- chunks ----------------------------------------------------------------------------
    def load_chunks(self) -> list[Chunk]:
        """Every committed chunk, in file order (from chunks.jsonl)."""
        chunks = []
        with self.chunks_path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                chunks.append(Chunk(id=row["id"], text=row["text"], meta=ChunkMeta.from_store(row["meta"])))
        return chunks

    def write_chunk_rows(self, rows: list[dict[str, Any]]) -> None:
        """Rows ``{id, text, meta[, extra]}`` (``extra``: loader details such as a review's diff hunk)."""
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        write_atomic(self.chunks_path, "".join(line + "\n" for line in lines))

    # --- Chroma ----------------------------------------------------------------------------
    @cached_property
    def client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.uses_server:
            try:
                return chromadb.HttpClient(
                    host=self.settings.chroma_host,
                    port=self.settings.chroma_port or 8000,
                    settings=chroma_settings,
                )
            except Exception as exc:  # connection refused, wrong port, not a chroma server
                raise StoreError(f"Can't reach the Chroma server at {self.location}: {exc}") from exc
        return chromadb.PersistentClient(path=str(self.dir / "chroma"), settings=chroma_settings)

    @cached_property
    def collection(self):
        return self.client.get_or_create_collection(
            COLLECTION, metadata={"hnsw:space": "cosine", "embedding_model": EMBED_MODEL_ID}
        )

    def vector_store(self):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)
