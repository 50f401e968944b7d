"""The terminal rendering of an Answer (``kfqa ask``'s text mode) and the console every CLI
message goes through.

Source text, file names and questions can carry terminal escape sequences (an OSC 52 clipboard
write, SGR 8 hidden text, a screen clear): nothing printed here lets one through
(``kfqa.text.terminal_safe``), and ``SafeConsole`` strips them from anything else printed
through it, tables and progress bars included.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment

from kfqa.text import terminal_safe
from kfqa.types import Answer, Citation

FLAG_WARNING = "this passage reads as instructions to an assistant; it is not used as evidence"


class SafeConsole(Console):
    """A rich Console that never writes a control or escape sequence that came from what it prints;
    only rich's own styling (control segments and styles) reaches the terminal."""

    def render_str(self, text: str, **kwargs):  # str and table cells: cleaned before layout
        return super().render_str(terminal_safe(text), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        # the backstop for Text objects built elsewhere; rich's own escapes are added after this
        for segment in super().render(renderable, options):
            if segment.control or segment.text.isprintable():
                yield segment
            else:
                yield Segment(terminal_safe(segment.text), segment.style)


def shown(text: str) -> str:
    """Source text as rich markup that prints literally: no terminal control, no markup."""
    return escape(terminal_safe(text))


def location(citation: Citation) -> str:
    m = citation.chunk.meta
    where = f"page {m.page}" if m.page else (f"lines {m.lines}" if m.lines else "")
    return ", ".join(p for p in (m.source, m.section, where) if p)


def render_answer(answer: Answer, console: Console) -> None:
    for notice in answer.notices:
        console.print(f"[yellow]note:[/] {shown(notice)}", highlight=False)
    console.print(shown(answer.answer), highlight=False)
    if answer.abstained and answer.closest:
        console.print("\n[bold]Closest material[/] (not an answer):")
        for hit in answer.closest:
            m = hit.chunk.meta
            console.print(f"  - {shown(m.source)} — {shown(m.section)}\n    {shown(m.url)}", highlight=False)
    if answer.citations:
        console.print("\n[bold]Sources[/]")
    for c in answer.citations:
        m = c.chunk.meta
        console.print(f"[bold][{c.n}][/] [cyan]{shown(m.kind)}[/] {shown(location(c))}", highlight=False)
        console.print(f"    {shown(m.url)}", highlight=False)
        if m.page_url:
            console.print(f"    {shown(m.page_url)}", highlight=False)
        if m.flagged:
            console.print(f"    [red]warning: {FLAG_WARNING}[/]")
        console.print(f"    [dim]“{shown(c.quote)}”[/]", highlight=False)
