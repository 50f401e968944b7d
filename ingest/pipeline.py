"""The ingest run: scan -> load -> chunk -> embed -> commit -> indexes, as one ``IngestRun``.

Consistency rules (see ``kfqa/store.py``):

* ``manifest.json`` is the source of truth. File versions are *committed* when the manifest
  (saved atomically, once per batch of files) lists their hashes and chunk ids; that happens
  only after all their chunks are in Chroma.
* Chroma rows of versions the manifest doesn't commit (a killed ingest, a replaced file) are
  deleted at the end of the next run; committed chunks whose vectors are missing (a deleted
  ``chroma/``) are restored at its start. ``chunks.jsonl`` and ``bm25/`` are rewritten from
  committed files only, and the run ends by publishing a new store generation.
* Chunk ids are ``{source}::{file_hash[:12]}::{i}``: an unchanged chunk keeps its id and is never
  embedded again (rows left by a killed run are reused when they match).

The pieces: ``scan`` finds files, ``load`` turns them into chunked versions, ``vectors`` finds or
makes their vectors (``shipped`` holds the bundled corpus's), ``indexes`` writes chunks.jsonl and
BM25, ``report`` says what happened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from kfqa.config import Settings
from kfqa.ingest.chunks import Pending
from kfqa.ingest.indexes import bm25_current, termstats_current, write_bm25, write_chunks, write_termstats
from kfqa.ingest.load import CHUNKER_VERSION, FileLoader, Loaded
from kfqa.ingest.repair import restore_missing
from kfqa.ingest.report import IngestReport, Progress, print_summary
from kfqa.ingest.scan import MAX_FILE_BYTES
from kfqa.ingest.shipped import ShippedVectors
from kfqa.ingest.vectors import ChromaRows, VectorSources, chroma_meta
from kfqa.manifest import FileEntry
from kfqa.model_files import EMBED_MODEL_ID
from kfqa.store import Store
from kfqa.types import KfqaError, StoreError

DEFAULT_COMMIT_CHUNKS = 384  # chunks embedded between manifest commits (env KFQA_INGEST_BATCH)

__all__ = ["CHUNKER_VERSION", "IngestOptions", "IngestReport", "IngestRun", "KfqaError", "run_ingest"]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class IngestOptions:
    lock_timeout: float = 10.0
    commit_chunks: int = DEFAULT_COMMIT_CHUNKS
    max_bytes: int = MAX_FILE_BYTES


class IngestRun:
    """One ingest into one store: holds the store, its manifest, the committed rows and the report."""

    def __init__(self, settings: Settings, options: IngestOptions | None = None, console=None):
        self.store = Store(settings)
        self.options = options or IngestOptions()
        self.console = console
        self.report = IngestReport(store=self.store.location)
        self.changed = False

    # --- the run -------------------------------------------------------------------------
    def execute(self, paths: list[Path]) -> IngestReport:
        t0 = time.perf_counter()
        with self._lock(), self._writable():
            try:
                self._open()
                self.changed |= restore_missing(self)
                loaded = FileLoader(self.manifest, self.report, self.options.max_bytes).load_paths(paths)
                self._embed_and_commit_all(loaded.pending)
                self._remove_gone(loaded)
                self._drop_orphans()
                self._finish()
            finally:
                self.store.close()  # readers in this process reopen on the new generation
        self._export_query_encoder()
        self.report.seconds = time.perf_counter() - t0
        if self.console is not None:
            print_summary(self.report, self.console)
        return self.report

    @contextlib.contextmanager
    def _lock(self):
        """Exclusive lock on the store; waits up to ``lock_timeout`` seconds, then refuses clearly."""
        store = self.store
        try:
            store.dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(store.lock_path, timeout=self.options.lock_timeout)
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"Another `kfqa ingest` is running on the store at {store.dir} "
                f"(lock {store.lock_path} is held; waited {self.options.lock_timeout:g} s). "
                "Try again when it has finished, or use another --store."
            ) from None
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            yield
        finally:
            lock.release()

    @contextlib.contextmanager
    def _writable(self):
        try:
            yield
        except OSError as exc:
            if isinstance(exc, PermissionError) or exc.errno in (errno.EPERM, errno.EACCES, errno.ENOSPC, errno.EROFS):
                raise self._unwritable(exc) from exc
            raise

    def _unwritable(self, exc: OSError) -> StoreError:
        return StoreError(
            f"Can't write to the store at {self.store.dir} ({exc.strerror or exc}"
            f"{': ' + str(exc.filename) if exc.filename else ''}). Nothing committed was changed. "
            f"Make it writable (`chmod -R u+w '{self.store.dir}'`) or ingest into another store with --store."
        )

    def _open(self) -> None:
        store = self.store
        self.manifest = store.load_manifest()
        store.check_model(self.manifest)
        store.assign_identity(self.manifest, new=not self.manifest.files)  # no-op once it has an id
        self.collection = store.open_collection(self.manifest)
        model = (self.collection.metadata or {}).get("embedding_model")
        if model and model != EMBED_MODEL_ID:
            raise StoreError(
                f"The Chroma collection at {store.location} was built with the embedding model {model!r}, "
                f"but kfqa embeds with {EMBED_MODEL_ID!r}. Use another store, or delete it and run `kfqa ingest`."
            )
        self.chroma = ChromaRows(self.collection)
        shipped, why_not = ShippedVectors.for_ingest(CHUNKER_VERSION)
        if why_not:
            self.report.warn("shipped vectors", why_not)
        self.sources = VectorSources(self.chroma, shipped)
        committed = self.manifest.committed_ids()
        self.rows: dict[str, dict[str, Any]] = {
            row["id"]: row for row in store.read_rows(strict=False) if row["id"] in committed
        }

    # --- embed and commit ----------------------------------------------------------------
    def _embed_and_commit_all(self, pending: list[Pending]) -> None:
        progress = Progress(self.console, sum(len(p.chunks) for p in pending))
        try:
            for group in _groups(pending, self.options.commit_chunks):
                self._embed_and_commit(group, progress)
                write_chunks(self.store, self.manifest, self.rows)
                self.changed = True
        finally:
            progress.close()

    def _embed_and_commit(self, group: list[Pending], progress: Progress) -> None:
        plan = self.sources.plan(group, self.manifest)
        self.report.embedded += self.sources.fill(plan, progress)
        self.report.reused += plan.reused
        self.report.shipped += plan.shipped
        self.chroma.upsert(
            [
                (c.id, plan.vectors[c.id], c.text, chroma_meta(c.meta.to_store(), e))
                for p in group
                for c, e in zip(p.chunks, p.extras, strict=True)
                if plan.vectors[c.id] is not None
            ]
        )
        stale: set[str] = set()
        for p in group:
            old = self.manifest.files.get(p.source)
            self.manifest.files[p.source] = FileEntry(
                file_hash=p.file_hash,
                kind=p.kind,
                chunk_ids=[c.id for c in p.chunks],
                ingested_at=now(),
                root=p.root,
                chunker=CHUNKER_VERSION,
            )
            if old is not None:
                stale |= set(old.chunk_ids) - {c.id for c in p.chunks}
                for cid in old.chunk_ids:
                    self.rows.pop(cid, None)
            for c, e in zip(p.chunks, p.extras, strict=True):
                self.rows[c.id] = {"id": c.id, "text": c.text, "meta": c.meta.to_store(), "extra": e}
            self.report.ingested.append(p.source)
            self.report.chunks_added += len(p.chunks)
            self.report.flagged += sum(1 for c in p.chunks if c.meta.flagged)
        self.store.save_manifest(self.manifest)  # the commit point of this batch of file versions
        self.chroma.delete(stale)

    # --- removals and clean-up -----------------------------------------------------------
    def _remove_gone(self, loaded: Loaded) -> None:
        """Files of a scanned folder that are gone from disk leave the store."""
        gone: list[str] = []
        for source, entry in self.manifest.files.items():
            if source in loaded.seen or not entry.root:
                continue
            if any(entry.root == root and _in_scope(source, prefix) for root, prefix in loaded.scopes):
                gone.append(source)
        if not gone:
            return
        ids = [cid for source in gone for cid in self.manifest.files.pop(source).chunk_ids]
        self.store.save_manifest(self.manifest)  # uncommitted first, then their vectors go
        self.chroma.delete(ids)
        self.report.removed.extend(gone)
        self.changed = True

    def _drop_orphans(self) -> None:
        """Rows of versions nobody commits (killed runs, replaced files)."""
        orphans = self.store.vector_ids() - self.manifest.committed_ids()
        if orphans:
            self.chroma.delete(orphans)

    def _finish(self) -> None:
        store, manifest = self.store, self.manifest
        if self.changed or not store.chunks_path.is_file() or not bm25_current(store) or not termstats_current(store, manifest):
            write_chunks(store, manifest, self.rows)
            write_bm25(store, manifest, self.rows)
            write_termstats(store, manifest, self.rows)
            self.changed = True
        manifest.last_ingest = now()
        if not manifest.corpus_dir and self.report.roots:
            manifest.corpus_dir = self.report.roots[0]
        self.report.chunks_total = sum(len(e.chunk_ids) for e in manifest.files.values())
        if self.changed:
            manifest.vectors = {"embedded": self.report.embedded, "reused": self.report.reused, "shipped": self.report.shipped}
        if self.changed or manifest.generation == 0 or not store.generation_path.is_file():
            store.publish_generation(manifest)  # the commit point of the whole run
        else:
            store.save_manifest(manifest)

    def _export_query_encoder(self) -> None:
        from kfqa.embedding import export_query_encoder

        try:  # once per installed model: lets `kfqa ask` embed questions without importing torch
            if export_query_encoder() is None:
                self.report.warn("query encoder", "ONNX export doesn't match the torch model: questions use torch")
        except Exception as exc:  # noqa: BLE001 - the torch encoder still answers
            self.report.warn("query encoder", f"ONNX export failed, questions use torch: {exc}")


def _in_scope(source: str, prefix: str) -> bool:
    return not prefix or source == prefix or source.startswith(prefix + "/")


def _groups(pending: list[Pending], size: int):
    group: list[Pending] = []
    n = 0
    for p in pending:
        group.append(p)
        n += len(p.chunks)
        if n >= size:
            yield group
            group, n = [], 0
    if group:
        yield group


def run_ingest(
    paths: list[Path],
    settings: Settings,
    console=None,
    *,
    lock_timeout: float = 10.0,
    commit_chunks: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> IngestReport:
    """Ingest files / folders into the store of ``settings``; incremental and safe to interrupt.

    Per-file problems are reported in ``IngestReport.failed`` and never stop the batch;
    a store that can't be used (locked, other embedding model, Chroma unreachable) raises StoreError.
    """
    batch = commit_chunks or int(os.environ.get("KFQA_INGEST_BATCH") or DEFAULT_COMMIT_CHUNKS)
    options = IngestOptions(lock_timeout=lock_timeout, commit_chunks=batch, max_bytes=max_bytes)
    return IngestRun(settings, options, console).execute(paths)
