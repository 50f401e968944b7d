"""Abstention calibration on the dev set: how the coverage threshold trades wrong abstentions
against answered unanswerable questions (qa.compose.COVERAGE_THRESHOLD is the chosen point).

Prints, per threshold: abstention accuracy, answerable questions declined, unanswerable answered.
Uses the store in KFQA_STORE if it holds the bundled corpus, else ingests it into a temp dir.
"""

from __future__ import annotations

from bench_ask import ready_store

from kfqa.config import DEV_QUESTIONS
from kfqa.qa import compose


def main() -> None:
    from kfqa.eval.questions import load_questions
    from kfqa.qa import Assistant

    assistant = Assistant.open(ready_store())
    rows = []
    for q in load_questions(DEV_QUESTIONS).questions:
        prepared, hits = assistant.retrieve(q.question, k=10)
        evidence = assistant.composer.gather(prepared.text, hits)
        rows.append((q.answerable, evidence.coverage, evidence.missing_value))

    print("abstention calibration (dev set)")
    print(f"  {'threshold':>9}  {'accuracy':>8}  {'answerable declined':>19}  {'unanswerable answered':>21}")
    for threshold in (0.0, 0.05, 0.1, 0.12, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6):
        declined = [cov < threshold or missing for _, cov, missing in rows]
        correct = sum(d == (not answerable) for d, (answerable, _, _) in zip(declined, rows, strict=True))
        wrong_declines = sum(d and a for d, (a, _, _) in zip(declined, rows, strict=True))
        wrong_answers = sum(not d and not a for d, (a, _, _) in zip(declined, rows, strict=True))
        mark = "  <- chosen" if threshold == compose.COVERAGE_THRESHOLD else ""
        print(f"  {threshold:>9.2f}  {correct / len(rows):>8.3f}  {wrong_declines:>19}  {wrong_answers:>21}{mark}")
    caught = sum(missing and not a for a, _, missing in rows)
    print(f"  expected-value checks (number, CVE id, duration, amount) decline {caught} of "
          f"{sum(not a for a, _, _ in rows)} unanswerable questions on their own")


if __name__ == "__main__":
    main()
