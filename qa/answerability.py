"""Stage "answerability": does any retrieved sentence actually answer the question?

Decided from evidence. Signals that carry to unseen questions and unseen folders:

- term coverage: the IDF-weighted share of the question's specific terms (``qa.terms``) held by
  one sentence (with the list it introduces and its section heading), and by its passage;
- semantic similarity of the sentence to the question (the query encoder embeds the best few
  candidate sentences in one batch);
- names the store never mentions: a question about "FedRAMP" where no chunk holds the word is
  about something the sources don't cover, and the answer says so;
- the value asked for (stage answer-type, ``qa.answer_type``): a question asking "how many" or
  "which version" is answered only when a candidate sentence states a number or a version. The
  question's wording says what kind of value would answer it; the evidence says whether one is there.

The score of a sentence mixes coverage and similarity (``QAConfig.semantic_weight``); the
question is answered when the best sentence reaches ``QAConfig.answer_threshold``. Both are
fitted on folds of the dev set (``kfqa eval --folds``). The LLM answerer gets the same decision
before a model is called (``Assistant.evidence``).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kfqa.qa.stages import QAConfig

ABSTAIN_TEXT = "The indexed sources don't answer this."


@dataclass
class Decision:
    answerable: bool
    score: float  # the best sentence's answerability score (0..1)
    unknown_names: list[str] = field(default_factory=list)  # question names the sources in scope never hold
    scope: str = ""  # whose sources those are ("Kubeflow"), when the question is about one project
    unstated: str = ""  # the kind of value asked for that no candidate sentence states ("a number")

    @property
    def notice(self) -> str:
        """What the reader is told beside the abstention ("" when answerable)."""
        whose = f"{self.scope} " if self.scope else ""
        if self.answerable or not (self.unknown_names or self.unstated):
            return ""
        if not self.unknown_names:
            return f"No passage of the indexed {whose}sources close to this question states {self.unstated}."
        shown = self.unknown_names[:NOTICE_NAMES]  # a question of many odd words gets a notice, not a list
        names = " or ".join(repr(n) for n in shown)
        more = len(self.unknown_names) - len(shown)
        return f"The indexed {whose}sources never mention {names}" + (f" (or {more} more of its words)." if more else ".")


NOTICE_NAMES = 5
CLIPPED_PART = 3  # letters of each clipped word ("net", "pol")
CLIPPED_PAIR_MIN = 2
_WORD_START_RE = re.compile(r"(?<![a-z0-9])[a-z0-9]")


# a run of letters and digits, a number with its thousands separators whole ("1,000")
_TOKEN_RE = re.compile(r"[0-9a-z]+(?:,[0-9]{3})*")

class Scope:
    """The sources a question is about (its project's, not other projects' or the guides'), as
    lower-cased text: a name the question holds that none of them holds is something they never
    discuss, even when another project's assessment does ("encrypted", "CVE")."""

    def __init__(self, label: str, texts: list[str]):
        self.label = label  # "Kubeflow"; "" for a store of unlabelled files
        self.texts = texts
        self._joined = "\n".join(texts)
        self._starts: list[str] | None = None
        self._tokens: frozenset[str] | None = None

    def mentions(self, term: str, whole: bool = False) -> bool:
        """A word of the sources starts with ``term`` (or, for a long term and not ``whole``, with all but
        its last three letters: "notify" meets "notified", "encrypt" "encryption"); never inside a word
        ("nist" is not in "administrator")."""
        term = term.lower()
        return self._opens_a_word(term if whole else term[: max(5, len(term) - 3)])

    def _word_starts(self) -> list[str]:
        """Every place a word starts in the sources (after a space or a mark: "user" of "multi-user"),
        read on to the next space, sorted: a prefix is then found by bisection, not by scanning the
        whole text (a question of many rare words asks for many)."""
        if self._starts is None:
            starts = set()
            for run in set(self._joined.split()):
                starts.update(run[m.start():] for m in _WORD_START_RE.finditer(run))
            self._starts = sorted(starts)
        return self._starts

    def clipped_pair(self, word: str) -> bool:
        """``word`` clips two words the sources use together ("netpol": "network policy", "NetworkPolicy"),
        each part opening its word, the pair found at least CLIPPED_PAIR_MIN times (slang, not a chance
        meeting of two words); a plural's s aside ("netpols")."""
        word = word.lower()
        if word.endswith("s") and not word.endswith("ss") and self.clipped_pair(word[:-1]):
            return True
        for i in range(CLIPPED_PART, len(word) - CLIPPED_PART + 1):
            head, tail = word[:i], word[i:]
            if not self._opens_a_word(head) or not (self._opens_a_word(tail) or tail in self._joined):
                continue  # (two bisections spare most splits a scan of every source)
            pattern = re.compile(rf"(?<![a-z0-9]){re.escape(head)}[a-z0-9]*[\s-]*{re.escape(tail)}")
            if sum(1 for _ in itertools.islice(pattern.finditer(self._joined), CLIPPED_PAIR_MIN)) >= CLIPPED_PAIR_MIN:
                return True
        return False

    def _opens_a_word(self, prefix: str) -> bool:
        """A word of the sources starts with ``prefix``."""
        starts = self._word_starts()
        i = bisect.bisect_left(starts, prefix)
        return i < len(starts) and starts[i].startswith(prefix)

    def holds(self, fragment: str) -> bool:
        """``fragment`` anywhere, inside a word too (a login "justincappos" holds "cappos")."""
        return fragment.lower() in self._joined

    def holds_whole(self, pattern: str) -> bool:
        """A match of the regular expression ``pattern`` (lower case) that starts and ends a word: "leak" is in
        "leaks." but not in "leakproof", "plain text" not in "explain texture"."""
        return re.search(rf"(?<![a-z0-9]){pattern}(?![a-z0-9])", self._joined) is not None

    def holds_token(self, token: str) -> bool:
        """``token`` (a number: "4040", "1,000") is a whole run of letters and digits of the sources: looked up
        in a set built once, not searched for (a question may hold many)."""
        if self._tokens is None:
            self._tokens = frozenset(_TOKEN_RE.findall(self._joined))
        return token.lower() in self._tokens


class ScopeUnion:
    """Several projects' sources in scope at once ("Kubeflow vs Flux"): each project's ``Scope`` is built
    and cached once, whatever other projects a question names beside it."""

    def __init__(self, label: str, parts: list[Scope]):
        self.label, self.parts = label, parts
        self.texts = [t for part in parts for t in part.texts]  # (the parts' own strings, not copies)

    def mentions(self, term: str, whole: bool = False) -> bool:
        return any(part.mentions(term, whole) for part in self.parts)

    def holds(self, fragment: str) -> bool:
        return any(part.holds(fragment) for part in self.parts)

    def holds_whole(self, pattern: str) -> bool:
        return any(part.holds_whole(pattern) for part in self.parts)

    def holds_token(self, token: str) -> bool:
        return any(part.holds_token(token) for part in self.parts)

    def clipped_pair(self, word: str) -> bool:
        return any(part.clipped_pair(word) for part in self.parts)


class SentenceEncoder:
    """Sentence vectors from the query encoder, cached by text (passages recur across questions)."""

    def __init__(self, embed_batch: Callable[[list[str]], list[list[float]]], size: int = 4096):
        self._embed_batch, self._size = embed_batch, size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def vectors(self, texts: list[str]) -> list[np.ndarray]:
        missing = sorted({t for t in texts if t not in self._cache})
        for text in texts:
            if text in self._cache:
                self._cache.move_to_end(text)  # least recently used goes first
        if missing:
            for text, vec in zip(missing, self._embed_batch(missing), strict=True):
                self._cache[text] = np.asarray(vec, dtype=np.float32)
        found = [self._cache[t] for t in texts]  # (before evicting: a call may ask for more than the cache holds)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found

    def similarities(self, query_vector: list[float], texts: list[str]) -> list[float]:
        if not texts:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        return [float(v @ q) for v in self.vectors(texts)]


def answer_score(coverage: float, semantic: float | None, config: QAConfig) -> float:
    """A sentence's answerability: its term coverage mixed with its similarity to the question."""
    if semantic is None:
        return coverage
    return (1 - config.semantic_weight) * coverage + config.semantic_weight * max(semantic, 0.0)


def decide(scores: list[float], unknown_names: list[str], config: QAConfig, scope: str = "") -> Decision:
    """Answer when the best sentence's score reaches the threshold and the question names nothing
    the sources in scope never mention. With the stage off, any retrieved sentence answers."""
    best = max(scores, default=0.0)
    if not scores:
        return Decision(False, 0.0, unknown_names, scope)
    if not config.on("answerability"):
        return Decision(True, best)
    return Decision(best >= config.answer_threshold and not unknown_names, best, unknown_names, scope)
