"""What changed between two revisions of a document, section by section, and which change
answers a request: the ledger's ``changed`` resolution.

Sections are matched by heading path (or, for a section that moved, by heading alone); the
change a request led to is picked by the answering stages' own retrieval over the current
revision: the best-ranked passages that hold changed lines and share the request's terms."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from kfqa.qa.reports.cite import Quoter
from kfqa.qa.reports.corpus import CorpusFile, read_text
from kfqa.qa.reports.markdown import Section, only_links, sections
from kfqa.qa.reports.match import focus
from kfqa.qa.terms import coverage
from kfqa.types import Citation, Filters

# How far down the ranking a changed passage may sit and still be "the change for this request",
# and how much of the request's specific vocabulary (IDF-weighted) it must share.
CHANGE_RANK = 8
CHANGE_MIN_COVERAGE = 0.08
QUERY_CHARS = 1500  # the request and its context, as one retrieval query


@dataclass
class Hunk:
    old: list[tuple[int, str]]  # (file line, text) removed or replaced in the earlier revision
    new: list[tuple[int, str]]  # (file line, text) in the current revision
    context: tuple[int, str] | None = None  # the earlier revision's line where an insertion went


@dataclass
class SectionChange:
    key: str  # heading path in the current revision
    before: Section | None  # None: the section is new
    after: Section
    hunks: list[Hunk] = field(default_factory=list)


@dataclass
class Change:
    """A changed section picked for a request, with a quote from each side."""

    section: str
    after: Citation
    before: Citation | None  # None: the section is new in the current revision
    before_is_context: bool = False  # the quote is where text was inserted, not text that was replaced
    new_section: bool = False
    basis: str = "relevance"  # relevance: picked for the request | revision: the document-level fallback


def _numbered(section: Section) -> list[tuple[int, str]]:
    first = section.line_start + (1 if section.heading else 0)
    return [(first + i, line) for i, line in enumerate(section.lines)]


def section_changes(before_text: str, after_text: str) -> list[SectionChange]:
    """Sections of ``after_text`` that differ from their counterpart in ``before_text`` (or are new)."""
    old = sections(before_text)
    by_key = {s.key: s for s in old}
    by_heading: dict[str, list[Section]] = {}
    for s in old:
        by_heading.setdefault(s.heading.lower(), []).append(s)
    changes = []
    for new in sections(after_text):
        match = by_key.get(new.key)
        if match is None and len(by_heading.get(new.heading.lower(), [])) == 1:
            match = by_heading[new.heading.lower()][0]
        if match is not None and _same(match, new):
            continue
        if not only_links(new):  # a table of contents follows the headings; it is no response
            changes.append(SectionChange(new.key, match, new, _hunks(match, new)))
    return changes


def _same(a: Section, b: Section) -> bool:
    return " ".join(a.body.split()) == " ".join(b.body.split())


def _hunks(before: Section | None, after: Section) -> list[Hunk]:
    new = [(n, t) for n, t in _numbered(after)]
    if before is None:
        return [Hunk([], [x for x in new if x[1].strip()])]
    old = _numbered(before)
    matcher = difflib.SequenceMatcher(a=[" ".join(t.split()) for _, t in old], b=[" ".join(t.split()) for _, t in new])
    hunks = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or not any(t.strip() for _, t in new[j1:j2]):
            continue
        context = next((x for x in reversed(old[:i1]) if x[1].strip()), None) if tag == "insert" else None
        hunks.append(Hunk([x for x in old[i1:i2] if x[1].strip()], [x for x in new[j1:j2] if x[1].strip()], context))
    return hunks


class ChangeFinder:
    """Picks, for a request, the change between two revisions of its document that answers it."""

    def __init__(self, assistant, quoter: Quoter, before: CorpusFile, after: CorpusFile):
        self.assistant, self.quoter = assistant, quoter
        self.before, self.after = before, after
        self.changes = section_changes(read_text(before), read_text(after))
        projects = sorted({c.meta.project for c in quoter.chunks(after.rel)})
        self.filters = Filters(sources=[after.rel], projects=projects, include_superseded=False)

    def find(self, request: str, context: str = "") -> Change | None:
        """The change that answers ``request`` (``context``: the lines it is on, the conversation before it)."""
        if not self.changes:
            return None
        query = " ".join(f"{request}\n{context}".split())[:QUERY_CHARS]
        wanted = focus(self.assistant, query)
        _, hits = self.assistant.retrieve(query, filters=self.filters, k=CHANGE_RANK)
        for hit in hits[:CHANGE_RANK]:
            m = hit.chunk.meta
            found = self._hunk_in(m.line_start, m.line_end)
            if found is None or coverage(wanted, hit.chunk.text) < CHANGE_MIN_COVERAGE:
                continue
            change, hunk, line = found
            return self._quote(change, hunk, line)
        return None

    def _hunk_in(self, start: int, end: int) -> tuple[SectionChange, Hunk, tuple[int, str]] | None:
        for change in self.changes:
            for hunk in change.hunks:
                for number, text in hunk.new:
                    if start <= number <= end and len(text.split()) >= 3:
                        return change, hunk, (number, text)
        return None

    def _quote(self, change: SectionChange, hunk: Hunk, line: tuple[int, str]) -> Change | None:
        after = self.quoter.cite(self.after.rel, _from(hunk.new, line[0]), line=line[0])
        if after is None:
            return None
        before_line = next((x for x in hunk.old if len(x[1].split()) >= 3), None)
        is_context = before_line is None
        if is_context and change.before is not None:
            before_line = hunk.context or next((x for x in _numbered(change.before) if x[1].strip()), None)
        before_text = before_line[1] if is_context else _from(hunk.old, before_line[0]) if before_line else ""
        before = self.quoter.cite(self.before.rel, before_text, line=before_line[0]) if before_line else None
        return Change(change.key, after, before, is_context and before is not None, change.before is None)

    def largest(self) -> Change | None:
        """The biggest change between the revisions: what answers a review of the whole document
        when no single change matches its words."""
        best = max(self.changes, key=lambda c: sum(len(t) for h in c.hunks for _, t in h.new), default=None)
        for hunk in best.hunks if best else []:
            line = next((x for x in hunk.new if len(x[1].split()) >= 3), None)
            found = self._quote(best, hunk, line) if line else None
            if found is not None:
                found.basis = "revision"
                return found
        return None


def _from(lines: list[tuple[int, str]], first: int) -> str:
    """The text of numbered ``lines`` from line ``first`` on."""
    return "\n".join(text for number, text in lines if number >= first)
