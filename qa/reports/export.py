"""The reports as JSON objects, Markdown tables and CSV: one shape for the CLI, the UI and files.
Every quote travels with its citation (commit-pinned URL, lines, exact text)."""

from __future__ import annotations

import csv
import io
from typing import Any

from kfqa.qa.reports.coverage import Coverage, CoverageRow
from kfqa.qa.reports.ledger import Ledger, LedgerRow, Resolution
from kfqa.types import Citation

LEDGER_COLUMNS = ["thread", "comment", "who", "when", "file", "line", "request", "status", "resolution", "links"]
COVERAGE_COLUMNS = ["item", "kind", "status", "template asks", "assessment", "links"]


def _cite(c: Citation | None) -> dict[str, Any] | None:
    return c.to_json() if c is not None else None


def ledger_json(ledger: Ledger) -> dict[str, Any]:
    return {
        "threads": ledger.threads,
        "capture_gaps": ledger.notes,
        "counts": ledger_counts(ledger),
        "rows": [_row_json(r) for r in ledger.rows],
    }


def ledger_counts(ledger: Ledger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in ledger.rows:
        for status in row.status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def _row_json(r: LedgerRow) -> dict[str, Any]:
    return {
        "thread": r.thread,
        "comment_id": r.comment_id,
        "kind": r.kind,
        "who": r.who,
        "date": r.date,
        "file": r.file or None,
        "line": r.line or None,
        "request": r.request.quote if r.request else r.request_text,
        "request_citation": _cite(r.request),
        "status": r.status,
        "resolutions": [
            {"kind": x.kind, "summary": x.summary, "who": x.who or None, "section": x.section or None,
             "citations": [c.to_json() for c in x.citations]}
            for x in r.resolutions
        ],
        "notes": r.notes,
    }


def _cell(text: str, limit: int = 400) -> str:
    """Text made safe for one Markdown table cell: one line, pipes escaped, no raw HTML."""
    text = " ".join(str(text).split())
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(c: Citation, label: str) -> str:
    return f"[{label}]({c.chunk.meta.url})" if c.chunk.meta.url else label


def _resolution_md(x: Resolution) -> str:
    quotes = "; ".join(f"{'after' if c.n == 1 and x.kind == 'changed' else 'before' if x.kind == 'changed' else 'reply'}: “{_cell(c.quote, 200)}”" for c in x.citations)
    return f"**{x.kind}** {_cell(x.summary, 200)}" + (f" — {quotes}" if quotes and x.kind == "changed" else "")


def ledger_markdown(ledger: Ledger) -> str:
    lines = [f"# Review ledger: {', '.join(ledger.threads) or 'no threads'}", ""]
    counts = ledger_counts(ledger)
    lines += [", ".join(f"{k}: {v}" for k, v in counts.items()) or "No reviewer requests.", ""]
    lines += ["| " + " | ".join(LEDGER_COLUMNS) + " |", "|" + " --- |" * len(LEDGER_COLUMNS)]
    for r in ledger.rows:
        links = [_link(r.request, "request")] if r.request else []
        links += [_link(c, f"{x.kind}[{c.n}]") for x in r.resolutions for c in x.citations]
        resolution = "<br>".join(_resolution_md(x) for x in r.resolutions)
        notes = "".join(f"<br>_capture: {_cell(n, 200)}_" for n in r.notes)
        cells = [r.thread, r.comment_id, r.who, r.date, r.file, str(r.line or ""), _cell(r.request.quote if r.request else r.request_text, 300),
                 ", ".join(r.status), resolution + notes, " ".join(links)]
        lines.append("| " + " | ".join(c if i in (8, 9) else _cell(c) for i, c in enumerate(cells)) + " |")
    for thread, gaps in ledger.notes.items():
        if gaps:
            lines += ["", f"**Capture gaps in {thread}**", *[f"- {_cell(g, 600)}" for g in gaps]]
    return "\n".join(lines) + "\n"


def ledger_csv(ledger: Ledger) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LEDGER_COLUMNS)
    for r in ledger.rows:
        links = ([r.request.chunk.meta.url] if r.request else []) + [c.chunk.meta.url for x in r.resolutions for c in x.citations]
        resolution = " || ".join(
            f"{x.kind}: {x.summary}" + "".join(f" [{c.n}] “{c.quote}”" for c in x.citations) for x in r.resolutions
        )
        writer.writerow([r.thread, r.comment_id, r.who, r.date, r.file, r.line or "", r.request.quote if r.request else r.request_text,
                         ";".join(r.status), resolution, " ".join(dict.fromkeys(links))])
    return out.getvalue()


def coverage_json(cov: Coverage) -> dict[str, Any]:
    return {
        "assessment": cov.assessment,
        "template": cov.template,
        "counts": cov.counts(),
        "rows": [_coverage_row_json(r) for r in cov.rows],
    }


def _coverage_row_json(r: CoverageRow) -> dict[str, Any]:
    return {
        "id": r.item.id,
        "item": r.item.label,
        "kind": r.item.kind,
        "parent": r.item.parent or None,
        "status": r.status,
        "template_prompt": r.item.prompt,
        "template_line": r.item.line,
        "reason": r.reason,
        "place": r.place or None,
        "citations": [c.to_json() for c in r.citations],
    }


def coverage_markdown(cov: Coverage) -> str:
    counts = cov.counts()
    lines = [f"# Template coverage: {cov.assessment}", "", f"Against {cov.template}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), ""]
    lines += ["| " + " | ".join(COVERAGE_COLUMNS) + " |", "|" + " --- |" * len(COVERAGE_COLUMNS)]
    for r in cov.rows:
        said = "<br>".join(f"[{c.n}] “{_cell(c.quote, 220)}”" for c in r.citations[:2])
        where = _cell(r.place) + (f": {_cell(r.reason)}" if r.status != "covered" else "")
        links = " ".join(_link(c, f"[{c.n}]") for c in r.citations)
        cells = [_cell(r.item.label), r.item.kind, f"**{r.status}**", f"“{_cell(r.item.prompt, 300)}”", where + ("<br>" + said if said else ""), links]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
