"""Citations for report rows, the same ``Citation`` answers carry: a store chunk (commit-pinned
URL, lines) and the exact text quoted from it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from kfqa.types import Chunk, Citation

QUOTE_CHARS = 320  # a quote in a table cell: the opening of the passage, cut at a sentence end
QUOTE_WORDS = 80  # how much of a text is looked for (a quote never runs past the text itself)
PROBE_WORDS = 6  # the least of it that must be found


class Quoter:
    """Finds the chunk of a source that holds a piece of text, and quotes it exactly."""

    def __init__(self, chunks: Iterable[Chunk]):
        self.by_source: dict[str, list[Chunk]] = defaultdict(list)
        for chunk in chunks:
            self.by_source[chunk.meta.source].append(chunk)
        for found in self.by_source.values():
            found.sort(key=lambda c: (c.meta.line_start, c.meta.page, c.id))

    def chunks(self, source: str) -> list[Chunk]:
        return self.by_source.get(source, [])

    def cite(self, source: str, text: str, n: int = 1, line: int = 0) -> Citation | None:
        """A citation quoting the opening of ``text`` from the chunk of ``source`` that holds it
        (the one nearest ``line`` when several do); None when no chunk holds it."""
        words = text.split()[:QUOTE_WORDS]
        while words:
            found = self._find(source, words, line)
            if found is not None:
                chunk, (start, end) = found
                return Citation(n=n, chunk=chunk, quote=opening(chunk.text[start:end]))
            if len(words) <= PROBE_WORDS:
                return None
            words = words[: max(PROBE_WORDS, len(words) // 2)]  # the text may run past one window
        return None

    def _find(self, source: str, words: list[str], line: int) -> tuple[Chunk, tuple[int, int]] | None:
        pattern = re.compile(r"\s+".join(map(re.escape, words)))
        found = []
        for chunk in self.chunks(source):
            match = pattern.search(chunk.text)
            if match:
                found.append((abs(chunk.meta.line_start - line) if line else 0, chunk, match.span()))
        if not found:
            return None
        _, chunk, span = min(found, key=lambda f: f[0])
        return chunk, span


def opening(text: str, limit: int = QUOTE_CHARS) -> str:
    """The start of ``text`` up to ``limit`` characters, cut after a sentence when one ends in time."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"), cut.rfind("? "), cut.rfind("\n\n"))
    return (cut[: end + 1] if end > limit // 3 else cut.rsplit(None, 1)[0]).strip()
