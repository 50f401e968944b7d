"""Run every ``bench/bench_*.py`` (each in its own process) and print its figures.

python bench/run.py            # all benchmarks
python bench/run.py ingest     # only bench_ingest.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    modules = sorted(HERE.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if m.stem.removeprefix("bench_") in argv or m.stem in argv]
    failed = []
    for module in modules:
        print(f"== {module.stem}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, str(module)], cwd=HERE.parent)
        print(f"== {module.stem}: exit {code}, {time.perf_counter() - t0:.1f} s\n", flush=True)
        if code:
            failed.append(module.stem)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
