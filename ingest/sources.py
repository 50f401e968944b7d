"""Where a file comes from: its ``sources.json`` entry, or a guess from its path and content.

``sources.json`` (at the root of an ingested folder) lists
``{path, kind, repository, commit, upstream_path, url, license, project, note?, superseded?}``.
A folder without it still ingests: kind and project are guessed, ``url`` is the file's own URI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kfqa.config import KINDS

SOURCES_FILE = "sources.json"
MAX_SOURCES_BYTES = 50_000_000  # the bundled corpus's is 153 KB for 306 files
KUBEFLOW_SITE = "https://www.kubeflow.org/"

# loader format chosen from the extension (content sniffing decides for anything else)
MARKDOWN_EXT = {".md", ".markdown", ".mdx"}
TEXT_EXT = {".txt", ".text", ".rst", ".adoc", ""}
JSON_EXT = {".json"}
PDF_EXT = {".pdf"}


@dataclass
class SourceInfo:
    path: str  # relative to the ingested root, posix
    kind: str
    project: str = ""
    repository: str = ""
    commit: str = ""
    upstream_path: str = ""
    url: str = ""
    license: str = ""
    note: str = ""
    superseded: bool = False
    listed: bool = False  # came from sources.json

    @property
    def page_url(self) -> str:
        return kubeflow_page_url(self.repository, self.upstream_path)


def kubeflow_page_url(repository: str, upstream_path: str) -> str:
    """``content/en/docs/X/Y.md`` of kubeflow/website -> ``https://www.kubeflow.org/docs/X/Y/``."""
    if repository != "kubeflow/website" or not upstream_path:
        return ""
    p = PurePosixPath(upstream_path)
    parts = p.parts
    if len(parts) < 3 or parts[0] != "content" or p.suffix.lower() not in MARKDOWN_EXT:
        return ""
    rel = PurePosixPath(*parts[2:])  # drop content/<lang>
    if rel.stem in ("_index", "index"):
        rel = rel.parent
    else:
        rel = rel.with_suffix("")
    path = rel.as_posix().strip("/")
    return KUBEFLOW_SITE + (f"{path}/" if path and path != "." else "")


def load_sources(root: Path) -> tuple[dict[str, SourceInfo], list[str]]:
    """The entries of ``root/sources.json`` by path, and warnings about what was ignored. A
    sources.json that can't be used gives one warning naming it; ingest goes on without it."""
    path = root / SOURCES_FILE
    try:
        if not path.exists() and not path.is_symlink():
            return {}, []
    except OSError:  # the folder can't be looked into: _read_sources says so
        pass
    data, problem = _read_sources(path)
    if problem:
        return {}, [f"{SOURCES_FILE}: {problem}; kinds and urls are guessed from paths instead"]
    if not isinstance(data, list):
        return {}, [f"{SOURCES_FILE}: expected a JSON list of sources; kinds and urls are guessed from paths instead"]
    out: dict[str, SourceInfo] = {}
    warnings: list[str] = []
    for i, row in enumerate(data):
        if not isinstance(row, dict) or not isinstance(row.get("path"), str):
            warnings.append(f"{SOURCES_FILE}: entry {i} has no 'path'; ignored")
            continue
        rel = PurePosixPath(row["path"]).as_posix()
        kind = row.get("kind")
        if kind not in KINDS:
            warnings.append(f"{SOURCES_FILE}: entry {rel!r} has unknown kind {str(kind)[:40]!r}; guessing it")
            kind = ""
        out[rel] = SourceInfo(
            path=rel,
            kind=kind or "",
            project=str(row.get("project") or ""),
            repository=str(row.get("repository") or ""),
            commit=str(row.get("commit") or ""),
            upstream_path=str(row.get("upstream_path") or ""),
            url=str(row.get("url") or ""),
            license=str(row.get("license") or ""),
            note=str(row.get("note") or ""),
            superseded=bool(row.get("superseded")),
            listed=True,
        )
    return out, warnings


def _read_sources(path: Path) -> tuple[object, str]:
    """(parsed JSON, "") or (None, what is wrong with the file)."""
    try:
        size = path.stat().st_size
        if size > MAX_SOURCES_BYTES:
            return None, f"{size:,} bytes, over MAX_SOURCES_BYTES ({MAX_SOURCES_BYTES:,}): not read"
        raw = path.read_bytes()
    except OSError as exc:
        return None, f"can't be read ({exc.strerror or type(exc).__name__})"
    try:
        return json.loads(raw.decode("utf-8", errors="replace")), ""
    except RecursionError:
        return None, "nested too deeply to read"
    except ValueError as exc:
        return None, f"not valid JSON ({exc})"


def guess_kind(rel: str, head: bytes = b"") -> str:
    """Kind of an unlisted file, from its path first and its first bytes second."""
    p = PurePosixPath(rel.lower())
    parts = set(p.parts[:-1])
    name = p.name
    if p.suffix == ".json" or "review" in parts or "reviews" in parts:
        return "review"
    if p.suffix == ".pdf" or head.startswith(b"%PDF") or parts & {"audit", "audits"} or "audit" in name:
        return "audit"
    if parts & {"guide", "guides"}:
        return "guide"
    if parts & {"assessment", "assessments", "security-assessment"} or any(
        w in name for w in ("assessment", "threat", "security")
    ):
        return "assessment"
    if parts & {"docs", "doc", "content"}:
        return "docs"
    text = head[:4000].decode("utf-8", errors="replace").lower()
    if "self-assessment" in text or "threat model" in text:
        return "assessment"
    return "docs"


def guess_project(rel: str) -> str:
    parts = PurePosixPath(rel.lower()).parts[:-1]
    if "kubeflow" in parts:
        return "kubeflow"
    if "cncf" in parts:  # assessments/cncf/<project>/...
        i = parts.index("cncf")
        if i + 1 < len(parts):
            return parts[i + 1]
    return ""


def source_for(rel: str, abs_path: Path, listed: dict[str, SourceInfo], head: bytes = b"") -> SourceInfo:
    """The sources.json entry for ``rel``, or a guessed one (url: the file's own URI)."""
    info = listed.get(rel)
    superseded_by_path = "history" in PurePosixPath(rel).parts[:-1]
    if info is not None:
        if not info.kind:
            info.kind = guess_kind(rel, head)
        info.superseded = info.superseded or superseded_by_path
        return info
    return SourceInfo(
        path=rel,
        kind=guess_kind(rel, head),
        project=guess_project(rel),
        url=abs_path.resolve().as_uri(),
        superseded=superseded_by_path,
    )
