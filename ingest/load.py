"""Scanned files become loaded, chunked file versions (``Pending``) or reasons they can't.

Every per-file error is caught here, at the file boundary: the file is reported with its path
and the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kfqa.ingest.chunks import Pending, build_chunks, sha256
from kfqa.ingest.loaders import LoadError, detect_format, load_file
from kfqa.ingest.report import IngestReport
from kfqa.ingest.scan import MAX_FILE_BYTES, Candidate, find_root, resolved_inside, same_file, scan
from kfqa.ingest.sources import SOURCES_FILE, load_sources, source_for
from kfqa.manifest import Manifest

# Bump when the chunker cuts the same file differently: unchanged files are then re-chunked
# (their unchanged passages keep their vectors, matched by the hash of the embedded text).
CHUNKER_VERSION = "10"  # 7: a PDF with an outline takes its sections from its bookmarks, mid-page too; 8: and first lines nest under them
# 9: a window opening inside a fenced code block says so (ChunkMeta.opens_in_code); 10: also one of a block split
# again for a long heading path. Embedded text unchanged by either


@dataclass
class Loaded:
    pending: list[Pending] = field(default_factory=list)  # new or changed file versions
    scopes: list[tuple[str, str]] = field(default_factory=list)  # (root, folder prefix) scanned whole
    seen: set[str] = field(default_factory=set)  # sources found on disk


class FileLoader:
    """Loads what the scan finds, against the committed manifest (unchanged files are skipped)."""

    def __init__(self, manifest: Manifest, report: IngestReport, max_bytes: int = MAX_FILE_BYTES):
        self.manifest, self.report, self.max_bytes = manifest, report, max_bytes

    def load_paths(self, paths) -> Loaded:
        loaded = Loaded()
        for raw in paths:
            path = Path(raw).expanduser()
            if not path.exists() and not path.is_symlink():
                self.report.fail(str(raw), "no such file or folder")
                continue
            self._load_root(path.absolute(), loaded)
        return loaded

    def _load_root(self, path: Path, loaded: Loaded) -> None:
        root = find_root(path)
        root_s = str(root.resolve())
        self.report.roots.append(root_s)
        listed, warnings = load_sources(root)
        for warning in warnings:
            self.report.warn(SOURCES_FILE, warning)
        if path.is_dir():
            prefix = path.relative_to(root).as_posix()
            loaded.scopes.append((root_s, "" if prefix == "." else prefix))
        for cand in scan(path, root, self.report):
            source = self._source_name(cand, root, root_s)
            loaded.seen.add(source)
            try:
                pending = self._load_one(cand, source, root_s, listed)
            except Exception as exc:  # noqa: BLE001 - one file's bug never stops the batch
                pending = None
                self._fail(source, f"could not be loaded ({type(exc).__name__}: {exc})")
            if pending is not None:
                loaded.pending.append(pending)

    def _source_name(self, cand: Candidate, root: Path, root_s: str) -> str:
        old = self.manifest.files.get(cand.rel)
        if old is not None and old.root and old.root != root_s and Path(old.root).exists():
            # The same relative path in another folder: the same source when the file is the
            # same (a second checkout of the bundled corpus), else another folder's file. An old
            # root that no longer exists is this folder, moved: its files keep their names.
            if not same_file(cand.path, old.file_hash):
                return f"{root.name}/{cand.rel}"
        return cand.rel

    def _fail(self, source: str, reason: str) -> None:
        if source in self.manifest.files:
            reason += " (the version ingested before is kept)"
        self.report.fail(source, reason)

    def _read(self, cand: Candidate, root_s: str, source: str) -> bytes | None:
        p = cand.path
        try:
            if p.is_symlink():
                target, reason = resolved_inside(p, Path(root_s))
                if target is None:
                    self._fail(source, reason)
                    return None
            if not p.is_file():
                self._fail(source, "not a regular file")
                return None
            size = p.stat().st_size
            if size > self.max_bytes:
                self._fail(
                    source,
                    f"file is {size / 1048576:.1f} MB, over the {self.max_bytes / 1048576:.0f} MB size cap: refused",
                )
                return None
            return p.read_bytes()
        except OSError as exc:
            self._fail(source, f"can't read it ({exc.strerror or exc})")
            return None

    def _load_one(self, cand: Candidate, source: str, root_s: str, listed) -> Pending | None:
        data = self._read(cand, root_s, source)
        if data is None:
            return None
        file_hash = sha256(data)
        old = self.manifest.files.get(source)
        if old is not None and old.file_hash == file_hash and old.chunker == CHUNKER_VERSION:
            self.report.unchanged.append(source)
            old.root = root_s  # the folder may have moved
            return None
        head = data[:4096]
        p = cand.path
        fmt = detect_format(p, head)
        if fmt == "unsupported":
            if b"\x00" in head:
                self._fail(source, f"binary file ({p.suffix or 'no extension'}): not a supported format")
            else:
                self._fail(source, f"unsupported file type {p.suffix!r}")
            return None
        info = source_for(cand.rel, p, listed, head)
        try:
            loaded = load_file(data, fmt, source, info.url)
        except LoadError as exc:
            self._fail(source, str(exc))
            return None
        for warning in loaded.warnings:
            self.report.warn(source, warning)
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
