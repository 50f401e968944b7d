"""Finding the files to ingest under the given paths.

Nothing found here stops a batch: a folder that can't be read, a symlink loop, a symlink out of
the ingested folder or a file name that isn't UTF-8 is reported with its path and skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kfqa.ingest.chunks import sha256
from kfqa.ingest.report import IngestReport
from kfqa.ingest.sources import SOURCES_FILE

MAX_FILE_BYTES = 20 * 1024 * 1024
SKIP_DIRS = {"__pycache__", "node_modules"}


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


def resolved_inside(path: Path, root: Path) -> tuple[Path | None, str]:
    """Where a symlink points, if inside ``root``; else None and why it is refused."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a loop raises RuntimeError before Python 3.13
        reason = "symlink loop" if "loop" in str(exc).lower() or getattr(exc, "errno", 0) == 40 else "broken symlink"
        return None, f"{reason}: skipped"
    if not target.is_relative_to(root.resolve()):
        return None, f"symlink to {target}, outside the ingested folder: refused"
    return target, ""


def is_utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scan(path: Path, root: Path, report: IngestReport) -> list[Candidate]:
    """Files under ``path`` (or ``path`` itself), hidden files and sources.json excluded."""
    if path.is_file() or path.is_symlink() and not path.is_dir():
        return [Candidate(root, path, path.relative_to(root).as_posix())]
    out = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else str(path)
        report.fail(where + "/", f"can't read this folder ({exc.strerror or exc}): its files were skipped")

    for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable, followlinks=False):
        folder = Path(dirpath)
        dirnames[:] = [name for name in sorted(dirnames) if _walk_into(folder / name, root, report)]
        for name in sorted(filenames):
            p = folder / name
            rel = p.relative_to(root).as_posix()
            if name.startswith(".") or rel == SOURCES_FILE:
                continue
            if not is_utf8_name(rel):
                report.fail(rel, "the file name is not valid UTF-8: skipped (rename the file to ingest it)")
                continue
            out.append(Candidate(root, p, rel))
    return out


def _walk_into(folder: Path, root: Path, report: IngestReport) -> bool:
    """Whether the walk enters ``folder``: not hidden, not a symlink (those inside the root are
    walked at their real place; others are refused and reported)."""
    if folder.name.startswith(".") or folder.name in SKIP_DIRS:
        return False
    if folder.is_symlink():
        target, reason = resolved_inside(folder, root)
        if target is None:
            report.fail(folder.relative_to(root).as_posix(), reason)
        return False
    return True


def same_file(path: Path, file_hash: str) -> bool:
    try:
        return path.is_file() and path.stat().st_size <= MAX_FILE_BYTES and sha256(path.read_bytes()) == file_hash
    except OSError:
        return False
