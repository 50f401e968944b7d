"""The question's specific terms, weighted by the store's own statistics (``kfqa.termstats``).

A question term is *specific* (a focus term the evidence should hold) when the store knows it
(a word no chunk has says nothing about which chunk answers: filler, a typo, or a topic the
sources never mention, which ``unknown_names`` reports) and it is not near-ubiquitous in the
store. Stop words are NLTK's standard list plus the general words that frame a question
(``DISCOURSE``); the rest is statistics, so the same rule holds on a one-file store and on a
100-file store of another project.
"""

from __future__ import annotations

import math
import re

from kfqa.qa.stages import QAConfig
from kfqa.termstats import TermStats, stem, terms

__all__ = ["TermWeights", "coverage"]

# Words that frame a question rather than name its topic: asking verbs, hedges, and the words a
# reader uses for the sources themselves (which kind of source they point at is the source prior's
# job, qa.retrieval.Preference). General English of questions, not drawn from any eval question.
DISCOURSE = frozenset(
    """ask asks asked asking answer answers answered say says said tell tells told describe describes
    described explain explains explained mention mentions mentioned mean means meant happen happens
    happened actually exactly really specifically basically please anything something
    thing things way kind sort document documents doc docs documentation assessment self-assessment
    page section write written project projects""".split()
)
DISCOURSE_TERMS = frozenset(stem(w) for w in DISCOURSE)

# A name-like token: an acronym or product name (FedRAMP, SOC2, ISO-27001), not an ordinary word.
_NAME_RE = re.compile(r"\b(?=[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z0-9])[A-Za-z][A-Za-z0-9-]+\b|\b[A-Z][a-z]+[A-Z]\w*\b")


class TermWeights:
    def __init__(self, stats: TermStats, config: QAConfig | None = None):
        self.stats = stats
        self.config = config or QAConfig()

    def ubiquitous(self, term: str) -> bool:
        """In so many chunks that holding it says little (and only once the store is big enough for
        that to mean anything: in a one-file store every term is in every chunk)."""
        c = self.config
        df = self.stats.df.get(term, 0)
        return df > max(c.ubiquity_share * self.stats.n, c.ubiquity_min_df)

    def focus(self, question: str) -> dict[str, float]:
        """The question's specific terms with their IDF weights."""
        return {
            t: self.stats.idf(t)
            for t in set(terms(question))
            if self.stats.known(t) and not self.ubiquitous(t) and t not in DISCOURSE_TERMS
        }

    def weights(self, question: str) -> dict[str, float]:
        """Every known question term with its IDF (sentence scoring weighs common terms in lightly)."""
        return {t: self.stats.idf(t) for t in set(terms(question)) if self.stats.known(t) and t not in DISCOURSE_TERMS}

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question (acronyms, product names: "FedRAMP") that no chunk in the store holds."""
        out = []
        for token in _NAME_RE.findall(question):
            parts = terms(token)
            if parts and not any(self.stats.known(p) for p in parts) and token not in out:
                out.append(token)
        return out


def coverage(focus: dict[str, float], text: str) -> float:
    """IDF-weighted share of ``focus`` terms found in ``text`` (1.0 when there is no focus)."""
    if not focus:
        return 1.0
    present = set(terms(text))
    return math.fsum(w for t, w in focus.items() if t in present) / math.fsum(focus.values())

