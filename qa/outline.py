"""Stage outline-moves: where a revised document's sections sat in each revision, from its tables of contents.

A history question asking where a section went ("Where did the SBOM and the security links sit in the first
draft vs the merged version?") is answered by no sentence of either revision: the move shows only in their
outlines. Each revision's table of contents ("- [Software Bill of Materials](#software-bill-of-materials)",
nested under "- [Secure Development Practices](...)" in the later one) says it in the document's own words,
so those lines are quoted, each from its own revision, and cited like any passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfqa.qa.sentences import is_contents
from kfqa.types import Chunk

# "  - [Software Bill of Materials](#software-bill-of-materials)": an entry linking to a heading of its page
_ENTRY_RE = re.compile(r"^(?P<indent>[ \t]*)[-*+][ \t]+\[(?P<title>[^\]]+)\]\(#[^)\s]*\)[ \t]*$")
MAX_MOVES = 4  # a question naming no section hears this many moves at most (an outline rewritten whole is no list)


@dataclass(frozen=True)
class Entry:
    title: str
    line: str  # as it stands in the window (indentation and list mark included)
    depth: int
    parent: Entry | None
    chunk: Chunk  # the window quoted for it

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


def outline(windows: list[Chunk]) -> list[Entry]:
    """The entries of a file's table of contents, in order, each under the entry it is indented beneath. The
    windows may overlap: each line of the file is read once (by its line number), from the first window holding it."""
    lines: dict[int, tuple[str, Chunk]] = {}
    for chunk in sorted((c for c in windows if is_contents(c) and c.meta.line_start), key=lambda c: c.meta.line_start):
        body = chunk.text[chunk.meta.lead_chars:]
        for offset, line in enumerate(body.splitlines()):
            lines.setdefault(chunk.meta.line_start + offset, (line, chunk))
    entries: list[Entry] = []
    stack: list[Entry] = []
    for _, (line, chunk) in sorted(lines.items()):
        m = _ENTRY_RE.match(line)
        if not m:
            continue
        depth = len(m.group("indent").expandtabs(4))
        while stack and stack[-1].depth >= depth:
            stack.pop()
        entry = Entry(m.group("title").strip(), line.rstrip(), depth, stack[-1] if stack else None, chunk)
        entries.append(entry)
        stack.append(entry)
    return entries


def moves(before: list[Entry], after: list[Entry]) -> list[Move]:
    """Sections the later outline holds elsewhere (under another parent), or not at all, or only it holds."""
    old = {e.title.lower(): e for e in before}
    new = {e.title.lower(): e for e in after}
    found = []
    for title in dict.fromkeys([*old, *new]):  # (the earlier revision's order, then what is new)
        a, b = old.get(title), new.get(title)
        if a is None or b is None or a.path != b.path:
            found.append(Move((a or b).title, a, b))
    return found


def asked_moves(found: list[Move], question_terms: set[str], terms_of, asks_sections: bool) -> list[Move]:
    """The moves of the sections the question names: every term of the section's title is one of the
    question's (``terms_of``: the question's term reading, so "the security policy links" names "Security
    links", "SBOM" with its expansion "Software Bill of Materials"). A question naming none that asks about
    the sections themselves (``asks_sections``) hears the first few."""
    named = [m for m in found if (t := set(terms_of(m.title))) and t <= question_terms]
    return named or (found[:MAX_MOVES] if asks_sections else [])


def quoted_lines(move: Move) -> list[tuple[Entry, list[Entry]]]:
    """What to quote of a move, per revision that holds the section: its entry, under the entry it nests in
    (which says where it went: "Secure Development Practices" above "Software Bill of Materials")."""
    out = []
    for entry in (move.before, move.after):
        if entry is not None:
            out.append((entry.parent, [entry]) if entry.parent is not None else (entry, []))
    return out
