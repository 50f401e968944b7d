"""Neighbouring windows of one section, retrieved together, become one passage.

Chunks are ~190-word-piece windows, small enough for the embedding model, but a reviewer's
answer often spans two or three of them (a list of webhooks, then their failure policy).
When several windows of the same section are retrieved, they are read as one contiguous
passage at the best window's rank: the idea of llama-index's AutoMergingRetriever, over
kfqa's own window order instead of a hierarchical docstore. Windows are placed by the fields
ingest records (``ChunkMeta.window`` within the file version, ``section_key``, ``lead_chars``
of a repeated comment header), never by parsing ids or text. Up to ``max_gap`` missing windows
between two retrieved ones are filled in, so the passage stays a contiguous slice of the
source and its line range stays true.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property

from kfqa.qa.names import (
    aspect_headings,
    filed_releases,
    heading_anchor,
    named_threads,
    thread_key,
    titled_threads,
)
from kfqa.qa.ranked import scored_groups
from kfqa.termstats import terms
from kfqa.text import FENCE_LINE_RE, ITEM_START_RE
from kfqa.types import Chunk, ChunkMeta, Retrieved

FileKey = tuple[str, str]  # (source, file_hash): one committed version of one file


def _name_terms(meta: ChunkMeta) -> frozenset[str]:
    """A source's name as terms: its file name's ("ada-logics-security-audit-2025.pdf") and a document's
    title ("Multi-user Isolation"); not a review thread's, which is a sentence about a change ("Fix dead
    link and stale wording in security self-assessment") and names nothing."""
    file_name = meta.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = meta.title if meta.kind != "review" else ""
    return frozenset(terms(f"{title} {re.sub(r'[-_]', ' ', file_name)}"))


def upstream_document(chunk: Chunk) -> str:
    """The document a chunk is a revision of: its upstream path without the commit (else its file)."""
    return re.sub(r"/blob/[0-9a-f]{7,40}/", "/", chunk.meta.url.split("#")[0]) or chunk.meta.source


def revised_sources(chunks) -> set[str]:
    """Files of documents held in more than one revision (current and superseded), by upstream path."""
    return {source for pair in revision_pairs(chunks) for source in pair}


def revision_pairs(chunks) -> list[tuple[str, str]]:
    """(superseded file, current file) of each document held in more than one revision, by upstream path."""
    by_document: dict[str, dict[str, bool]] = {}  # upstream document -> {source: superseded}
    for chunk in chunks:
        by_document.setdefault(upstream_document(chunk), {})[chunk.meta.source] = chunk.meta.superseded
    return sorted((old, new) for files in by_document.values()
                  for old, superseded in files.items() if superseded
                  for new, current in files.items() if not current)


@dataclass(frozen=True)
class Span:
    key: FileKey
    lo: int
    hi: int
    section: str


