"""The chunk store: a Chroma collection (embedded or server) plus files beside it.

Layout of ``Settings.store_dir``::

    chroma/          Chroma PersistentClient data (absent when a Chroma server is used)
    manifest.json    source of truth: which file versions are committed, which model built the store,
                     the store's id, its Chroma collection and its generation
    generation       "<store id> <generation>": what a live reader polls (a few bytes, not the manifest)
    chunks.jsonl     every committed chunk (id, text, metadata): BM25 and eval read it
    bm25/            persisted BM25 index over chunks.jsonl (its hits name their chunks by id)
    ingest.lock      held by a running ingest

A chunk is visible to queries only when its ``file_hash`` is the one the manifest
commits for its ``source``: a file half-written by a killed ingest stays invisible
until the next ingest completes or removes it.

Generations: every ingest that completes writes chunks.jsonl and bm25/, then the manifest with
``generation + 1``, then the ``generation`` file. A reader (``Assistant``, the UI) remembers the
token it opened and reopens everything (Chroma client, chunks, BM25, term statistics) when
``changed_since`` says the token moved. Generation 0 means no ingest has completed yet.

The Chroma collection is named per store (``kfqa_<store id>``), so two stores on one Chroma
server never see each other's vectors. Stores made before ids existed keep the old shared name.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
import warnings
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson

from kfqa.chroma_guard import GuardedCollection, StaleStoreError, is_chroma_failure
from kfqa.config import COLLECTION, Settings
from kfqa.manifest import FileEntry, Manifest, write_atomic
from kfqa.model_files import EMBED_MODEL_ID
from kfqa.types import Chunk, ChunkMeta, StoreError

__all__ = ["FileEntry", "Manifest", "StaleStoreError", "Store", "store_stats", "write_atomic"]


# HNSW's search breadth. A filtered query (a project's files, no superseded revisions) walks the graph
# skipping what the filter drops; at Chroma's default (100) it missed up to 8 of the 40 nearest chunks the
# filter admits, and which ones changed from process to process. At 2000 the bundled corpus's filtered
# queries return the exact 40 (checked against brute force) at the same cost: filtering dominates it.
SEARCH_EF = 2000
WIDEN_ATTEMPTS = 3


def _widen_search(collection) -> None:
    """A collection made before SEARCH_EF (or by another tool) searches as widely from now on: the
    breadth is a query-time setting Chroma lets change. If Chroma refuses (a server that won't let this
    client modify the collection, a store locked by an ingest), it is asked twice more, then the
    collection keeps the breadth it has, with a warning that says why, and the next open tries again;
    any other error is a bug and raises."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    if hnsw.get("ef_search", SEARCH_EF) >= SEARCH_EF:
        return
    for attempt in range(WIDEN_ATTEMPTS):
        try:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            return
        except Exception as exc:  # noqa: BLE001 - narrowed below: only Chroma's own refusals pass
            if not is_chroma_failure(exc):
                raise
            refusal = exc
        if attempt + 1 < WIDEN_ATTEMPTS:
            time.sleep(0.2 * (attempt + 1))
    warnings.warn(
        f"kfqa couldn't widen the search breadth of Chroma collection {collection.name!r} to {SEARCH_EF} "
        f"({type(refusal).__name__}: {refusal}); filtered queries may miss near chunks until it can.",
        RuntimeWarning, stacklevel=2,
    )


