"""Typed objects that cross package boundaries (ingest -> store -> qa -> cli/ui/eval).

Chunk metadata lives in Chroma, which only stores str/int/float/bool values, so
``ChunkMeta.to_store`` maps ``None`` to ``""`` / ``0`` and ``from_store`` maps back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cache
from typing import Any


@dataclass
class ChunkMeta:
    source: str  # path relative to the corpus root, e.g. "assessments/kubeflow/self-assessment.md"
    kind: str  # assessment | review | docs | audit | guide
    project: str = ""
    title: str = ""
    section: str = ""  # heading path "Overview > Actors > Kubeflow Spark Operator", or thread/comment label
    url: str = ""  # commit-pinned upstream permalink with #L<a>-L<b> or #page=N
    page_url: str = ""  # rendered page (kubeflow.org for docs), "" when none
    line_start: int = 0  # 1-based, 0 when not applicable
    line_end: int = 0
    page: int = 0  # 1-based PDF page, 0 when not applicable
    superseded: bool = False
    file_hash: str = ""  # sha256 of the source file's bytes: ties a chunk to one committed version
    chunk_hash: str = ""  # sha256 of the chunk text
    # Structure that ingest knows and qa reads as fields (never by re-parsing text ingest wrote):
    window: int = -1  # position of this window among its file version's windows (0-based); -1 unknown
    section_key: str = ""  # the section's identity for merging: its heading path without a "Page N >" prefix
    section_window: int = 0  # position of this window within its section (0-based)
    continued: bool = False  # the window starts inside a unit (comment, list) begun in the previous window
    # the window starts inside a fenced code block begun before it (its text up to the closing fence, or all
    # of it, is code: a window cut from the middle of a long listing holds no fence to say so)
    opens_in_code: bool = False
    lead_chars: int = 0  # chars at the start of ``text`` that ingest added (a repeated comment header), not source
    # review comments: the comment this window starts with
    author: str = ""
    date: str = ""
    comment_type: str = ""  # review | review_comment | issue_comment | description
    comment_id: str = ""
    reply_to: str = ""  # id of the comment it answers, "" for a thread opener
    flagged: bool = False  # reads as instructions to an assistant (prompt injection); never support
    flag_reason: str = ""

    def to_store(self) -> dict[str, Any]:
        return {k: ("" if v is None else v) for k, v in asdict(self).items()}

    @classmethod
    def from_store(cls, meta: dict[str, Any]) -> ChunkMeta:
        """From a chunks.jsonl row's meta or Chroma's metadata: keys that are no field (llama-index's,
        another kfqa version's) are left out."""
        names = _field_names(cls)
        if meta.keys() == names:  # a row this version wrote: nothing to sift (every ask reads 6k of them)
            return cls(**meta)
        return cls(**{k: v for k, v in meta.items() if k in names})

    @property
    def lines(self) -> str:
        return f"{self.line_start}-{self.line_end}" if self.line_start else ""


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


@dataclass
class Chunk:
    id: str
    text: str  # the passage as it stands in the source (what quotes and coverage are checked against)
    meta: ChunkMeta


@dataclass
class Filters:
    kinds: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    source_glob: str = ""  # fnmatch pattern on ChunkMeta.source
    sources: list[str] = field(default_factory=list)  # exact ChunkMeta.source paths
    include_superseded: bool | None = None  # None: decided from the question (history questions)


@dataclass
class Retrieved:
    chunk: Chunk
    score: float  # fused score, higher is better

    def to_json(self) -> dict[str, Any]:
        return {"source": self.chunk.meta.source, "section": self.chunk.meta.section, "score": round(self.score, 4)}


@dataclass
class Citation:
    n: int
    chunk: Chunk
    quote: str  # the exact passage quoted in the answer

    def to_json(self) -> dict[str, Any]:
        m = self.chunk.meta
        return {
            "n": self.n,
            "source": m.source,
            "kind": m.kind,
            "title": m.title,
            "section": m.section,
            "url": m.url,
            "page_url": m.page_url or None,
            "page": m.page or None,
            "lines": m.lines or None,
            "quote": self.quote,
            "flagged": m.flagged,
        }


@dataclass
class AnswerSentence:
    text: str  # without markers
    citations: list[int]  # [n] markers it carries
    verified: bool = True  # supported by the passages it cites
    quote: str = ""  # LLM answers: the cited passage's words the sentence quotes (verified verbatim)


@dataclass
class Generation:
    """How an LLM answer fared, for reports: what the model wrote, what survived checking, and
    why kfqa fell back to the extractive answer when it did."""

    sentences: int = 0  # claim sentences the model wrote
    kept: int = 0  # of them, kept after verification (re-pointed ones included)
    repaired: int = 0  # kept with a corrected or added citation
    outcome: str = "answered"  # answered | declined (the model said the sources don't answer) | fallback
    reason: str = ""  # fallback: timeout | endpoint | no-supported-sentence | first-sentences-failed | ...


@dataclass
class Answer:
    question: str
    answer: str  # the rendered answer with [n] markers
    abstained: bool
    citations: list[Citation]
    retrieved: list[Retrieved]
    sentences: list[AnswerSentence] = field(default_factory=list)
    closest: list[Retrieved] = field(default_factory=list)  # shown when abstaining
    notices: list[str] = field(default_factory=list)  # e.g. "question cut to 2000 characters"
    backend: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    generation: Generation | None = None  # set when an LLM was asked (answered, declined or fell back)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [r.to_json() for r in self.retrieved],
            "sentences": [asdict(s) for s in self.sentences],
            "closest": [r.to_json() | {"text": r.chunk.text} for r in self.closest],
            "notices": self.notices,
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "generation": asdict(self.generation) if self.generation else None,
        }


class KfqaError(Exception):
    """A problem the user can fix; its message is shown as is (no stack trace)."""


class StoreError(KfqaError):
    pass