class Windows:
    """The store's windows by (file version, window index), and the span each passage covers:
    a stored window its own, a merged passage the windows it was made of."""

    def __init__(self, chunks: dict[str, Chunk]):
        self.chunks = chunks
        self._at: dict[tuple[FileKey, int], Chunk] = {}
        for chunk in chunks.values():
            if chunk.meta.window >= 0:
                self._at[(_key(chunk), chunk.meta.window)] = chunk
        self._merged: dict[str, Span] = {}

    def at(self, key: FileKey, window: int) -> Chunk | None:
        return self._at.get((key, window))

    def of_source(self, source: str) -> list[Chunk]:
        """The windows of one file, in order: of one version of it (a store holds each file's committed version;
        should it hold several, the windows of one are never read as another's)."""
        keys = sorted({key for key, _ in self._at if key[0] == source})
        return sorted((c for (key, _), c in self._at.items() if keys and key == keys[0]), key=lambda c: c.meta.window)

    def under_anchor(self, source: str, anchor: str) -> list[Chunk]:
        """The chunks of ``source`` under the heading an in-page link's ``anchor`` names ("#current-limitations"),
        its subsections' too, in store order."""
        return self._anchors.get((source, anchor.lower()), [])

    @cached_property
    def _anchors(self) -> dict[tuple[str, str], list[Chunk]]:
        """(source, a heading's anchor) -> the chunks under that heading (``heading_anchor``)."""
        out: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in self.chunks.values():
            for heading in set(chunk.meta.section.split(" > ")) if chunk.meta.section else ():
                out.setdefault((chunk.meta.source, heading_anchor(heading)), []).append(chunk)
        return out

    @cached_property
    def revision_pairs(self) -> list[tuple[str, str]]:
        """(superseded file, current file) of each document the store holds in more than one revision."""
        return revision_pairs(self._at.values())

    @cached_property
    def scored_groups(self) -> dict:
        """Sibling sections whose headings carry a score (``ranked.scored_groups``), by parent section."""
        return scored_groups(self.chunks.values())

    @cached_property
    def releases(self) -> frozenset[str]:
        """The releases the store's pages and sections are filed under (stage release-focus)."""
        return frozenset().union(*(filed_releases(chunk) for chunk in self._at.values()))

    @cached_property
    def aspects(self) -> frozenset[tuple[str, str]]:
        """Headings a document puts under several parents (``names.aspect_headings``)."""
        return aspect_headings({(c.meta.source, c.meta.section_key or c.meta.section) for c in self.chunks.values()})

    @cached_property
    def threads(self) -> dict[tuple[str, str], set[str]]:
        """(owner/repository, number) -> the sources of that review thread (stage thread-references)."""
        out: dict[tuple[str, str], set[str]] = {}
        for chunk in self.chunks.values():
            key = thread_key(chunk.meta.url) if chunk.meta.kind == "review" else None
            if key:
                out.setdefault(key, set()).add(chunk.meta.source)
        return out

    @cached_property
    def thread_titles(self) -> dict[tuple[str, str], str]:
        """(owner/repository, number) -> the review thread's title."""
        return {key: chunk.meta.title for chunk in self.chunks.values()
                if chunk.meta.kind == "review" and chunk.meta.title and (key := thread_key(chunk.meta.url))}

    def threads_named(self, question: str, ubiquitous) -> tuple[set[str], str]:
        """Stage thread-references: the sources of the review threads the question names, by number or else by
        repository and title (``names.titled_threads``; a title's words in nearly every passage, ``ubiquitous``,
        say nothing of which), and the words naming them."""
        sources, said = named_threads(question, self.threads)
        return (sources, said) if sources else \
            titled_threads(question, self.thread_titles, self.threads, lambda term: not ubiquitous(term))

    @cached_property
    def _document_names(self) -> dict[str, frozenset[str]]:
        """Each source's name as terms (``_name_terms``)."""
        names: dict[str, frozenset[str]] = {}
        for chunk in self.chunks.values():
            if chunk.meta.source not in names:
                names[chunk.meta.source] = _name_terms(chunk.meta)
        return names

    @cached_property
    def _name_df(self) -> Counter:
        """In how many sources' names each term is."""
        return Counter(t for name in self._document_names.values() for t in name)

    def name_terms_asked(self, meta: ChunkMeta, asked: set[str], max_df: int, least: int) -> set[str]:
        """The question's terms (``asked``) that name the document ``meta`` is from: none unless ``least``
        words of them are each in at most ``max_df`` sources' names ("Ada Logics 2025" of the audit's file
        name: the question names that document, not one of the many whose names say "security" or
        "python", nor the "security-reviewer" guide when it asks about reviewers); then all its name holds."""
        held = asked & (self._document_names.get(meta.source) or _name_terms(meta))
        # (a source the windows don't hold has its own name to count as well)
        rare = {t for t in held if self._name_df.get(t, 0) + (meta.source not in self._document_names) <= max_df}
        # (a term inside another is part of one word: "OpenKruise" gives openkruis, open and kruis)
        words = {t for t in rare if not any(t != other and t in other for other in rare)}
        return set(held) if len(words) >= least else set()

    def span(self, chunk: Chunk) -> Span | None:
        if chunk.id in self._merged:
            return self._merged[chunk.id]
        if chunk.meta.window < 0 or self.at(_key(chunk), chunk.meta.window) is None:
            return None
        return Span(_key(chunk), chunk.meta.window, chunk.meta.window, chunk.meta.section_key or chunk.meta.section)

    @cached_property
    def _titles(self) -> dict[FileKey, str]:
        """A file's title section: the heading every one of its windows sits under ("# Self-assessment for
        Antrea" > "Table of Contents", "Metadata", ...), when there is one."""
        roots: dict[FileKey, set[str]] = {}
        for (key, _), chunk in self._at.items():
            roots.setdefault(key, set()).add((chunk.meta.section_key or chunk.meta.section).split(" > ")[0])
        return {key: next(iter(found)) for key, found in roots.items() if len(found) == 1}

    def contiguous(self, span: Span, lo: int, hi: int, max_chars: int, subsections: bool = False) -> bool:
        """Every window from ``lo`` to ``hi`` exists, belongs to the section (or, with ``subsections``, to
        one of its subsections; a document's title section has none: it holds the whole document, its
        table of contents too), and together they fit."""
        windows = [self.at(span.key, i) for i in range(lo, hi + 1)]
        nested = subsections and self._titles.get(span.key) != span.section
        # (a window flagged as holding instructions is never read into another passage: ingest.safety)
        if any(w is None or w.meta.flagged or not _within(w.meta.section_key or w.meta.section, span.section, nested)
               for w in windows):
            return False
        return sum(len(w.text) for w in windows) <= max_chars

    def from_lead_in(self, span: Span, lo: int, taken) -> int:
        """``lo``, or the window before it when ``lo`` opens on a list item and that window, of the same section,
        not flagged nor read elsewhere, ends in the list its lead-in opens (``_list_runs_to_end``)."""
        first, before = self.at(span.key, lo), self.at(span.key, lo - 1)
        if first is None or before is None or (span.key, lo - 1) in taken or before.meta.flagged \
                or (before.meta.section_key or before.meta.section) != span.section:
            return lo
        if not ITEM_START_RE.match(first.text[first.meta.lead_chars:].lstrip("\n")):
            return lo
        return lo - 1 if _list_runs_to_end(before.text[before.meta.lead_chars:]) else lo

    def passage(self, span: Span) -> Chunk:
        """The windows of ``span`` read as one chunk (overlaps and repeated headers taken out)."""
        windows = [self.at(span.key, i) for i in range(span.lo, span.hi + 1)]
        if len(windows) == 1:
            return windows[0]
        first, last = windows[0], windows[-1]
        text = first.text
        for prev, nxt in zip(windows, windows[1:], strict=False):
            text = _join(text, prev, nxt)
        meta = replace(first.meta, line_end=last.meta.line_end or first.meta.line_end,
                       flagged=any(w.meta.flagged for w in windows))
        if first.meta.line_start and "#L" in first.meta.url:
            meta.url = re.sub(r"#L\d+-L\d+$", f"#L{meta.line_start}-L{meta.line_end}", first.meta.url)
        merged = Chunk(id=f"{first.id}..{span.hi}", text=text, meta=meta)
        self._merged[merged.id] = span
        return merged


