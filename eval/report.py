"""Report output: the terminal table, report.json, report.md (with the worst questions) and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kfqa.eval.metrics import METRIC_NAMES, QuestionScore
from kfqa.eval.questions import QuestionSet
from kfqa.eval.survival import survival_markdown
from kfqa.store import write_atomic

PRIMARY = "kfqa"
LOWER_IS_BETTER = {"latency_p50_ms", "latency_p95_ms"}


def fmt(value: Any, metric: str) -> str:
    if value is None:
        return "—"
    if metric == "n":
        return str(value)
    if metric.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def fmt_delta(value: Any, base: Any, metric: str) -> str:
    if value is None or base is None or metric == "n":
        return ""
    d = value - base
    return f"{d:+.0f}" if metric.startswith("latency") else f"{d:+.3f}"


def print_problems(qset: QuestionSet, console: Console) -> None:
    for p in qset.problems:
        console.print(f"[yellow]{qset.path}: line {p.line}: {p.message}[/]", highlight=False)
    if qset.problems:
        console.print(f"[yellow]{len(qset.problems)} malformed line(s) skipped; {len(qset.questions)} question(s) scored[/]")


def print_json(report: dict[str, Any]) -> None:
    import sys

    sys.stdout.write(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def overall_cells(systems: dict[str, Any]):
    """Per metric: for each system (value text, difference to kfqa text, +1 better / -1 worse / 0)."""
    base = systems.get(PRIMARY, {}).get("overall", {})
    for metric in METRIC_NAMES:
        cells = []
        for name, system in systems.items():
            value = system["overall"].get(metric)
            delta, better = "", 0
            if name != PRIMARY and PRIMARY in systems:
                delta = fmt_delta(value, base.get(metric), metric)
                if delta:
                    diff = (value - base[metric]) * (-1 if metric in LOWER_IS_BETTER else 1)
                    better = (diff > 0) - (diff < 0)
            cells.append((fmt(value, metric), delta, better))
        yield metric, cells


def print_tables(report: dict[str, Any], console: Console) -> None:
    systems = report["systems"]
    names = list(systems)
    table = Table(title=f"kfqa eval — {report['config']['questions_scored']} questions, k={report['config']['k']}")
    table.add_column("metric", no_wrap=True)
    for name in names:
        table.add_column(name + ("" if name == PRIMARY else f"\n(Δ vs {PRIMARY})"), justify="right")
    for metric, cells in overall_cells(systems):
        row = [metric]
        for cell, delta, better in cells:
            colour = "green" if better > 0 else "red" if better < 0 else "dim"
            row.append(cell + (f" [{colour}]({delta})[/]" if delta else ""))
        table.add_row(*row)
    console.print(table)

    cats = sorted({c for s in systems.values() for c in s["by_category"]})
    by_cat = Table(title="by category: recall@5 / key_fact_recall / abstention_accuracy")
    by_cat.add_column("category")
    by_cat.add_column("n", justify="right")
    for name in names:
        by_cat.add_column(name, justify="right")
    for cat in cats:
        row = [cat, str(systems[names[0]]["by_category"].get(cat, {}).get("n", ""))]
        for name in names:
            m = systems[name]["by_category"].get(cat, {})
            parts = [fmt(m.get("recall@5"), "recall@5")]
            if systems[name].get("answers"):
                parts += [fmt(m.get("key_fact_recall"), "x"), fmt(m.get("abstention_accuracy"), "x")]
            row.append(" / ".join(parts))
        by_cat.add_row(*row)
    console.print(by_cat)


def print_cross_validation(report: dict[str, Any], console: Console) -> None:
    """In-sample and cross-validated figures side by side, with the declines and the chosen constants."""
    cv = report["cross_validation"]
    table = Table(title=f"kfqa: in-sample vs cross-validated ({cv['folds']} folds, {cv['configs_tried']} configs)")
    table.add_column("metric", no_wrap=True)
    table.add_column("in-sample", justify="right")
    table.add_column("cross-validated", justify="right")
    for metric in ("recall@5", "mrr", "key_fact_recall", "citation_precision", "faithfulness", "abstention_accuracy"):
        table.add_row(metric, fmt(cv["in_sample"].get(metric), metric), fmt(cv["cross_validated"].get(metric), metric))
    for label, key in (("in-sample", "declines_in_sample"), ("cross-validated", "declines_cross_validated")):
        d = cv[key]
        table.add_row(f"declined ({label})", "", f"unanswerable {d['unanswerable_declined']}/{d['unanswerable']}, "
                      f"answerable {d['answerable_declined']}/{d['answerable']}")
    console.print(table)
    console.print(f"[dim]constants chosen per fold: {cv['chosen_per_fold']}[/]", highlight=False)


# --- files ------------------------------------------------------------------------------------------


def write_reports(report: dict[str, Any], out: Path, scores: dict[str, list[QuestionScore]]) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report.json": out / "report.json", "report.md": out / "report.md", "chart": out / "report.png"}
    write_atomic(paths["report.json"], json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    write_atomic(paths["report.md"], markdown(report, scores))
    write_chart(report, scores, paths["chart"])
    return paths


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def badness(score: QuestionScore) -> float:
    """How badly one question went, for ordering the 'worst questions' list."""
    q = score.question
    bad = 0.0
    if q.evidence:
        bad += sum(r is None for r in score.evidence_ranks) / len(q.evidence)
    if score.answers:
        if score.abstention_correct is False:
            bad += 1.5
        if score.facts_stated:
            bad += 1 - sum(score.facts_stated) / len(score.facts_stated)
        if score.sentences:
            bad += 0.5 * sum(not c.supported for c in score.sentences) / len(score.sentences)
    if score.run.error:
        bad += 2
    return bad


def why(score: QuestionScore) -> list[str]:
    q, run = score.question, score.run
    out = []
    if run.error:
        out.append(f"error: {run.error}")
    if score.answers and score.abstention_correct is False:
        out.append("wrongly abstained (the sources answer it)" if run.abstained else "answered, but the sources do not answer it")
    for ev, rank in zip(q.evidence, score.evidence_ranks, strict=True):
        if rank is None:
            out.append(f"evidence not in top {score.depth}: `{ev.source}` — “{ev.quote}”")
        elif rank > 5:
            out.append(f"evidence only at rank {rank}: `{ev.source}` — “{ev.quote}”")
    if score.answers and not run.abstained:
        for alts, ok in zip(q.key_facts, score.facts_stated or [], strict=True):
            if not ok:
                out.append("key fact absent: " + " / ".join(f"“{a}”" for a in alts))
        for ev, ok in zip(q.evidence, score.evidence_cited or [], strict=True):
            if not ok:
                out.append(f"evidence not cited: `{ev.source}` — “{ev.quote}”")
        for c in score.sentences or []:
            if not c.supported:
                out.append(f"unsupported sentence ({c.reason}): “{c.text[:160]}”")
    return out


def markdown(report: dict[str, Any], scores: dict[str, list[QuestionScore]]) -> str:
    systems = report["systems"]
    names = list(systems)
    cfg = report["config"]
    parts = [
        "# kfqa eval report",
        "",
        f"Questions: `{cfg['questions']}` ({cfg['questions_scored']} scored), k = {cfg['k']}, "
        f"corpus `{report['corpus'].get('root')}` (hash {str(report['corpus'].get('hash', ''))[:12]}), started {cfg['started']}.",
        "",
    ]
    if cfg["question_problems"]:
        parts += ["Malformed lines skipped:", ""]
        parts += [f"- line {p['line']}: {p['message']}" for p in cfg["question_problems"]]
        parts.append("")
    rows = [
        [metric] + [cell + (f" ({delta})" if delta else "") for cell, delta, _ in cells]
        for metric, cells in overall_cells(systems)
    ]
    header = ["metric"] + [n if n == PRIMARY else f"{n} (Δ vs {PRIMARY})" for n in names]
    parts += ["## Overall", "", _md_table(header, rows), ""]
    parts += [
        "— : not applicable (retrieval-only systems have no answer metrics; recall@k deeper than k is not measured).",
        "",
        "## By category",
        "",
    ]
    cats = sorted({c for s in systems.values() for c in s["by_category"]})
    for name in names:
        rows = [[m] + [fmt(systems[name]["by_category"][c].get(m), m) for c in cats] for m in METRIC_NAMES]
        parts += [f"### {name}", "", _md_table(["metric", *cats], rows), ""]

    parts += survival_markdown(report)
    parts += ["## Worst questions", ""]
    for name, group in scores.items():
        limit = 15 if name == PRIMARY else 8
        worst = sorted((s for s in group if badness(s) > 0), key=badness, reverse=True)[:limit]
        parts += [f"### {name}", ""]
        if not worst:
            parts += ["No failures.", ""]
            continue
        for s in worst:
            q = s.question
            parts.append(f"- **{q.id}** ({q.category}, line {q.line}): {q.question}")
            parts += [f"  - {reason}" for reason in why(s)]
            if name == PRIMARY and q.reference_answer:
                parts.append(f"  - reference: {q.reference_answer}")
        parts.append("")
    return "\n".join(parts) + "\n"


def write_chart(report: dict[str, Any], scores: dict[str, list[QuestionScore]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["systems"])
    ks = [1, 3, 5, 10]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        overall = report["systems"][name]["overall"]
        values = [overall.get(f"recall@{k}") or 0.0 for k in ks]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(ks))]
        bars = left.bar(xs, values, width, label=name)
        left.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
    left.set_xticks(range(len(ks)), [f"recall@{k}" for k in ks])
    left.set_ylim(0, 1.2)
    left.set_ylabel("share of answerable questions")
    left.set_title("Retrieval recall@k")
    left.legend(fontsize=8, loc="upper left", ncol=3)
    latencies = [[s.run.latency_ms for s in scores[n] if s.run.latency_ms is not None] or [0.0] for n in names]
    right.boxplot(latencies, tick_labels=names, showfliers=True)
    right.set_yscale("log")
    right.set_ylabel("ms per question (warm, log scale)")
    right.set_title("Latency per question")
    right.tick_params(axis="x", labelrotation=20)
    fig.suptitle(f"kfqa eval — {report['config']['questions_scored']} questions, k={report['config']['k']}")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
