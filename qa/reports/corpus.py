"""Where the reports read their files: paths named as in the corpus (``reviews/cncf-toc-pr-2201.json``),
resolved against the corpus folder and the folders the store was ingested from, and what
``sources.json`` records about each file (repository, upstream path, revision, capture notes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfqa.config import Settings
from kfqa.store import Store
from kfqa.types import KfqaError


@dataclass
class CorpusFile:
    rel: str  # the path as the store names it (ChunkMeta.source)
    path: Path  # where it is on disk
    entry: dict[str, Any] = field(default_factory=dict)  # its sources.json record, {} when none

    @property
    def note(self) -> str:
        return str(self.entry.get("note") or self.entry.get("notes") or "")

    @property
    def superseded(self) -> bool:
        return bool(self.entry.get("superseded"))


class Corpus:
    """The files of the folders a store was built from, looked up by corpus-relative path."""

    def __init__(self, settings: Settings):
        self.settings = settings
        roots = [Path(settings.corpus_dir)]
        store = Store(settings)
        if store.exists():
            manifest = store.load_manifest()
            roots += [Path(entry.root) for entry in manifest.files.values() if entry.root]
            if manifest.corpus_dir:
                roots.append(Path(manifest.corpus_dir))
        self.roots = list(dict.fromkeys(r for r in roots if r.is_dir()))
        self._entries: dict[str, dict[str, Any]] = {}
        for root in reversed(self.roots):  # the configured corpus folder wins
            self._entries.update(_load_entries(root))

    def find(self, name: str | Path) -> CorpusFile:
        """The file ``name`` names: a corpus-relative path, or a path on disk inside a known folder."""
        given = Path(name).expanduser()
        for root in self.roots:
            candidate = given if given.is_absolute() else root / given
            if candidate.is_file():
                try:
                    rel = candidate.resolve().relative_to(root.resolve()).as_posix()
                except ValueError:
                    continue
                return CorpusFile(rel, candidate, self._entries.get(rel, {}))
        if given.is_file():
            return CorpusFile(given.as_posix(), given, {})
        raise KfqaError(f"{name}: no such file in the corpus ({', '.join(map(str, self.roots)) or 'no corpus folder'}).")

    def entries(self) -> dict[str, dict[str, Any]]:
        return dict(self._entries)

    def files(self, pattern: str) -> list[CorpusFile]:
        """Files matching a glob under any corpus folder (first folder wins on equal paths)."""
        seen: dict[str, CorpusFile] = {}
        for root in self.roots:
            for path in sorted(root.glob(pattern)):
                rel = path.relative_to(root).as_posix()
                seen.setdefault(rel, CorpusFile(rel, path, self._entries.get(rel, {})))
        return list(seen.values())

    def revisions(self, repository: str, upstream_path: str) -> tuple[CorpusFile | None, CorpusFile | None]:
        """(earlier revision, current revision) of one upstream file, as far as the corpus holds them."""
        before = after = None
        for rel, entry in self._entries.items():
            if entry.get("repository") != repository or entry.get("upstream_path") != upstream_path:
                continue
            try:
                found = self.find(rel)
            except KfqaError:
                continue
            if found.superseded:
                before = found
            else:
                after = found
        return before, after


def _load_entries(root: Path) -> dict[str, dict[str, Any]]:
    path = root / "sources.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}
    rows = data if isinstance(data, list) else data.get("files", []) if isinstance(data, dict) else []
    return {str(r["path"]): r for r in rows if isinstance(r, dict) and r.get("path")}


def read_text(file: CorpusFile) -> str:
    try:
        return file.path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KfqaError(f"{file.rel}: not a UTF-8 text file ({exc.reason}).") from exc
    except OSError as exc:
        raise KfqaError(f"{file.rel}: can't read it ({exc.strerror or exc}).") from exc
