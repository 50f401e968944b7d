"""The reviewer chat UI (Gradio). Entry points: ``launch`` (what `kfqa ui` runs) and ``build_app``."""

from kfqa.ui.app import build_app, launch

__all__ = ["build_app", "launch"]
