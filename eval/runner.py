"""`kfqa eval`: load a question set, run the systems, score them, write the reports.

``run_eval`` is what the CLI calls and what the CI gate calls; it returns the report
dict that is written as ``report.json``.
"""

from __future__ import annotations

import contextlib
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kfqa.config import DEV_QUESTIONS, Settings
from kfqa.eval.metrics import QuestionScore, Run, aggregate, aggregate_by_category, score_question
from kfqa.eval.questions import load_questions
from kfqa.eval.survival import print_survival, survival
from kfqa.eval.systems import (
    BASELINES,
    KfqaSystem,
    LlamaIndexBaseline,
    RetrieverSystem,
    System,
    corpus_files,
    corpus_hash,
)
from kfqa.render import SafeConsole
from kfqa.types import KfqaError


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def corpus_root(settings: Settings) -> Path:
    """The corpus the store was built from (manifest), else ``settings.corpus_dir``."""
    from kfqa.store import Store

    try:
        recorded = Store(settings).load_manifest().corpus_dir
    except KfqaError:
        recorded = ""
    if recorded and Path(recorded).is_dir():
        return Path(recorded).resolve()
    return Path(settings.corpus_dir).resolve()


def build_systems(
    settings: Settings, compare: bool, llm: bool, console: Console, corpus_dir: Path, assistant: Any = None
) -> tuple[list[System], dict[str, Any]]:
    from kfqa.qa import Assistant

    assistant = assistant or Assistant.open(settings)
    systems: list[System] = [KfqaSystem(assistant)]
    if llm:
        systems.append(KfqaSystem(assistant, llm=True, name="kfqa-llm"))
    described: dict[str, Any] = {"kfqa": {"k_passed_to": "Assistant.ask"}}
    if llm:
        described["kfqa-llm"] = {"model": settings.llm_model, "base_url": settings.llm_base_url}
    if not compare:
        return systems, described
    for name in BASELINES:
        if name in ("bm25", "dense"):
            systems.append(RetrieverSystem(name, getattr(assistant.retriever, name)))
            described[name] = {"retrieval": f"assistant.retriever.{name} over kfqa's chunks"}
    with _progress(console) as progress:
        for name in ("llamaindex-default", "docs-agent-style"):
            baseline = LlamaIndexBaseline(name, corpus_dir)
            cached = (baseline.path / "done.json").is_file()
            console.print(f"[dim]{name}: {'loading cached index' if cached else 'building index'} ({baseline.path})[/]")
            baseline.prepare(progress)
            systems.append(baseline)
            described[name] = baseline.describe()
    order = ["kfqa", "kfqa-llm", *BASELINES]
    systems.sort(key=lambda s: order.index(s.name) if s.name in order else len(order))
    return systems, described


def run_system(system: System, questions: list, k: int, progress: Progress | None) -> list[Run]:
    """One warm-up call (not scored), then one timed call per question."""
    if questions:
        with contextlib.suppress(Exception):
            system.run(questions[0].question, k)
    task = progress.add_task(f"{system.name}", total=len(questions)) if progress is not None else None
    runs = []
    for q in questions:
        start = time.perf_counter()
        try:
            run = system.run(q.question, k)
        except KfqaError:
            raise
        except Exception as exc:  # one bad question must not sink the whole eval
            run = Run(retrieved=[], answer="" if system.answers else None, abstained=False if system.answers else None)
            run.error = f"{type(exc).__name__}: {exc}"
        run.latency_ms = (time.perf_counter() - start) * 1000
        runs.append(run)
        if task is not None:
            progress.advance(task)
    return runs


