"""The ingest pipeline: scan -> load -> chunk -> embed -> commit, one file at a time.

Consistency rules (see ``kfqa/store.py``):

* ``manifest.json`` is the source of truth. A file version is *committed* when the
  manifest (saved atomically) lists its hash and chunk ids; that happens only after
  all its chunks are in Chroma.
* Chroma rows of versions the manifest doesn't commit (a killed ingest, a replaced
  file) are deleted at the end of the next run; ``chunks.jsonl`` and ``bm25/`` are
  rewritten from committed files only.
* Chunk ids are ``{source}::{file_hash[:12]}::{i}``: an unchanged chunk keeps its id and
  is never embedded again (rows left by a killed run are reused when they match).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kfqa.config import Settings
from kfqa.embedding import export_query_encoder
from kfqa.ingest.chunks import Pending, build_chunks, sha256
from kfqa.ingest.loaders import LoadError, detect_format, load_file
from kfqa.ingest.sources import SOURCES_FILE, load_sources, source_for
from kfqa.model_files import EMBED_BATCH, EMBED_MODEL_ID
from kfqa.store import FileEntry, Manifest, Store
from kfqa.text import bm25_text
from kfqa.types import Chunk, ChunkMeta, KfqaError, StoreError

MAX_FILE_BYTES = 20 * 1024 * 1024
CHUNKER_VERSION = "5"
BM25_VERSION = "2"  # bump when what BM25 indexes changes: the index is rebuilt without re-embedding
UPSERT_BATCH = 256
DEFAULT_COMMIT_CHUNKS = 384  # chunks embedded between manifest commits (env KFQA_INGEST_BATCH)
SKIP_DIRS = {"__pycache__", "node_modules"}


# --- report ---------------------------------------------------------------------------------


@dataclass
class IngestReport:
    store: str = ""
    roots: list[str] = field(default_factory=list)
    ingested: list[str] = field(default_factory=list)  # new or changed files now committed
    unchanged: list[str] = field(default_factory=list)  # skipped by content hash
    removed: list[str] = field(default_factory=list)  # gone from disk, deleted from the store
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    chunks_added: int = 0
    chunks_total: int = 0
    embedded: int = 0  # chunks embedded by this run
    reused: int = 0  # chunks whose vectors were already in Chroma
    flagged: int = 0  # chunks of this run flagged as instructions to an assistant
    seconds: float = 0.0

    @property
    def files_ok(self) -> int:
        return len(self.ingested) + len(self.unchanged)

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "roots": self.roots,
            "files_ok": self.files_ok,
            "ingested": self.ingested,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "chunks_added": self.chunks_added,
            "chunks_total": self.chunks_total,
            "embedded": self.embedded,
            "reused": self.reused,
            "flagged": self.flagged,
            "seconds": round(self.seconds, 2),
        }


# --- lock -----------------------------------------------------------------------------------


@contextlib.contextmanager
def ingest_lock(store: Store, timeout: float):
    """Exclusive lock on the store; waits up to ``timeout`` seconds, then refuses clearly."""
    store.dir.mkdir(parents=True, exist_ok=True)
    fh = open(store.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole ingest
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Another `kfqa ingest` is running on the store at {store.dir} "
                        f"(lock {store.lock_path} is held; waited {timeout:g} s). "
                        "Try again when it has finished, or use another --store."
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


# --- scanning -------------------------------------------------------------------------------


@dataclass
class Candidate:
    root: Path  # ingested root (where sources.json is looked up)
    path: Path  # the file as found (may be a symlink)
    rel: str  # posix path relative to root


def find_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` holding sources.json (4 levels), else ``path`` itself."""
    start = path if path.is_dir() else path.parent
    cur = start
    for _ in range(5):
        if (cur / SOURCES_FILE).is_file():
            return cur
        if cur.parent == cur:
            break
        cur = cur.parent
    return start


def scan(path: Path, root: Path, report: IngestReport) -> list[Candidate]:
    """Files under ``path`` (or ``path`` itself), hidden files and sources.json excluded."""
    if path.is_file() or path.is_symlink() and not path.is_dir():
        return [Candidate(root, path, path.relative_to(root).as_posix())]
    out = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        d = Path(dirpath)
        keep = []
        for name in sorted(dirnames):
            if name.startswith(".") or name in SKIP_DIRS:
                continue
            if (d / name).is_symlink():
                target = (d / name).resolve()
                if not target.is_relative_to(root.resolve()):
                    report.failed.append(
                        (
                            (d / name).relative_to(root).as_posix(),
                            f"symlink to {target}, outside the ingested folder: refused",
                        )
                    )
                # symlinked folders inside the root are walked at their real place
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = d / name
            rel = p.relative_to(root).as_posix()
            if rel == SOURCES_FILE:
                continue
            out.append(Candidate(root, p, rel))
    return out


