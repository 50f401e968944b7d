"""Ingest overhead for many small files: 5,000 one-paragraph Markdown files into an empty store.

Prints the whole run, the time spent in the embedding model, and the rest (scan, load, chunk,
Chroma, manifest commits, chunks.jsonl, BM25): the overhead on top of embedding, target < 60 s.
A no-change re-ingest of the same folder is timed too.

python bench/bench_many_files.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from kfqa.config import Settings, apply_runtime_env

WORDS = "namespace controller token secret profile pipeline audit webhook volume service".split()


def make_folder(root: Path, n: int) -> Path:
    for i in range(n):
        folder = root / f"team-{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        words = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(12))
        (folder / f"note-{i:05d}.md").write_text(
            f"# Note {i}\n\nNote {i} says the {words} of item {i} are checked.\n", encoding="utf-8"
        )
    return root


def main(n: int) -> None:
    apply_runtime_env()
    os.environ["KFQA_SHIPPED_VECTORS"] = "none"  # every vector is embedded: the embedding time is all model
    import kfqa.ingest.vectors as vectors
    from kfqa.embedding import embed_bulk
    from kfqa.ingest import run_ingest

    embed_bulk(["warm up the model"])  # model load is not overhead of the run
    spent = {"embed": 0.0}
    embed_texts = vectors.embed_texts

    def timed(texts, on_batch=None):
        t0 = time.perf_counter()
        try:
            return embed_texts(texts, on_batch)
        finally:
            spent["embed"] += time.perf_counter() - t0

    vectors.embed_texts = timed
    with tempfile.TemporaryDirectory(prefix="kfqa-bench-many-") as tmp:
        folder = make_folder(Path(tmp) / "notes", n)
        settings = Settings(store_dir=Path(tmp) / "store", chroma_host=None, chroma_port=None)
        t0 = time.perf_counter()
        report = run_ingest([folder], settings)
        total = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = run_ingest([folder], settings)
        noop = time.perf_counter() - t1
    assert len(report.ingested) == n and not report.failed, report.failed[:3]
    assert again.ingested == [] and again.embedded == 0
    overhead = total - spent["embed"]
    print(f"files                     {n}")
    print(f"chunks embedded           {report.embedded}")
    print(f"ingest, whole run         {total:.1f} s")
    print(f"  embedding model         {spent['embed']:.1f} s")
    print(f"  overhead (all the rest) {overhead:.1f} s   target < 60 s  ({overhead / 60:.2f} of it)")
    print(f"no-change re-ingest       {noop:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
