"""The reviewer chat UI: a Gradio Blocks app over ``qa.Assistant``.

Layout: chat (streamed answers with clickable [n] markers) on the left, the cited
passages on the right, filters above. ``build_app`` returns the Blocks (tests launch
it themselves); ``launch`` is what ``kfqa ui`` calls.

The named API endpoint ``/ask`` (question, kinds, project, include_superseded)
returns ``Answer.to_json()``, so ``gradio_client`` gets the same answer and citations.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from kfqa.config import KINDS, MAX_QUESTION_CHARS, Settings
from kfqa.types import Answer, Filters, KfqaError
from kfqa.ui.export import conversation_to_markdown
from kfqa.ui.feedback import FeedbackLog, default_feedback_path
from kfqa.ui.render import (
    CLICK_JS,
    CSS,
    answer_chat_html,
    banner_html,
    chat_message,
    md_text,
    placeholder_html,
    sources_html,
    sources_pane,
)

log = logging.getLogger("kfqa.ui")

ALL_PROJECTS = "All projects"
RATE_LIMIT = 20  # questions
RATE_WINDOW_S = 60.0  # per sliding minute, per session
EXAMPLES = [
    "If an attacker owns one Kubeflow controller, what's the blast radius - just DoS, or other tenants' data too?",
    "What happens to Kubeflow's guarantees if RBAC is misconfigured or someone gets around the ingress gateway?",
    "Which deployments did the audit flag for having no NetworkPolicy?",
    "Walk me through Kubeflow's incident response once a vuln report lands. Who gets to see the report?",
    "How did the Overview of the self-assessment change during review?",
]
THEME = gr.themes.Soft(
    primary_hue="blue",
    neutral_hue="slate",
    # System fonts only: the UI must not fetch web fonts (it may run offline).
    font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window)."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next slot frees up)."""
        now = self.clock()
        with self._lock:
            q = self._events.setdefault(key, deque())
            while q and now - q[0] >= self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False, max(0.0, self.window - (now - q[0]))
            q.append(now)
            if len(self._events) > 10_000:  # forget idle sessions
                for k in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
                    del self._events[k]
            return True, 0.0


class AssistantHolder:
    """Opens the Assistant lazily and again after a failure (so `kfqa ingest` while the UI runs just works)."""

    def __init__(self, settings: Settings, assistant: Any = None):
        self.settings = settings
        self._assistant = assistant
        self.error: str = ""
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._assistant is None:
                from kfqa.qa import Assistant

                try:
                    self._assistant = Assistant.open(self.settings)
                    self.error = ""
                except KfqaError as exc:
                    self.error = str(exc)
                    raise
            return self._assistant


def store_projects(settings: Settings) -> list[str]:
    try:
        from kfqa.store import Store

        store = Store(settings)
        if not store.chunks_path.is_file():
            return []
        return sorted({c.meta.project for c in store.load_chunks() if c.meta.project})
    except Exception:  # noqa: BLE001 - a broken store is reported elsewhere; no projects then
        log.exception("could not list projects")
        return []


def make_filters(kinds: list[str] | None, project: str | None, include_superseded: bool | None) -> Filters:
    kinds = [k for k in (kinds or []) if k in KINDS]
    if set(kinds) == set(KINDS):
        kinds = []  # everything selected: no filter
    projects = [project] if project and project != ALL_PROJECTS else []
    return Filters(kinds=kinds, projects=projects, include_superseded=True if include_superseded else None)


def too_long_message(question: str) -> str:
    return (
        f"Your question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
        "Please shorten it and ask again."
    )


def rate_message(wait_s: float) -> str:
    return (
        f"Too many questions: at most {RATE_LIMIT} per minute per session. "
        f"Try again in {max(1, round(wait_s))} s."
    )


