"""kfqa core: settings, shared types, text rules, embedding model and store access."""

import os

# Set when the package is first imported, before transformers / huggingface_hub / gradio read them:
# nothing may reach a model hub, and the model's "Loading weights" bar is noise on a CLI's stderr.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
