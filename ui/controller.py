"""What the chat UI does, in plain Python (no Blocks, no browser): admit a question, stream its
answer into the chat, rate an answer, export the conversation, answer the ``/ask`` API.

Every entry point takes a ``Caller`` (address, and user under --auth) and applies the same limits,
whether it is reached through the page, through ``/ask`` or by a script posting to the queue:
question length (``MAX_QUESTION_CHARS``), questions per caller per minute, ratings per caller per
minute and the feedback file's size cap. ``events.py`` adapts these methods to Gradio events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kfqa.config import KINDS, MAX_QUESTION_CHARS, Settings
from kfqa.types import Answer, Filters, KfqaError
from kfqa.ui.export import conversation_to_markdown
from kfqa.ui.feedback import MAX_FEEDBACK_BYTES, FeedbackLog, default_feedback_path
from kfqa.ui.limits import (
    ASK_LIMIT,
    ASK_WINDOW_S,
    FEEDBACK_LIMIT,
    FEEDBACK_WINDOW_S,
    Caller,
    RateLimiter,
    wait_text,
)
from kfqa.ui.render import answer_chat_html, banner_html, chat_message, md_text, sources_html, sources_pane

log = logging.getLogger("kfqa.ui")

ALL_PROJECTS = "All projects"
THINKING = '<span class="kfqa-thinking">Searching the sources…</span>'
GENERATING = '<span class="kfqa-thinking">Generating an answer with the LLM… (Stop cancels it)</span>'
CURSOR = " ▍"


class Refused(KfqaError):
    """A request the UI will not serve (too long, too many); ``level`` is the banner's."""

    def __init__(self, message: str, level: str = "warning"):
        super().__init__(message)
        self.level = level


@dataclass
class Turn:
    """One answered question: what was asked, the answer as JSON, its sources pane, and where
    the answer sits in the chat (the index a Chatbot ``.like`` event names)."""

    question: str
    answer: dict[str, Any]
    sources: str
    message_index: int


@dataclass
class ChatView:
    """One update of the chat screen; ``None`` leaves that part as it is."""

    chat: list[dict] | None = None
    sources: str | None = None
    turns: list[Turn] | None = None
    banner: str | None = None
    question: str | None = None
    export_md: str | None = None
    comment: str | None = None


@dataclass
class Limits:
    asks: int = ASK_LIMIT
    ratings: int = FEEDBACK_LIMIT
    feedback_bytes: int = MAX_FEEDBACK_BYTES


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


class AssistantHolder:
    """Opens the Assistant lazily, and again after a failure (a store ingested after start-up)."""

    def __init__(self, settings: Settings, assistant: Any = None):
        self.settings = settings
        self._assistant = assistant
        self._lock = threading.Lock()

    def get(self):
        with self._lock:
            if self._assistant is None:
                from kfqa.qa import Assistant

                self._assistant = Assistant.open(self.settings)
            return self._assistant

    def opened(self):
        """The assistant if it is open, else None (opens nothing)."""
        return self._assistant