def _same_file(path: Path, file_hash: str) -> bool:
    try:
        return path.is_file() and path.stat().st_size <= MAX_FILE_BYTES and sha256(path.read_bytes()) == file_hash
    except OSError:
        return False


# --- building chunks ------------------------------------------------------------------------


def _row(chunk: Chunk, extra: dict[str, Any]) -> dict[str, Any]:
    return {"id": chunk.id, "text": chunk.text, "meta": chunk.meta.to_store(), "extra": extra}


def _chroma_meta(chunk: Chunk, extra: dict[str, Any]) -> dict[str, Any]:
    meta = chunk.meta.to_store()
    for k, v in extra.items():
        if k not in meta and isinstance(v, (str, int, float, bool)) and v != "":
            meta[k] = v
    return meta


# --- embedding ------------------------------------------------------------------------------


def embed_texts(texts: list[str], on_batch=None) -> list[list[float]]:
    """Vectors for ``texts``, batched by length so padding stays small."""
    from kfqa.embedding import embed_bulk

    if not texts:
        return []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[list[float] | None] = [None] * len(texts)
    for b in range(0, len(order), EMBED_BATCH):
        idx = order[b : b + EMBED_BATCH]
        vecs = embed_bulk([texts[i] for i in idx])
        for i, v in zip(idx, vecs, strict=True):
            out[i] = v
        if on_batch:
            on_batch(len(idx))
    return out  # type: ignore[return-value]


# --- the run --------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_collection_model(store: Store) -> None:
    meta = store.collection.metadata or {}
    model = meta.get("embedding_model")
    if model and model != EMBED_MODEL_ID:
        raise StoreError(
            f"The Chroma collection at {store.location} was built with the embedding model {model!r}, "
            f"but kfqa embeds with {EMBED_MODEL_ID!r}. Use another store, or delete it and run `kfqa ingest`."
        )


def _all_ids(collection) -> set[str]:
    ids: set[str] = set()
    offset, page = 0, 5000
    while True:
        got = collection.get(include=[], limit=page, offset=offset)
        ids.update(got["ids"])
        if len(got["ids"]) < page:
            return ids
        offset += page


def _delete_ids(collection, ids) -> None:
    ids = list(ids)
    for b in range(0, len(ids), UPSERT_BATCH * 4):
        collection.delete(ids=ids[b : b + UPSERT_BATCH * 4])


def _existing(collection, ids: list[str], include: list[str]) -> dict[str, dict[str, Any]]:
    """Rows of ``ids`` already in Chroma, by id (embeddings / metadatas / documents as asked)."""
    out: dict[str, dict[str, Any]] = {}
    for b in range(0, len(ids), 1000):
        got = collection.get(ids=ids[b : b + 1000], include=include)
        for k, cid in enumerate(got["ids"]):
            row: dict[str, Any] = {}
            for key in include:
                values = got.get(key)
                if values is not None:
                    row[key] = values[k]
            out[cid] = row
    return out