class KfqaBlocks(gr.Blocks):
    """Blocks whose ``launch`` brings its own CSS, click script and theme (Gradio 6 takes them in launch)."""

    def launch(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", CLICK_JS)
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("footer_links", ["api"])
        return super().launch(*args, **kwargs)


def build_app(
    settings: Settings | None = None,
    feedback_path: Path | None = None,
    assistant: Any = None,
    rate_limit: int = RATE_LIMIT,
) -> gr.Blocks:
    """The Blocks app. ``assistant`` may be given (tests); otherwise it is opened from ``settings``."""
    settings = settings or Settings()
    holder = AssistantHolder(settings, assistant)
    feedback = FeedbackLog(feedback_path or default_feedback_path(settings))
    limiter = RateLimiter(limit=rate_limit)
    llm_available = bool(settings.llm_base_url)

    startup_banner = ""
    try:
        holder.get()
    except KfqaError as exc:
        startup_banner = banner_html(str(exc), "error")
    except Exception as exc:  # noqa: BLE001 - the app must still start
        log.exception("could not open the assistant")
        startup_banner = banner_html(f"The assistant could not start: {exc}", "error")
    projects = store_projects(settings)

    def session_key(request: gr.Request | None) -> str:
        if request is None:
            return "local"
        return getattr(request, "session_hash", None) or (request.client.host if request.client else "anon")

    # --- the chat handler (streams) ------------------------------------------------------------
    def respond(
        question: str,
        chat: list[dict],
        turns: list[dict],
        kinds: list[str],
        project: str,
        superseded: bool,
        use_llm: bool,
        request: gr.Request,
    ) -> Iterator[tuple]:
        chat = list(chat or [])
        turns = list(turns or [])
        q = (question or "").strip()
        if not q:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if len(q) > MAX_QUESTION_CHARS:
            yield gr.skip(), gr.skip(), gr.skip(), banner_html(too_long_message(q), "error"), gr.skip()
            return
        ok, wait = limiter.allow(session_key(request))
        if not ok:
            yield gr.skip(), gr.skip(), gr.skip(), banner_html(rate_message(wait), "warning"), gr.skip()
            return
        try:
            assistant = holder.get()
        except KfqaError as exc:
            yield gr.skip(), gr.skip(), gr.skip(), banner_html(str(exc), "error"), gr.skip()
            return

        turn = len(turns) + 1
        chat.append({"role": "user", "content": md_text(q)})
        chat.append({"role": "assistant", "content": '<span class="kfqa-thinking">Searching the sources…</span>'})
        yield chat, gr.skip(), turns, "", ""

        filters = make_filters(kinds, project, superseded)
        history = [t["question"] for t in turns]
        text, answer = "", None
        try:
            for piece in assistant.ask_stream(q, filters=filters, history=history, llm=bool(use_llm and llm_available)):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                text += str(piece)
                chat[-1] = {"role": "assistant", "content": answer_chat_html(text, turn) + " ▍"}
                yield chat, gr.skip(), turns, gr.skip(), gr.skip()
        except KfqaError as exc:
            chat[-1] = {"role": "assistant", "content": f"_{md_text(str(exc))}_"}
            yield chat, gr.skip(), turns, banner_html(str(exc), "error"), gr.skip()
            return
        except Exception as exc:  # noqa: BLE001 - show, don't crash the session
            log.exception("answering failed")
            chat[-1] = {"role": "assistant", "content": "_Something went wrong while answering; see the server log._"}
            yield chat, gr.skip(), turns, banner_html(f"Internal error: {type(exc).__name__}", "error"), gr.skip()
            return
        if answer is None:
            chat[-1] = {"role": "assistant", "content": "_No answer was produced._"}
            yield chat, gr.skip(), turns, banner_html("No answer was produced.", "error"), gr.skip()
            return

        chat[-1] = {"role": "assistant", "content": chat_message(answer, turn)}
        turns.append({"question": q, "json": answer.to_json(), "sources": sources_html(answer, turn)})
        notice = banner_html("\n".join(answer.notices), "warning") if answer.notices else ""
        yield chat, sources_pane([t["sources"] for t in turns]), turns, notice, ""

    # --- the API endpoint (same answer and citations, as JSON) -----------------------------------
    def ask(
        question: str,
        kinds: list[str] | None = None,
        project: str | None = None,
        include_superseded: bool | None = None,
        llm: bool = False,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict:
        """Answer a question with numbered citations; returns Answer.to_json(). ``llm``: use the LLM endpoint."""
        q = (question or "").strip()
        if not q:
            raise gr.Error("Ask a question.")
        if len(q) > MAX_QUESTION_CHARS:
            raise gr.Error(too_long_message(q))
        ok, wait = limiter.allow(session_key(request))
        if not ok:
            raise gr.Error(rate_message(wait))
        try:
            assistant = holder.get()
            filters = make_filters(kinds, project, None)
            filters.include_superseded = include_superseded
            return assistant.ask(q, filters=filters, llm=bool(llm and settings.llm_base_url)).to_json()
        except KfqaError as exc:
            raise gr.Error(str(exc)) from exc

    # --- feedback and export ---------------------------------------------------------------------
    def send_feedback(rating: str, turns: list[dict], comment: str, request: gr.Request):
        if not turns:
            return banner_html("Ask a question first; feedback is about the latest answer.", "info"), gr.skip()
        last = turns[-1]
        try:
            feedback.append(rating, last["question"], last["json"], comment, session=session_key(request))
        except OSError as exc:
            return banner_html(f"Could not save feedback to {feedback.path}: {exc}", "error"), gr.skip()
        word = "👍" if rating == "up" else "👎"
        return banner_html(f"Thanks: {word} recorded for “{last['question'][:80]}”.", "info"), ""

    def feedback_up(turns: list[dict], comment: str, request: gr.Request):
        return send_feedback("up", turns, comment, request)

    def feedback_down(turns: list[dict], comment: str, request: gr.Request):
        return send_feedback("down", turns, comment, request)

    def export(turns: list[dict]) -> str:
        return conversation_to_markdown([t["json"] for t in turns or []])

    def clear():
        return [], placeholder_html(), [], "", "", ""

    # --- layout ----------------------------------------------------------------------------------
    with KfqaBlocks(title="kfqa — Kubeflow security Q&A", analytics_enabled=False, fill_width=True) as app:
        turns_state = gr.State([])
        gr.HTML(
            '<div id="kfqa-header"><h1>kfqa <span>· Kubeflow security review assistant</span></h1>'
            "<p>Answers only from the indexed self-assessment, reviews, audit, docs and TAG Security guides; "
            "every sentence cites its passage. Click a marker such as [1] to see the source.</p></div>",
            js_on_load=None,
        )
        with gr.Row(elem_id="kfqa-filters", equal_height=True):
            kinds = gr.CheckboxGroup(
                choices=list(KINDS),
                value=list(KINDS),
                label="Source kinds",
                elem_id="kfqa-kinds",
                scale=5,
                min_width=420,
            )
            project = gr.Dropdown(
                choices=[ALL_PROJECTS, *projects],
                value=ALL_PROJECTS,
                label="Project",
                elem_id="kfqa-project",
                scale=2,
                min_width=160,
            )
            with gr.Column(scale=2, min_width=220, elem_id="kfqa-switches"):
                superseded = gr.Checkbox(value=False, label="Include superseded revisions", elem_id="kfqa-superseded")
                use_llm = gr.Checkbox(
                    value=False,
                    label="Use LLM" if llm_available else "Use LLM (no endpoint configured)",
                    interactive=llm_available,
                    elem_id="kfqa-use-llm",
                )
        with gr.Row(equal_height=False, elem_id="kfqa-main"):
            with gr.Column(scale=11, min_width=480, elem_id="kfqa-chat-col"):
                chatbot = gr.Chatbot(
                    elem_id="kfqa-chat",
                    label="Conversation",
                    show_label=False,
                    height=420,
                    buttons=["copy"],
                    feedback_options=None,
                    placeholder="**Ask about Kubeflow's security** — the self-assessment, its review threads, "
                    "the audit, the docs or the TAG Security guides. Answers cite every sentence.",
                )
                banner = gr.HTML(startup_banner, elem_id="kfqa-banner", js_on_load=None)
                with gr.Row(elem_id="kfqa-ask-row"):
                    question = gr.Textbox(
                        placeholder="Ask a reviewer question… (Enter to send; follow-ups keep the context)",
                        show_label=False,
                        lines=1,
                        max_lines=6,
                        scale=8,
                        elem_id="kfqa-question",
                        autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="kfqa-ask")
                gr.Examples(EXAMPLES, inputs=[question], label="Example reviewer questions", examples_per_page=5)
                with gr.Row(elem_id="kfqa-feedback-row"):
                    up_btn = gr.Button("👍 Helpful", size="sm", elem_id="kfqa-up", min_width=90, scale=0)
                    down_btn = gr.Button("👎 Not helpful", size="sm", elem_id="kfqa-down", min_width=110, scale=0)
                    comment = gr.Textbox(
                        placeholder="Optional comment on the latest answer",
                        show_label=False,
                        scale=4,
                        elem_id="kfqa-comment",
                    )
                    clear_btn = gr.Button("New conversation", size="sm", elem_id="kfqa-clear", min_width=120, scale=0)
                with gr.Accordion("Copy conversation as Markdown", open=False, elem_id="kfqa-export-acc"):
                    export_btn = gr.Button("Build Markdown and copy to clipboard", size="sm", elem_id="kfqa-export")
                    export_code = gr.Code(language="markdown", label="Conversation with citations", elem_id="kfqa-export-md")
            with gr.Column(scale=9, min_width=380, elem_id="kfqa-sources-col"):
                gr.HTML('<div class="kfqa-pane-title">Sources</div>', js_on_load=None)
                sources = gr.HTML(placeholder_html(), elem_id="kfqa-sources", js_on_load=None)

        chat_inputs = [question, chatbot, turns_state, kinds, project, superseded, use_llm]
        chat_outputs = [chatbot, sources, turns_state, banner, question]
        question.submit(respond, chat_inputs, chat_outputs, api_visibility="private")
        ask_btn.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        up_btn.click(feedback_up, [turns_state, comment], [banner, comment], api_visibility="private")
        down_btn.click(feedback_down, [turns_state, comment], [banner, comment], api_visibility="private")
        export_btn.click(export, [turns_state], [export_code], api_visibility="private").then(
            None,
            [export_code],
            None,
            js="(md) => { try { if (md && navigator.clipboard) navigator.clipboard.writeText(md).catch(() => {}); } catch (e) {} }",
        )
        clear_btn.click(clear, None, [chatbot, sources, turns_state, banner, question, export_code], api_visibility="private")
        gr.api(ask, api_name="ask")

    app.kfqa_feedback_path = feedback.path  # type: ignore[attr-defined]
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
