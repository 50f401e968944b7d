"""Answer speed: warm p50/p95 of Assistant.ask over the dev questions, and a cold `kfqa ask` process.

Targets on the 2-core reference machine: warm p50 < 100 ms, p95 < 250 ms; cold process < 4 s.
Uses the store in KFQA_STORE if it holds the bundled corpus, else ingests it into a temp dir.
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
    settings = Settings()
    if Store(settings).exists():
        return settings
    from ingest import run_ingest

    settings = settings.with_overrides(store_dir=Path(tempfile.mkdtemp(prefix="kfqa-bench-")))
    run_ingest([settings.corpus_dir], settings, console=None)
    return settings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    from qa import Assistant

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

    env = dict(os.environ, KFQA_STORE=str(settings.store_dir))
    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kfqa.cli", "ask", questions[0], "--json"], env=env,
                       capture_output=True, check=True)
        cold.append(time.perf_counter() - t)

    expansion = expansion_effect(assistant)

    print("ask benchmark")
    print(f"  Assistant.open (model + indexes): {open_s:.2f} s")
    print(f"  warm answers: n={len(latencies)}  p50={percentile(latencies, 50):.1f} ms  "
          f"p95={percentile(latencies, 95):.1f} ms  mean={statistics.mean(latencies):.1f} ms"
          f"  (targets 100 / 250 ms: p50 ratio {percentile(latencies, 50) / 100:.2f}, p95 ratio {percentile(latencies, 95) / 250:.2f})")
    print(f"  cold `kfqa ask` process: median={statistics.median(cold):.2f} s  runs={', '.join(f'{c:.2f}' for c in cold)}"
          f"  (target 4 s: ratio {statistics.median(cold) / 4:.2f})")
    print("  query expansion (abbreviations, typos, names) on the dev set, kfqa answers:")
    for metric in ("recall@5", "mrr", "key_fact_recall"):
        on, off = expansion[True][metric], expansion[False][metric]
        print(f"    {metric:16s} with {on:.3f}  without {off:.3f}  ratio {on / off if off else float('inf'):.2f}")


def expansion_effect(assistant) -> dict[bool, dict]:
    """Dev-set metrics with and without query expansion, scored by the eval's own code."""
    from eval.metrics import aggregate, score_question
    from eval.questions import load_questions
    from eval.systems import KfqaSystem

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
