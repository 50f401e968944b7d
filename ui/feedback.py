"""Thumbs up/down feedback from the chat UI, appended to a JSONL file (one object per line)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kfqa.config import Settings

MAX_COMMENT_CHARS = 2000


def default_feedback_path(settings: Settings) -> Path:
    return Path(settings.store_dir) / "feedback.jsonl"


class FeedbackLog:
    """Appends feedback records; safe to call from Gradio's worker threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
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
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
        return record
