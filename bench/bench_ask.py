"""Answer speed: warm p50/p95 of Assistant.ask over the dev questions, and a cold `kfqa ask` process
with the ONNX query encoder (the default once `kfqa ingest` exported it) and with KFQA_QUERY_ENCODER=torch.

Targets on the 2-core reference machine: warm p50 < 100 ms, p95 < 250 ms; cold process < 4 s.
Brings the configured store (KFQA_STORE or the per-user one) up to date with the bundled corpus
first (incremental), or ingests the corpus into a temp dir when there is none.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

    expansion = expansion_effect(assistant)

    print("ask benchmark")
    print(f"  Assistant.open (model + indexes): {open_s:.2f} s")
    print(f"  warm answers: n={len(latencies)}  p50={percentile(latencies, 50):.1f} ms  "
          f"p95={percentile(latencies, 95):.1f} ms  mean={statistics.mean(latencies):.1f} ms"
          f"  (targets 100 / 250 ms: p50 ratio {percentile(latencies, 50) / 100:.2f}, p95 ratio {percentile(latencies, 95) / 250:.2f})")
    for encoder, runs in cold.items():
        print(f"  cold `kfqa ask` process, {encoder} query encoder: median={statistics.median(runs):.2f} s  "
              f"runs={', '.join(f'{c:.2f}' for c in runs)}  (target 4 s: ratio {statistics.median(runs) / 4:.2f})")
    print(f"  cold process, torch / onnx: ratio {statistics.median(cold['torch']) / statistics.median(cold['onnx']):.2f}")
    print("  query expansion (abbreviations, typos, names) on the dev set, kfqa answers:")
    for metric in ("recall@5", "mrr", "key_fact_recall"):
        on, off = expansion[True][metric], expansion[False][metric]
        print(f"    {metric:16s} with {on:.3f}  without {off:.3f}  ratio {on / off if off else float('inf'):.2f}")


def cold_ask(settings: Settings, question: str, encoder: str, runs: int = 3) -> list[float]:
    """Wall seconds of whole `kfqa ask` processes; ``encoder`` "torch" sets KFQA_QUERY_ENCODER=torch."""
    env = {k: v for k, v in os.environ.items() if k != "KFQA_QUERY_ENCODER"}
    env["KFQA_STORE"] = str(settings.store_dir)
    if encoder == "torch":
        env["KFQA_QUERY_ENCODER"] = "torch"
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kfqa.cli", "ask", question, "--json"], env=env, capture_output=True, check=True)
        out.append(time.perf_counter() - t)
    return out


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
