"""Terms of questions and passages: a light stemmer, IDF over the store, and how much of a
question's specific vocabulary a passage covers. Shared by retrieval (rerank) and the composer."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from kfqa.text import STOP_WORDS, words

# Question words that carry no topic: they are never "focus" terms the evidence must cover.
GENERIC = frozenset(
    """kubeflow kubeflow's project projects assessment self-assessment document doc docs say says said
    describe described mean means actually exactly default defaults use used using get gets got go
    happen happens work works need needs want wants tell tells show shows give gives like one ok okay
    something someone anybody somebody anyone thing things way ways much many time times currently
    walk see seen land answer answers answered ask asks asked call called part instead count counts serve
    expect expected vs concretely agree check ship squaring behind putting deal worried worry own best worst
    common gap gaps find found wrong detail details catch enable set act touch end around add still
    whether pointed improve recommend final overall main take i've i'm i'd we've ok kind sort stuff""".split()
)

def stem(word: str) -> str:
    """A light stemmer so 'controllers' meets 'controller' and 'policies' meets 'policy'."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("'s", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word


def terms(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOP_WORDS and len(w) > 1]


class TermStats:
    """Inverse document frequency of terms over the store's chunks."""

    def __init__(self, texts: Iterable[str]):
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            df.update(set(terms(text)))
            n += 1
        self.n = max(n, 1)
        self.df = df

    def idf(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df.get(term, 0) + 0.5))

    def focus(self, question: str) -> dict[str, float]:
        """The question's specific terms (not filler, not near-ubiquitous) with their IDF weights."""
        return {t: self.idf(t) for t in set(terms(question)) if t not in GENERIC and self.idf(t) > 1.0}

    @staticmethod
    def coverage(focus: dict[str, float], text: str) -> float:
        """IDF-weighted share of ``focus`` terms found in ``text`` (1.0 when there is no focus)."""
        if not focus:
            return 1.0
        present = set(terms(text))
        return math.fsum(w for t, w in focus.items() if t in present) / math.fsum(focus.values())


def passage_words(chunk) -> str:
    """What a passage offers to term matching: its text plus its section path and title."""
    return f"{chunk.text} {chunk.meta.section} {chunk.meta.title}"
