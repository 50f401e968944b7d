"""Ingest speed: cold ingest of the bundled corpus into a temp store, then a no-change re-ingest.

Each run is a separate `kfqa ingest` process, so the figures include start-up and model
loading; peak RSS is the child's ru_maxrss (os.wait4). Targets on the 2-core reference
machine: cold < 120 s, no-change < 5 s, RSS < 2 GB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kfqa.config import BUNDLED_CORPUS

KFQA = str(Path(sys.executable).parent / "kfqa")
TARGETS = {"cold_s": 120.0, "nochange_s": 5.0, "rss_mb": 2048.0}


def run_child(store: Path) -> dict:
    """One `kfqa ingest --json` child: (report, seconds, peak RSS MB)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("KFQA_CHROMA_HOST", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [KFQA, "ingest", str(BUNDLED_CORPUS), "--store", str(store), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"kfqa ingest failed with exit code {proc.returncode}")
    report = json.loads(out)
    return {
        "report": report,
        "seconds": seconds,
        "rss_mb": usage.ru_maxrss / 1024,
    }  # ru_maxrss is KiB on Linux


def main() -> None:
    store = Path(tempfile.mkdtemp(prefix="kfqa-bench-ingest-"))
    try:
        cold = run_child(store)
        warm = run_child(store)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    chunks = cold["report"]["chunks_total"]
    figures = {
        "cold_s": round(cold["seconds"], 1),
        "chunks": chunks,
        "files": cold["report"]["files_ok"],
        "chunks_per_s": round(chunks / cold["seconds"], 1),
        "rss_mb": round(cold["rss_mb"]),
        "nochange_s": round(warm["seconds"], 2),
        "nochange_rss_mb": round(warm["rss_mb"]),
        "nochange_embedded": warm["report"]["embedded"],
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print("bench_ingest")
    for key, value in figures.items():
        target = TARGETS.get(key)
        verdict = "" if target is None else f"  (target < {target:g}: {'ok' if value < target else 'MISSED'})"
        print(f"  {key:<18} {value}{verdict}")
    print(json.dumps({"bench": "ingest", **figures}))


if __name__ == "__main__":
    main()
