"""What the two report tabs share: the store's files to choose from, running a report on the
shared assistant with errors shown in the tab, and export files to download."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kfqa.types import KfqaError
from kfqa.ui.render import md_text

log = logging.getLogger(__name__)
EXPORT_DIR = Path(tempfile.gettempdir()) / "kfqa-reports"


def sources_of(get_assistant: Callable[[], Any], prefix: str, suffix: str) -> list[str]:
    """Corpus paths in the store under ``prefix`` ending in ``suffix`` (the choices of a tab)."""
    try:
        chunks = get_assistant().retriever.chunks.values()
    except (KfqaError, AttributeError):  # no store yet, or an assistant without a store (tests' fakes)
        return []
    return sorted({c.meta.source for c in chunks if c.meta.source.startswith(prefix) and c.meta.source.endswith(suffix)})


def run_report(build: Callable[[], Any]) -> tuple[Any, str]:
    """(report, "") or (None, a message for the tab): a bad path or an unusable store is said, not raised."""
    try:
        return build(), ""
    except KfqaError as exc:
        return None, f"**Can't build the report:** {md_text(str(exc))}"
    except Exception:  # a report failing must not take the UI down
        log.exception("report failed")
        return None, "**Something went wrong while building the report; see the server log.**"


def export_file(name: str, text: str) -> str:
    """Write an export beside the others and return its path (Gradio serves it for download)."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=EXPORT_DIR))
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)
