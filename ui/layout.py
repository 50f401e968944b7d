"""The page, declared: header, then tabs. The "Chat" tab holds the filters, the conversation
(Gradio's Chatbot with its own copy and 👍/👎 buttons) and the sources pane.

Other tabs come after "Chat" from ``extra_tabs`` (label, build): list them in ``app.extra_tabs``.
Each ``build()`` runs inside its ``gr.Tab`` and declares its own components and events (with
``api_visibility="private"``, so they stay off the public API); nothing in this module changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gradio as gr
from starlette.middleware import Middleware

from kfqa.config import KINDS
from kfqa.ui.controller import ALL_PROJECTS
from kfqa.ui.limits import LOGIN_FAILURES, LOGIN_WINDOW_S, LoginThrottle, RateLimiter
from kfqa.ui.render import CLICK_JS, CSS, placeholder_html

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
HEADER = (
    '<div id="kfqa-header"><h1>kfqa <span>· Kubeflow security review assistant</span></h1>'
    "<p>Answers only from the indexed self-assessment, reviews, audit, docs and TAG Security guides; "
    "every sentence cites its passage. Click a marker such as [1] to see the source.</p></div>"
)

# Extra tabs after "Chat": (label, build) pairs; build() runs inside the tab's context.
ExtraTab = tuple[str, Callable[[], None]]


class KfqaBlocks(gr.Blocks):
    """Blocks whose ``launch`` brings its own CSS, click script and theme (Gradio 6 takes them in
    launch) and puts ``LoginThrottle`` in front of the sign-in route."""

    login_failures: RateLimiter | None = None  # failed sign-ins per address (build_app sets the limit)

    def launch(self, *args, **kwargs):  # type: ignore[override]
        self.login_failures = self.login_failures or RateLimiter(LOGIN_FAILURES, LOGIN_WINDOW_S)
        app_kwargs = dict(kwargs.get("app_kwargs") or {})
        app_kwargs["middleware"] = [*app_kwargs.get("middleware", []),
                                    Middleware(LoginThrottle, failures=self.login_failures)]
        kwargs["app_kwargs"] = app_kwargs
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", CLICK_JS)
        kwargs.setdefault("theme", THEME)
        kwargs.setdefault("ssr_mode", False)
        kwargs.setdefault("footer_links", ["api"])
        return super().launch(*args, **kwargs)


@dataclass
class Widgets:
    """The components the event wiring needs."""

    app: KfqaBlocks
    turns: gr.State
    kinds: gr.CheckboxGroup
    project: gr.Dropdown
    superseded: gr.Checkbox
    use_llm: gr.Checkbox
    chatbot: gr.Chatbot
    banner: gr.HTML
    question: gr.Textbox
    ask: gr.Button
    stop: gr.Button
    comment: gr.Textbox
    clear: gr.Button
    export_md: gr.Code
    sources: gr.HTML


def build_layout(startup_banner: str, projects: Sequence[str], llm_available: bool,
                 extra_tabs: Sequence[ExtraTab] = ()) -> Widgets:  # declarative layout: long by nature
    with KfqaBlocks(title="kfqa — Kubeflow security Q&A", analytics_enabled=False, fill_width=True) as app:
        turns = gr.State([])
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs(elem_id="kfqa-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="kfqa-chat-tab"):
                with gr.Row(elem_id="kfqa-filters", equal_height=True):
                    kinds = gr.CheckboxGroup(choices=list(KINDS), value=list(KINDS), label="Source kinds",
                                             elem_id="kfqa-kinds", scale=5, min_width=420)
                    project = gr.Dropdown(choices=[ALL_PROJECTS, *projects], value=ALL_PROJECTS, label="Project",
                                          elem_id="kfqa-project", scale=2, min_width=160)
                    with gr.Column(scale=2, min_width=220, elem_id="kfqa-switches"):
                        superseded = gr.Checkbox(value=False, label="Include superseded revisions",
                                                 elem_id="kfqa-superseded")
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
                            buttons=["copy", "copy_all"],  # Gradio's own clipboard buttons
                            feedback_options=("Like", "Dislike"),  # thumbs on each answer (.like event)
                            placeholder="**Ask about Kubeflow's security** — the self-assessment, its review "
                            "threads, the audit, the docs or the TAG Security guides. Answers cite every sentence.",
                        )
                        banner = gr.HTML(startup_banner, elem_id="kfqa-banner", js_on_load=None)
                        with gr.Row(elem_id="kfqa-ask-row"):
                            question = gr.Textbox(
                                placeholder="Ask a reviewer question… (Enter to send; follow-ups keep the context)",
                                show_label=False, lines=1, max_lines=6, scale=8, elem_id="kfqa-question",
                                autofocus=True,
                            )
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="kfqa-ask")
                            # cancels the answer being written (an LLM's stream is dropped with it)
                            stop = gr.Button("Stop", variant="stop", scale=0, min_width=70, elem_id="kfqa-stop")
                        gr.Examples(EXAMPLES, inputs=[question], label="Example reviewer questions",
                                    examples_per_page=5, api_visibility="private")
                        with gr.Row(elem_id="kfqa-feedback-row"):
                            comment = gr.Textbox(
                                placeholder="Optional comment, saved with your 👍 or 👎 on an answer",
                                show_label=False, scale=4, elem_id="kfqa-comment",
                            )
                            clear = gr.Button("New conversation", size="sm", elem_id="kfqa-clear",
                                              min_width=120, scale=0)
                        with gr.Accordion("Copy conversation as Markdown", open=False, elem_id="kfqa-export-acc"):
                            export_md = gr.Code(language="markdown", label="Conversation with citations",
                                                buttons=["copy", "download"], interactive=False,
                                                elem_id="kfqa-export-md")
                    with gr.Column(scale=9, min_width=380, elem_id="kfqa-sources-col"):
                        gr.HTML('<div class="kfqa-pane-title">Sources</div>', js_on_load=None)
                        sources = gr.HTML(placeholder_html(), elem_id="kfqa-sources", js_on_load=None)
            for label, build in extra_tabs:
                with gr.Tab(label):
                    build()
    return Widgets(app, turns, kinds, project, superseded, use_llm, chatbot, banner, question, ask, stop,
                   comment, clear, export_md, sources)