class ChatController:
    def __init__(self, settings: Settings, assistant: Any = None, feedback_path: Path | None = None,
                 limits: Limits | None = None):
        limits = limits or Limits()
        self.settings = settings
        self.holder = AssistantHolder(settings, assistant)
        self.feedback = FeedbackLog(feedback_path or default_feedback_path(settings), max_bytes=limits.feedback_bytes)
        self.ask_limiter = RateLimiter(limits.asks, ASK_WINDOW_S)
        self.rate_limiter = RateLimiter(limits.ratings, FEEDBACK_WINDOW_S)
        self.llm_available = bool(settings.llm_base_url)

    # --- start-up --------------------------------------------------------------------------------
    def startup_banner(self) -> str:
        """Open the assistant now (so the first question is fast); the problem as a banner if it can't."""
        try:
            self.holder.get()
        except KfqaError as exc:
            return banner_html(str(exc), "error")
        except Exception as exc:  # noqa: BLE001 - the app must still start
            log.exception("could not open the assistant")
            return banner_html(f"The assistant could not start: {exc}", "error")
        return ""

    def projects(self) -> list[str]:
        """The store's projects for the filter, from the chunks the assistant already holds (none
        when it could not open: the banner says why)."""
        retriever = getattr(self.holder.opened(), "retriever", None)
        return sorted(getattr(retriever, "projects", None) or ())

    # --- asking ----------------------------------------------------------------------------------
    def admit(self, question: str, caller: Caller) -> str:
        """The stripped question, or ``Refused`` (too long, or the caller's quota is used up)."""
        q = (question or "").strip()
        if len(q) > MAX_QUESTION_CHARS:
            raise Refused(too_long_message(q), "error")
        ok, wait = self.ask_limiter.allow(caller.keys())
        if not ok:
            raise Refused(
                f"Too many questions: at most {self.ask_limiter.limit} per minute from one address "
                f"or user. {wait_text(wait)}"
            )
        return q

    def ask_api(self, question: str, filters: Filters, llm: bool, caller: Caller) -> dict:
        """The ``/ask`` endpoint: ``Answer.to_json()``; raises ``KfqaError`` (``Refused`` included)."""
        if not (question or "").strip():
            raise Refused("Ask a question.", "info")
        q = self.admit(question, caller)
        answer = self.holder.get().ask(q, filters=filters, llm=bool(llm and self.llm_available))
        return answer.to_json()

    def respond(self, question: str, chat: list[dict] | None, turns: list[Turn] | None, filters: Filters,
                use_llm: bool, caller: Caller) -> Iterator[ChatView]:
        """Stream one question's answer into the chat: the thinking line, growing text, the final view."""
        chat, turns = list(chat or []), list(turns or [])
        if not (question or "").strip():
            return
        try:
            q = self.admit(question, caller)
            assistant = self.holder.get()
        except Refused as exc:
            yield ChatView(banner=banner_html(str(exc), exc.level))
            return
        except KfqaError as exc:
            yield ChatView(banner=banner_html(str(exc), "error"))
            return
        turn = len(turns) + 1
        llm = bool(use_llm and self.llm_available)
        chat += [{"role": "user", "content": md_text(q)}, {"role": "assistant", "content": GENERATING if llm else THINKING}]
        yield ChatView(chat=chat, turns=turns, banner="", question="")
        history = [t.question for t in turns]
        stream = assistant.ask_stream(q, filters=filters, history=history, llm=llm)
        answer = yield from self._stream_into(chat, turns, stream, turn)
        if answer is None:
            return
        chat[-1] = {"role": "assistant", "content": chat_message(answer, turn)}
        turns.append(Turn(q, answer.to_json(), sources_html(answer, turn), message_index=len(chat) - 1))
        notice = banner_html("\n".join(answer.notices), "warning") if answer.notices else ""
        yield ChatView(chat=chat, sources=sources_pane([t.sources for t in turns]), turns=turns, banner=notice,
                       export_md=self.export(turns))

    def _stream_into(self, chat: list[dict], turns: list[Turn], stream: Iterator[Any], turn: int
                     ) -> Iterator[ChatView]:
        """Show each streamed piece; return the final Answer, or None after a failure. Secrets are
        redacted at the source (``qa.llm_client.Redactor``): pieces arrive with the key already gone."""
        text = ""
        try:
            for piece in stream:
                if isinstance(piece, Answer):
                    return piece
                text += str(piece)
                chat[-1] = {"role": "assistant", "content": answer_chat_html(text, turn) + CURSOR}
                yield ChatView(chat=chat, turns=turns)
        except KfqaError as exc:
            chat[-1] = {"role": "assistant", "content": f"_{md_text(str(exc))}_"}
            yield ChatView(chat=chat, turns=turns, banner=banner_html(str(exc), "error"))
            return None
        except Exception as exc:  # noqa: BLE001 - show, don't crash the session
            log.exception("answering failed")
            chat[-1] = {"role": "assistant", "content": "_Something went wrong while answering; see the server log._"}
            yield ChatView(chat=chat, turns=turns, banner=banner_html(f"Internal error: {type(exc).__name__}", "error"))
            return None
        chat[-1] = {"role": "assistant", "content": "_No answer was produced._"}
        yield ChatView(chat=chat, turns=turns, banner=banner_html("No answer was produced.", "error"))
        return None

    # --- feedback and export ---------------------------------------------------------------------
    def rate(self, turns: list[Turn] | None, message_index: Any, liked: Any, comment: str, caller: Caller) -> ChatView:
        """Record a 👍/👎 on the answer at ``message_index`` of the chat (a Chatbot ``.like`` event)."""
        if liked is not True and liked is not False:
            return ChatView()  # a rating taken back, or an option we don't offer: nothing to record
        turn = next((t for t in reversed(turns or []) if t.message_index == message_index), None)
        if turn is None:
            return ChatView(banner=banner_html("That message has no answer to rate.", "info"))
        ok, wait = self.rate_limiter.allow(caller.keys())
        if not ok:
            return ChatView(banner=banner_html(
                f"Too many ratings: at most {self.rate_limiter.limit} per minute. {wait_text(wait)}", "warning"))
        rating = "up" if liked else "down"
        try:
            self.feedback.append(rating, turn.question, turn.answer, comment, session=caller.label())
        except KfqaError as exc:  # the file is at its cap
            log.warning("feedback not saved: %s", exc)
            return ChatView(banner=banner_html(str(exc), "error"))
        except OSError as exc:
            return ChatView(banner=banner_html(f"Could not save feedback to {self.feedback.path}: {exc}", "error"))
        word = "👍" if liked else "👎"
        return ChatView(banner=banner_html(f"Thanks: {word} recorded for “{turn.question[:80]}”.", "info"), comment="")

    @staticmethod
    def export(turns: list[Turn] | None) -> str:
        return conversation_to_markdown([t.answer for t in turns or []])