def _list_runs_to_end(text: str) -> bool:
    """``text`` ends in a list that a lead-in line (ending in ":") opens: after its last such line, every line
    is a list item or an item's indented continuation, and no code fence (YAML's "accessModes:" is no lead-in)."""
    lines = text.rstrip().split("\n")
    opening = max((i for i, line in enumerate(lines) if line.rstrip().endswith(":")), default=-1)
    tail = [line for line in lines[opening + 1:] if line.strip()]
    fences = sum(bool(FENCE_LINE_RE.match(line)) for line in lines[:opening])
    if opening < 0 or not tail or fences % 2 or any(FENCE_LINE_RE.match(line) for line in lines[opening:]) \
            or lines[opening].startswith((" ", "\t")):
        return False
    return bool(ITEM_START_RE.match(tail[0])) and all(_list_line(line) for line in tail)


def _list_line(line: str) -> bool:
    """A list item's line, or an item's indented continuation."""
    return bool(ITEM_START_RE.match(line)) or line[:1] in (" ", "\t")


def _within(section: str, outer: str, subsections: bool) -> bool:
    return section == outer or subsections and section.startswith(outer + " > ")


def _key(chunk: Chunk) -> FileKey:
    return (chunk.meta.source, chunk.meta.file_hash)


def merge_neighbours(hits: list[Retrieved], windows: Windows, max_chars: int = 3000, max_gap: int = 2) -> list[Retrieved]:
    """Hits of nearby windows in one section, merged into one passage at the best one's rank."""
    groups: list[list] = []  # [span, score] per passage; a hit that isn't one stored window stays as it is
    for hit in hits:
        span = windows.span(hit.chunk)
        if span is None or span.lo != span.hi or hit.chunk.id not in windows.chunks:
            groups.append([None, hit])
            continue
        index = span.lo
        for group in groups:
            g = group[0]
            if g is None or g.key != span.key or g.section != span.section:
                continue
            if g.lo - max_gap - 1 <= index <= g.hi + max_gap + 1:
                lo, hi = min(g.lo, index), max(g.hi, index)
                if windows.contiguous(g, lo, hi, max_chars):
                    group[0] = Span(g.key, lo, hi, g.section)
                    break
        else:
            groups.append([span, hit.score])
    return [
        value if span is None else Retrieved(chunk=windows.passage(span), score=value)
        for span, value in groups
    ]


