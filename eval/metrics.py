"""The eval README's matching rules and metrics, as pure functions over plain objects.

Everything is compared after ``kfqa.text.normalize`` (NFKC, lower case, no ``* _ ```
marks, whitespace runs folded). How each metric is computed:

- covers: a chunk covers an evidence item when its source equals the item's source and
  the normalised quote is a substring of the normalised chunk text (a quote split over
  two chunks is covered by neither).
- recall@k: over answerable questions, the share whose evidence items are ALL covered by
  the union of the top k retrieved chunks. ``None`` when k is deeper than the run retrieved.
- mrr: over answerable questions, the mean of 1/rank of the first retrieved chunk that
  covers ANY evidence item (0 when none does).
- key_fact_recall: per answerable question, the share of key facts with at least one
  normalised alternative a substring of the normalised answer (``[n]`` markers removed
  first); an abstention states nothing (0). Averaged over answerable questions.
- citation_precision: per answerable question with at least one citation, the share of
  cited chunks whose source is one of the question's evidence sources; averaged over
  those questions (not pooled).
- evidence_citation_recall: per answerable question, the share of evidence items covered
  by at least one cited chunk (an abstention cites nothing: 0); averaged over answerable
  questions.
- faithfulness: the answer text is split with ``kfqa.text.split_sentences`` (a run of
  markers that starts a sentence belongs to the sentence before it); a sentence is
  supported when it carries at least one marker, every marker names an existing
  citation, and ``kfqa.text.is_supported`` holds for the sentence without markers
  against the texts of the chunks it cites. Pooled over all sentences of all answered
  (not abstained) questions, answerable or not.
- abstention_accuracy: over ALL questions, the share where abstained == (not answerable).
- latency_p50_ms / latency_p95_ms: linear-interpolated percentiles of the per-question
  wall time (the runner warms up first).
- n: number of questions in the group.

A metric with no question to average over is ``None`` (JSON null); systems that only
retrieve have ``None`` for every answer metric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kfqa.eval.questions import Evidence, Question
from kfqa.text import MARKER_RE, content_words, is_supported, normalize, split_sentences, strip_markers, words

RECALL_KS = (1, 3, 5, 10)
METRIC_NAMES = (
    "recall@1",
    "recall@3",
    "recall@5",
    "recall@10",
    "mrr",
    "key_fact_recall",
    "citation_precision",
    "evidence_citation_recall",
    "faithfulness",
    "abstention_accuracy",
    "latency_p50_ms",
    "latency_p95_ms",
    "n",
)
ANSWER_METRICS = frozenset(
    {"key_fact_recall", "citation_precision", "evidence_citation_recall", "faithfulness", "abstention_accuracy"}
)


@dataclass
class Hit:
    """A retrieved or cited chunk, whatever system produced it."""

    source: str  # path relative to the corpus root
    text: str
    _norm: str | None = field(default=None, repr=False, compare=False)

    @property
    def norm(self) -> str:
        if self._norm is None:
            self._norm = normalize(self.text)
        return self._norm


@dataclass
class Run:
    """What one system produced for one question."""

    retrieved: list[Hit]  # ranked, best first
    answer: str | None = None  # None: the system does not answer (retrieval only)
    abstained: bool | None = None
    citations: dict[int, Hit] = field(default_factory=dict)  # marker number -> cited chunk
    latency_ms: float | None = None
    error: str | None = None  # the system raised; scored as retrieving and answering nothing
    generation: Any = None  # kfqa.types.Generation when an LLM was asked (eval.survival reads it)


@dataclass
class SentenceCheck:
    text: str  # as in the answer, with markers
    markers: list[int]
    supported: bool
    reason: str = ""  # why not: "no citation marker", "cites [7], which does not exist", "unsupported words: ..."


@dataclass
class QuestionScore:
    question: Question
    run: Run
    depth: int
    evidence_ranks: list[int | None]  # per evidence item: first 1-based rank covering it
    first_rank: int | None  # first rank covering any evidence item
    recall: dict[int, bool | None]
    rr: float | None
    facts_stated: list[bool] | None
    cited_in_evidence_sources: list[bool] | None  # per citation
    evidence_cited: list[bool] | None  # per evidence item
    sentences: list[SentenceCheck] | None

    @property
    def answers(self) -> bool:
        return self.run.answer is not None

    @property
    def abstention_correct(self) -> bool | None:
        if self.run.abstained is None:
            return None
        return self.run.abstained == (not self.question.answerable)


# --- matching rules ---------------------------------------------------------------------------


def covers(hit: Hit, evidence: Evidence) -> bool:
    """The README's rule: same source, and the normalised quote inside the normalised chunk text."""
    return hit.source == evidence.source and normalize(evidence.quote) in hit.norm


def evidence_ranks(retrieved: Sequence[Hit], evidence: Sequence[Evidence]) -> list[int | None]:
    ranks: list[int | None] = []
    for ev in evidence:
        rank = next((i for i, hit in enumerate(retrieved, 1) if covers(hit, ev)), None)
        ranks.append(rank)
    return ranks


def recall_at(ranks: Sequence[int | None], k: int) -> bool:
    """Every evidence item covered within the top k (an empty evidence list is not scored here)."""
    return bool(ranks) and all(r is not None and r <= k for r in ranks)


def reciprocal_rank(ranks: Sequence[int | None]) -> float:
    found = [r for r in ranks if r is not None]
    return 1.0 / min(found) if found else 0.0


