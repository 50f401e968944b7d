"""Stage outline-moves' reading of tables of contents (qa.outline): entries and their nesting from
overlapping windows, the sections whose place differs between two revisions, and which of them a
question names."""

from __future__ import annotations

from kfqa.qa.outline import MAX_MOVES, asked_moves, moves, outline, quotes
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
    assert [w.meta.window for w in sbom.windows] == [1]
    # the line both windows hold is held by both
    assert [w.meta.window for w in entries[3].windows] == [0, 1]
    # (a window of prose under another heading is no outline)
    prose = Chunk(id="b.md::0", text="- [Goals](#goals)", meta=ChunkMeta(source="b.md", kind="docs", section="Overview",
                                                                     line_start=1))
    assert outline([prose]) == []


def test_moves_are_the_sections_placed_elsewhere_or_held_by_one_revision_only():
    found = moves(outline(_windows("old.md", FIRST, cut=4)), outline(_windows("new.md", CURRENT, cut=4)))
    by_title = {m.title: m for m in found}
    assert set(by_title) == {"Security links", "Software Bill of Materials", "Appendix"}
    assert by_title["Security links"].after is None and by_title["Appendix"].before is None
    # each revision's line, a nested one under the entry it nests in, from a window holding both lines
    said = quotes([by_title["Software Bill of Materials"]])
    assert [(q.line, q.items, q.window.meta.source) for q in said] == [
        ("- [Software Bill of Materials](#software-bill-of-materials)", (), "old.md"),
        ("- [Secure Development Practices](#secure-development-practices)",
         ("[Software Bill of Materials](#software-bill-of-materials)",), "new.md")]
    # a title under several parents is matched by its place: "Goals" under Overview stayed
    twice = FIRST + "  - [Goals](#goals-1)\n"
    assert "Goals" not in {m.title for m in moves(outline(_windows("o.md", twice, cut=4)),
                                                    outline(_windows("n.md", twice, cut=4)))}


def test_a_nested_line_is_quoted_from_a_window_holding_its_parent_or_alone():
    # the parent's line ends the first window, the moved entry opens the second: no window holds both
    after = outline(_windows("new.md", CURRENT, cut=6))
    before = outline(_windows("old.md", FIRST, cut=4))
    sbom = next(m for m in moves(before, after) if m.title == "Software Bill of Materials")
    new_quote = quotes([sbom])[-1]
    assert (new_quote.line, new_quote.items) == ("- [Software Bill of Materials](#software-bill-of-materials)", ())
    assert new_quote.line in new_quote.window.text
    # with a window holding both, the parent leads
    held = quotes([next(m for m in moves(before, outline(_windows("new.md", CURRENT, cut=5)))
                        if m.title == "Software Bill of Materials")])[-1]
    assert held.items and held.line in held.window.text and held.items[0] in held.window.text
    # two moved entries under one parent are quoted together, each once
    both = CURRENT.replace("- [Appendix](#appendix)", "  - [Security links](#security-links)\n- [Appendix](#appendix)")
    found = moves(before, outline(_windows("new.md", both, cut=2)))
    grouped = [q for q in quotes(found) if q.window.meta.source == "new.md" and q.items]
    assert [q.items for q in grouped] == [("[Security links](#security-links)",
                                           "[Software Bill of Materials](#software-bill-of-materials)")]


def test_a_question_hears_the_moves_of_the_sections_it_names_or_all_when_it_asks_about_sections():
    before, after = outline(_windows("old.md", FIRST, cut=4)), outline(_windows("new.md", CURRENT, cut=4))
    found = moves(before, after)
    asked = set(terms("Where did the per-project security policy links and the SBOM (software bill of materials) go?"))
    assert [m.title for m in asked_moves(found, before + after, asked, False)] == [
        "Security links", "Software Bill of Materials"]
    # naming none: nothing, unless it asks about the sections themselves, then the first few
    other = set(terms("Which were moved between the revisions?"))
    assert asked_moves(found, before + after, other, False) == []
    assert len(asked_moves(found, before + after, other, True)) == 3
    many = found * 2
    assert len(asked_moves(many, before + after, other, True)) == MAX_MOVES
    # naming a section that stayed in place, it hears of no other
    assert asked_moves(found, before + after, set(terms("How did the overview sections change?")), True) == []


def test_words_of_a_change_between_revisions_name_nothing():
    assert names_revisions("reorganised") and names_revisions("Restructured") and names_revisions("reorganisation")
    assert not names_revisions("moot") and not names_revisions("teammate")
