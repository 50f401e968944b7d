"""How often an LLM answer survived verification, for ``kfqa eval --llm``.

From each run's ``Answer.generation`` (``kfqa.types.Generation``): of the claim sentences the
model wrote, the share kept (re-pointed ones included) and the share kept only after a citation
was corrected; how often the model declined; how often kfqa fell back to the extractive answer,
by reason (timeout, endpoint, no-supported-sentence, first-sentences-failed, ...); and how often
no model was called because the question was judged unanswerable first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rich.console import Console

NOT_CALLED = "not-called"


def survival(generations: Iterable[Any]) -> dict[str, Any]:
    """Summary over one system's runs; ``generations``: each run's ``Generation`` (None: no LLM asked)."""
    runs = [g for g in generations if g is not None]
    called = [g for g in runs if g.outcome != NOT_CALLED]
    written = sum(g.sentences for g in called)
    kept = sum(g.kept for g in called if g.outcome == "answered")
    repaired = sum(g.repaired for g in called if g.outcome == "answered")
    return {
        "questions": len(runs),
        "model_called": len(called),
        "answered": sum(g.outcome == "answered" for g in called),
        "declined": sum(g.outcome == "declined" for g in called),
        "sentences_written": written,
        "sentences_kept": kept,
        "kept_share": round(kept / written, 4) if written else None,
        "repaired_share": round(repaired / written, 4) if written else None,
        "fallbacks": dict(Counter(g.reason for g in called if g.outcome == "fallback").most_common()),
        "not_called": dict(Counter(g.reason for g in runs if g.outcome == NOT_CALLED).most_common()),
    }


def _line(name: str, s: dict[str, Any]) -> str:
    share = "—" if s["kept_share"] is None else f"{s['kept_share']:.0%}"
    repaired = "—" if s["repaired_share"] is None else f"{s['repaired_share']:.0%}"
    fallbacks = ", ".join(f"{reason} {n}" for reason, n in s["fallbacks"].items()) or "none"
    skipped = sum(s["not_called"].values())
    return (f"{name}: model called for {s['model_called']} of {s['questions']} questions ({skipped} judged "
            f"unanswerable first); sentences kept {s['sentences_kept']}/{s['sentences_written']} ({share}, "
            f"re-pointed {repaired}); answered {s['answered']}, declined {s['declined']}; fallbacks: {fallbacks}")


def print_survival(report: dict[str, Any], console: Console) -> None:
    for name, s in report.get("llm_survival", {}).items():
        console.print(f"[bold]LLM survival[/] {_line(name, s)}", highlight=False)


def survival_markdown(report: dict[str, Any]) -> list[str]:
    if not report.get("llm_survival"):
        return []
    lines = ["## LLM answers: what survived verification", ""]
    lines += [f"- {_line(name, s)}" for name, s in report["llm_survival"].items()]
    return [*lines, ""]
