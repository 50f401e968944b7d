"""Plain-terminal and Markdown renderings of an Answer (the CLI's text mode and the UI's export)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from kfqa.types import Answer, Citation

FLAG_WARNING = "this passage reads as instructions to an assistant; it is not used as evidence"


def location(citation: Citation) -> str:
    m = citation.chunk.meta
    where = f"page {m.page}" if m.page else (f"lines {m.lines}" if m.lines else "")
    return ", ".join(p for p in (m.source, m.section, where) if p)


def render_answer(answer: Answer, console: Console) -> None:
    for notice in answer.notices:
        console.print(f"[yellow]note:[/] {escape(notice)}")
    console.print(escape(answer.answer), highlight=False)
    if answer.abstained and answer.closest:
        console.print("\n[bold]Closest material[/] (not an answer):")
        for hit in answer.closest:
            m = hit.chunk.meta
            console.print(f"  - {escape(m.source)} — {escape(m.section)}\n    {escape(m.url)}", highlight=False)
    if answer.citations:
        console.print("\n[bold]Sources[/]")
    for c in answer.citations:
        m = c.chunk.meta
        console.print(f"[bold][{c.n}][/] [cyan]{escape(m.kind)}[/] {escape(location(c))}", highlight=False)
        console.print(f"    {escape(m.url)}", highlight=False)
        if m.page_url:
            console.print(f"    {escape(m.page_url)}", highlight=False)
        if m.flagged:
            console.print(f"    [red]warning: {FLAG_WARNING}[/]")
        console.print(f"    [dim]“{escape(c.quote)}”[/]", highlight=False)
