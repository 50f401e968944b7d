"""``OnnxEmbedding``: the embedding model run by onnxruntime, for questions.

Same vectors as ``kfqa.embedding.get_embed_model()`` (word pieces from the model's own
``tokenizer.json``, cut at 256, mean-pooled over the attention mask, L2-normalised), but
importing onnxruntime + tokenizers takes ~0.15 s where torch + sentence-transformers take
~5 s. A module of its own because it subclasses llama-index's ``BaseEmbedding``, which
``kfqa.embedding`` must not import at load time.

The first session over an export optimises its graph and saves the result beside it
(``optimised_path``), its weights in a file of their own; every later session loads that with
no optimisation pass and its weights memory-mapped: 0.05 s instead of 0.17 s of every cold
``kfqa ask``, with the same vectors.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from kfqa.model_files import EMBED_BATCH, MAX_LENGTH, fast_tokenizer, model_path

log = logging.getLogger("kfqa.embedding")
_PROVIDERS = ["CPUExecutionProvider"]
_WEIGHTS = "weights.bin"  # the saved graph's weights, beside it (onnxruntime memory-maps them)


class BatchEmbedding(BaseEmbedding):
    """A llama-index embedding defined by one batch method, ``embed(texts)``: every single-text and
    async entry point of ``BaseEmbedding`` goes through it."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)


class OnnxEmbedding(BatchEmbedding):
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, onnx_path: str | Path, threads: int = 1, save_optimised: bool = True, **kwargs: Any):
        """``threads``: one (kfqa's) gives the same question the same vector every time, and a question
        takes 5 ms on it. ``save_optimised``: save the optimised graph beside ``onnx_path`` (and load
        it from there later); off, the graph is optimised in memory (an export being verified)."""
        super().__init__(model_name=model_path(), embed_batch_size=EMBED_BATCH, **kwargs)
        self._tokenizer = fast_tokenizer(MAX_LENGTH)
        self._session = open_session(Path(onnx_path), threads, save_optimised)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.tolist()


def optimised_path(onnx_path: Path) -> Path:
    """Where the optimised graph of the export ``onnx_path`` is saved: in a folder beside it named for
    the onnxruntime version (the graph holds that runtime's fused operators) and the export's size
    and time (a new export never meets an old graph)."""
    import onnxruntime as ort

    stat = onnx_path.stat()
    return onnx_path.parent / f"optimised-ort{ort.__version__}-{stat.st_size}-{stat.st_mtime_ns}" / "model.onnx"


def open_session(onnx_path: Path, threads: int = 1, save_optimised: bool = True):
    """An onnxruntime session over the export ``onnx_path``: from its saved optimised graph when there
    is one, else optimised now (and saved, if ``save_optimised``)."""
    import onnxruntime as ort

    level = ort.GraphOptimizationLevel
    saved = optimised_path(onnx_path)
    if saved.is_file():
        try:  # optimised already: no pass at all
            return ort.InferenceSession(str(saved), _options(threads, level.ORT_DISABLE_ALL), providers=_PROVIDERS)
        except Exception as exc:  # noqa: BLE001 - damaged (a weights file gone): optimise afresh
            log.warning("Can't load the optimised query encoder %s (%s): optimising the export again", saved, exc)
            shutil.rmtree(saved.parent, ignore_errors=True)
    # EXTENDED: fusions and constant folding, nothing tied to this CPU (ALL adds layout changes for
    # convolutions, which this model has none of; its vectors are the same).
    options = _options(threads, level.ORT_ENABLE_EXTENDED)
    if not save_optimised:
        return ort.InferenceSession(str(onnx_path), options, providers=_PROVIDERS)
    staging = saved.parent.with_name(f".{saved.parent.name}-{os.getpid()}.tmp")
    try:
        staging.mkdir(parents=True, exist_ok=True)
        options.optimized_model_filepath = str(staging / saved.name)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", _WEIGHTS)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        session = ort.InferenceSession(str(onnx_path), options, providers=_PROVIDERS)
        try:
            os.rename(staging, saved.parent)  # both files appear at once, complete
        except OSError:  # another process saved it first
            pass
        return session
    except Exception as exc:  # noqa: BLE001 - a read-only cache, a full disk: optimise in memory each time
        log.debug("Can't save the optimised query encoder beside %s (%s)", onnx_path, exc)
        return ort.InferenceSession(str(onnx_path), _options(threads, level.ORT_ENABLE_EXTENDED), providers=_PROVIDERS)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _options(threads: int, level):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = level
    return options
