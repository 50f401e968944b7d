"""Thumbs up/down feedback from the chat UI, appended to a JSONL file (one object per line).

The file is capped (``MAX_FEEDBACK_BYTES``): once a record would take it past the cap, ``append``
raises ``FeedbackFull`` and writes nothing, so a flood of ratings cannot fill the disk. Whoever
runs the UI moves the file aside to collect more.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kfqa.config import Settings
from kfqa.types import KfqaError

MAX_COMMENT_CHARS = 2000
MAX_FEEDBACK_BYTES = 5_000_000


class FeedbackFull(KfqaError):
    """The feedback file reached its size cap; nothing was written."""


def default_feedback_path(settings: Settings) -> Path:
    return Path(settings.store_dir) / "feedback.jsonl"


class FeedbackLog:
    """Appends feedback records; safe to call from Gradio's worker threads."""

    def __init__(self, path: Path, max_bytes: int = MAX_FEEDBACK_BYTES):
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def append(
        self,
        rating: str,
        question: str,
        answer: dict[str, Any],
        comment: str = "",
        session: str = "",
    ) -> dict[str, Any]:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        record = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating": rating,
            "question": question,
            "answer": answer.get("answer", ""),
            "abstained": answer.get("abstained", False),
            "citations": answer.get("citations", []),
            "notices": answer.get("notices", []),
            "backend": answer.get("backend", ""),
            "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
            "session": session,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size + len(line) > self.max_bytes:
                raise FeedbackFull(
                    f"The feedback file {self.path} has reached its {self.max_bytes:,}-byte cap; "
                    "this rating was not saved. Move the file aside to collect more."
                )
            with self.path.open("ab") as fh:
                fh.write(line)
                fh.flush()
        return record
