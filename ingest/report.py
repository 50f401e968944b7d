"""What an ingest did (``IngestReport``), its progress bar and its printed summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kfqa.text import terminal_safe


def shown_path(name: str) -> str:
    """A file name as it can be printed and stored: bytes that aren't UTF-8 (kept by Python as lone
    surrogates) become U+FFFD, and terminal control sequences are stripped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return terminal_safe(name)


@dataclass
class IngestReport:
    store: str = ""
    roots: list[str] = field(default_factory=list)
    ingested: list[str] = field(default_factory=list)  # new or changed files now committed
    unchanged: list[str] = field(default_factory=list)  # skipped by content hash
    removed: list[str] = field(default_factory=list)  # gone from disk, deleted from the store
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    chunks_added: int = 0
    chunks_total: int = 0
    embedded: int = 0  # chunks embedded by this run
    reused: int = 0  # chunks whose vectors were already in Chroma (or in the shipped vectors)
    shipped: int = 0  # of ``reused``: vectors taken from the shipped bundled-vectors file
    repaired: int = 0  # committed chunks whose missing vectors this run restored
    flagged: int = 0  # chunks of this run flagged as instructions to an assistant
    seconds: float = 0.0

    @property
    def files_ok(self) -> int:
        return len(self.ingested) + len(self.unchanged)

    def fail(self, path: str, reason: str) -> None:
        self.failed.append((shown_path(path), reason))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append((shown_path(path), message))

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "roots": self.roots,
            "files_ok": self.files_ok,
            "ingested": self.ingested,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
            "chunks_added": self.chunks_added,
            "chunks_total": self.chunks_total,
            "embedded": self.embedded,
            "reused": self.reused,
            "shipped": self.shipped,
            "repaired": self.repaired,
            "flagged": self.flagged,
            "seconds": round(self.seconds, 2),
        }


class Progress:
    """A rich progress bar over the chunks to embed (none without a console)."""

    def __init__(self, console, total: int):
        self.bar = None
        if console is not None and total:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(
                TextColumn("[bold]embedding[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("chunks"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self.task = self.bar.add_task("embed", total=total)
            self.bar.start()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def print_summary(report: IngestReport, console) -> None:
    from rich.table import Table

    table = Table(title="kfqa ingest", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("store", report.store)
    table.add_row("files ingested", str(len(report.ingested)))
    table.add_row("files unchanged (skipped)", str(len(report.unchanged)))
    table.add_row("files removed", str(len(report.removed)))
    table.add_row("files failed", str(len(report.failed)))
    table.add_row("chunks added", str(report.chunks_added))
    table.add_row("vectors embedded / reused", f"{report.embedded} / {report.reused}")
    if report.shipped:
        table.add_row("  of the reused: shipped vectors", str(report.shipped))
    if report.repaired:
        table.add_row("missing vectors restored", str(report.repaired))
    table.add_row("chunks in store", str(report.chunks_total))
    table.add_row("flagged as instructions", str(report.flagged))
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
    for title, style, column, rows in (
        ("failed", "bold red", "reason", report.failed),
        ("warnings", "bold yellow", "message", report.warnings),
    ):
        if rows:
            listing = Table(title=title, title_justify="left", title_style=style)
            listing.add_column("file")
            listing.add_column(column)
            for file, text in rows:
                listing.add_row(terminal_safe(file), terminal_safe(text))
            console.print(listing)
