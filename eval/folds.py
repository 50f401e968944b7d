"""Honest tuning: fixed folds of a question set, and cross-validated figures.

Each question belongs to one of ``n`` folds by a hash of its id (so adding a question never moves
another). For each fold, the constants that matter (``GRID``) are chosen on the other folds by
``objective`` and the fold is scored with them; the held-out scores of all folds together are the
cross-validated figures, printed beside the in-sample ones (the defaults scored on every question).

Configs that differ only in answer-side constants share one retrieval per question
(``QAConfig.retrieval_key``), so a grid costs a few retrievals and many cheap re-answers.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kfqa.eval.metrics import Hit, QuestionScore, Run, aggregate, score_question
from kfqa.eval.questions import Question
from kfqa.qa.stages import QAConfig

# The few constants that matter, each with a small set of values (the default among them).
GRID: dict[str, tuple] = {
    "answer_threshold": (0.1, 0.2),
    "rerank_floor": (0.5, 1.0),
    "continuation_words": (14, 30),
    "facet_floor": (0.25, 0.5),
    "scope_elsewhere_df": (3, 8),
    "similarity_weight": (0.0, 0.15),
    "novelty_weight": (0.0, 0.3),
    "value_coverage": (0.0, 0.6),
}
OBJECTIVE = ("recall@5", "key_fact_recall", "citation_precision", "abstention_accuracy")


def fold_of(question_id: str, n: int) -> int:
    return int(hashlib.sha256(question_id.encode("utf-8")).hexdigest(), 16) % n


def objective(scores: Sequence[QuestionScore]) -> float:
    """Mean of the figures that matter most (recall@5, key facts, citation precision, abstention)."""
    metrics = aggregate(scores)
    return sum(metrics[m] or 0.0 for m in OBJECTIVE) / len(OBJECTIVE)


def grid_configs(base: QAConfig, grid: dict[str, tuple] = GRID) -> list[QAConfig]:
    names = sorted(grid)
    return [base.with_values(**dict(zip(names, values, strict=True)))
            for values in itertools.product(*(grid[n] for n in names))]


@dataclass
class ConfigRunner:
    """Runs one question under one config through an Assistant, sharing retrievals between configs."""

    assistant: Any
    k: int = 10
    _retrieved: dict[tuple, tuple] = field(default_factory=dict)

    def run(self, question: Question, config: QAConfig) -> Run:
        started = time.perf_counter()
        key = (question.id, config.retrieval_key())
        if key not in self._retrieved:
            self.assistant.config = config
            self._retrieved[key] = self.assistant.retrieve(question.question, k=self.k)
        prepared, retrieved = self._retrieved[key]
        composed = self.assistant.composer.render_evidence(self.assistant.gather(prepared, retrieved, config=config))
        return Run(
            retrieved=[Hit(r.chunk.meta.source, r.chunk.text) for r in retrieved],
            answer=composed.answer,
            abstained=composed.abstained,
            citations={c.n: Hit(c.chunk.meta.source, c.chunk.text) for c in composed.citations},
            latency_ms=(time.perf_counter() - started) * 1000,
        )


@dataclass
class CrossValidation:
    folds: int
    held_out: list[QuestionScore]  # every question, scored with the constants chosen without its fold
    chosen: list[dict[str, object]]  # per fold: the grid values chosen on the other folds
    configs_tried: int

    def figures(self) -> dict[str, Any]:
        return aggregate(self.held_out)


def cross_validate(
    assistant: Any,
    questions: list[Question],
    n_folds: int,
    k: int = 10,
    base: QAConfig | None = None,
    grid: dict[str, tuple] = GRID,
    progress: Callable[[], None] | None = None,
) -> CrossValidation:
    """Fit the grid's constants on n-1 folds, score the n-th; every fold in turn."""
    base = base or assistant.config
    configs = grid_configs(base, grid)
    runner = ConfigRunner(assistant, k)
    # retrieval-sharing configs next to each other: the retrieval cache stays small and warm
    order = sorted(range(len(configs)), key=lambda i: repr(configs[i].retrieval_key()))
    by_index: dict[int, list[QuestionScore]] = {}
    for i in order:
        by_index[i] = [score_question(q, runner.run(q, configs[i]), depth=k) for q in questions]
        if progress is not None:
            progress()
    scores = [by_index[i] for i in range(len(configs))]  # per config, per question
    assistant.config = base
    fold = [fold_of(q.id, n_folds) for q in questions]
    # on a tie the config nearest the base wins: a constant no training question moves keeps its value
    moved = [sum(getattr(c, name) != getattr(base, name) for name in grid) for c in configs]
    held_out: list[QuestionScore] = []
    chosen = []
    for f in range(n_folds):
        train = [j for j in range(len(questions)) if fold[j] != f]
        test = [j for j in range(len(questions)) if fold[j] == f]
        best = max(range(len(configs)), key=lambda i: (objective([scores[i][j] for j in train]), -moved[i], -i))
        chosen.append({name: getattr(configs[best], name) for name in sorted(grid)})
        held_out += [scores[best][j] for j in test]
    return CrossValidation(n_folds, held_out, chosen, len(configs))


def decline_counts(scores: Sequence[QuestionScore]) -> dict[str, int]:
    """How many unanswerable questions were declined, and how many answerable ones were."""
    answered = [s for s in scores if s.answers]
    return {
        "unanswerable": sum(not s.question.answerable for s in answered),
        "unanswerable_declined": sum(bool(s.run.abstained) for s in answered if not s.question.answerable),
        "answerable": sum(s.question.answerable for s in answered),
        "answerable_declined": sum(bool(s.run.abstained) for s in answered if s.question.answerable),
    }
