"""Find a model's quotation in a passage: verbatim after the eval's normalisation, and where.

``kfqa.text.normalize`` (NFKC, lower case, no ``* _ ``` marks, whitespace folded) decides
whether a quotation is in a passage, exactly as the eval decides whether an evidence quote is in
a chunk. ``find_quote`` also maps the match back to the passage's own characters, so the source
card can show and highlight the passage's text rather than the model's copy of it. A quotation
with an ellipsis ("shared ... services") matches when its parts stand in the passage in order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from kfqa.text import normalize

_ELLIPSIS_RE = re.compile(r"\s*(?:\.\.\.|…)\s*")
WINDOW_CHARS = 250  # passage text either side of a quotation that a claim's negation may come from


@dataclass(frozen=True)
class QuoteMatch:
    start: int  # offsets into the passage's own text
    end: int
    text: str  # the passage's text there, whitespace folded


@lru_cache(maxsize=64)
def _normalized_with_origin(text: str) -> tuple[str, tuple[int, ...]]:
    """``normalize(text)`` character by character, with each output character's offset in ``text``.

    Cached: every quotation of every sentence is looked for in every passage, once while the
    reply streams (fail-fast) and again when the whole answer is checked."""
    out: list[str] = []
    origin: list[int] = []
    space = True  # leading whitespace is dropped
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if c in "*_`":
                continue
            if c.isspace():
                if space:
                    continue
                c, space = " ", True
            else:
                space = False
            out.append(c)
            origin.append(i)
    return "".join(out), tuple(origin)


def find_quote(passage: str, quote: str) -> QuoteMatch | None:
    """Where ``quote`` stands in ``passage`` after normalisation (its parts in order, if it has an
    ellipsis), or None."""
    parts = [n for p in _ELLIPSIS_RE.split(quote) if (n := normalize(p)).strip(" .,;:")]
    if not parts:
        return None
    norm, origin = _normalized_with_origin(passage)
    pos, first = 0, None
    for part in parts:
        at = norm.find(part, pos)
        if at < 0:
            return None
        first = at if first is None else first
        pos = at + len(part)
    start, end = origin[first], origin[pos - 1] + 1
    return QuoteMatch(start, end, re.sub(r"\s+", " ", passage[start:end]).strip())


def passage_window(passage: str, match: QuoteMatch, chars: int = WINDOW_CHARS) -> str:
    """The passage text around a quotation."""
    return passage[max(0, match.start - chars) : match.end + chars]
