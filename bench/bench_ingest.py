"""Ingest speed: time to first answer from an empty store (a cold `kfqa ingest` of the bundled
corpus, then one `kfqa ask`), vectors reused versus embedded, then a no-change re-ingest.

Each step is a separate process, so the figures include start-up and model loading; CPU is the
child's user + system time (the steadier figure on a shared machine), RSS its peak (wait4).
Targets on 2 cores: first answer < 60 s, no-change < 5 s, RSS < 2 GB.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from machine import describe
from processes import kfqa_argv, run_process

from kfqa.config import BUNDLED_CORPUS

TARGETS = {"first_answer_s": 60.0, "nochange_s": 5.0, "rss_mb": 2048.0}
QUESTION = "Who runs the Katib controllers?"


def child_env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFQA_CHROMA")}
    env["KFQA_STORE"] = str(store)
    return env


def main() -> None:
    store = Path(tempfile.mkdtemp(prefix="kfqa-bench-ingest-"))
    ingest = kfqa_argv("ingest", str(BUNDLED_CORPUS), "--json")
    try:
        cold = run_process(ingest, child_env(store))
        first = run_process(kfqa_argv("ask", QUESTION, "--json"), child_env(store))
        warm = run_process(ingest, child_env(store))
    finally:
        shutil.rmtree(store, ignore_errors=True)
    report, again = json.loads(cold.stdout), json.loads(warm.stdout)
    assert json.loads(first.stdout)["citations"], "the first answer cites nothing"
    embedded, reused = report["embedded"], report["reused"]
    figures = {
        "first_answer_s": round(cold.wall_s + first.wall_s, 1),
        "cold_ingest_s": round(cold.wall_s, 1),
        "cold_ingest_cpu_s": round(cold.cpu_s, 1),
        "first_ask_s": round(first.wall_s, 2),
        "chunks": report["chunks_total"],
        "files": report["files_ok"],
        "vectors_embedded": embedded,
        "vectors_reused": reused,
        "reused_share": round(reused / max(1, reused + embedded), 3),  # of the vectors the ingest needed
        "shipped_vectors": report["shipped"],
        "rss_mb": round(max(cold.rss_mb, first.rss_mb)),
        "nochange_s": round(warm.wall_s, 2),
        "nochange_embedded": again["embedded"],
    }
    print("bench_ingest")
    print(f"  {describe()}")
    for key, value in figures.items():
        target = TARGETS.get(key)
        verdict = "" if target is None else f"  (target < {target:g}: ratio {value / target:.2f}, {'ok' if value < target else 'MISSED'})"
        print(f"  {key:<18} {value}{verdict}")
    print(json.dumps({"bench": "ingest", **figures}))


if __name__ == "__main__":
    main()
