"""The public entry point: ``Assistant.open(settings).ask(question)`` -> ``Answer``.

The CLI (`kfqa ask`), the chat UI and `kfqa eval` all go through this class.
"""

from __future__ import annotations

from collections.abc import Iterator

from kfqa.config import Settings
from kfqa.types import Answer, Filters


class Assistant:
    """Retrieval + answering over one store. Open once; ``ask`` is cheap and thread-safe for reads."""

    def __init__(self, settings: Settings):
        self.settings = settings
        raise NotImplementedError("being written")

    @classmethod
    def open(cls, settings: Settings | None = None) -> Assistant:
        """Open the store in ``settings.store_dir`` (or the Chroma server); raises StoreError if unusable."""
        return cls(settings or Settings())

    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        llm: bool = False,
    ) -> Answer:
        """Answer ``question`` with cited sentences, or abstain. ``history``: earlier questions of the conversation."""
        raise NotImplementedError

    def ask_stream(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        llm: bool = False,
    ) -> Iterator[str | Answer]:
        """Yield answer text as it is produced (str pieces), then the final ``Answer``."""
        raise NotImplementedError
