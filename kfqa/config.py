"""Settings shared by ingest, qa, eval and ui.

Every value has a default, can be set from the environment (``KFQA_*``) and is
overridden by CLI options. Secrets (the LLM API key) come from the environment
only and are never included in ``repr`` or logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO_ROOT / "corpus"
DEV_QUESTIONS = REPO_ROOT / "eval" / "questions" / "dev.jsonl"

COLLECTION = "kfqa_chunks"
# all-MiniLM-L6-v2 reads at most 256 word pieces; [CLS] and [SEP] take two of them.
EMBED_MAX_TOKENS = 254
MAX_QUESTION_CHARS = 2000
# The project kfqa is about: preferred unless a question names another one.
HOME_PROJECT = "kubeflow"
KINDS = ("assessment", "review", "docs", "audit", "guide")


_RUNTIME_ENV = {
    # nothing may reach a model hub, and the model's "Loading weights" bar is noise on a CLI's stderr
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    # bfloat16 ingest builds a oneDNN kernel per batch shape, each with its own copy of the
    # weights; a small cache keeps peak memory flat at no cost in speed.
    "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "8",
}


def apply_runtime_env() -> None:
    """Offline and quiet settings for the model libraries; the entry points (CLI, ``Assistant.open``,
    the UI, the embedding loader) call it before transformers, huggingface_hub or gradio load.
    Values the user set win."""
    for name, value in _RUNTIME_ENV.items():
        os.environ.setdefault(name, value)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return number


def default_store_dir() -> Path:
    return Path(os.environ.get("KFQA_STORE") or Path(user_data_dir("kfqa")) / "store")


def cache_root() -> Path:
    """Where derived, rebuildable files live (eval baselines, the ONNX query encoder): ``$KFQA_CACHE``."""
    return Path(os.environ.get("KFQA_CACHE") or user_cache_dir("kfqa"))


@dataclass(frozen=True)
class Settings:
    store_dir: Path = field(default_factory=default_store_dir)
    corpus_dir: Path = field(default_factory=lambda: Path(os.environ.get("KFQA_CORPUS") or BUNDLED_CORPUS))
    chroma_host: str | None = field(default_factory=lambda: os.environ.get("KFQA_CHROMA_HOST") or None)
    chroma_port: int | None = field(default_factory=lambda: _env_int("KFQA_CHROMA_PORT"))
    llm_base_url: str | None = field(default_factory=lambda: os.environ.get("KFQA_LLM_BASE_URL") or None)
    llm_model: str | None = field(default_factory=lambda: os.environ.get("KFQA_LLM_MODEL") or None)
    llm_api_key: str | None = field(
        default_factory=lambda: os.environ.get("KFQA_LLM_API_KEY") or None, repr=False
    )
    # A CPU-only local model prefills the prompt at ~15 tokens/s before its first token, then writes
    # a token every fraction of a second: one wait for the first token, another between tokens.
    llm_first_token_timeout_s: float = field(
        default_factory=lambda: _env_float("KFQA_LLM_FIRST_TOKEN_TIMEOUT", _env_float("KFQA_LLM_TIMEOUT", 180.0))
    )
    llm_idle_timeout_s: float = field(default_factory=lambda: _env_float("KFQA_LLM_IDLE_TIMEOUT", 30.0))
    # Source text per prompt, best-ranked passages first: ~8k prompt characters in all, which such a
    # model prefills in about 140 s (docs/llm.md); raise it for a GPU or hosted endpoint.
    llm_max_source_chars: int = field(default_factory=lambda: _env_int("KFQA_LLM_MAX_SOURCE_CHARS") or 6000)

    def with_overrides(self, **values) -> Settings:
        """A copy with the given non-None values replaced (CLI options win over env)."""
        given = {k: v for k, v in values.items() if v is not None}
        if "store_dir" in given:
            given["store_dir"] = Path(given["store_dir"])
        if "corpus_dir" in given:
            given["corpus_dir"] = Path(given["corpus_dir"])
        return replace(self, **given)

    @property
    def uses_server(self) -> bool:
        return bool(self.chroma_host)
