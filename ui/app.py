"""The reviewer chat UI: a Gradio Blocks app over ``qa.Assistant``.

Three parts: ``controller.py`` (what the UI does, plain Python), ``layout.py`` (the page,
declared) and ``events.py`` (which event calls what). ``build_app`` puts them together and
returns the Blocks (tests launch it themselves); ``launch`` is what ``kfqa ui`` calls.

The named API endpoint ``/ask`` (question, kinds, project, include_superseded, llm) returns
``Answer.to_json()``, so ``gradio_client`` gets the same answer and citations, under the same
limits as the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from kfqa.config import Settings
from kfqa.types import KfqaError
from kfqa.ui.controller import ChatController, Limits
from kfqa.ui.events import wire
from kfqa.ui.feedback import MAX_FEEDBACK_BYTES
from kfqa.ui.layout import ExtraTab, build_layout
from kfqa.ui.limits import ASK_LIMIT, FEEDBACK_LIMIT, LOGIN_FAILURES, LOGIN_WINDOW_S, RateLimiter


def extra_tabs(settings: Settings, get_assistant=None) -> list[ExtraTab]:
    """Tabs shown after "Chat", as (label, build) pairs; ``build()`` runs inside the tab.
    ``get_assistant``: the chat's own (lazily opened) assistant, shared by the report tabs."""
    from kfqa.ui.coverage_tab import build_coverage_tab
    from kfqa.ui.ledger_tab import build_ledger_tab

    if get_assistant is None:
        return []
    return [
        ("Review ledger", lambda: build_ledger_tab(settings, get_assistant)),
        ("Template coverage", lambda: build_coverage_tab(settings, get_assistant)),
    ]


def build_app(
    settings: Settings | None = None,
    feedback_path: Path | None = None,
    assistant: Any = None,
    rate_limit: int = ASK_LIMIT,
    feedback_limit: int = FEEDBACK_LIMIT,
    feedback_max_bytes: int = MAX_FEEDBACK_BYTES,
    login_failures: int = LOGIN_FAILURES,
) -> gr.Blocks:
    """The Blocks app. ``assistant`` may be given (tests); otherwise it is opened from ``settings``."""
    settings = settings or Settings()
    controller = ChatController(settings, assistant, feedback_path,
                                Limits(asks=rate_limit, ratings=feedback_limit, feedback_bytes=feedback_max_bytes))
    widgets = build_layout(controller.startup_banner(), controller.projects(), controller.llm_available,
                           extra_tabs(settings, controller.holder.get))
    app = widgets.app
    with app:
        wire(widgets, controller)
    app.kfqa_controller = controller  # type: ignore[attr-defined]
    app.kfqa_feedback_path = controller.feedback.path  # type: ignore[attr-defined]
    app.login_failures = RateLimiter(login_failures, LOGIN_WINDOW_S)
    return app


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise KfqaError("--auth / KFQA_UI_AUTH must be USER:PASS (both non-empty).")
    return user, password


def launch(
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    feedback_path: Path | None = None,
) -> None:
    """Start the UI and block until stopped (what `kfqa ui` runs)."""
    credentials = parse_auth(auth)
    app = build_app(settings, feedback_path=feedback_path)
    app.queue(default_concurrency_limit=4, max_size=64)
    app.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        auth_message="kfqa: sign in with the credentials given to `kfqa ui --auth`.",
        show_error=True,
        quiet=False,
    )
