"""Structure-aware chunking that never rewrites the source text.

Every chunk's stored text is a contiguous slice of the source (Markdown minus front
matter, PDF page text as pypdf extracts it), so a quote found in the source is found
verbatim in some chunk. Text is cut into *units* that are never split (a sentence, a
list item, a short table, a code block), and units are packed into windows of about
``TARGET_TOKENS`` word pieces with one unit of overlap. A unit longer than the budget
is split at line breaks, then at word boundaries as a last resort.

Budgets are in the embedding model's word pieces: prefix + text never exceeds
``EMBED_MAX_TOKENS`` (all-MiniLM-L6-v2 silently drops anything past 256).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest import limits
from kfqa.ingest.limits import label
from kfqa.ingest.markdown_blocks import markdown_blocks
from kfqa.model_files import fast_tokenizer
from kfqa.text import ABBREVIATIONS, FENCE_LINE_RE

TARGET_TOKENS = 190  # preferred text size of a window
MAX_PREFIX_TOKENS = 48  # heading path / title prefixed to the embedded text
TABLE_WHOLE_TOKENS = 160  # tables up to this size stay in one unit
MIN_TAIL_TOKENS = 40  # a last window smaller than this is merged into the previous one when it fits

# Checked just before the end mark, so the abbreviations go without their final period.
_ABBREV = "".join(rf"(?<!\b{re.escape(a)})" for a in (*ABBREVIATIONS, "cf", "approx", "Fig"))
_SENT_END = re.compile(_ABBREV + r"[.!?][\"')\]]*(?=\s+[A-Z0-9\"'(\[`*_\-#>|])")


@lru_cache(maxsize=1)
def _tokenizer():
    """The model's tokenizer.json through ``tokenizers``: the same word pieces as transformers' tokenizer,
    without importing transformers (an ingest whose vectors are all reused never needs it)."""
    tok = fast_tokenizer(max_length=None)
    tok.no_truncation()  # whole texts are counted (tokenizer.json itself cuts at 128)
    tok.no_padding()
    return tok


_PADDING = re.compile(r"([-=_~*])\1{3,}|[ \t]{2,}")


def embed_form(text: str) -> str:
    """What the model reads of ``text``: table rules and alignment padding squeezed.

    A Markdown table rule costs one word piece per dash and padded cells one per run of spaces,
    so a padded table would fill the 256-piece window with punctuation. The stored chunk text
    stays verbatim (quotes are matched against it); only the embedded copy is squeezed.
    """
    return _PADDING.sub(lambda m: m.group(1) * 3 if m.group(1) else " ", text)


def embed_input(prefix: str, text: str) -> str:
    """What is embedded for a passage: its prefix (heading path, title, diff hunk), a newline and
    its text, in ``embed_form``. Ingest and repair both use this one rule (``embed_hash`` is its hash)."""
    return embed_form(f"{prefix}\n{text}" if prefix else text)


def count_many(texts: list[str]) -> list[int]:
    """Word pieces the model reads of each text (its ``embed_form``, no special tokens), in one call."""
    if not texts:
        return []
    encoded = _tokenizer().encode_batch([embed_form(t) for t in texts], add_special_tokens=False)
    return [len(e.ids) for e in encoded]


def count(text: str) -> int:
    return count_many([text])[0]


@dataclass
class Unit:
    start: int
    end: int
    tokens: int
    kind: str = "text"  # text | heading | header (review comment header)
    group: int = 0  # comment / block index (reviews: which comment it belongs to)
    cont: bool = False  # starts inside a block (list, table, code, split sentence) begun in an earlier unit
    fenced: bool = False  # part of a fenced code block: with ``cont``, its text opens inside the block


@dataclass
class Section:
    path: list[str]
    units: list[Unit] = field(default_factory=list)


class LineIndex:
    """Char offset -> 1-based line number of the original text."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]


