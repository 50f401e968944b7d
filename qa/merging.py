"""Neighbouring windows of one section, retrieved together, become one passage.

Chunks are ~190-word-piece windows, small enough for the embedding model, but a reviewer's
answer often spans two or three of them (a list of webhooks, then their failure policy).
When several windows of the same section are retrieved, they are read as one contiguous
passage at the best window's rank: the idea of llama-index's AutoMergingRetriever, over
kfqa's own chunk order (chunk ids end in the window's index within its file) instead of a
hierarchical docstore. Up to MAX_GAP missing windows between two retrieved ones are filled in, so the
passage stays a contiguous slice of the source and its line range stays true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kfqa.types import Chunk, Retrieved

MAX_CHARS = 3000  # a merged passage stays readable in a source card and cheap in an LLM prompt
MAX_GAP = 2  # windows that may be filled in between two retrieved ones


def window_range(chunk: Chunk) -> tuple[str, int, int]:
    """(file-version key, first window, last window) from a chunk id ``{source}::{hash}::{i}`` or
    a merged passage's ``{source}::{hash}::{i}..{j}``; (id, -1, -1) for any other id."""
    head, _, indices = chunk.id.rpartition("::")
    first, _, last = indices.partition("..")
    last = last or first
    if not (head and first.isdigit() and last.isdigit()):
        return chunk.id, -1, -1
    return head, int(first), int(last)


@dataclass
class _Group:
    key: str
    section: str
    lo: int
    hi: int
    score: float

    def accepts(self, key: str, section: str, index: int, chunks: dict[str, Chunk]) -> bool:
        if key != self.key or section != self.section or index < 0:
            return False
        if not self.lo - MAX_GAP - 1 <= index <= self.hi + MAX_GAP + 1:
            return False
        # every window in between must exist and belong to the section: the passage stays contiguous
        span = [chunks.get(f"{key}::{i}") for i in range(min(self.lo, index), max(self.hi, index) + 1)]
        if any(w is None or section_of(w) != section for w in span):
            return False
        return sum(len(w.text) for w in span) <= MAX_CHARS


_PAGE_RE = re.compile(r"^Page \d+ > ")


def section_of(chunk: Chunk) -> str:
    """The heading a window belongs to; a PDF finding that runs onto the next page is one section."""
    return _PAGE_RE.sub("", chunk.meta.section)


def merge_neighbours(hits: list[Retrieved], chunks: dict[str, Chunk]) -> list[Retrieved]:
    """Hits of nearby windows in one section, merged into one passage at the best one's rank."""
    groups: list[_Group | Retrieved] = []  # a hit that isn't one stored window stays as it is
    for hit in hits:
        key, index, last = window_range(hit.chunk)
        if index < 0 or index != last or hit.chunk.id not in chunks:
            groups.append(hit)
            continue
        section = section_of(hit.chunk)
        group = next((g for g in groups if isinstance(g, _Group) and g.accepts(key, section, index, chunks)), None)
        if group is None:
            groups.append(_Group(key, section, index, index, hit.score))
        else:
            group.lo, group.hi = min(group.lo, index), max(group.hi, index)
    return [g if isinstance(g, Retrieved) else Retrieved(chunk=_passage(g, chunks), score=g.score) for g in groups]


def with_following_window(hit: Retrieved, chunks: dict[str, Chunk]) -> Retrieved | None:
    """``hit`` read on into the next window of its section (a passage that ends on "... by:" has
    its list there); None when there is no such window."""
    head, first, last = window_range(hit.chunk)
    following = chunks.get(f"{head}::{last + 1}") if first >= 0 else None
    if following is None or section_of(following) != section_of(hit.chunk):
        return None
    group = _Group(head, section_of(hit.chunk), first, last + 1, hit.score)
    return Retrieved(chunk=_passage(group, chunks), score=hit.score)


def _passage(group: _Group, chunks: dict[str, Chunk]) -> Chunk:
    windows = [chunks[f"{group.key}::{i}"] for i in range(group.lo, group.hi + 1)]  # checked by accepts
    if len(windows) == 1:
        return windows[0]
    first, last = windows[0], windows[-1]
    text = first.text
    for prev, nxt in zip(windows, windows[1:], strict=False):
        text = _join(text, prev, nxt)
    meta = replace(first.meta, line_end=last.meta.line_end or first.meta.line_end)
    if first.meta.line_start and "#L" in first.meta.url:
        meta.url = re.sub(r"#L\d+-L\d+$", f"#L{meta.line_start}-L{meta.line_end}", first.meta.url)
    return Chunk(id=f"{first.id}..{group.hi}", text=text, meta=meta)


# A review comment split over windows repeats its header, marked "(continued)", in each later one.
_CONTINUED_RE = re.compile(r"\A[^\n]*\(continued\):[ \t]*\n")


def _join(text: str, prev: Chunk, nxt: Chunk) -> str:
    """``text`` (ending with ``prev``) followed by ``nxt`` without the part the two windows share."""
    body = _CONTINUED_RE.sub("", nxt.text)
    overlap = _overlap(prev.text, body)
    if overlap:
        return text + body[overlap:]
    return text + _separator(prev, nxt) + body


def _separator(prev: Chunk, nxt: Chunk) -> str:
    """What stands between two windows that don't overlap, as far as their line numbers tell."""
    a, b = prev.meta.line_end, nxt.meta.line_start
    if not (a and b):
        return "\n"
    return " " if b == a else "\n" if b == a + 1 else "\n\n"


def _overlap(a: str, b: str) -> int:
    """Length of the longest suffix of ``a`` that is a prefix of ``b`` and a whole run of text
    (whitespace before it in ``a`` and after it in ``b``): windows share whole sentences or items."""
    for start in range(len(a)):
        if start and not a[start - 1].isspace():
            continue
        tail = a[start:]
        if b.startswith(tail) and (len(tail) == len(b) or b[len(tail)].isspace()):
            return len(tail)
    return 0
