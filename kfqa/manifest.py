"""The store's manifest: which file versions are committed, by which model, in which generation.

Loading checks the shape of what it reads: a damaged manifest raises StoreError with what is
wrong and the command that rebuilds the store, never a TypeError from deep inside.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kfqa.model_files import EMBED_MODEL_ID
from kfqa.types import StoreError

MANIFEST_VERSION = 2


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
    store_id: str = ""  # random, set by the first ingest
    collection: str = ""  # the store's Chroma collection ("" = the shared name of older stores)
    generation: int = 0  # completed ingests; 0 = none completed yet (an interrupted first ingest)
    vectors: dict[str, int] = field(default_factory=dict)  # the last ingest's embedded / reused / shipped

    @classmethod
    def load(cls, path: Path, fix: str) -> Manifest:
        """The manifest at ``path``; ``fix`` is the command to name when it is damaged."""
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except OSError as exc:
            raise StoreError(f"Can't read {path} ({exc.strerror or exc}). Check its permissions.") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise StoreError(f"{path} is damaged ({exc}). Rebuild the store: {fix}") from None
        try:
            return cls._from_json(data)
        except (TypeError, ValueError, AttributeError) as exc:
            raise StoreError(f"{path} is damaged: {exc}. Rebuild the store: {fix}") from None

    @classmethod
    def _from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict):
            raise TypeError(f"it holds a JSON {type(data).__name__}, not an object")
        files = data.pop("files", {})
        if not isinstance(files, dict):
            raise TypeError(f'"files" is a JSON {type(files).__name__}, not an object of file entries')
        names = {f.name for f in fields(FileEntry)}
        entries = {}
        for source, entry in files.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("chunk_ids", []), list):
                raise TypeError(f"the entry of {source!r} is not a file entry")
            entries[source] = FileEntry(**{k: v for k, v in entry.items() if k in names})
        # a store from before generations that finished an ingest counts as generation 1
        data.setdefault("generation", 1 if data.get("last_ingest") else 0)
        known = {f.name for f in fields(cls)}
        manifest = cls(files=entries, **{k: v for k, v in data.items() if k in known})
        if not isinstance(manifest.generation, int):
            raise TypeError('"generation" is not a number')
        return manifest

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "embedding_model": self.embedding_model,
            "store_id": self.store_id,
            "collection": self.collection,
            "generation": self.generation,
            "last_ingest": self.last_ingest,
            "corpus_dir": self.corpus_dir,
            "vectors": self.vectors,
            "files": {k: vars(v) for k, v in sorted(self.files.items())},
        }

    def committed_ids(self) -> set[str]:
        return {cid for entry in self.files.values() for cid in entry.chunk_ids}


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a kill never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
