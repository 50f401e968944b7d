"""The "Template coverage" tab: an assessment against TAG Security's self-assessment template
(``kfqa.qa.reports.coverage``): each item covered, thin or missing, with the template's prompt and
the assessment's cited passages, and a Markdown download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from kfqa.config import Settings
from kfqa.qa.reports import export
from kfqa.qa.reports.corpus import Corpus
from kfqa.qa.reports.coverage import DEFAULT_TEMPLATE, build_coverage, default_assessment
from kfqa.ui.report_tabs import export_file, run_report, sources_of

INTRO = ("Each item TAG Security's self-assessment template asks for — its sections, fields and specific "
         "prompts, read from the template itself — is **covered** (cited passages), **thin** (a section "
         "exists but doesn't say it) or **missing**.")


def coverage_view(settings: Settings, get_assistant: Callable[[], Any], assessment: str | None, reviewer: bool):
    """(table Markdown, Markdown file) for the chosen assessment."""
    result, problem = run_report(
        lambda: build_coverage(get_assistant(), Corpus(settings), assessment or None, DEFAULT_TEMPLATE, bool(reviewer))
    )
    if result is None:
        return problem, None
    text = export.coverage_markdown(result)
    return text, export_file("coverage.md", text)


def build_coverage_tab(settings: Settings, get_assistant: Callable[[], Any]) -> None:
    """The tab's widgets and events; runs inside ``gr.Tab``."""
    choices = sources_of(get_assistant, "assessments/", ".md")
    default = default_assessment()
    gr.Markdown(INTRO, elem_id="kfqa-coverage-intro")
    with gr.Row():
        assessment = gr.Dropdown(choices=choices, value=default if default in choices else None,
                                 label="Assessment", elem_id="kfqa-coverage-assessment", scale=5)
        reviewer = gr.Checkbox(value=False, label="Add the reviewer guide's questions",
                               elem_id="kfqa-coverage-reviewer", scale=2)
        run = gr.Button("Check coverage", variant="primary", elem_id="kfqa-coverage-run", scale=1)
    table = gr.Markdown(elem_id="kfqa-coverage-table", sanitize_html=True)
    file = gr.File(label="Download (Markdown)", elem_id="kfqa-coverage-file", interactive=False)
    run.click(lambda name, more: coverage_view(settings, get_assistant, name, more), inputs=[assessment, reviewer],
              outputs=[table, file], api_visibility="private")
