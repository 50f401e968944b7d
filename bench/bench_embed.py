"""Bulk embedding against the hardware's limit: achieved GFLOP/s of each path over real chunks,
as a ratio to the same model's raw throughput (full 64 x 256-token batches, no padding) measured
in this process.

Paths: torch fp32, torch under bfloat16 autocast (where the CPU multiplies bf16 natively), and
onnxruntime fp32 on the verified ONNX export. Also: the padding each batching order wastes
(unsorted, sorted by characters, ``bulk_order``'s word-piece batches as ingest uses) and the
min cosine of each path's vectors to torch fp32's.

python bench/bench_embed.py [N]     # N sampled chunks (default 384)
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

import numpy as np
from machine import describe

from kfqa.config import BUNDLED_CORPUS, Settings, apply_runtime_env
from kfqa.embedding import bulk_order, token_lengths
from kfqa.model_files import EMBED_BATCH, MAX_LENGTH

RAW_BATCH = 64


def sample_texts(n: int) -> list[str]:
    """``n`` chunk texts of the bundled corpus: from the configured store's chunks.jsonl if there is
    one, else the corpus's Markdown paragraphs (so the bench runs before any ingest)."""
    path = Settings().store_dir / "chunks.jsonl"
    if path.is_file():
        texts = [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    else:
        texts = [p for f in sorted(BUNDLED_CORPUS.rglob("*.md")) for p in f.read_text("utf-8").split("\n\n") if len(p) > 80]
    random.Random(7).shuffle(texts)
    return texts[:n]


def forward_flops(seq: int, cfg) -> float:
    """FLOPs of one encoder pass over one sequence of ``seq`` word pieces (matmuls only)."""
    h, ffn, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    return 2.0 * layers * (seq * (4 * h * h + 2 * h * ffn) + 2 * seq * seq * h)


def batches(texts: list[str], order: str) -> list[list[int]]:
    """Batches of ``EMBED_BATCH`` in one of three orders: as given ("none"), sorted by characters
    (what ingest did before), or ``kfqa.embedding.bulk_order`` ("pieces", what ingest does)."""
    if order == "pieces":
        idx = bulk_order(texts)
    else:
        idx = sorted(range(len(texts)), key=lambda i: len(texts[i])) if order == "chars" else list(range(len(texts)))
    return [idx[b : b + EMBED_BATCH] for b in range(0, len(idx), EMBED_BATCH)]


def padding_waste(texts: list[str], order: str) -> float:
    """Share of the word pieces fed to the model that are padding, for this batching order."""
    lengths = token_lengths(texts)
    fed = sum(len(b) * max(lengths[i] for i in b) for b in batches(texts, order))
    return 1 - sum(lengths) / fed


def useful_gflop(texts: list[str], cfg) -> float:
    return sum(forward_flops(n, cfg) for n in token_lengths(texts)) / 1e9


class Clock:
    """Wall and CPU seconds (all threads of this process) of a block: under other load, work per
    CPU second is the steadier figure."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def raw_torch(model, bf16: bool, repeats: int = 3) -> Clock:
    """The bare transformer on full batches (the ceiling for this model and CPU), per batch."""
    import contextlib

    import torch

    ids = torch.randint(1000, 20000, (RAW_BATCH, MAX_LENGTH))
    mask = torch.ones_like(ids)
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    with torch.inference_mode(), ctx:
        model(input_ids=ids, attention_mask=mask)  # warm-up: oneDNN builds its kernels
        with Clock() as clock:
            for _ in range(repeats):
                model(input_ids=ids, attention_mask=mask)
    clock.wall, clock.cpu = clock.wall / repeats, clock.cpu / repeats
    return clock


def onnx_model(threads: int):
    """kfqa's ONNX encoder (``kfqa.onnx_embedding``) over the verified export, on ``threads`` threads."""
    from kfqa.embedding import export_query_encoder
    from kfqa.onnx_embedding import OnnxEmbedding

    path = export_query_encoder()
    return None if path is None else OnnxEmbedding(path, threads=threads)


def raw_onnx(session, repeats: int = 3) -> Clock:
    ids = np.random.default_rng(0).integers(1000, 20000, (RAW_BATCH, MAX_LENGTH), dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    session.run(None, feed)
    with Clock() as clock:
        for _ in range(repeats):
            session.run(None, feed)
    clock.wall, clock.cpu = clock.wall / repeats, clock.cpu / repeats
    return clock


def run_path(embed, texts: list[str], order: str) -> tuple[Clock, np.ndarray]:
    """Time to embed ``texts`` batch by batch in ``order``, and the vectors in input order."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    embed(texts[:EMBED_BATCH])  # warm-up
    with Clock() as clock:
        for batch in batches(texts, order):
            out[batch] = np.array(embed([texts[i] for i in batch]))
    return clock, out


def torch_embedder(precision: str):
    from kfqa.embedding import embed_bulk

    def embed(texts: list[str]):
        os.environ["KFQA_EMBED_PRECISION"] = precision
        return embed_bulk(texts)

    return embed


def rate(gflop: float, clock: Clock) -> str:
    return f"{gflop / clock.wall:6.1f} GFLOP/s wall, {gflop / clock.cpu:6.1f} per CPU-second"


def main(n: int) -> None:
    apply_runtime_env()
    import torch

    from kfqa.embedding import _native_bf16, bulk_precision, get_embed_model

    texts = sample_texts(n)
    transformer = get_embed_model()._model[0].auto_model.eval()
    cfg = transformer.config
    gflop = useful_gflop(texts, cfg)
    raw_gflop = RAW_BATCH * forward_flops(MAX_LENGTH, cfg) / 1e9
    print("embedding benchmark")
    print(f"  {describe()}")
    print(f"  {len(texts)} chunks, {gflop:.0f} GFLOP of useful work (no padding); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; ingest uses {bulk_precision()}")
    for order in ("none", "chars", "pieces"):
        print(f"  padding fed to the model, batches of {EMBED_BATCH} in order {order:6s}: {padding_waste(texts, order):.1%}")

    onnx = onnx_model(threads=torch.get_num_threads())
    raws = {"torch fp32": raw_torch(transformer, bf16=False)}
    paths = {"torch fp32": torch_embedder("fp32")}
    if _native_bf16():
        raws["torch bf16"] = raw_torch(transformer, bf16=True)
        paths["torch bf16"] = torch_embedder("auto")
    if onnx is not None:
        raws["onnxruntime fp32"] = raw_onnx(onnx._session)
        paths["onnxruntime fp32"] = onnx.embed
    print(f"  raw model throughput, batches of {RAW_BATCH} x {MAX_LENGTH} word pieces:")
    for name, clock in raws.items():
        print(f"    {name:17s} {rate(raw_gflop, clock)}")

    best_raw = max(raw_gflop / c.cpu for c in raws.values())
    reference, measured = None, {}
    print("  bulk embedding of the sample (batches in bulk_order, as ingest does):")
    for name, embed in paths.items():
        clock, vectors = run_path(embed, texts, "pieces")
        reference = vectors if reference is None else reference
        measured[name] = clock
        print(f"    {name:17s} {len(texts) / clock.wall:5.1f} chunks/s  {rate(gflop, clock)}; "
              f"ratio to its raw {gflop / clock.cpu / (raw_gflop / raws[name].cpu):.2f}, to the best raw "
              f"{gflop / clock.cpu / best_raw:.2f}; min cosine to torch fp32 {float((vectors * reference).sum(1).min()):.6f}")
    fastest = min(measured, key=lambda k: measured[k].cpu)
    print(f"  fastest path here: {fastest}")
    for order in ("none", "chars"):
        clock, _ = run_path(paths[fastest], texts, order)
        print(f"    {fastest}, batches in order {order:6s}: {len(texts) / clock.wall:5.1f} chunks/s, "
              f"CPU time {clock.cpu / measured[fastest].cpu:.2f} x bulk_order's")
    os.environ.pop("KFQA_EMBED_PRECISION", None)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 384)
