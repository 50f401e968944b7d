"""Answer speed: warm p50/p95 of Assistant.ask over the dev questions, and a cold `kfqa ask` process
with the ONNX query encoder (the default once `kfqa ingest` exported it) and with KFQA_QUERY_ENCODER=torch,
wall and CPU seconds (CPU is the steadier figure on a shared machine), with its import breakdown.

Targets on 2 cores: warm p50 < 100 ms, p95 < 250 ms; cold process < 3 s.
Brings the configured store (KFQA_STORE or the per-user one) up to date with the bundled corpus
first (incremental), or ingests the corpus into a temp dir when there is none.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import describe
from processes import ProcessRun, import_breakdown, kfqa_argv, run_process

from kfqa.config import DEV_QUESTIONS, Settings
from kfqa.store import Store


def ready_store() -> Settings:
    """The configured store brought up to date (incremental: a no-op when it is), else a fresh one."""
    from kfqa.ingest import run_ingest

    settings = Settings()
    if not Store(settings).exists():
        settings = settings.with_overrides(store_dir=Path(tempfile.mkdtemp(prefix="kfqa-bench-")))
    run_ingest([settings.corpus_dir], settings, console=None)
    return settings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    from kfqa.qa import Assistant

    settings = ready_store()
    questions = [json.loads(line)["question"] for line in DEV_QUESTIONS.read_text().splitlines() if line.strip()]

    started = time.perf_counter()
    assistant = Assistant.open(settings)
    open_s = time.perf_counter() - started
    assistant.ask(questions[0])  # warm-up: first query pays for lazy initialisation

    latencies = []
    for _ in range(2):
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q)
            latencies.append((time.perf_counter() - t) * 1000)

    from kfqa.embedding import export_query_encoder

    export_query_encoder()  # normally written by `kfqa ingest`; a no-op when it exists
    cold = {encoder: cold_ask(settings, questions[0], encoder) for encoder in ("onnx", "torch")}
    imports = cold_ask_imports(settings, questions[0])

    expansion = expansion_effect(assistant)

    print("ask benchmark")
    print(f"  {describe()}")
    print(f"  Assistant.open (model + indexes): {open_s:.2f} s")
    print(f"  warm answers: n={len(latencies)}  p50={percentile(latencies, 50):.1f} ms  "
          f"p95={percentile(latencies, 95):.1f} ms  mean={statistics.mean(latencies):.1f} ms"
          f"  (targets 100 / 250 ms: p50 ratio {percentile(latencies, 50) / 100:.2f}, p95 ratio {percentile(latencies, 95) / 250:.2f})")
    print_cold(cold, imports)
    print("  query expansion (abbreviations, typos, names) on the dev set, kfqa answers:")
    for metric in ("recall@5", "mrr", "key_fact_recall"):
        on, off = expansion[True][metric], expansion[False][metric]
        print(f"    {metric:16s} with {on:.3f}  without {off:.3f}  ratio {on / off if off else float('inf'):.2f}")


def cold_ask(settings: Settings, question: str, encoder: str, runs: int = 3) -> list[ProcessRun]:
    """Whole `kfqa ask` processes; ``encoder`` "torch" sets KFQA_QUERY_ENCODER=torch."""
    env = {k: v for k, v in os.environ.items() if k != "KFQA_QUERY_ENCODER"}
    env["KFQA_STORE"] = str(settings.store_dir)
    if encoder == "torch":
        env["KFQA_QUERY_ENCODER"] = "torch"
    return [run_process(kfqa_argv("ask", question, "--json"), env) for _ in range(runs)]


def cold_ask_imports(settings: Settings, question: str) -> tuple[float, list[tuple[str, float]]]:
    env = dict(os.environ, KFQA_STORE=str(settings.store_dir))
    env.pop("KFQA_QUERY_ENCODER", None)
    run = run_process([sys.executable, "-X", "importtime", *kfqa_argv("ask", question, "--json")[1:]], env)
    return import_breakdown(run.stderr.decode(errors="replace"))


def print_cold(cold: dict[str, list[ProcessRun]], imports: tuple[float, list[tuple[str, float]]]) -> None:
    for encoder, runs in cold.items():
        wall = statistics.median(r.wall_s for r in runs)
        cpu = statistics.median(r.cpu_s for r in runs)
        print(f"  cold `kfqa ask` process, {encoder} query encoder: wall median {wall:.2f} s "
              f"(runs {', '.join(f'{r.wall_s:.2f}' for r in runs)}), CPU {cpu:.2f} s, peak RSS "
              f"{max(r.rss_mb for r in runs):.0f} MB  (target 3 s: wall ratio {wall / 3:.2f}, CPU ratio {cpu / 3:.2f})")
    onnx, torch = (statistics.median(r.wall_s for r in cold[e]) for e in ("onnx", "torch"))
    print(f"  cold process, torch / onnx: ratio {torch / onnx:.2f}")
    total, packages = imports
    print(f"  its imports (python -X importtime, onnx encoder): {total:.2f} s in all; by package: "
          + ", ".join(f"{name} {seconds:.2f}" for name, seconds in packages))


def expansion_effect(assistant) -> dict[bool, dict]:
    """Dev-set metrics with and without query expansion, scored by the eval's own code."""
    from kfqa.eval.metrics import aggregate, score_question
    from kfqa.eval.questions import load_questions
    from kfqa.eval.systems import KfqaSystem

    questions = load_questions(DEV_QUESTIONS).questions
    system = KfqaSystem(assistant)
    out = {}
    for expand in (True, False):
        assistant.expand_queries = expand
        out[expand] = aggregate([score_question(q, system.run(q.question, 10), 10) for q in questions])
    assistant.expand_queries = True
    return out


if __name__ == "__main__":
    main()