def trim_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def sentence_spans(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Sentences of ``text[s:e]`` as trimmed spans (line breaks are ordinary spaces)."""
    out = []
    cur = s
    for m in _SENT_END.finditer(text, s, e):
        a, b = trim_span(text, cur, m.end())
        if a < b:
            out.append((a, b))
        cur = m.end()
    a, b = trim_span(text, cur, e)
    if a < b:
        out.append((a, b))
    return out


def _line_spans(text: str, s: int, e: int) -> list[tuple[int, int]]:
    out = []
    pos = s
    while pos < e:
        nl = text.find("\n", pos, e)
        end = e if nl < 0 else nl
        a, b = trim_span(text, pos, end)
        if a < b:
            out.append((a, b))
        pos = end + 1
    return out


def _word_pieces(text: str, s: int, e: int, budget: int) -> list[Unit]:
    """Last resort: cut at word boundaries into pieces of at most ``budget`` word pieces and
    ``limits.MAX_CHUNK_CHARS`` characters."""
    words = [(s + m.start(), s + m.end()) for m in re.finditer(r"\S+", text[s:e])]
    counts = count_many([text[a:b] for a, b in words])
    out: list[Unit] = []
    i = 0
    while i < len(words):
        tot = 0
        j = i
        while j < len(words) and (
            j == i or (tot + counts[j] <= budget and words[j][1] - words[i][0] <= limits.MAX_CHUNK_CHARS)
        ):
            tot += counts[j]
            j += 1
        a, b = words[i][0], words[j - 1][1]
        if (
            tot > budget or b - a > limits.MAX_CHUNK_CHARS
        ):  # one "word" too long: a URL, a hash, a run without spaces
            out.extend(_char_pieces(text, a, b, budget, tot))
        else:
            out.append(Unit(a, b, tot))
        i = j
    return out


def _char_pieces(text: str, a: int, b: int, budget: int, tokens: int) -> list[Unit]:
    """``text[a:b]`` cut by characters into pieces within ``budget`` word pieces and ``limits.MAX_CHUNK_CHARS``.
    (The tokenizer counts a word over 100 characters as one unknown piece, so characters must be
    capped on their own.)"""
    step = min(limits.MAX_CHUNK_CHARS, max(8, (b - a) * budget // max(tokens, 1) - 1))
    spans = [(k, min(b, k + step)) for k in range(a, b, step)]
    out: list[Unit] = []
    for (k, end), n in zip(spans, count_many([text[k:end] for k, end in spans]), strict=True):
        out.extend(
            [Unit(k, end, n)] if n <= budget or end - k <= 8 else _char_pieces(text, k, end, budget, n)
        )
    return out


def fit_units(text: str, spans: list[tuple[int, int]], budget: int, kind: str = "text") -> list[Unit]:
    """Units for ``spans``; a span over ``budget`` (or ``limits.MAX_CHUNK_CHARS``) is split at line breaks,
    then at words."""
    counts = count_many([text[a:b] for a, b in spans])
    out: list[Unit] = []
    for (a, b), n in zip(spans, counts, strict=True):
        if n <= budget and b - a <= limits.MAX_CHUNK_CHARS:
            out.append(Unit(a, b, n, kind))
            continue
        lines = _line_spans(text, a, b)
        pieces = fit_units(text, lines, budget, kind) if len(lines) > 1 else _word_pieces(text, a, b, budget)
        for piece in pieces[1:]:  # the later pieces of a split span start inside it
            piece.cont = True
        out.extend(pieces)
    return out


# --- Markdown / plain text ------------------------------------------------------------------


def _clean_heading(title: str) -> str:
    title = re.sub(r"\{#[^}]*\}\s*$", "", title)  # {#custom-id}
    title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)  # links, images
    title = re.sub(r"<[^>]+>", "", title)  # inline html
    title = re.sub(r"[*_`]", "", title)
    return label(re.sub(r"\s+", " ", title).strip())


def block_units(text: str, kind: str, s: int, e: int, budget: int) -> list[Unit]:
    """Units of one block: short tables / items / code whole, paragraphs by sentence."""
    if kind in ("table", "code", "item", "quote"):
        whole = count(text[s:e])
        limit = TABLE_WHOLE_TOKENS if kind == "table" else budget
        # (a fenced block's units say so, also one kept whole here: a longer heading path may split it again)
        fenced = kind == "code" and bool(FENCE_LINE_RE.match(text, s))
        if whole <= min(limit, budget) and e - s <= limits.MAX_CHUNK_CHARS:
            return [Unit(s, e, whole, fenced=fenced)]
        if kind in ("table", "code"):
            units = fit_units(text, _line_spans(text, s, e), budget)
        else:
            units = fit_units(text, sentence_spans(text, s, e), budget)
        for unit in units[1:]:  # rows, lines or sentences after the first are inside the block
            unit.cont = True
        for unit in units:
            unit.fenced = fenced
        return units
    return fit_units(text, sentence_spans(text, s, e), budget)


def markdown_sections(
    text: str, body_start: int, budget: int, headings: bool = True, end: int | None = None
) -> list[Section]:
    """Split ``text[body_start:end]`` into heading sections, each a list of units (char spans of ``text``)."""
    stop = len(text) if end is None else end
    sections: list[Section] = [Section(path=[])]
    stack: list[tuple[int, str]] = []
    for block in markdown_blocks(text, body_start, stop, headings):
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, _clean_heading(block.title)))
            sec = Section(path=[t for _, t in stack if t])
            s, e = trim_span(text, block.start, block.end)
            sec.units.extend(fit_units(text, [(s, e)], budget, "heading"))
            sections.append(sec)
            continue
        units = block_units(text, block.kind, block.start, block.end, budget)
        if block.cont and units:  # a later item of a list begun before
            units[0].cont = True
        sections[-1].units.extend(units)
    # a section holding only its heading adds nothing the sub-sections' paths don't say
    return [sec for sec in sections if any(u.kind != "heading" for u in sec.units)]


# --- packing --------------------------------------------------------------------------------


def pack(
    units: list[Unit],
    target: int,
    limit: int,
    measure: Callable[[int, int], int] | None = None,
) -> list[tuple[int, int]]:
    """Windows ``[i, j)`` over ``units``: about ``target`` tokens, one unit of overlap, never over ``limit``.

    ``measure(i, j)`` gives the exact token count of the embedded window (prefix + text);
    windows are shrunk until it is within ``limit``.
    """
    n = len(units)
    windows: list[tuple[int, int]] = []
    i = 0
    while i < n:
        tot = 0
        j = i
        while j < n and (
            j == i
            or (tot + units[j].tokens <= target and units[j].end - units[i].start <= limits.MAX_CHUNK_CHARS)
        ):
            tot += units[j].tokens
            j += 1
        if measure is not None:
            while j - i > 1 and measure(i, j) > limit:
                j -= 1
        windows.append((i, j))
        if j >= n:
            break
        # one unit of overlap, when it leaves room for progress
        nxt = j - 1 if (j - 1 > i and units[j - 1].tokens + units[j].tokens <= target) else j
        if units[nxt].kind == "heading" and nxt < j:  # never start a window with a dangling heading copy
            nxt = j
        i = nxt
    # merge a tiny tail into the previous window when the result still fits
    if len(windows) >= 2:
        (a, _), (c, d) = windows[-2], windows[-1]
        tail = sum(u.tokens for u in units[c:d])
        merged = sum(u.tokens for u in units[a:d])
        fits = merged <= limit and units[d - 1].end - units[a].start <= limits.MAX_CHUNK_CHARS
        if tail < MIN_TAIL_TOKENS and fits and (measure is None or measure(a, d) <= limit):
            windows[-2:] = [(a, d)]
    return windows


class TableIndex:
    """The runs of Markdown table lines (lines starting with ``|``) of one text, found in one pass,
    so the header of any row is a bisection away (a window cut from the middle of a table would
    otherwise lose its column names)."""

    _LINE = re.compile(r"^[ \t]*\|", re.M)

    def __init__(self, text: str):
        self.text = text
        self.lines: set[int] = set()  # start offsets of table lines
        self.firsts: list[int] = []  # start offset of each run's first line (its header row)
        after_previous = -1  # start of the line after the last table line seen
        for m in self._LINE.finditer(text):
            start = m.start()
            self.lines.add(start)
            if start != after_previous:
                self.firsts.append(start)
            nl = text.find("\n", start)
            after_previous = len(text) + 1 if nl < 0 else nl + 1

    def header(self, pos: int) -> str:
        """The header row of the table whose body row holds ``pos``; "" when ``pos`` is not inside
        a table body (the header row itself, or no table)."""
        line_start = self.text.rfind("\n", 0, pos) + 1
        if line_start not in self.lines:
            return ""
        first = self.firsts[bisect.bisect_right(self.firsts, line_start) - 1]
        if first == line_start:
            return ""  # the window starts at the header itself
        nl = self.text.find("\n", first)
        return self.text[first : len(self.text) if nl < 0 else nl].strip()


def prefix_text(parts: list[str], max_tokens: int = MAX_PREFIX_TOKENS) -> str:
    """``A > B > C`` without repeated parts, dropping leading parts (then truncating) to fit."""
    seen: list[str] = []
    for p in parts:
        p = re.sub(r"\s+", " ", label(p or "")).strip()
        if p and p not in seen:
            seen.append(p)
    while seen:
        out = " > ".join(seen)
        if count(out) <= max_tokens:
            return out
        if len(seen) > 1:
            seen.pop(0)
        else:
            words = seen[0].split()
            seen[0] = " ".join(words[: max(1, len(words) * 2 // 3)])
            if len(words) <= 1:
                return seen[0][:100]
    return ""


def text_budget(prefix: str, extra: int = 0) -> int:
    """Tokens left for the text after the prefix (and a newline)."""
    return EMBED_MAX_TOKENS - (count(prefix) + 1 if prefix else 0) - extra