def question_detail(score: QuestionScore) -> dict[str, Any]:
    run, q = score.run, score.question
    detail: dict[str, Any] = {
        "retrieved_sources": [h.source for h in run.retrieved[: score.depth]],
        "covered_evidence": [
            {"source": ev.source, "quote": ev.quote, "rank": rank} for ev, rank in zip(q.evidence, score.evidence_ranks, strict=True)
        ],
        "first_covering_rank": score.first_rank,
        "recall": {f"recall@{k}": v for k, v in score.recall.items()},
        "latency_ms": round(run.latency_ms, 1) if run.latency_ms is not None else None,
    }
    if run.error:
        detail["error"] = run.error
    if score.answers:
        detail.update(
            {
                "abstained": run.abstained,
                "abstention_correct": score.abstention_correct,
                "answer": run.answer,
                "stated_facts": [
                    {"alternatives": alts, "stated": ok} for alts, ok in zip(q.key_facts, score.facts_stated or [], strict=True)
                ],
                "cited_sources": [h.source for _, h in sorted(run.citations.items())],
                "cited_evidence": [
                    {"source": ev.source, "quote": ev.quote, "cited": ok}
                    for ev, ok in zip(q.evidence, score.evidence_cited or [], strict=True)
                ],
                "sentences": [
                    {"text": c.text, "supported": c.supported, **({"reason": c.reason} if c.reason else {})}
                    for c in score.sentences or []
                ],
            }
        )
    return detail


def _round(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}


def run_eval(
    settings: Settings,
    questions: Path | None = None,
    k: int = 10,
    compare: bool = False,
    llm: bool = False,
    out: Path | None = Path("eval-out"),
    as_json: bool = False,
    console: Console | None = None,
    assistant: Any = None,
    ablate: str | list[str] | None = None,
    folds: int = 0,
) -> dict[str, Any]:
    """Score kfqa (and with ``compare`` the baselines); write report.json/.md/.png to ``out``; return the report.
    ``ablate``: answering stages switched off ("merge,facets"); ``folds``: also cross-validate over n folds."""
    from kfqa.eval.report import print_problems
    from kfqa.qa.stages import parse_stages

    if k < 1:
        raise KfqaError("--k must be at least 1")
    if folds == 1 or folds < 0:
        raise KfqaError("--folds needs at least 2 folds (e.g. --folds 5)")
    stages_off = parse_stages(ablate) if isinstance(ablate, str) else list(ablate or [])
    if llm and not (settings.llm_base_url and settings.llm_model):
        raise KfqaError("--llm needs an LLM endpoint: set KFQA_LLM_BASE_URL and KFQA_LLM_MODEL (or --llm-base-url/--llm-model).")
    # With --json, stdout carries the report and nothing else: progress and notes go to stderr,
    # and so does anything a library prints while the systems run.
    console = SafeConsole(stderr=True) if as_json or console is None else console  # question files may carry escapes
    qpath = Path(questions) if questions else DEV_QUESTIONS
    qset = load_questions(qpath)
    print_problems(qset, console)
    if not qset.questions:
        raise KfqaError(f"No usable questions in {qpath}")

    started = datetime.now(timezone.utc)
    redirect = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
    with redirect:
        corpus_dir = corpus_root(settings)
        systems, described = build_systems(settings, compare, llm, console, corpus_dir, assistant=assistant)
        kfqa_assistant = systems[0].assistant
        kfqa_assistant.config = kfqa_assistant.config.without(*stages_off)
        scores: dict[str, list[QuestionScore]] = {}
        with _progress(console) as progress:
            for system in systems:
                runs = run_system(system, qset.questions, k, progress)
                scores[system.name] = [score_question(q, r, depth=k) for q, r in zip(qset.questions, runs, strict=True)]
            cross = _cross_validation(kfqa_assistant, qset.questions, folds, k, scores["kfqa"], progress) if folds else None

    report = build_report(settings, qset, scores, described, corpus_dir, started,
                          k=k, compare=compare, llm=llm, stages_off=stages_off, config=kfqa_assistant.config)
    if llm:
        report["llm_survival"] = {name: survival(s.run.generation for s in scores[name]) for name in scores if name == "kfqa-llm"}
    if cross is not None:
        report["cross_validation"] = cross
    _emit(report, scores, out, as_json, console)
    return report


