"""Neighbouring windows of one section, retrieved together, become one passage.

Chunks are ~190-word-piece windows, small enough for the embedding model, but a reviewer's
answer often spans two or three of them (a list of webhooks, then their failure policy).
When several windows of the same section are retrieved, they are read as one contiguous
passage at the best window's rank: the idea of llama-index's AutoMergingRetriever, over
kfqa's own chunk order (chunk ids end in the window's index within its file) instead of a
hierarchical docstore. A missing window between two retrieved ones is filled in, so the
passage stays a contiguous slice of the source and its line range stays true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kfqa.types import Chunk, Retrieved

MAX_WINDOWS = 4  # a merged passage spans at most this many windows (~800 word pieces)
MAX_GAP = 1  # windows that may be filled in between two retrieved ones


def window_key(chunk: Chunk) -> tuple[str, int]:
    """(file-version key, window index) from a chunk id ``{source}::{hash}::{i}``."""
    head, _, index = chunk.id.rpartition("::")
    return head, int(index) if index.isdigit() else -1


@dataclass
class _Group:
    key: str
    section: str
    lo: int
    hi: int
    score: float

    def accepts(self, key: str, section: str, index: int) -> bool:
        if key != self.key or section != self.section or index < 0:
            return False
        lo, hi = min(self.lo, index), max(self.hi, index)
        near = self.lo - MAX_GAP - 1 <= index <= self.hi + MAX_GAP + 1
        return near and hi - lo + 1 <= MAX_WINDOWS


def merge_neighbours(hits: list[Retrieved], chunks: dict[str, Chunk]) -> list[Retrieved]:
    """Hits of nearby windows in one section, merged into one passage at the best one's rank."""
    groups: list[_Group] = []
    for hit in hits:
        key, index = window_key(hit.chunk)
        section = hit.chunk.meta.section
        group = next((g for g in groups if g.accepts(key, section, index)), None)
        if group is None:
            groups.append(_Group(key, section, index, index, hit.score))
        else:
            group.lo, group.hi = min(group.lo, index), max(group.hi, index)
    return [Retrieved(chunk=_passage(g, chunks), score=g.score) for g in groups]


def _passage(group: _Group, chunks: dict[str, Chunk]) -> Chunk:
    windows = [chunks.get(f"{group.key}::{i}") for i in range(group.lo, group.hi + 1)]
    if any(w is None or w.meta.section != group.section for w in windows):
        windows = [w for w in windows if w is not None and w.meta.section == group.section]
    if len(windows) == 1:
        return windows[0]
    first, last = windows[0], windows[-1]
    text = first.text
    for prev, nxt in zip(windows, windows[1:], strict=False):
        text = _join(text, prev, nxt)
    meta = replace(first.meta, line_end=last.meta.line_end or first.meta.line_end)
    if first.meta.line_start and "#L" in first.meta.url:
        meta.url = re.sub(r"#L\d+-L\d+$", f"#L{meta.line_start}-L{meta.line_end}", first.meta.url)
    return Chunk(id=f"{first.id}..{window_key(last)[1]}", text=text, meta=meta)


def _join(text: str, prev: Chunk, nxt: Chunk) -> str:
    """``text`` (ending with ``prev``) followed by ``nxt`` without the part the two windows share."""
    overlap = _overlap(prev.text, nxt.text)
    if overlap:
        return text + nxt.text[overlap:]
    adjacent = prev.meta.line_end and nxt.meta.line_start == prev.meta.line_end + 1
    return text + ("\n" if adjacent else "\n\n") + nxt.text


def _overlap(a: str, b: str) -> int:
    """Length of the longest suffix of ``a`` that is a prefix of ``b``."""
    probe = b[:24]
    best = 0
    for m in re.finditer(re.escape(probe), a):
        tail = a[m.start() :]
        if b.startswith(tail):
            best = max(best, len(tail))
    return best
