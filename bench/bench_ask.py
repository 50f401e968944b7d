"""Answer speed: warm p50/p95 of Assistant.ask over the dev questions, and a cold `kfqa ask` process
with the ONNX query encoder (the default once `kfqa ingest` exported it) and with KFQA_QUERY_ENCODER=torch,
wall and CPU seconds (CPU is the steadier figure on a shared machine), with its import breakdown and
where its open goes after the imports (measured in a process of its own, as cold as `kfqa ask`).

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
    cold = {"onnx": cold_ask(settings, questions[0], "onnx", runs=5), "torch": cold_ask(settings, questions[0], "torch")}
    imports = cold_ask_imports(settings, questions[0])
    opening = cold_open_breakdown(settings, questions[0])

    expansion = expansion_effect(assistant)

    print("ask benchmark")
    print(f"  {describe()}")
    print(f"  Assistant.open (model + indexes): {open_s:.2f} s")
    print(f"  warm answers: n={len(latencies)}  p50={percentile(latencies, 50):.1f} ms  "
          f"p95={percentile(latencies, 95):.1f} ms  mean={statistics.mean(latencies):.1f} ms"
          f"  (targets 100 / 250 ms: p50 ratio {percentile(latencies, 50) / 100:.2f}, p95 ratio {percentile(latencies, 95) / 250:.2f})")
    print_cold(cold, imports)
    print("  its open after the imports (one cold process, onnx encoder): "
          + ", ".join(f"{label} {seconds:.2f}" for label, seconds in opening.items()) + " s")
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


# Run in a fresh process: times the pieces of Assistant.open (wrapping kfqa's own functions, nothing
# of a library's) after importing what every ask imports anyway (llama-index, chromadb, onnxruntime),
# with the garbage collector paused as `kfqa ask` pauses it.
OPEN_PROBE = r"""
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from kfqa.cli import collection_paused
paused = collection_paused()
paused.__enter__()
import chromadb, onnxruntime  # imported by the store and the encoder when first used: fixed costs
from kfqa.config import Settings
from kfqa.qa import Assistant, assistant, retrieval
from kfqa.store import Store
spent = {"imports": time.perf_counter() - started}

def timed(owner, name, label):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - t
    setattr(owner, name, wrapper)

timed(Store, "check_vectors", "Chroma client + count")
timed(Store, "load_chunks", "chunks.jsonl")
timed(retrieval, "get_query_embed_model", "query encoder")
timed(assistant, "HybridRetriever", "retriever")
t = time.perf_counter()
opened = Assistant.open(Settings(store_dir=Path(sys.argv[1])))
spent["Assistant.open"] = time.perf_counter() - t
t = time.perf_counter()
opened.ask(sys.argv[2])
spent["first answer"] = time.perf_counter() - t
print(json.dumps(spent))
"""


def cold_open_breakdown(settings: Settings, question: str) -> dict[str, float]:
    """Seconds of each piece of a cold open; "retriever" is what's left of HybridRetriever.__init__
    besides chunks.jsonl and the query encoder (BM25 index, Chroma index, term statistics, windows);
    "start + exit" the process's wall besides its imports, open and answer (interpreter start-up and
    shutdown)."""
    env = {k: v for k, v in os.environ.items() if k != "KFQA_QUERY_ENCODER"}
    run = run_process([sys.executable, "-c", OPEN_PROBE, str(settings.store_dir), question], env)
    spent = json.loads(run.stdout.decode().strip().splitlines()[-1])
    spent["retriever"] -= spent["chunks.jsonl"] + spent["query encoder"]
    spent["start + exit"] = run.wall_s - spent["imports"] - spent["Assistant.open"] - spent["first answer"]
    return spent


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