def fact_stated(alternatives: Sequence[str], answer_norm: str) -> bool:
    return any(normalize(alt) in answer_norm for alt in alternatives if normalize(alt))


def facts_stated(answer: str, key_facts: Sequence[Sequence[str]], abstained: bool) -> list[bool]:
    """Which key facts the answer states; an abstention states none."""
    if abstained:
        return [False] * len(key_facts)
    answer_norm = normalize(strip_markers(answer))
    return [fact_stated(f, answer_norm) for f in key_facts]


_LEADING_MARKERS = re.compile(r"^((?:\s*\[\d+\])+)\s*")


def answer_sentences(answer: str) -> list[str]:
    """Split answer text into sentences; markers that open a sentence go back to the one before."""
    out: list[str] = []
    for sentence in split_sentences(answer):
        m = _LEADING_MARKERS.match(sentence)
        if m and out:
            out[-1] = f"{out[-1]} {m.group(1).strip()}"
            sentence = sentence[m.end() :]
        if sentence.strip():
            out.append(sentence.strip())
    return out


def check_sentences(answer: str, citations: dict[int, Hit]) -> list[SentenceCheck]:
    checks = []
    for sentence in answer_sentences(answer):
        markers = [int(n) for n in MARKER_RE.findall(sentence)]
        if not markers:
            checks.append(SentenceCheck(sentence, markers, False, "no citation marker"))
            continue
        missing = sorted({n for n in markers if n not in citations})
        if missing:
            names = ", ".join(f"[{n}]" for n in missing)
            checks.append(SentenceCheck(sentence, markers, False, f"cites {names}, which does not exist"))
            continue
        passages = [citations[n].text for n in dict.fromkeys(markers)]
        bare = strip_markers(sentence)
        if is_supported(bare, passages):
            checks.append(SentenceCheck(sentence, markers, True))
        else:
            vocab = {w for p in passages for w in words(p)}
            absent = [w for w in content_words(bare) if w not in vocab]
            checks.append(SentenceCheck(sentence, markers, False, "not in cited text: " + ", ".join(absent[:8])))
    return checks


# --- one question ---------------------------------------------------------------------------------


def score_question(question: Question, run: Run, depth: int, ks: Iterable[int] = RECALL_KS) -> QuestionScore:
    retrieved = run.retrieved[:depth]
    ranks = evidence_ranks(retrieved, question.evidence)
    found = [r for r in ranks if r is not None]
    if question.answerable and question.evidence:
        recall: dict[int, bool | None] = {k: (recall_at(ranks, k) if k <= depth else None) for k in ks}
        rr: float | None = reciprocal_rank(ranks)
    else:
        recall, rr = {k: None for k in ks}, None

    facts = cited_ok = ev_cited = sentences = None
    if run.answer is not None:
        abstained = bool(run.abstained)
        citations = {} if abstained else run.citations
        facts = facts_stated(run.answer, question.key_facts, abstained)
        sources = question.evidence_sources
        cited_ok = [hit.source in sources for _, hit in sorted(citations.items())]
        ev_cited = [any(covers(hit, ev) for hit in citations.values()) for ev in question.evidence]
        sentences = [] if abstained else check_sentences(run.answer, run.citations)
    return QuestionScore(
        question=question,
        run=run,
        depth=depth,
        evidence_ranks=ranks,
        first_rank=min(found) if found else None,
        recall=recall,
        rr=rr,
        facts_stated=facts,
        cited_in_evidence_sources=cited_ok,
        evidence_cited=ev_cited,
        sentences=sentences,
    )


# --- aggregation ----------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), without numpy."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def aggregate(scores: Sequence[QuestionScore], ks: Iterable[int] = RECALL_KS) -> dict[str, float | int | None]:
    """METRICS for a group of scored questions (one system)."""
    answerable = [s for s in scores if s.question.answerable and s.question.evidence]
    out: dict[str, float | int | None] = {}
    for k in ks:
        values = [s.recall[k] for s in answerable if s.recall.get(k) is not None]
        out[f"recall@{k}"] = _mean([float(v) for v in values])
    out["mrr"] = _mean([s.rr for s in answerable if s.rr is not None])

    answered = [s for s in scores if s.answers]
    ans_answerable = [s for s in answered if s.question.answerable]
    out["key_fact_recall"] = _mean(
        [sum(s.facts_stated) / len(s.facts_stated) for s in ans_answerable if s.facts_stated]
    )
    out["citation_precision"] = _mean(
        [sum(s.cited_in_evidence_sources) / len(s.cited_in_evidence_sources) for s in ans_answerable if s.cited_in_evidence_sources]
    )
    out["evidence_citation_recall"] = _mean(
        [sum(s.evidence_cited) / len(s.evidence_cited) for s in ans_answerable if s.evidence_cited]
    )
    checks = [c for s in answered if s.sentences for c in s.sentences]
    out["faithfulness"] = _mean([float(c.supported) for c in checks])
    out["abstention_accuracy"] = _mean(
        [float(s.abstention_correct) for s in answered if s.abstention_correct is not None]
    )
    latencies = [s.run.latency_ms for s in scores if s.run.latency_ms is not None]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["n"] = len(scores)
    return {name: out.get(name) for name in METRIC_NAMES}


def aggregate_by_category(scores: Sequence[QuestionScore]) -> dict[str, dict[str, float | int | None]]:
    groups: dict[str, list[QuestionScore]] = {}
    for s in scores:
        groups.setdefault(s.question.category, []).append(s)
    return {cat: aggregate(group) for cat, group in sorted(groups.items())}
