"""PDF -> drafts via pypdf, page by page (``extract_text()``, so quotes match the extracted text).

A running header and footer (lines most pages share) stay out of the chunks. Sections come from
the PDF's outline (its bookmarks) when it has one: each bookmark's title is found on its page and
starts a section there, mid-page too, under its parents' titles ("Scorecard > Model Registry
(7.7/10)"). A page no bookmark starts, whose first short line reads as a heading, starts a
subsection of the bookmark before it ("Threat model > Katib > Attack Surfaces"); without an outline
that first line is the page's heading. A heading holds until the next one, so a finding running
onto the next page keeps its section.
"""

from __future__ import annotations

import io
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePosixPath

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest import limits
from kfqa.ingest.chunking import count, fit_units, pack, prefix_text, sentence_spans, text_budget
from kfqa.ingest.limits import exceeded, label
from kfqa.ingest.loaders import TARGET, Draft, Loaded, LoadError, name_label
from kfqa.text import terminal_safe

MAX_BOOKMARKS = 2_000  # an outline holding more is not read (pypdf builds all of it, ~0.1 ms and 7 kB an entry)
MAX_BOOKMARK_DEPTH = 8  # nesting read: deeper entries belong to their ancestor's section
MAX_BOOKMARK_TITLE = 200  # characters of a bookmark's title kept (it becomes part of a heading path)
MIN_WRAPPED_TITLE = 12  # characters a title's first line needs to be matched as the start of a wrapped title


@dataclass(frozen=True)
class Bookmark:
    """An outline entry: its title under its ancestors' (``path``) and the 0-based page it points at."""

    path: tuple[str, ...]
    page: int


@dataclass(frozen=True)
class PdfText:
    pages: list[str]  # each page's extracted text
    title: str  # from the document's metadata, or ""
    bookmarks: list[Bookmark]  # the outline in reading order; [] when it has none (or a broken one)