class _Progress:
    def __init__(self, console, total: int):
        self.bar = None
        if console is not None and total:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("[bold]embedding[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("chunks"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self.task = self.bar.add_task("embed", total=total)
            self.bar.start()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


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
    t0 = time.perf_counter()
    store = Store(settings)
    report = IngestReport(store=store.location)
    commit_chunks = commit_chunks or int(os.environ.get("KFQA_INGEST_BATCH") or DEFAULT_COMMIT_CHUNKS)
    with ingest_lock(store, lock_timeout):
        manifest = store.load_manifest()
        store.check_model(manifest)
        try:
            collection = store.collection
        except StoreError:
            raise
        except Exception as exc:  # server down, wrong port, incompatible data
            raise StoreError(f"Can't open the Chroma collection at {store.location}: {exc}") from exc
        _check_collection_model(store)

        pending, scopes, seen = _load_all(paths, manifest, report, max_bytes)
        rows = _committed_rows(store, manifest)
        changed = bool(pending)
        total = sum(len(p.chunks) for p in pending)
        progress = _Progress(console, total)
        try:
            for group in _groups(pending, commit_chunks):
                _embed_and_commit(store, collection, manifest, group, rows, report, progress)
                _write_chunks(store, manifest, rows)
        finally:
            progress.close()

        # files of an ingested folder that are gone from disk
        for source, entry in list(manifest.files.items()):
            if source in seen or not entry.root:
                continue
            for root, prefix in scopes:
                if entry.root == root and (not prefix or source == prefix or source.startswith(prefix + "/")):
                    del manifest.files[source]
                    store.save_manifest(manifest)
                    _delete_ids(collection, entry.chunk_ids)
                    report.removed.append(source)
                    changed = True
                    break

        # rows of versions nobody commits (killed runs, replaced files)
        committed = {cid for e in manifest.files.values() for cid in e.chunk_ids}
        orphans = _all_ids(collection) - committed
        if orphans:
            _delete_ids(collection, orphans)
        missing_rows = [cid for cid in committed if cid not in rows]
        if missing_rows:  # committed by a killed run after chunks.jsonl was last written
            _fill_rows_from_chroma(collection, missing_rows, rows, manifest, store, report)
            changed = True
        if changed or not store.chunks_path.is_file() or not _bm25_current(store):
            _write_chunks(store, manifest, rows)
            _write_bm25(store, manifest, rows)
        manifest.last_ingest = _now()
        if not manifest.corpus_dir and report.roots:
            manifest.corpus_dir = report.roots[0]
        store.save_manifest(manifest)
        report.chunks_total = sum(len(e.chunk_ids) for e in manifest.files.values())
    try:  # once per installed model: lets `kfqa ask` embed questions without importing torch
        if export_query_encoder() is None:
            report.warnings.append(("query encoder", "ONNX export doesn't match the torch model: questions use torch"))
    except Exception as exc:
        report.warnings.append(("query encoder", f"ONNX export failed, questions use torch: {exc}"))
    report.seconds = time.perf_counter() - t0
    if console is not None:
        print_summary(report, console)
    return report


def _load_all(paths, manifest: Manifest, report: IngestReport, max_bytes: int):
    """Scan ``paths``, load new / changed files. Returns (pending, removal scopes, sources seen)."""
    pending: list[Pending] = []
    scopes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists() and not path.is_symlink():
            report.failed.append((str(raw), "no such file or folder"))
            continue
        path = path.absolute()
        root = find_root(path)
        root_s = str(root.resolve())
        report.roots.append(root_s)
        listed, warnings = load_sources(root)
        report.warnings.extend((SOURCES_FILE, w) for w in warnings)
        if path.is_dir():
            prefix = path.relative_to(root).as_posix()
            scopes.append((root_s, "" if prefix == "." else prefix))
        for cand in scan(path, root, report):
            source = cand.rel
            old = manifest.files.get(source)
            if old is not None and old.root and old.root != root_s and Path(old.root).exists():
                # The same relative path in another folder: the same source when the file is the
                # same (a second checkout of the bundled corpus), else another folder's file. An old
                # root that no longer exists is this folder, moved: its files keep their names.
                if not _same_file(cand.path, old.file_hash):
                    source = f"{root.name}/{cand.rel}"
            seen.add(source)
            result = _load_one(cand, source, root_s, listed, manifest, report, max_bytes)
            if result is not None:
                pending.append(result)
    return pending, scopes, seen


class _Failures:
    def __init__(self, report: IngestReport, source: str, manifest: Manifest):
        self.report, self.source, self.manifest = report, source, manifest

    def add(self, reason: str) -> None:
        if self.source in self.manifest.files:
            reason += " (the version ingested before is kept)"
        self.report.failed.append((self.source, reason))


def _load_one(
    cand: Candidate,
    source: str,
    root_s: str,
    listed,
    manifest: Manifest,
    report: IngestReport,
    max_bytes: int,
):
    p = cand.path
    failed = _Failures(report, source, manifest)
    try:
        if p.is_symlink():
            target = p.resolve()
            if not target.is_relative_to(Path(root_s)):
                failed.add(f"symlink to {target}, outside the ingested folder: refused")
                return None
        if not p.is_file():
            failed.add("not a regular file")
            return None
        size = p.stat().st_size
        if size > max_bytes:
            failed.add(
                f"file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.0f} MB size cap: refused"
            )
            return None
        data = p.read_bytes()
    except OSError as exc:
        failed.add(f"can't read it ({exc.strerror or exc})")
        return None
    file_hash = sha256(data)
    old = manifest.files.get(source)
    if old is not None and old.file_hash == file_hash and old.chunker == CHUNKER_VERSION:
        report.unchanged.append(source)
        old.root = root_s  # the folder may have moved
        return None
    head = data[:4096]
    fmt = detect_format(p, head)
    if fmt == "unsupported":
        if b"\x00" in head:
            failed.add(f"binary file ({p.suffix or 'no extension'}): not a supported format")
        else:
            failed.add(f"unsupported file type {p.suffix!r}")
        return None
    info = source_for(cand.rel, p, listed, head)
    try:
        loaded = load_file(data, fmt, source, info.url)
    except LoadError as exc:
        failed.add(str(exc))
        return None
    except Exception as exc:  # a loader bug must not stop the batch
        failed.add(f"could not be loaded ({type(exc).__name__}: {exc})")
        return None
    report.warnings.extend((source, w) for w in loaded.warnings)
    url = info.url
    if fmt == "review" and not info.listed and loaded.meta.get("thread_url"):
        url = loaded.meta["thread_url"]
    pend = build_chunks(source, info, file_hash, loaded.title, loaded.drafts, url)
    pend.root = root_s
    for extra in pend.extras:
        for k, v in loaded.meta.items():
            if isinstance(v, (str, int, float)) and v != "":
                extra.setdefault(k, v)
    return pend


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


def _embed_and_commit(
    store: Store, collection, manifest: Manifest, group: list[Pending], rows, report, progress
) -> None:
    ids = [c.id for p in group for c in p.chunks]
    # rows left by a killed run with this very text: keep their vectors
    have = _existing(collection, ids, ["metadatas"])
    # vectors of the files' previous versions, by embedded text
    old_ids = [cid for p in group if p.source in manifest.files for cid in manifest.files[p.source].chunk_ids]
    by_embed_hash: dict[str, list[float]] = {}
    if old_ids:
        for row in _existing(collection, old_ids, ["metadatas", "embeddings"]).values():
            h = (row.get("metadatas") or {}).get("embed_hash")
            if h and row.get("embeddings") is not None:
                by_embed_hash[h] = list(row["embeddings"])
    todo_texts, todo_keys = [], []
    vectors: dict[str, list[float] | None] = {}
    for p in group:
        for c, text, extra in zip(p.chunks, p.embed_texts, p.extras, strict=True):
            old = have.get(c.id, {}).get("metadatas") or {}
            if old.get("embed_hash") == extra["embed_hash"] and old.get("chunk_hash") == c.meta.chunk_hash:
                vectors[c.id] = None  # already in Chroma, as is
                report.reused += 1
                progress.advance(1)
            elif extra["embed_hash"] in by_embed_hash:
                vectors[c.id] = by_embed_hash[extra["embed_hash"]]
                report.reused += 1
                progress.advance(1)
            else:
                todo_texts.append(text)
                todo_keys.append(c.id)
    for cid, vec in zip(todo_keys, embed_texts(todo_texts, progress.advance), strict=True):
        vectors[cid] = vec
    report.embedded += len(todo_texts)
    for p in group:
        up = [(c, e) for c, e in zip(p.chunks, p.extras, strict=True) if vectors[c.id] is not None]
        for b in range(0, len(up), UPSERT_BATCH):
            batch = up[b : b + UPSERT_BATCH]
            collection.upsert(
                ids=[c.id for c, _ in batch],
                embeddings=[vectors[c.id] for c, _ in batch],
                documents=[c.text for c, _ in batch],
                metadatas=[_chroma_meta(c, e) for c, e in batch],
            )
        old = manifest.files.get(p.source)
        new_ids = [c.id for c in p.chunks]
        entry = FileEntry(
            file_hash=p.file_hash,
            kind=p.kind,
            chunk_ids=new_ids,
            ingested_at=_now(),
            root=p.root,
            chunker=CHUNKER_VERSION,
        )
        manifest.files[p.source] = entry
        store.save_manifest(manifest)  # the commit point of this file version
        if old is not None:
            stale = set(old.chunk_ids) - set(new_ids)
            if stale:
                _delete_ids(collection, stale)
            for cid in old.chunk_ids:
                rows.pop(cid, None)
        for c, e in zip(p.chunks, p.extras, strict=True):
            rows[c.id] = _row(c, e)
        report.ingested.append(p.source)
        report.chunks_added += len(p.chunks)
        report.flagged += sum(1 for c in p.chunks if c.meta.flagged)


def _committed_rows(store: Store, manifest: Manifest) -> dict[str, dict[str, Any]]:
    committed = {cid for e in manifest.files.values() for cid in e.chunk_ids}
    rows: dict[str, dict[str, Any]] = {}
    if not store.chunks_path.is_file():
        return rows
    with store.chunks_path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get("id") in committed:
                rows[row["id"]] = row
    return rows


def _fill_rows_from_chroma(
    collection, ids: list[str], rows, manifest: Manifest, store: Store, report: IngestReport
) -> None:
    from dataclasses import fields

    names = {f.name for f in fields(ChunkMeta)}
    got = _existing(collection, ids, ["documents", "metadatas"])
    for cid in ids:
        row = got.get(cid)
        if row is None:
            continue
        meta = row.get("metadatas") or {}
        rows[cid] = {
            "id": cid,
            "text": row.get("documents") or "",
            "meta": {k: v for k, v in meta.items() if k in names},
            "extra": {k: v for k, v in meta.items() if k not in names},
        }
    # a committed file whose rows vanished from Chroma is dropped so the next run re-ingests it
    for source, entry in list(manifest.files.items()):
        if any(cid not in rows for cid in entry.chunk_ids):
            del manifest.files[source]
            store.save_manifest(manifest)
            report.warnings.append(
                (source, "its chunks were missing from Chroma; run `kfqa ingest` again to restore it")
            )


def _ordered_rows(manifest: Manifest, rows) -> list[dict[str, Any]]:
    out = []
    for source in sorted(manifest.files):
        for cid in manifest.files[source].chunk_ids:
            if cid in rows:
                out.append(rows[cid])
    return out


def _write_chunks(store: Store, manifest: Manifest, rows) -> None:
    store.write_chunk_rows(_ordered_rows(manifest, rows))


def _bm25_current(store: Store) -> bool:
    marker = store.bm25_dir / "kfqa_bm25_version"
    return marker.is_file() and marker.read_text().strip() == BM25_VERSION


def _write_bm25(store: Store, manifest: Manifest, rows) -> None:
    """BM25 over the committed chunks (text + title + section), written beside and swapped in."""
    ordered = _ordered_rows(manifest, rows)
    if not ordered:
        if store.bm25_dir.exists():
            shutil.rmtree(store.bm25_dir)
        return
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes = []
    for row in ordered:
        meta = row["meta"]
        keys = list(meta)
        nodes.append(
            TextNode(
                id_=row["id"],
                text=bm25_text(row["text"]),
                metadata=meta,
                excluded_embed_metadata_keys=[k for k in keys if k not in ("title", "section")],
                excluded_llm_metadata_keys=keys,
            )
        )
    retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(10, len(nodes)))
    tmp = store.dir / f".bm25.tmp.{os.getpid()}"
    old = store.dir / f".bm25.old.{os.getpid()}"
    for d in (tmp, old):
        if d.exists():
            shutil.rmtree(d)
    tmp.mkdir(parents=True)
    retriever.persist(str(tmp), show_progress=False)
    (tmp / "kfqa_bm25_version").write_text(BM25_VERSION)
    if store.bm25_dir.exists():
        os.replace(store.bm25_dir, old)
    os.replace(tmp, store.bm25_dir)
    if old.exists():
        shutil.rmtree(old)


