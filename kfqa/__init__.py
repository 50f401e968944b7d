"""kfqa core: settings, shared types, text rules, embedding model and store access."""

import os

# Set when the package is first imported, before transformers / huggingface_hub / gradio read them:
# nothing may reach a model hub, and the model's "Loading weights" bar is noise on a CLI's stderr.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# bfloat16 ingest (kfqa.embedding.bulk_precision) builds a oneDNN kernel per batch shape, each
# with its own copy of the weights; a small cache keeps peak memory flat at no cost in speed.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "8")