def _emit(report: dict[str, Any], scores: dict[str, list[QuestionScore]], out: Path | None, as_json: bool,
          console: Console) -> None:
    """Write report.json/.md/.png to ``out`` and print the tables (or, with ``as_json``, the report)."""
    from kfqa.eval.report import print_cross_validation, print_json, print_tables, write_reports

    if out is not None:
        paths = write_reports(report, Path(out), scores)
        report_paths = {kind: str(p) for kind, p in paths.items()}
    else:
        report_paths = {}
    if as_json:
        print_json(report)
    else:
        print_tables(report, console)
        if "cross_validation" in report:
            print_cross_validation(report, console)
        print_survival(report, console)
        for kind, p in report_paths.items():
            console.print(f"[dim]{kind}: {p}[/]")


def build_report(settings: Settings, qset: Any, scores: dict[str, list[QuestionScore]], described: dict[str, Any],
                 corpus_dir: Path, started: datetime, *, k: int, compare: bool, llm: bool, stages_off: list[str],
                 config: Any) -> dict[str, Any]:
    """The report dict (report.json): per-system figures, per-question details, the run's configuration."""
    return {
        "systems": {
            name: {
                "overall": _round(aggregate(group)),
                "by_category": {cat: _round(m) for cat, m in aggregate_by_category(group).items()},
                "answers": any(s.answers for s in group),
            }
            for name, group in scores.items()
        },
        "questions": [
            {
                "id": q.id,
                "category": q.category,
                "answerable": q.answerable,
                "question": q.question,
                "line": q.line,
                "systems": {name: question_detail(group[i]) for name, group in scores.items()},
            }
            for i, q in enumerate(qset.questions)
        ],
        "config": {
            "questions": str(qset.path),
            "questions_scored": len(qset.questions),
            "question_problems": [{"line": p.line, "message": p.message} for p in qset.problems],
            "k": k,
            "compare": compare,
            "llm": llm,
            "ablated_stages": stages_off,
            "qa_config": {key: (list(v) if isinstance(v, (tuple, frozenset)) else v)
                          for key, v in config.changes().items()},
            "store": str(settings.store_dir),
            "systems": described,
            "faithfulness": "pooled over sentences of answered questions",
            "citation_precision": "averaged per answerable question with >= 1 citation",
            "evidence_citation_recall": "averaged per answerable question (abstention = 0)",
            "key_fact_recall": "averaged per answerable question (abstention = 0)",
            "started": started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(timezone.utc) - started).total_seconds(), 1),
            "python": platform.python_version(),
        },
        "corpus": corpus_info(corpus_dir, settings),
    }


def _cross_validation(assistant: Any, questions: list, folds: int, k: int, in_sample: list[QuestionScore],
                      progress: Progress) -> dict[str, Any]:
    """Cross-validated figures (constants fitted on the other folds) beside the in-sample ones."""
    from kfqa.eval.folds import GRID, cross_validate, decline_counts, grid_configs

    task = progress.add_task(f"cross-validating ({folds} folds)", total=len(grid_configs(assistant.config)))
    cv = cross_validate(assistant, questions, folds, k=k, progress=lambda: progress.advance(task))
    return {
        "folds": folds,
        "grid": {name: list(values) for name, values in GRID.items()},
        "configs_tried": cv.configs_tried,
        "chosen_per_fold": cv.chosen,
        "cross_validated": _round(cv.figures()),
        "in_sample": _round(aggregate(in_sample)),
        "declines_cross_validated": decline_counts(cv.held_out),
        "declines_in_sample": decline_counts(in_sample),
    }


def corpus_info(corpus_dir: Path, settings: Settings) -> dict[str, Any]:
    from kfqa.store import Store

    info: dict[str, Any] = {"root": str(corpus_dir)}
    if corpus_dir.is_dir():
        files = corpus_files(corpus_dir)
        info.update({"files": len(files), "hash": corpus_hash(corpus_dir)})
    try:
        manifest = Store(settings).load_manifest()
        info["store_files"] = len(manifest.files)
        info["store_chunks"] = sum(len(f.chunk_ids) for f in manifest.files.values())
        info["embedding_model"] = manifest.embedding_model
        info["last_ingest"] = manifest.last_ingest
    except KfqaError:
        pass
    return info
