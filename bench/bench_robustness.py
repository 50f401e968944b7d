"""Robustness to how reviewers type: every shipped question set, as typed and rewritten the ways
people write in a hurry, scored as ``kfqa eval`` scores it.

Variants (deterministic: a fixed seed picks the word of each question that gets the slip):
- as typed;
- one slip in a word of six letters or more: two neighbouring letters swapped, one left out, one doubled;
- all lower case (acronyms lose their capitals: "mfa", "cvss");
- no apostrophes and no question marks ("isnt", "Harbors self-assessment");
- a sentence of context first ("Quick question from our platform team."), and one naming kinds of
  source ("I'm going through the Kubeflow security self-assessment for the TAG review.").

Prints per variant: recall@5, key-fact recall, citation precision, unanswerable declined and
answerable declined. A slip that declines an answerable question (its misspelt word read as a name
the sources never mention) shows as answerable declined rising against "as typed".

python bench/bench_robustness.py                 # every shipped set (about 5 minutes on 2 cores)
python bench/bench_robustness.py dev mixed9      # some of them
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench_ask import ready_store

QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "questions"
SEED = 13
_SLIPPABLE = re.compile(r"\b[a-z]{6,}\b")


def _slip(kind: str) -> Callable[[str, random.Random], str]:
    def rewrite(question: str, rng: random.Random) -> str:
        words = list(_SLIPPABLE.finditer(question))
        if not words:
            return question
        m = rng.choice(words)
        w, i = m.group(), rng.randrange(1, len(m.group()) - 2)
        slipped = {"swap": w[:i] + w[i + 1] + w[i] + w[i + 2:], "drop": w[:i] + w[i + 1:], "double": w[:i] + w[i] + w[i:]}[kind]
        return question[: m.start()] + slipped + question[m.end():]
    return rewrite


VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "as typed": lambda q, rng: q,
    "two letters swapped": _slip("swap"),
    "a letter left out": _slip("drop"),
    "a letter doubled": _slip("double"),
    "lower case": lambda q, rng: q.lower(),
    "no apostrophes or ?": lambda q, rng: re.sub(r"[?'’]", "", q).rstrip(". "),
    "context sentence first": lambda q, rng: "Quick question from our platform team. " + q,
    # (its words name kinds of source: the self-assessment, TAG, a review; what the reader does, not asks)
    "context naming sources": lambda q, rng: "I'm going through the Kubeflow security self-assessment for the TAG review. " + q,
}


def main(names: list[str]) -> None:
    from kfqa.eval.folds import decline_counts
    from kfqa.eval.metrics import aggregate, score_question
    from kfqa.eval.questions import load_questions
    from kfqa.eval.systems import KfqaSystem
    from kfqa.qa import Assistant

    paths = [QUESTIONS / f"{n}.jsonl" for n in names] if names else sorted(QUESTIONS.glob("*.jsonl"))
    questions = [q for p in paths for q in load_questions(p).questions]
    system = KfqaSystem(Assistant.open(ready_store()))
    print(f"robustness: {len(questions)} questions of {len(paths)} sets, k = 10")
    print(f"  {'variant':<24} {'recall@5':>8} {'key facts':>9} {'cit. prec.':>10} {'unans. declined':>15} {'ans. declined':>13}")
    for name, rewrite in VARIANTS.items():
        rng = random.Random(SEED)
        scores = []
        for q in questions:
            asked = replace(q, question=rewrite(q.question, rng))
            scores.append(score_question(asked, system.run(asked.question, 10), depth=10))
        m, d = aggregate(scores), decline_counts(scores)
        print(f"  {name:<24} {m['recall@5']:>8.3f} {m['key_fact_recall']:>9.3f} {m['citation_precision']:>10.3f}"
              f" {d['unanswerable_declined']:>7}/{d['unanswerable']:<7} {d['answerable_declined']:>5}/{d['answerable']:<7}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
