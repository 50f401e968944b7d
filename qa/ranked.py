"""Stage ranked-sections: "which project scored best, and which worst?" over sections that carry their
score in their heading.

A report that scores several things gives each its own section and the score in its heading ("Katib
(6.5/10)", "Model Registry (7.7/10)"); no sentence compares them, so no sentence answers a question asking
for the best or the worst. When the passages read include such a group of sibling sections (or the
section above them), and the question asks which of them came out best or worst (naming none of them),
the headings of the highest and the lowest scored ones are its answer: each is quoted from its section's
first window, which holds it. Nothing here is particular to
one report: any sections whose headings end in a score of the same scale make a group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfqa.types import Chunk, Retrieved

# a heading ending in a score on a scale: "Katib (6.5/10)", "Pipelines (5.8 / 10)"
_SCORED_HEADING_RE = re.compile(r"\((\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\)\s*$")
# a superlative said of the ranked things themselves, not of a noun it qualifies: "which project scored
# best?", "came out worst, and which best?", "best/worst and common gaps" ("the best way to improve",
# "the lowest scores for Pipelines", "highest-risk", "best practices" rank nothing)
# ... or of one score: "which project had the worst OpenSSF Scorecard score?" (not of several: "which checks had
# the lowest scores for Pipelines?" asks for checks within one of them; nor "the best way to score well", "the
# OpenSSF Best Practices score")
_PREDICATE = (r"(?<![\w-])(?:{})(?![\w-])(?=\s*(?:[?,.;:/!)]|$|\s(?:and|or|on|in|at|among|across|overall|of all)\b)"
              r"|\s+(?:(?!(?:way|ways|practices?|to)\b)[\w-]+\s+){{0,3}}?(?:score|rating|result|grade)(?![\w-]))")
_HIGHEST_RE = re.compile(_PREDICATE.format("best|highest|strongest"), re.I)
_LOWEST_RE = re.compile(_PREDICATE.format("worst|lowest|weakest|poorest"), re.I)
MIN_GROUP = 3  # scored sibling sections that make a ranking (two are a comparison, not a ranking)


@dataclass(frozen=True)
class ScoredSection:
    heading: str  # the section's own heading, as its first window opens with it ("Katib (6.5/10)")
    score: float
    scale: str  # the score's scale ("10"): only sections on one scale are ranked together
    chunk: Chunk  # the section's first window


def asked_extremes(question: str) -> tuple[bool, bool]:
    """Whether the question asks for the highest and whether for the lowest of something."""
    return bool(_HIGHEST_RE.search(question)), bool(_LOWEST_RE.search(question))


def scored_groups(chunks) -> dict[tuple[str, str], list[ScoredSection]]:
    """(source, parent section key) -> its subsections whose headings end in a score, each by its first
    window, when MIN_GROUP or more share one scale."""
    first: dict[tuple[str, str], Chunk] = {}
    for chunk in chunks:
        key = (chunk.meta.source, chunk.meta.section_key or chunk.meta.section)
        if _SCORED_HEADING_RE.search(key[1]) and (key not in first or chunk.meta.window < first[key].meta.window):
            first[key] = chunk
    groups: dict[tuple[str, str], list[ScoredSection]] = {}
    for (source, key), chunk in first.items():
        parent, _, heading = key.rpartition(" > ")
        if not parent or heading not in chunk.text:
            continue
        score, scale = _SCORED_HEADING_RE.search(heading).groups()
        groups.setdefault((source, parent), []).append(ScoredSection(heading, float(score), scale, chunk))
    out = {}
    for key, sections in groups.items():
        scales = [s.scale for s in sections]
        common = max(set(scales), key=scales.count)
        same = sorted((s for s in sections if s.scale == common), key=lambda s: (s.score, s.heading))
        if len(same) >= MIN_GROUP:
            out[key] = same
    return out


def extremes(question: str, retrieved: list[Retrieved], groups: dict[tuple[str, str], list[ScoredSection]]) \
        -> list[ScoredSection]:
    """The highest and/or lowest scored section the question asks for, of the first group the passages
    read belong to (its parent section or one of its scored sections); none when it asks for neither."""
    highest, lowest = asked_extremes(question)
    if not (highest or lowest) or not groups:
        return []
    for hit in retrieved:
        source, key = hit.chunk.meta.source, hit.chunk.meta.section_key or hit.chunk.meta.section
        group = groups.get((source, key)) or groups.get((source, key.rpartition(" > ")[0]))
        if group:
            # (a question naming one of them asks about that one: "What is the best way to improve Katib's score?")
            if any(re.search(rf"(?<!\w){re.escape(_name(s.heading))}(?!\w)", question, re.I) for s in group):
                return []
            top = [s for s in group if s.score == group[-1].score] if highest else []
            bottom = [s for s in group if s.score == group[0].score] if lowest else []
            return [*top, *bottom]
    return []


def _name(heading: str) -> str:
    """What a scored heading names: "Model Registry (7.7/10)" -> "Model Registry"."""
    return _SCORED_HEADING_RE.sub("", heading).strip()