class Store:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = Path(settings.store_dir)

    # --- locations -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    @property
    def generation_path(self) -> Path:
        return self.dir / "generation"

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

    @property
    def rebuild_hint(self) -> str:
        """The one command that rebuilds a damaged store from its sources."""
        return f"rm -rf '{self.dir}' && kfqa ingest --store '{self.dir}'"

    # --- manifest --------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def load_manifest(self) -> Manifest:
        if not self.exists():
            return Manifest()
        return Manifest.load(self.manifest_path, self.rebuild_hint)

    def save_manifest(self, manifest: Manifest) -> None:
        write_atomic(self.manifest_path, json.dumps(manifest.to_json(), indent=1))

    def check_model(self, manifest: Manifest) -> None:
        if manifest.embedding_model != EMBED_MODEL_ID:
            raise StoreError(
                f"The store at {self.dir} was built with the embedding model {manifest.embedding_model!r}, "
                f"but kfqa embeds with {EMBED_MODEL_ID!r}; vectors from different models can't be compared. "
                f"Use another --store, or delete this one and run `kfqa ingest`."
            )

    @staticmethod
    def assign_identity(manifest: Manifest, new: bool) -> None:
        """Gives a store its id; a ``new`` one also its own collection, while a store made before
        ids existed keeps the shared collection name its vectors are under."""
        if not manifest.store_id:
            manifest.store_id = uuid.uuid4().hex
            if new and not manifest.collection:
                manifest.collection = f"kfqa_{manifest.store_id}"

    # --- generations -----------------------------------------------------------------------
    def generation_token(self) -> str:
        """What identifies the committed state a reader opened (cheap: a few bytes, or one stat)."""
        try:
            return self.generation_path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:  # a store from before generations: the manifest's own identity
            try:
                stat = self.manifest_path.stat()
            except FileNotFoundError:
                return ""
            return f"manifest {stat.st_mtime_ns} {stat.st_size}"
        except (OSError, UnicodeDecodeError):
            return ""

    def changed_since(self, token: str) -> bool:
        return self.generation_token() != token

    def publish_generation(self, manifest: Manifest) -> None:
        """The commit point of a whole ingest: the manifest with the next generation, then its token."""
        manifest.generation += 1
        self.save_manifest(manifest)
        write_atomic(self.generation_path, f"{manifest.store_id or 'legacy'} {manifest.generation}\n")

    # --- readiness -------------------------------------------------------------------------
    def open_for_queries(self, check_vectors: bool = True) -> Manifest:
        """The manifest of a usable store, or a StoreError that says how to make one. ``check_vectors``:
        also refuse a store whose Chroma collection lacks committed vectors (answers would silently
        come from BM25 alone)."""
        if not self.exists():
            raise StoreError(
                f"No kfqa store at {self.dir}. Build it with `kfqa ingest` (bundled corpus) or `kfqa ingest PATH`."
            )
        manifest = self.load_manifest()
        self.check_model(manifest)
        if manifest.files and manifest.generation == 0:
            raise StoreError(
                f"The kfqa store at {self.dir} is incomplete: an ingest was interrupted before it finished "
                f"({len(manifest.files)} files committed so far). Run `kfqa ingest --store '{self.dir}'` to complete it."
            )
        if not manifest.files:
            raise StoreError(f"The kfqa store at {self.dir} is empty. Run `kfqa ingest` to fill it.")
        for needed in (self.chunks_path, self.bm25_dir / "params.index.json"):
            if not needed.is_file():
                raise StoreError(
                    f"The kfqa store at {self.dir} is incomplete: {needed.name} is missing. "
                    f"Run `kfqa ingest --store '{self.dir}'` to rebuild it."
                )
        if check_vectors:
            self.check_vectors(manifest)
        return manifest

    def check_vectors(self, manifest: Manifest) -> None:
        committed = sum(len(e.chunk_ids) for e in manifest.files.values())
        count = self.collection.count()  # cheap; fewer rows than committed chunks means some are gone
        if count < committed:
            raise StoreError(
                f"{committed - count} of the {committed} committed chunks have no vector in Chroma at {self.location} "
                "(its data was deleted, or another kfqa version shared its collection). "
                f"Run `kfqa ingest --store '{self.dir}'` to restore them."
            )

    # --- chunks ----------------------------------------------------------------------------
    def read_rows(self, strict: bool = True):
        """Rows ``{id, text, meta, extra}`` of chunks.jsonl. ``strict``: a damaged line (truncated,
        not UTF-8) raises StoreError naming it; otherwise it is skipped (ingest repairs from Chroma)."""
        if not self.chunks_path.is_file():
            return
        with self.chunks_path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    row = _parse_row(raw)
                    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                        raise ValueError("not a chunk row")
                except (UnicodeDecodeError, ValueError) as exc:
                    if strict:
                        raise StoreError(
                            f"{self.chunks_path} is damaged at line {number} ({exc}). "
                            f"Run `kfqa ingest --store '{self.dir}'` to rewrite it from the committed chunks."
                        ) from None
                    continue
                yield row

    def load_chunks(self) -> list[Chunk]:
        """Every committed chunk, in file order (from chunks.jsonl)."""
        try:
            return [row_chunk(row) for row in self.read_rows()]
        except (KeyError, TypeError) as exc:
            raise StoreError(
                f"{self.chunks_path} holds a row without {exc}. "
                f"Run `kfqa ingest --store '{self.dir}'` to rewrite it from the committed chunks."
            ) from None

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
        path = str(self.dir / "chroma")
        try:
            if self.settings.uses_server:
                return chromadb.HttpClient(
                    host=self.settings.chroma_host,
                    port=self.settings.chroma_port or 8000,
                    settings=chroma_settings,
                )
            return chromadb.PersistentClient(path=path, settings=chroma_settings)
        except Exception as exc:  # connection refused, wrong port, not a chroma server, unwritable
            _forget_failed_client(path)
            if "readonly" in str(exc).lower():
                raise StoreError(
                    f"The store at {self.dir} is read-only, and Chroma's embedded database writes even to answer "
                    f"({exc}). Make it writable (`chmod -R u+w '{self.dir}'`) or copy it somewhere writable and "
                    "pass that with --store."
                ) from exc
            raise StoreError(f"Can't open Chroma at {self.location}: {exc}. {self.chroma_hint}") from exc

    @property
    def chroma_hint(self) -> str:
        if self.settings.uses_server:
            port = self.settings.chroma_port or 8000
            return f"Start the server (`chroma run --host {self.settings.chroma_host} --port {port} --path DIR`) and try again."
        return f"Check that {self.dir} is readable and writable, then run `kfqa ingest --store '{self.dir}'`."

    def collection_name(self, manifest: Manifest | None = None) -> str:
        manifest = manifest if manifest is not None else self.load_manifest()
        return manifest.collection or COLLECTION

    def open_collection(self, manifest: Manifest | None = None):
        """The store's collection (created when missing), its calls turned into StoreErrors on failure."""
        name = self.collection_name(manifest)
        try:
            raw = self.client.get_or_create_collection(
                name, metadata={"hnsw:space": "cosine", "embedding_model": EMBED_MODEL_ID},
                configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
            )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"Can't open the Chroma collection {name!r} at {self.location}: {exc}. {self.chroma_hint}") from exc
        _widen_search(raw)
        return GuardedCollection(raw, self)

    @cached_property
    def collection(self):
        return self.open_collection()

    def vector_ids(self) -> set[str]:
        """Every id in the store's collection (paged: a server caps one answer's size)."""
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)
            ids.update(got["ids"])
            if len(got["ids"]) < page:
                return ids
            offset += page

    def close(self) -> None:
        """Let go of the Chroma client, so the next use opens the store afresh (a new generation)."""
        client = self.__dict__.pop("client", None)
        self.__dict__.pop("collection", None)
        if client is not None and hasattr(client, "close"):
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a dead server's client must not fail a reopen
                pass


