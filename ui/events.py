"""Wiring: Gradio events of the layout's components to the controller's methods.

Only ``/ask`` is public API. Every other handler is ``api_visibility="private"``: absent from the
API page and refused by ``gradio_client`` by name or fn_index. The page itself still reaches them
through the queue (that is how a browser works), so each one applies the controller's limits per
caller, exactly as ``/ask`` does: a script posting to the queue gets no more than a reviewer does.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from kfqa.types import KfqaError
from kfqa.ui.controller import ChatController, ChatView, Turn, make_filters
from kfqa.ui.layout import Widgets
from kfqa.ui.limits import Caller
from kfqa.ui.render import placeholder_html

PRIVATE = "private"


def _outputs(w: Widgets) -> list:
    return [w.chatbot, w.sources, w.turns, w.banner, w.question, w.export_md, w.comment]


def _updates(view: ChatView) -> tuple:
    """A ChatView as the outputs of ``_outputs``, in order; None leaves a component as it is."""
    values = (view.chat, view.sources, view.turns, view.banner, view.question, view.export_md, view.comment)
    return tuple(gr.skip() if v is None else v for v in values)


def wire(w: Widgets, controller: ChatController) -> None:
    """Attach every event; call inside ``with w.app:``."""
    outputs = _outputs(w)

    def respond(question: str, chat: list[dict], turns: list[Turn], kinds: list[str], project: str,
                superseded: bool, use_llm: bool, request: gr.Request) -> Iterator[tuple]:
        filters = make_filters(kinds, project, superseded)
        shown = False
        for view in controller.respond(question, chat, turns, filters, use_llm, Caller.of(request)):
            shown = True
            yield _updates(view)
        if not shown:
            yield _updates(ChatView())

    def rate(turns: list[Turn], comment: str, like: gr.LikeData, request: gr.Request) -> tuple:
        return _updates(controller.rate(turns, like.index, like.liked, comment, Caller.of(request)))

    def clear() -> tuple:
        return _updates(ChatView(chat=[], sources=placeholder_html(), turns=[], banner="", question="",
                                 export_md="", comment=""))

    inputs = [w.question, w.chatbot, w.turns, w.kinds, w.project, w.superseded, w.use_llm]
    asked = [w.question.submit(respond, inputs, outputs, api_visibility=PRIVATE),
             w.ask.click(respond, inputs, outputs, api_visibility=PRIVATE)]
    # Stop closes the answer's generator, and with it the LLM stream (the endpoint sees the hang-up)
    w.stop.click(None, None, None, cancels=asked, api_visibility=PRIVATE)
    w.chatbot.like(rate, [w.turns, w.comment], outputs, api_visibility=PRIVATE)
    w.clear.click(clear, None, outputs, api_visibility=PRIVATE)
    w.chatbot.clear(clear, None, outputs, api_visibility=PRIVATE)  # the Chatbot's own 🗑 button: turns go too
    gr.api(_ask_endpoint(controller), api_name="ask")


def _ask_endpoint(controller: ChatController):
    def ask(
        question: str,
        kinds: list[str] | None = None,
        project: str | None = None,
        include_superseded: bool | None = None,
        llm: bool = False,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict:
        """Answer a question with numbered citations; returns Answer.to_json(). ``llm``: use the LLM endpoint.
        Questions are limited to 2,000 characters and to a number per minute per address (or user)."""
        filters = make_filters(kinds, project, None)
        filters.include_superseded = include_superseded
        try:
            return controller.ask_api(question, filters, llm, Caller.of(request))
        except KfqaError as exc:
            raise gr.Error(str(exc)) from exc

    return ask
