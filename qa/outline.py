"""Stage outline-moves: where a revised document's sections sat in each revision, from its tables of contents.

A history question asking where a section went ("Where did the SBOM and the security links sit in the first
draft vs the merged version?") is answered by no sentence of either revision: the move shows only in their
outlines. Each revision's table of contents ("- [Software Bill of Materials](#software-bill-of-materials)",
nested under "- [Secure Development Practices](...)" in the later one) says it in the document's own words,
so those lines are quoted, each from a window of its own revision that holds it, and cited like any passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfqa.qa.sentences import LIST_MARK_RE, is_contents
from kfqa.termstats import terms
from kfqa.types import Chunk

# "  - [Software Bill of Materials](#software-bill-of-materials)": an entry linking to a heading of its page
_ENTRY_RE = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+\[(?P<title>[^\]]+)\]\(#[^)\s]*\)[ \t]*$")
MAX_MOVES = 4  # a question asking about the sections, naming none, hears this many moves at most
# a question about a document's sections themselves ("Which sections were removed, moved or added?"), not
# about one of them ("the authors section")
_STRUCTURE_RE = re.compile(r"\b(?:sections|headings|structure[ds]?|restructur\w*|reorgani[sz]\w*|outline)\b", re.I)


@dataclass(frozen=True)
class Entry:
    title: str
    line: str  # as it stands in the file (indentation and list mark included)
    depth: int
    parent: Entry | None
    windows: tuple[Chunk, ...]  # every window holding the line (windows overlap)

    @property
    def path(self) -> tuple[str, ...]:
        above = self.parent.path if self.parent else ()
        return (*above, self.title.lower())


@dataclass(frozen=True)
class Move:
    """A section whose place differs between two revisions: ``before`` or ``after`` is None when one lacks it."""

    title: str
    before: Entry | None
    after: Entry | None


@dataclass(frozen=True)
class Quote:
    """Lines of one window to quote: an entry, and the entries nested under it that moved."""

    window: Chunk
    line: str
    items: tuple[str, ...] = ()


def outline(windows: list[Chunk]) -> list[Entry]:
    """The entries of one file version's table of contents, in order, each under the entry it is indented
    beneath; each line read once, by its line number, with every window that holds it."""
    lines: dict[int, tuple[str, list[Chunk]]] = {}
    for chunk in (c for c in windows if is_contents(c) and c.meta.line_start):
        body = chunk.text[chunk.meta.lead_chars:]
        for offset, line in enumerate(body.splitlines()):
            lines.setdefault(chunk.meta.line_start + offset, (line, []))[1].append(chunk)
    entries: list[Entry] = []
    stack: list[Entry] = []
    for _, (line, held_by) in sorted(lines.items()):
        m = _ENTRY_RE.match(line)
        if not m:
            continue
        depth = len(m.group("indent").expandtabs(4))
        while stack and stack[-1].depth >= depth:
            stack.pop()
        entry = Entry(m.group("title").strip(), line.rstrip(), depth, stack[-1] if stack else None, tuple(held_by))
        entries.append(entry)
        stack.append(entry)
    return entries


def moves(before: list[Entry], after: list[Entry]) -> list[Move]:
    """Sections the later outline holds elsewhere (under another parent), or not at all, or only it holds. A
    title under several parents ("Threats" of each component) is matched by its place, not by its name alone."""
    old, new = _by_title(before), _by_title(after)
    found = []
    for title in dict.fromkeys([*old, *new]):  # (the earlier revision's order, then what is new)
        a, b = old.get(title, []), new.get(title, [])
        if len(a) == 1 and len(b) == 1:
            if a[0].path != b[0].path:
                found.append(Move(a[0].title, a[0], b[0]))
            continue
        b_paths, a_paths = {e.path for e in b}, {e.path for e in a}
        found += [Move(e.title, e, None) for e in a if e.path not in b_paths]
        found += [Move(e.title, None, e) for e in b if e.path not in a_paths]
    return found


def _by_title(entries: list[Entry]) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for entry in entries:
        out.setdefault(entry.title.lower(), []).append(entry)
    return out


def asks_about_sections(question: str) -> bool:
    """The question asks about a document's sections themselves, not about one of them."""
    return bool(_STRUCTURE_RE.search(question))


def asked_moves(found: list[Move], entries: list[Entry], question_terms: set[str], asks_sections: bool) -> list[Move]:
    """The moves of the sections the question names: every term of the section's title is one of the
    question's (its terms with their expansions: "the security policy links" names "Security links", "SBOM"
    read as "software bill of materials" names that section). A question naming no section of either outline
    (``entries``) that asks about the sections themselves (``asks_sections``) hears the first few."""
    def named(title: str) -> bool:
        return bool(title_terms := set(terms(title))) and title_terms <= question_terms

    asked = [m for m in found if named(m.title)]
    if asked or not asks_sections or any(named(e.title) for e in entries):
        return asked
    return found[:MAX_MOVES]


def quotes(asked: list[Move]) -> list[Quote]:
    """What to quote of the moves, the earlier revision's lines first: each moved entry's line, nested under
    the entry it sits in (which says where it went: "Secure Development Practices" above "Software Bill of
    Materials"), from a window holding both lines; an entry whose parent no window holds with it alone."""
    out: dict[tuple[str, str], list[str]] = {}  # (window id, lead line) -> nested lines, in order
    windows: dict[str, Chunk] = {}
    for side in ("before", "after"):
        for move in asked:
            entry = getattr(move, side)
            if entry is None:
                continue
            both = [w for w in entry.windows if entry.parent and any(w.id == p.id for p in entry.parent.windows)]
            window, lead, nested = (both[0], entry.parent.line, [entry.line]) if both else (entry.windows[0], entry.line, [])
            windows[window.id] = window
            items = out.setdefault((window.id, lead), [])
            items += [line for line in nested if line not in items]
    return [Quote(windows[wid], lead.strip(), tuple(LIST_MARK_RE.sub("", i.strip(), count=1) for i in items))
            for (wid, lead), items in out.items()]
