"""``OnnxEmbedding``: the embedding model run by onnxruntime, for questions.

Same vectors as ``kfqa.embedding.get_embed_model()`` (word pieces from the model's own
``tokenizer.json``, cut at 256, mean-pooled over the attention mask, L2-normalised), but
importing onnxruntime + tokenizers takes ~0.15 s where torch + sentence-transformers take
~5 s. A module of its own because it subclasses llama-index's ``BaseEmbedding``, which
``kfqa.embedding`` must not import at load time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from kfqa.model_files import EMBED_BATCH, MAX_LENGTH, fast_tokenizer, model_path


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

    def __init__(self, onnx_path: str | Path, threads: int = 1, **kwargs: Any):
        super().__init__(model_name=model_path(), embed_batch_size=EMBED_BATCH, **kwargs)
        import onnxruntime as ort

        tokenizer = fast_tokenizer(MAX_LENGTH)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # one (kfqa's): the same question always gets the same vector
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

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