# --- summary / stats ------------------------------------------------------------------------


def print_summary(report: IngestReport, console) -> None:
    from rich.table import Table

    table = Table(title="kfqa ingest", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("store", report.store)
    table.add_row("files ingested", str(len(report.ingested)))
    table.add_row("files unchanged (skipped)", str(len(report.unchanged)))
    table.add_row("files removed", str(len(report.removed)))
    table.add_row("files failed", str(len(report.failed)))
    table.add_row("chunks added", str(report.chunks_added))
    table.add_row("chunks embedded / reused", f"{report.embedded} / {report.reused}")
    table.add_row("chunks in store", str(report.chunks_total))
    table.add_row("flagged as instructions", str(report.flagged))
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
    for title, style, column, rows in (
        ("failed", "bold red", "reason", report.failed),
        ("warnings", "bold yellow", "message", report.warnings),
    ):
        if rows:
            listing = Table(title=title, title_justify="left", title_style=style)
            listing.add_column("file")
            listing.add_column(column)
            for row in rows:
                listing.add_row(*row)
            console.print(listing)


def store_stats(settings: Settings) -> dict[str, Any]:
    """What the store holds (from the manifest and chunks.jsonl: no model, no Chroma needed)."""
    store = Store(settings)
    manifest = store.open_for_queries()
    committed = {cid for e in manifest.files.values() for cid in e.chunk_ids}
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
    files_by_kind = Counter(e.kind for e in manifest.files.values())
    return {
        "store": store.location,
        "files": len(manifest.files),
        "chunks": sum(by_kind.values()),
        "chunks_by_kind": dict(sorted(by_kind.items())),
        "files_by_kind": dict(sorted(files_by_kind.items())),
        "chunks_by_project": dict(by_project.most_common()),
        "superseded_chunks": superseded,
        "flagged_chunks": flagged,
        "embedding_model": manifest.embedding_model,
        "corpus": manifest.corpus_dir,
        "last_ingest": manifest.last_ingest,
    }


__all__ = ["IngestReport", "KfqaError", "run_ingest", "store_stats"]
