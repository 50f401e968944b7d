"""Timing whole `kfqa` processes: wall and CPU seconds, peak RSS, and where start-up imports go
(``python -X importtime``, summed by top-level package)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


@dataclass
class ProcessRun:
    wall_s: float
    cpu_s: float  # user + system of the child
    rss_mb: float
    stdout: bytes
    stderr: bytes


def run_process(argv: list[str], env: dict[str, str] | None = None) -> ProcessRun:
    """Run ``argv`` to completion (its own rusage via wait4); SystemExit naming the command if it fails."""
    with tempfile.TemporaryFile() as err_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file, env=env)
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:5])} ... failed ({proc.returncode}): {err.decode(errors='replace')[-500:]}")
    return ProcessRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out, err)


def kfqa_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "kfqa.cli", *args]


def import_breakdown(stderr: str, top: int = 8) -> tuple[float, list[tuple[str, float]]]:
    """Total import seconds and the ``top`` packages by their own import time (self time of every
    module of the package, wherever it was imported from), from ``-X importtime`` output."""
    by_package: Counter[str] = Counter()
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            by_package[match[4].split(".")[0]] += int(match[1]) / 1e6
    return sum(by_package.values()), by_package.most_common(top)
