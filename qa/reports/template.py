"""The items a template asks for, read from the template itself: its headed sections that carry a
prompt of their own, the fields of its tables, its labelled bullets (``* Critical. A listing ...``)
and the specific prompts it enumerates ("such as if contributors are required to sign commits,
...").  The same enumeration reading gives the reviewer guide's questions ("ask questions to
understand if there are hidden assumptions, underestimated risk, or design issues")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfqa.qa.reports.corpus import CorpusFile, read_text
from kfqa.qa.reports.markdown import (
    Section,
    has_prose,
    labelled_bullets,
    only_links,
    plain,
    sections,
    table_fields,
)
from kfqa.text import split_sentences
from kfqa.types import KfqaError

# Words that introduce an enumeration of things to cover or to ask about.
_ENUMERATION = re.compile(r"\b(?:such as|if there are|especially involving|involving)\s+(.+)$", re.IGNORECASE)
# A sentence in a reviewer guide that is about the questions reviewers ask.
_QUESTIONS = re.compile(r"\bquestions?\b", re.IGNORECASE)
# A template sentence that tells the author what to include (not one that gives examples).
_INCLUDE = re.compile(r"\binclude\b", re.IGNORECASE)


@dataclass
class TemplateItem:
    id: str  # stable slug, e.g. "secure-development-practices/development-pipeline/sign-commits"
    label: str  # what the item is called: "Development Pipeline", "if contributors are required to sign commits"
    prompt: str  # the template's own words for it, quoted next to the status
    kind: str  # section | field | item | prompt | reviewer
    parent: str  # the label of the item or section it belongs to
    line: int  # where the template says it (1-based)
    source: str  # the template's corpus path
    section: str = ""  # the template section it belongs to ("Secure development practices")

    @property
    def question(self) -> str:
        """What to ask the assessment: the label and the prompt's first sentence."""
        if self.kind == "reviewer":  # the guide's sentence is about reviewing, not about the project
            return f"What does the assessment say about {self.label}?"
        first = split_sentences(self.prompt)[0] if self.prompt else ""
        return f"{self.label}: {first}" if first and first.lower() != self.label.lower() else self.label


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", plain(text).lower()).strip("-")[:60]


def template_items(file: CorpusFile) -> list[TemplateItem]:
    """Every item ``file`` (a self-assessment template) asks an assessment to cover, in template order."""
    found = sections(read_text(file))
    if not any(s.heading for s in found):
        raise KfqaError(f"{file.rel}: the template has no headings, so it names no items.")
    items: list[TemplateItem] = []
    for section in _outline(found):
        base = slug(section.heading)
        labelled = labelled_bullets(section) + table_fields(section)
        if has_prose(section) and not only_links(section):
            items.append(TemplateItem(base, section.heading, _prose(section), "section", _up(section), section.line_start, file.rel))
        parents: dict[int, str] = {}
        for entry in sorted(labelled, key=lambda e: e.line):
            if _same_words(entry.label, section.heading):  # "* Compliance." under "Project compliance"
                if not any(i.id == base for i in items):
                    items.append(TemplateItem(base, section.heading, entry.text, "section", _up(section), entry.line, file.rel))
                continue
            parent = parents.get(entry.depth - 1, section.heading)
            parents[entry.depth] = entry.label
            kind = "field" if entry.depth == 0 and entry in table_fields(section) else "item"
            item_id = f"{base}/{slug(entry.label)}"
            items.append(TemplateItem(item_id, entry.label, entry.text, kind, parent, entry.line, file.rel, section.heading))
            items += [
                TemplateItem(f"{item_id}/{slug(p)}", p, p, "prompt", entry.label, entry.line, file.rel, section.heading)
                for p in enumerated(entry.text, asks=_INCLUDE)
            ]
    return items


def reviewer_items(file: CorpusFile) -> list[TemplateItem]:
    """The questions a reviewer guide says reviewers ask, one item per thing enumerated."""
    items = []
    for section in sections(read_text(file)):
        for sentence in split_sentences(plain(section.body)):
            if not _QUESTIONS.search(sentence):
                continue
            for p in enumerated(sentence, asks=_QUESTIONS):
                items.append(TemplateItem(f"reviewer/{slug(p)}", p, sentence, "reviewer", section.heading, section.line_start, file.rel))
    return items


def enumerated(text: str, asks: re.Pattern) -> list[str]:
    """The things a sentence that ``asks`` (for content, for questions) enumerates after
    "such as" / "if there are" / "involving"; the list ends at "etc."."""
    out = []
    for sentence in split_sentences(text):
        match = _ENUMERATION.search(re.split(r"\betc\b", sentence)[0].rstrip(" .?,"))
        if not match or not asks.search(sentence[: match.start()]):
            continue
        parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+(?=the\s|an?\s)", match.group(1))
        for part in parts:
            part = re.sub(r"^(?:and|or)\s+|\s*(?:,?\s*etc)\.?$", "", part.strip()).strip(" .")
            if len(part.split()) >= 2 and part.lower() != "etc":
                out.append(part)
    return out


def _outline(found: list[Section]) -> list[Section]:
    """The sections that hold items: not the document's title or the outline heading that only
    wraps everything after it."""
    headed = [s for s in found if s.heading]
    out = []
    for i, s in enumerate(headed):
        rest = headed[i + 1 :]
        wraps_rest = bool(rest) and all(r.path[: len(s.path)] == s.path for r in rest)
        if not (wraps_rest and not labelled_bullets(s) and not table_fields(s)):
            out.append(s)
    return out


def _up(section: Section) -> str:
    return section.path[-2] if len(section.path) > 1 else ""


def _prose(section: Section) -> str:
    kept = [line for line in section.lines if line.strip() and not line.lstrip().startswith(("|", "<!--"))]
    return plain(" ".join(kept))


def _same_words(a: str, b: str) -> bool:
    wa, wb = set(slug(a).split("-")), set(slug(b).split("-"))
    return bool(wa) and wa <= wb
