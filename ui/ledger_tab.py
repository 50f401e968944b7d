"""The "Review ledger" tab: every reviewer request in the chosen review threads and what became
of it (``kfqa.qa.reports.ledger``), as a table with links, and Markdown and CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from kfqa.config import Settings
from kfqa.qa.reports import export
from kfqa.qa.reports.corpus import Corpus
from kfqa.qa.reports.ledger import build_ledger, default_threads
from kfqa.ui.report_tabs import export_file, run_report, sources_of

INTRO = ("Every reviewer request in the chosen review threads — a review's body, a comment that opens a "
         "thread, a follow-up that asks for something — and what became of it: **replied** (the reply, "
         "quoted), **changed** (the section of the current revision, quoted before and after) or **open**.")


def ledger_view(settings: Settings, get_assistant: Callable[[], Any], threads: list[str] | None):
    """(table Markdown, [Markdown file, CSV file]) for the chosen threads."""
    result, problem = run_report(lambda: build_ledger(get_assistant(), Corpus(settings), list(threads or []) or None))
    if result is None:
        return problem, None
    text = export.ledger_markdown(result)
    return text, [
        export_file("ledger.md", text),
        export_file("ledger.csv", export.ledger_csv(result)),
    ]


def build_ledger_tab(settings: Settings, get_assistant: Callable[[], Any]) -> None:
    """The tab's widgets and events; runs inside ``gr.Tab``."""
    corpus = Corpus(settings)
    choices = sources_of(get_assistant, "reviews/", ".json")
    default = [t for t in default_threads(corpus) if t in choices]
    gr.Markdown(INTRO, elem_id="kfqa-ledger-intro")
    with gr.Row():
        threads = gr.Dropdown(choices=choices, value=default, multiselect=True, label="Review threads",
                              elem_id="kfqa-ledger-threads", scale=5)
        run = gr.Button("Build ledger", variant="primary", elem_id="kfqa-ledger-run", scale=1)
    table = gr.Markdown(elem_id="kfqa-ledger-table", sanitize_html=True)
    files = gr.File(label="Download (Markdown, CSV)", file_count="multiple", elem_id="kfqa-ledger-files",
                    interactive=False)
    run.click(lambda names: ledger_view(settings, get_assistant, names), inputs=[threads],
              outputs=[table, files], api_visibility="private")
