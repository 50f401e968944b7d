"""A PDF's outline (its bookmarks) as section starts: each bookmark's title found on its page.

The outline is the author's own table of contents, with its nesting: it names sections a page's
first line can't (one starting mid-page, "Scorecard > Model Registry (7.7/10)"). It is also input
a crafted file controls, so its size is counted on its raw links before pypdf builds it, its titles
are cleaned into headings, and a broken entry costs that entry only.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from kfqa.ingest.limits import label
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


def read_bookmarks(reader, page_count: int) -> list[Bookmark]:
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


def heading_starts(pages: list[str], bookmarks: list[Bookmark],
                   body_span: Callable[[str], tuple[int, int]]) -> dict[int, list[tuple[int, str]]]:
    """Where bookmarks start sections, by page: (offset in the page's text, heading path), in page
    order (``body_span``: a page's text without its running header and footer). A bookmark starts at
    a line reading as its title, not taken by another: the first after the previous bookmark's on its
    page, else the first on it (an outline out of reading order). A title its page doesn't print
    starts the page's body when no other bookmark there is found, and is passed over otherwise (its
    children still carry it in their heading paths)."""
    by_page: dict[int, list[Bookmark]] = {}
    for mark in bookmarks:
        by_page.setdefault(mark.page, []).append(mark)
    starts: dict[int, list[tuple[int, str]]] = {}
    for number, marks in by_page.items():
        lines = _TitleLines(pages[number], *body_span(pages[number]))
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
        whole = self._first(self.where.get(want, []), after, taken)
        if whole is not None:
            return whole
        heads = (want[:i] for i, ch in enumerate(want) if ch == " " and i >= MIN_WRAPPED_TITLE)
        found = (self._first(self.where.get(head, []), after, taken, lambda i: self._wraps(i, want)) for head in heads)
        return min((at for at in found if at is not None), default=None)

    def _first(self, indexes: list[int], after: int, taken, wraps=None) -> int | None:
        """The first of ``indexes`` (lines in page order) at or after ``after``, not ``taken`` (and, given
        ``wraps``, passing it)."""
        for i in indexes:
            offset = self.lines[i][0]
            if offset >= after and offset not in taken and (wraps is None or wraps(i)):
                return offset
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
