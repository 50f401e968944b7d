"""Retrieval and answering. Entry point: ``from qa import Assistant``."""

from kfqa.qa.assistant import Assistant

__all__ = ["Assistant"]
