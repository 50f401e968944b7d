"""Abstention calibration on the dev set: how the answerability threshold trades wrong abstentions
against answered unanswerable questions (QAConfig.answer_threshold is the chosen point; kfqa eval
--folds chooses it on held-out folds).

Prints, per threshold: abstention accuracy, answerable questions declined, unanswerable answered.
Uses the store in KFQA_STORE if it holds the bundled corpus, else ingests it into a temp dir.
"""

from __future__ import annotations

from bench_ask import ready_store

from kfqa.config import DEV_QUESTIONS


def main() -> None:
    from kfqa.eval.questions import load_questions
    from kfqa.qa import Assistant

    assistant = Assistant.open(ready_store())
    rows = []
    for q in load_questions(DEV_QUESTIONS).questions:
        _, _, evidence = assistant.evidence(q.question, k=10)
        rows.append((q.answerable, evidence.decision.score, bool(evidence.decision.unknown_names)))

    print("abstention calibration (dev set)")
    print(f"  {'threshold':>9}  {'accuracy':>8}  {'answerable declined':>19}  {'unanswerable answered':>21}")
    for threshold in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6):
        declined = [cov < threshold or missing for _, cov, missing in rows]
        correct = sum(d == (not answerable) for d, (answerable, _, _) in zip(declined, rows, strict=True))
        wrong_declines = sum(d and a for d, (a, _, _) in zip(declined, rows, strict=True))
        wrong_answers = sum(not d and not a for d, (a, _, _) in zip(declined, rows, strict=True))
        mark = "  <- chosen" if threshold == assistant.config.answer_threshold else ""
        print(f"  {threshold:>9.2f}  {correct / len(rows):>8.3f}  {wrong_declines:>19}  {wrong_answers:>21}{mark}")
    caught = sum(missing and not a for a, _, missing in rows)
    print(f"  names the store never mentions decline {caught} of "
          f"{sum(not a for a, _, _ in rows)} unanswerable questions on their own")


if __name__ == "__main__":
    main()
