"""A small deterministic stand-in for the embedding model, for unit tests where the real model adds
nothing: word pieces hashed into 384 signed dimensions (feature hashing), counts damped by log,
L2-normalised. Texts that share word pieces get close vectors, so dense retrieval over a handful
of chunks still finds the passage that shares the question's words; nothing is loaded from disk
but the tokenizer file, and no torch.

    with stand_in_embedding() as embedder:      # any scope; the `stand_in_embedder` fixture wraps it
        run_ingest([folder], settings)            # embeds with the stand-in
        Assistant.open(settings).ask("...")       # so do questions

A store built this way holds stand-in vectors: keep it in a temp dir, never the shared stores.
"""

from __future__ import annotations

import math
import os
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import PrivateAttr

from kfqa.model_files import EMBED_BATCH, MAX_LENGTH, fast_tokenizer
from kfqa.onnx_embedding import BatchEmbedding

DIMENSIONS = 384  # the real model's, so a Chroma collection takes either

# What kfqa.embedding offers the rest of kfqa; the stand-in (and the unit layer's guard) replace them.
EMBEDDING_ENTRY_POINTS = ("get_embed_model", "get_query_embed_model", "embed_bulk", "export_query_encoder")


class HashingEmbedding(BatchEmbedding):
    _tokenizer: Any = PrivateAttr()

    def __init__(self, **kwargs: Any):
        super().__init__(model_name="stand-in/hashed-word-pieces", embed_batch_size=EMBED_BATCH, **kwargs)
        self._tokenizer = fast_tokenizer(MAX_LENGTH)
        self._tokenizer.no_padding()

    @classmethod
    def class_name(cls) -> str:
        return "HashingEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(e.tokens) for e in self._tokenizer.encode_batch(texts)] if texts else []

    @staticmethod
    def _vector(pieces: list[str]) -> list[float]:
        vector = [0.0] * DIMENSIONS
        for piece, count in Counter(p for p in pieces if p not in ("[CLS]", "[SEP]")).items():
            digest = zlib.crc32(piece.encode("utf-8"))  # stable across processes, unlike hash()
            vector[digest % DIMENSIONS] += (1.0 if digest & 1 << 31 else -1.0) * (1.0 + math.log(count))
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]


@contextmanager
def replaced_embedding(replacements: dict[str, Callable]) -> Iterator[None]:
    """``kfqa.embedding``'s entry points replaced wherever kfqa bound them (``from kfqa.embedding
    import ...`` copies the function into the importing module), and restored afterwards, also in
    modules first imported while the replacements were in place."""
    import kfqa.embedding as embedding

    originals = {name: getattr(embedding, name) for name in replacements}

    def swap(old_of: Callable[[str], Callable], new_of: Callable[[str], Callable]) -> None:
        for module in [m for name, m in sys.modules.items() if name == "kfqa" or name.startswith("kfqa.")]:
            for name in replacements:
                if getattr(module, name, None) is old_of(name):
                    setattr(module, name, new_of(name))

    swap(originals.__getitem__, replacements.__getitem__)
    try:
        yield
    finally:
        swap(replacements.__getitem__, originals.__getitem__)


@contextmanager
def stand_in_embedding() -> Iterator[HashingEmbedding]:
    """Ingest and questions embed with a ``HashingEmbedding`` inside the block; no ONNX export is
    made, and the shipped vectors of the bundled corpus (the real model's) are not mixed in."""
    model = HashingEmbedding()
    replacements = {
        "get_embed_model": lambda: model,
        "get_query_embed_model": lambda: model,
        "embed_bulk": model.embed,
        "export_query_encoder": lambda: None,
    }
    shipped = os.environ.get("KFQA_SHIPPED_VECTORS")
    os.environ["KFQA_SHIPPED_VECTORS"] = "none"
    try:
        with replaced_embedding(replacements):
            yield model
    finally:
        if shipped is None:
            os.environ.pop("KFQA_SHIPPED_VECTORS", None)
        else:
            os.environ["KFQA_SHIPPED_VECTORS"] = shipped