def expand_in_section(hits: list[Retrieved], windows: Windows, top: int, max_chars: int,
                      subsections: bool = False, only=None, lead_ins: bool = False) -> list[Retrieved]:
    """Small-to-big: each of the ``top`` best passages read on into the windows around it in its
    section (one before, one after, alternately, while the passage fits ``max_chars``): a finding
    or list that a window cut apart is read whole. With ``subsections``, a section's subsections are
    part of it (a step under "### kubectl port-forwarding" answers "## Kubeflow Community
    Distribution"'s question of how to log in). Windows already in a better passage are left out, and a hit
    they hold whole is no passage of the ``top``. ``only``: which of the ``top`` grow (default: each). With
    ``lead_ins``, a passage opening in the middle of a list reads back to the window of its lead-in ("Kubeflow
    aims to provide the following security properties:"), past ``max_chars`` if need be."""
    taken: set[tuple[FileKey, int]] = set()
    out = []
    rank = 0  # of the passages not read already (a window inside a better one grown over it is no passage more)
    for hit in hits:
        span = windows.span(hit.chunk)
        if span is None:
            rank += 1
            out.append(hit)
            continue
        read = all((span.key, i) in taken for i in range(span.lo, span.hi + 1))
        rank += not read
        if rank <= top and not read and (only is None or only(hit)):
            lo, hi = span.lo, span.hi
            grown = True
            while grown:  # one window before, one after, in turn, while the passage fits
                grown = False
                for step in (lo - 1, hi + 1):
                    new_lo, new_hi = min(lo, step), max(hi, step)
                    if (span.key, step) in taken or not windows.contiguous(span, new_lo, new_hi, max_chars, subsections):
                        continue
                    lo, hi, grown = new_lo, new_hi, True
            if lead_ins:
                lo = windows.from_lead_in(span, lo, taken)
            if (lo, hi) != (span.lo, span.hi):
                span = Span(span.key, lo, hi, span.section)
                hit = Retrieved(chunk=windows.passage(span), score=hit.score)
        taken.update((span.key, i) for i in range(span.lo, span.hi + 1))
        out.append(hit)
    return out


def with_following_window(hit: Retrieved, windows: Windows, list_goes_on: bool = False) -> Retrieved | None:
    """``hit`` read on into the next window of its section (a passage that ends on "... by:" has
    its list there); None when there is no such window, or, with ``list_goes_on``, when that window
    doesn't go on with the list ``hit`` ends in (past the text the two share: windows overlap)."""
    span = windows.span(hit.chunk)
    following = windows.at(span.key, span.hi + 1) if span else None
    if following is None:
        return None
    if list_goes_on:
        body = following.text[following.meta.lead_chars:]
        first = next((line for line in body[_overlap(hit.chunk.text, body):].split("\n") if line.strip()), "")
        if not _list_line(first):
            return None
    if not windows.contiguous(span, span.hi + 1, span.hi + 1, max_chars=10**9):
        return None
    return Retrieved(chunk=windows.passage(Span(span.key, span.lo, span.hi + 1, span.section)), score=hit.score)


def with_list_read_on(hit: Retrieved, windows: Windows, most: int) -> Retrieved:
    """``hit`` read on, up to ``most`` windows, while the list its last lead-in opens runs past its end
    (``_list_runs_to_end``) and the next window goes on with it (a window may hold a lead-in and only the
    first of its items: "Kubeflow aims to provide the following security properties:")."""
    for _ in range(most):
        if not _list_runs_to_end(hit.chunk.text):
            break
        longer = with_following_window(hit, windows, list_goes_on=True)
        if longer is None:
            break
        hit = longer
    return hit


def _join(text: str, prev: Chunk, nxt: Chunk) -> str:
    """``text`` (ending with ``prev``) followed by ``nxt`` without the part the two windows share
    (and without the header ingest repeated at the start of a continued window)."""
    body = nxt.text[nxt.meta.lead_chars :] if nxt.meta.lead_chars else nxt.text
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
