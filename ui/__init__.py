"""The reviewer chat UI (Gradio). Entry points: ``launch`` (what `kfqa ui` runs) and ``build_app``."""

import kfqa  # noqa: F401  - sets the offline / quiet env before gradio loads huggingface_hub
from ui.app import build_app, launch

__all__ = ["build_app", "launch"]
