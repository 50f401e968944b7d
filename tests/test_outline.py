"""Stage outline-moves' reading of tables of contents (qa.outline): entries and their nesting from
overlapping windows, the sections whose place differs between two revisions, and which of them a
question names."""

from __future__ import annotations

from kfqa.qa.outline import asked_moves, moves, outline, quoted_lines
from kfqa.qa.query import names_revisions
from kfqa.termstats import terms
from kfqa.types import Chunk, ChunkMeta

FIRST = ("# Table of Contents\n\n- [Metadata](#metadata)\n- [Security links](#security-links)\n"
         "- [Software Bill of Materials](#software-bill-of-materials)\n- [Overview](#overview)\n"
         "  - [Goals](#goals)\n- [Secure Development Practices](#secure-development-practices)\n"
         "  - [Development pipeline](#development-pipeline)\n")
CURRENT = ("# Table of Contents\n\n- [Metadata](#metadata)\n- [Overview](#overview)\n  - [Goals](#goals)\n"
           "- [Secure Development Practices](#secure-development-practices)\n"
           "  - [Development pipeline](#development-pipeline)\n"
           "  - [Software Bill of Materials](#software-bill-of-materials)\n- [Appendix](#appendix)\n")


def _windows(source: str, text: str, cut: int) -> list[Chunk]:
    """The table of contents in two windows that share line ``cut`` (as ingest's windows overlap)."""
    lines = text.splitlines()
    meta = dict(source=source, kind="assessment", section="Table of Contents")
    return [Chunk(id=f"{source}::{n}", text="\n".join(part), meta=ChunkMeta(window=n, line_start=start, **meta))
            for n, (start, part) in enumerate([(10, lines[: cut + 1]), (10 + cut, lines[cut:])])]


def test_an_outline_is_read_once_from_overlapping_windows_with_its_nesting():
    entries = outline(_windows("a.md", CURRENT, cut=5))
    assert [e.title for e in entries] == ["Metadata", "Overview", "Goals", "Secure Development Practices",
                                          "Development pipeline", "Software Bill of Materials", "Appendix"]
    sbom = entries[5]
    assert sbom.path == ("secure development practices", "software bill of materials")
    assert sbom.line == "  - [Software Bill of Materials](#software-bill-of-materials)"
    assert sbom.chunk.meta.window == 1  # the line after the shared one is the second window's
    # (a window of prose under another heading is no outline)
    prose = Chunk(id="b.md::0", text="- [Goals](#goals)", meta=ChunkMeta(source="b.md", kind="docs", section="Overview",
                                                                     line_start=1))
    assert outline([prose]) == []


def test_moves_are_the_sections_placed_elsewhere_or_held_by_one_revision_only():
    found = moves(outline(_windows("old.md", FIRST, cut=4)), outline(_windows("new.md", CURRENT, cut=4)))
    by_title = {m.title: m for m in found}
    assert set(by_title) == {"Security links", "Software Bill of Materials", "Appendix"}
    assert by_title["Security links"].after is None and by_title["Appendix"].before is None
    # each revision's line, a nested one under the entry it nests in: where the section went
    sbom = quoted_lines(by_title["Software Bill of Materials"])
    assert [(lead.title, [e.title for e in nested]) for lead, nested in sbom] == [
        ("Software Bill of Materials", []), ("Secure Development Practices", ["Software Bill of Materials"])]


def test_a_question_hears_the_moves_of_the_sections_it_names_or_all_when_it_asks_about_sections():
    found = moves(outline(_windows("old.md", FIRST, cut=4)), outline(_windows("new.md", CURRENT, cut=4)))
    asked = set(terms("Where did the per-project security policy links and the SBOM (software bill of materials) go?"))
    assert [m.title for m in asked_moves(found, asked, terms, False)] == ["Security links", "Software Bill of Materials"]
    # naming none: nothing, unless it asks about the sections themselves
    other = set(terms("How did the Goals change?"))
    assert asked_moves(found, other, terms, False) == []
    assert len(asked_moves(found, other, terms, True)) == 3


def test_words_of_a_change_between_revisions_name_nothing():
    assert names_revisions("reorganised") and names_revisions("Restructured") and names_revisions("changed")
    assert not names_revisions("moot") and not names_revisions("teammate")