def row_chunk(row: dict[str, Any]) -> Chunk:
    """The Chunk of a chunks.jsonl row ``{id, text, meta[, extra]}``."""
    return Chunk(id=row["id"], text=row["text"], meta=ChunkMeta.from_store(row["meta"]))


def _parse_row(raw: bytes) -> Any:
    """One chunks.jsonl line: orjson (2x json's speed over a store's 11 MB at every start). A line it
    refuses is parsed again by json, whose verdict and error message count: json also reads NaN and
    Infinity, which it writes. (Integers past 64 bits orjson reads as floats; kfqa's rows hold
    none: their numbers are line, page and window positions.)"""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8"))


def store_stats(settings: Settings) -> dict[str, Any]:
    """What the store holds, from the manifest and chunks.jsonl, and how many vectors Chroma lacks."""
    store = Store(settings)
    manifest = store.open_for_queries(check_vectors=False)  # missing vectors are reported, not refused
    committed = manifest.committed_ids()
    by_kind: Counter[str] = Counter()
    by_project: Counter[str] = Counter()
    flagged = superseded = 0
    for chunk in store.load_chunks():
        if chunk.id not in committed:
            continue
        by_kind[chunk.meta.kind] += 1
        by_project[chunk.meta.project or "(none)"] += 1
        flagged += chunk.meta.flagged
        superseded += chunk.meta.superseded
    missing = len(committed - store.vector_ids())
    return {
        "store": store.location,
        "files": len(manifest.files),
        "chunks": sum(by_kind.values()),
        "chunks_by_kind": dict(sorted(by_kind.items())),
        "files_by_kind": dict(sorted(Counter(e.kind for e in manifest.files.values()).items())),
        "chunks_by_project": dict(by_project.most_common()),
        "superseded_chunks": superseded,
        "flagged_chunks": flagged,
        "vectors_missing": missing,
        "last_ingest_vectors": manifest.vectors,
        "embedding_model": manifest.embedding_model,
        "collection": store.collection_name(manifest),
        "generation": manifest.generation,
        "corpus": manifest.corpus_dir,
        "last_ingest": manifest.last_ingest,
    }


def _forget_failed_client(path: str) -> None:
    """chromadb caches one client system per path even when starting it failed, and every later
    client for that path fails on the broken one: drop it (when no client in this process holds it),
    so a retry after the user fixed the folder starts afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    if not SharedSystemClient._identifier_to_refcount.get(path):
        system = SharedSystemClient._identifier_to_system.pop(path, None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()
