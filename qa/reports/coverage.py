"""``kfqa coverage``: an assessment against TAG Security's self-assessment template.

One row per item the template asks for (``qa.reports.template``). Each item is asked of the
assessment through the answering stages (``Assistant.ask`` restricted to the assessment's
file): the same retrieval, the same abstention decision and the same citations. An item is

* ``covered`` when the answer does not abstain and its passages hold the item's specific terms,
  or the assessment has a section or labelled entry for the item that says what it asks;
* ``thin`` when a place for it exists (its own heading or label, or its parent's) but nothing
  there says what it asks;
* ``missing`` when there is neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfqa.config import HOME_PROJECT
from kfqa.qa.reports.cite import Quoter
from kfqa.qa.reports.corpus import Corpus, CorpusFile, read_text
from kfqa.qa.reports.markdown import (
    Section,
    bullet_openings,
    html_fields,
    labelled_bullets,
    only_links,
    plain,
    sections,
    table_fields,
)
from kfqa.qa.reports.match import focus
from kfqa.qa.reports.template import TemplateItem, reviewer_items, template_items
from kfqa.qa.terms import coverage
from kfqa.termstats import terms
from kfqa.types import Citation, Filters, KfqaError

COVERED, THIN, MISSING = "covered", "thin", "missing"
DEFAULT_TEMPLATE = "guides/tag-security/self-assessment.md"
DEFAULT_REVIEWER_GUIDE = "guides/tag-security/security-reviewer.md"
# IDF-weighted share of an item's specific terms a passage must hold to say what the item asks.
COVER_SHARE = 0.4
# A heading or label names the item when it holds this share of the label's words.
LABEL_SHARE = 0.66
EVIDENCE_DEPTH = 4  # retrieved passages looked at besides the cited ones


def default_assessment(project: str = HOME_PROJECT) -> str:
    return f"assessments/{project}/self-assessment.md"


@dataclass
class Place:
    """Where an assessment answers an item by name: a section, or a labelled bullet or table row."""

    label: str
    section: Section
    line: int
    text: str  # what follows the label
    min_words: int = 5  # a named field says something in one word ("Complete"); a section needs more

    @property
    def says_something(self) -> bool:
        return len(self.text.split()) >= self.min_words


@dataclass
class CoverageRow:
    item: TemplateItem
    status: str
    reason: str
    place: str = ""  # the assessment's heading path or label that holds the item
    citations: list[Citation] = field(default_factory=list)
    evidence: float = 0.0  # the best share of the item's terms in the passages


@dataclass
class Coverage:
    assessment: str
    template: str
    rows: list[CoverageRow]

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.rows) for s in (COVERED, THIN, MISSING)}


def places(file: CorpusFile) -> list[Place]:
    """Every heading, labelled bullet and table field of an assessment; a KfqaError naming the
    file when it has no headings (nothing to read it against)."""
    found = sections(read_text(file))
    if not any(s.heading for s in found):
        raise KfqaError(f"{file.rel}: the assessment has no headings, so no template item can be placed in it.")
    headings, fields, openings = [], [], []
    for i, s in enumerate(found):
        if only_links(s):
            continue  # a table of contents names everything and says nothing
        if s.heading:
            below = [d.body for d in found[i:] if d.path[: len(s.path)] == s.path]
            headings.append(Place(s.heading, s, s.line_start, plain("\n".join(below))))
        named = labelled_bullets(s) + table_fields(s, min_words=1) + html_fields(s)
        fields += [Place(e.label, s, e.line, e.text, min_words=1) for e in named]
        openings += [Place(e.label, s, e.line, e.text) for e in bullet_openings(s)]
    return headings + fields + openings  # a heading names an item before a bullet that mentions it


def names(label: str, candidate: str) -> bool:
    """``candidate`` (a heading, a label, a bullet's opening) names the item ``label``: it holds
    most of the label's words, or all of them run together ("Open SSF" / "OpenSSF")."""
    wanted, have = set(terms(label)), set(terms(candidate))
    if wanted and len(wanted & have) / len(wanted) >= LABEL_SHARE:
        return True
    compact = re.sub(r"[^a-z0-9]", "", label.lower())
    words = [re.sub(r"[^a-z0-9]", "", w) for w in candidate.lower().split()]
    return len(compact) >= 6 and any(
        "".join(words[i:j]) == compact for i in range(len(words)) for j in range(i + 1, min(i + 5, len(words)) + 1)
    )


class CoverageBuilder:
    def __init__(self, assistant, corpus: Corpus):
        self.assistant, self.corpus = assistant, corpus
        self.quoter = Quoter(assistant.retriever.chunks.values())

    def build(self, assessment: str, template: str = DEFAULT_TEMPLATE, reviewer: bool = False) -> Coverage:
        file = self._assessment(assessment)
        items = template_items(self.corpus.find(template))
        if reviewer:
            items += reviewer_items(self.corpus.find(DEFAULT_REVIEWER_GUIDE))
        found = places(file)
        chunks = self.assistant.retriever.chunks.values()
        projects = sorted({c.meta.project for c in chunks if c.meta.source == file.rel})
        if not projects:
            raise KfqaError(f"{file.rel}: not in the store; run `kfqa ingest` on its folder first.")
        filters = Filters(sources=[file.rel], projects=projects, include_superseded=True)
        rows = [self.judge(item, found, filters) for item in items]
        return Coverage(file.rel, self.corpus.find(template).rel, rows)

    def _assessment(self, name: str) -> CorpusFile:
        file = self.corpus.find(name)
        if file.path.suffix.lower() not in (".md", ".markdown"):
            raise KfqaError(f"{file.rel}: not an assessment (a self-assessment is a Markdown file).")
        return file

    def judge(self, item: TemplateItem, found: list[Place], filters: Filters) -> CoverageRow:
        source = filters.sources[0]
        place = None if item.kind in ("prompt", "reviewer") else _named(item.label, found)
        answer = self.assistant.ask(item.question, filters=filters)
        wanted = focus(self.assistant, item.question)
        evidence = [c.chunk for c in answer.citations] + [r.chunk for r in answer.retrieved[:EVIDENCE_DEPTH]]
        best = max((coverage(wanted, c.text) for c in evidence), default=0.0)
        citations = answer.citations if not answer.abstained else []
        if place is not None and place.says_something:
            cited = self.quoter.cite(source, place.text, line=place.line) or self.quoter.cite(source, place.label, line=place.line)
            return CoverageRow(item, COVERED, f"the assessment has {place.label!r} for it", place.section.key, [cited] if cited else citations, best)
        if not answer.abstained and best >= COVER_SHARE:
            return CoverageRow(item, COVERED, "the assessment's passages say what it asks", _where(citations), citations, best)
        # a template item may sit thinly under its parent's or its section's heading; a reviewer's
        # question has no section of its own in an assessment
        holder = None if item.kind == "reviewer" else place or _named(item.parent, found) or _named(item.section, found)
        if holder is not None:
            why = "its section says nothing" if place else f"{holder.label!r} exists but does not say what it asks"
            return CoverageRow(item, THIN, why, holder.section.key, citations, best)
        return CoverageRow(item, MISSING, "no section for it and no passage that says it", "", [], best)


def _named(label: str, found: list[Place]) -> Place | None:
    return next((p for p in found if label and names(label, p.label)), None) if label else None


def _where(citations: list[Citation]) -> str:
    return citations[0].chunk.meta.section if citations else ""


def build_coverage(assistant, corpus: Corpus, assessment: str | None = None, template: str | None = None, reviewer: bool = False) -> Coverage:
    return CoverageBuilder(assistant, corpus).build(assessment or default_assessment(), template or DEFAULT_TEMPLATE, reviewer)
