"""Markdown export of answers and conversations (also usable by the CLI: works on ``Answer.to_json()``)."""

from __future__ import annotations

from typing import Any

from kfqa.qa.answerability import ABSTAIN_TEXT


def _quote_block(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in (text or "").strip().splitlines())


def answer_to_markdown(answer: dict[str, Any], heading_level: int = 2) -> str:
    """One answer (``Answer.to_json()``) as Markdown: the question, the answer, then its numbered sources."""
    h = "#" * max(1, min(6, heading_level))
    lines = [f"{h} {' '.join(str(answer.get('question', '')).split())}", ""]
    if answer.get("abstained"):
        lines += [f"_{ABSTAIN_TEXT}_", ""]
        if answer.get("answer"):
            lines += [answer["answer"].strip(), ""]
        closest = answer.get("closest") or []
        if closest:
            lines += ["Closest material:", ""]
            for r in closest:
                section = f" — {r['section']}" if r.get("section") else ""
                lines.append(f"- `{r.get('source', '')}`{section}")
            lines.append("")
    else:
        lines += [str(answer.get("answer", "")).strip(), ""]
    for notice in answer.get("notices") or []:
        lines += [f"> **Note:** {notice}", ""]
    citations = answer.get("citations") or []
    if citations:
        lines += ["**Sources**", ""]
        for c in citations:
            where = ", ".join(
                x for x in (f"page {c['page']}" if c.get("page") else "", f"lines {c['lines']}" if c.get("lines") else "") if x
            )
            title = c.get("title") or c.get("source", "")
            link = f"[{title}]({c['url']})" if c.get("url") else title
            bits = [f"{c['n']}. {link} ({c.get('kind', '')})"]
            if c.get("section"):
                bits.append(f" — {c['section']}")
            bits.append(f" — `{c.get('source', '')}`" + (f", {where}" if where else ""))
            if c.get("page_url"):
                bits.append(f" — [rendered page]({c['page_url']})")
            if c.get("flagged"):
                bits.append(" — ⚠ flagged as possible prompt injection")
            lines.append("".join(bits))
            lines.append("")
            lines.append("   " + _quote_block(c.get("quote", "")).replace("\n", "\n   "))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def conversation_to_markdown(answers: list[dict[str, Any]], title: str = "kfqa conversation") -> str:
    if not answers:
        return ""
    parts = [f"# {title}", ""]
    for a in answers:
        parts.append(answer_to_markdown(a, heading_level=2))
    return "\n".join(parts).rstrip() + "\n"