def read_pdf(data: bytes) -> PdfText:
    """The text of each page, the metadata title and the outline of a PDF (``LoadError`` if unreadable)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        _decrypt(reader)
        pages = _extract(reader.pages)
    except LoadError:
        raise
    except LimitReachedError as exc:  # pypdf's own cap on what a stream may inflate to
        raise LoadError(exceeded("a content stream", "MAX_PAGE_CONTENT_BYTES") + f" ({exc})") from exc
    except Exception as exc:  # pypdf raises many things on broken files
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    try:
        meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:  # a broken info dictionary only costs the title
        meta_title = ""
    return PdfText(pages, meta_title, _bookmarks(reader, len(pages)))


def _bookmarks(reader, page_count: int) -> list[Bookmark]:
    """The outline's entries that point at a page, in order, each under its ancestors' titles ([] when
    it has more than MAX_BOOKMARKS entries or can't be read: the pages' first lines stand in)."""
    if _outline_size(reader, MAX_BOOKMARKS + 1) > MAX_BOOKMARKS:
        return []
    found: list[Bookmark] = []

    def walk(items, parents: tuple[str, ...]) -> None:
        last = ""  # pypdf lists an entry's children as a list right after it
        for item in items:
            if isinstance(item, list):
                if len(parents) + 1 < MAX_BOOKMARK_DEPTH:  # (an untitled entry's children are its parent's)
                    walk(item, (*parents, last) if last else parents)
                continue
            last, page = _bookmark_title(item), _bookmark_page(reader, item)
            if last and page is not None and 0 <= page < page_count:
                found.append(Bookmark((*parents, last), page))

    try:
        walk(reader.outline, ())
    except Exception:  # a broken outline costs its headings only
        return []
    return found


def _outline_size(reader, cap: int) -> int:
    """The outline's entries, counted up to ``cap`` along its own /First and /Next links (once each:
    a crafted outline may loop), before pypdf builds them all; ``cap`` when they can't be read."""
    try:
        outlines = reader.trailer["/Root"].get_object().get("/Outlines")
        todo, seen = [outlines.get_object().get("/First")] if outlines is not None else [], set()
        while todo and len(seen) < cap:
            ref = todo.pop()
            key = (ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(ref)
            node = ref.get_object() if ref is not None and key not in seen else None
            if isinstance(node, dict):
                seen.add(key)
                todo += [node.get("/Next"), node.get("/First")]
        return len(seen)
    except Exception:
        return cap


def _bookmark_title(item) -> str:
    """A bookmark's title as a heading: one line, no control or bidi-override characters, no " > "
    (which separates a heading path's parts), at most MAX_BOOKMARK_TITLE characters."""
    text = terminal_safe(str(getattr(item, "title", "") or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return label(" ".join(text.split()).replace(" > ", " / "), MAX_BOOKMARK_TITLE)


def _bookmark_page(reader, item) -> int | None:
    try:
        return reader.get_destination_page_number(item)
    except Exception:  # a broken destination costs this bookmark only
        return None


def _decrypt(reader) -> None:
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    try:
        ok = reader.decrypt("")
    except DependencyError as exc:
        raise LoadError(f"encrypted PDF that needs the cryptography package to read ({exc})") from exc
    except Exception as exc:
        raise LoadError(f"encrypted PDF ({type(exc).__name__}: {exc})") from exc
    if not ok:
        raise LoadError("encrypted PDF (needs a password, which kfqa does not have): decrypt it first")


def _extract(pages) -> list[str]:
    """Each page's text, checking what it inflates to before and after extraction: pypdf's time
    grows with the content stream, a tiny compressed file can hold megabytes of it."""
    texts: list[str] = []
    content_total = text_total = 0
    for n, page in enumerate(pages, start=1):
        size = _content_bytes(page)
        if size > limits.MAX_PAGE_CONTENT_BYTES:
            raise LoadError(exceeded(f"page {n}'s content stream", "MAX_PAGE_CONTENT_BYTES", size))
        content_total += size
        if content_total > limits.MAX_PDF_CONTENT_BYTES:
            raise LoadError(exceeded("the pages' content streams", "MAX_PDF_CONTENT_BYTES", content_total))
        text = page.extract_text() or ""
        if len(text) > limits.MAX_PAGE_TEXT_CHARS:
            raise LoadError(exceeded(f"text extracted from page {n}", "MAX_PAGE_TEXT_CHARS", len(text)))
        text_total += len(text)
        if text_total > limits.MAX_FILE_TEXT_CHARS:
            raise LoadError(exceeded("extracted text", "MAX_FILE_TEXT_CHARS", text_total))
        texts.append(text)
    return texts


def _content_bytes(page) -> int:
    """Decoded bytes of the streams text extraction reads on ``page``: its contents and form XObjects."""
    from pypdf.generic import ArrayObject

    streams = []
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        streams += [c.get_object() for c in contents] if isinstance(contents, ArrayObject) else [contents]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in xobjects.get_object().values() if xobjects is not None else []:
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Form":
            streams.append(obj)
    return sum(len(s.get_data()) for s in streams if hasattr(s, "get_data"))


def load_pdf(data: bytes, name: str) -> Loaded:
    pdf = read_pdf(data)
    pages = pdf.pages
    if not any(p.strip() for p in pages):
        raise LoadError("PDF has no extractable text (scanned images?)")
    title = label(pdf.title) or PurePosixPath(name_label(name)).stem.replace("_", " ").replace("-", " ")
    # a running header is a first line shared by most pages (a page's heading, if any, is the line after it)
    header = _most_pages(pages, lambda lines: lines[0])
    footer = _running_footer(pages)
    drafts: list[Draft] = []
    starts = _heading_starts(pages, pdf.bookmarks, header, footer)
    heading = outline = ""  # the section the text has reached; the last bookmark's heading path
    for n, page in enumerate(pages, start=1):
        cuts = starts.get(n - 1, [])
        # the running header and footer stay out of the chunks: they would lead every passage
        start, end = _body_span(page, header, footer) if page.strip() else (0, 0)
        if start != end:
            top = _page_heading(page, header)
            if top and not (cuts and not page[start : cuts[0][0]].strip()):  # no bookmark starts the page
                heading = f"{outline} > {top}" if outline else top
            for (at, name), (stop, _) in pairwise([(start, heading), *cuts, (end, "")]):
                if page[at:stop].strip():
                    drafts.extend(_page_drafts(page, (at, stop), n, title, name, drafts[-1] if drafts else None))
        if cuts:  # (a bookmark on a page without text still starts its section)
            heading = outline = cuts[-1][1]
    return Loaded(title=title, drafts=drafts, meta={"pages": len(pages)})


def _heading_starts(pages: list[str], bookmarks: list[Bookmark], header: str | None,
                    footer: re.Pattern | None) -> dict[int, list[tuple[int, str]]]:
    """Where bookmarks start sections, by page: (offset in the page's text, heading path), in page
    order. A bookmark starts at a line reading as its title, not taken by another: the first after
    the previous bookmark's on its page, else the first on it (an outline out of reading order). A
    title its page doesn't print starts the page's body when no other bookmark there is found, and
    is passed over otherwise (its children still carry it in their heading paths)."""
    by_page: dict[int, list[Bookmark]] = {}
    for mark in bookmarks:
        by_page.setdefault(mark.page, []).append(mark)
    starts: dict[int, list[tuple[int, str]]] = {}
    for number, marks in by_page.items():
        lines = _TitleLines(pages[number], *_body_span(pages[number], header, footer))
        placed: dict[int, str] = {}
        after = lines.start
        for mark in marks:
            at = lines.find(mark.path[-1], after, placed)
            at = lines.find(mark.path[-1], lines.start, placed) if at is None else at
            if at is not None:
                placed[at] = " > ".join(mark.path)
                after = at
        if not placed:
            placed[lines.start] = " > ".join(marks[0].path)
        starts[number] = sorted(placed.items())
    return starts


class _TitleLines:
    """A page body's lines, and where each squeezed line text occurs, to find bookmark titles in
    (dictionary reads, not a scan per title: an outline may hold thousands of entries on one page)."""

    def __init__(self, page: str, start: int, end: int):
        self.start = start
        self.lines: list[tuple[int, str]] = []  # (offset, squeezed text) of each non-blank line
        self.where: dict[str, list[int]] = {}  # squeezed text -> indexes in ``lines``
        offset = start
        for line in page[start:end].splitlines(keepends=True):
            if key := _squeezed(line):
                self.where.setdefault(key, []).append(len(self.lines))
                self.lines.append((offset, key))
            offset += len(line)

    def find(self, title: str, after: int, taken) -> int | None:
        """Offset of the first line at or after ``after``, not ``taken``, reading as ``title``: the whole
        of it, else its first line when the lines after it go on with the rest (a wrapped title)."""
        want = _squeezed(title)
        whole = self._first(self.where.get(want, []), after, taken, lambda i: True)
        if whole is not None:
            return whole
        starts = (want[:i] for i, ch in enumerate(want) if ch == " " and i >= MIN_WRAPPED_TITLE)
        found = (self._first(self.where.get(head, []), after, taken, lambda i: self._wraps(i, want)) for head in starts)
        return min((at for at in found if at is not None), default=None)

    def _first(self, indexes: list[int], after: int, taken, ok) -> int | None:
        offsets = [self.lines[i][0] for i in indexes]
        for i in indexes[bisect_left(offsets, after):]:
            if self.lines[i][0] not in taken and ok(i):
                return self.lines[i][0]
        return None

    def _wraps(self, i: int, want: str) -> bool:
        """Whether line ``i`` and the (up to three) lines after it spell ``want``: the title wraps."""
        text = self.lines[i][1]
        for _, more in self.lines[i + 1 : i + 4]:
            text = f"{text} {more}"
            if text == want:
                return True
            if not want.startswith(f"{text} "):
                return False
        return False


def _squeezed(text: str) -> str:
    """Text compared as a title: words single-spaced, case folded, "&" as "and" (an outline's "Issues
    & Fixes" is printed "Issues and Fixes" as often as not)."""
    return " ".join(text.replace("&", "and").split()).casefold()


def _page_heading(page: str, header: str | None) -> str:
    """The page's first line when it reads as a heading (short, not ending a sentence), else ""."""
    plines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
    if header and plines and plines[0] == header:
        plines = plines[1:]
    if plines and len(plines[0]) <= 80 and not plines[0].endswith((".", ",", ":")) and len(plines) > 1 \
            and _starts_a_heading(plines[0]):
        return plines[0]
    return ""


_SECTION_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)*\.?\s+")


def _starts_a_heading(line: str) -> bool:
    """A heading starts with a capital, after its number if it has one ("3.1 Findings"); a page going
    on with a table row ("10 / 10 Dependency-Update-Tool High") or a code listing ("22 return
    username", ")") starts with neither, and the heading before it holds. (A printed heading that
    starts in lower case, "kubectl access", is read as text: rare in print, and the heading before
    it still holds.)"""
    return _SECTION_NUMBER_RE.sub("", line, count=1)[:1].isupper()


def _page_drafts(
    page: str, span: tuple[int, int], n: int, title: str, heading: str, previous: Draft | None
) -> list[Draft]:
    """The windows of page ``n``'s body ``page[span]``; ``previous`` is the document's last window so far."""
    section = f"Page {n}" + (f" > {heading}" if heading else "")
    section_key = heading or f"Page {n}"  # a finding running onto the next page is one section
    prefix = prefix_text([title, section])
    budget = text_budget(prefix)
    units = fit_units(page, sentence_spans(page, *span), budget)

    def measure(i: int, j: int) -> int:
        return count(prefix + "\n" + page[units[i].start : units[j - 1].end])

    drafts: list[Draft] = []
    for i, j in pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure):
        before = drafts[-1] if drafts else previous
        same_section = before is not None and before.section_key == section_key
        drafts.append(
            Draft(
                text=page[units[i].start : units[j - 1].end],
                prefix=prefix,
                section=section,
                page=n,
                anchor=f"#page={n}",
                section_key=section_key,
                section_window=before.section_window + 1 if same_section else 0,
                continued=units[i].cont,
            )
        )
    return drafts


def _most_pages(pages: list[str], line_of):
    """What ``line_of(stripped lines)`` gives on most pages (a running header or footer), else None."""
    seen = Counter(line_of([ln.strip() for ln in p.strip().splitlines()]) for p in pages if p.strip())
    return next((value for value, c in seen.most_common(1) if c >= max(3, len(pages) // 2)), None)


def _running_footer(pages: list[str]) -> re.Pattern | None:
    """The last line most pages share once digits are ignored ("Audit Report 12"), as a pattern."""
    shape = _most_pages(pages, lambda lines: tuple(re.split(r"\d+", lines[-1])))
    return re.compile(r"\d+".join(map(re.escape, shape)) + r"\s*\Z") if shape else None


def _body_span(page: str, header: str | None, footer: re.Pattern | None) -> tuple[int, int]:
    """Char span of ``page`` without its running header line and footer line."""
    start, end = 0, len(page.rstrip())
    first = page.lstrip()
    if header and first.startswith(header) and first[len(header) : len(header) + 1] in ("", "\n", "\r"):
        start = len(page) - len(first) + len(header)
    last_nl = page.rstrip().rfind("\n")
    if footer and last_nl >= start and footer.match(page.rstrip()[last_nl + 1 :].strip()):
        end = last_nl
    return (start, end) if page[start:end].strip() else (0, 0)  # header and footer only: nothing
