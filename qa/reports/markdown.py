"""Markdown structure the reports read from source files: headed sections with their line
ranges, and the labelled items of a section (``* Label. prompt`` bullets, ``| field | prompt |``
table rows). Pure text functions: no store, no model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfqa.text import is_table_rule

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


@dataclass
class Section:
    heading: str  # "" for text before the first heading
    level: int
    path: list[str]  # headings from the top down to this one
    line_start: int  # 1-based, the heading line
    line_end: int  # last line before the next heading
    lines: list[str] = field(default_factory=list)  # the body, without the heading line

    @property
    def key(self) -> str:
        return " > ".join(self.path)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip()


def plain(text: str) -> str:
    """Text without Markdown links, emphasis and code marks, whitespace folded."""
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def sections(text: str) -> list[Section]:
    """Every headed section of a Markdown text, in order (fenced code is never a heading)."""
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    current = Section("", 0, [], 1, 0)
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            current.lines.append(line)
            current.line_end = number
            continue
        if current.heading or current.body:
            out.append(current)
        level, heading = len(match.group(1)), plain(match.group(2))
        stack = [(lv, h) for lv, h in stack if lv < level] + [(level, heading)]
        current = Section(heading, level, [h for _, h in stack], number, number)
    if current.heading or current.body:
        out.append(current)
    return out


@dataclass
class Labelled:
    """A bullet or table row that names an item: ``* Label. text`` or ``| Label | text |``."""

    label: str
    text: str  # the prompt that follows the label (plain text)
    depth: int  # bullet indentation level; 0 for table rows
    line: int  # 1-based line in the file


def labelled_bullets(section: Section) -> list[Labelled]:
    """Bullets of a section that open with a short label ending in a period or colon."""
    items: list[Labelled] = []
    for offset, (indent, text) in enumerate(_bullets(section.lines)):
        first, rest = _split_label(plain(text))
        if first:
            items.append(Labelled(first, rest, indent, section.line_start + 1 + offset))
    return [i for i in items if i.label]


def _bullets(lines: list[str]) -> list[tuple[int, str]]:
    """(indent level, text) per line slot: a bullet's wrapped lines joined onto it, other lines ''."""
    out: list[tuple[int, str]] = []
    open_item = -1
    for line in lines:
        match = _BULLET.match(line)
        if match:
            out.append((len(match.group(1).expandtabs(2)) // 2, match.group(2)))
            open_item = len(out) - 1
            continue
        if line.strip() and open_item >= 0 and not line.lstrip().startswith(("|", "#", "<")):
            indent, text = out[open_item]
            out[open_item] = (indent, f"{text} {line.strip()}")
        else:
            open_item = -1 if not line.strip() else open_item
        out.append((0, ""))
    return out


def bullet_openings(section: Section) -> list[Labelled]:
    """Every bullet of a section with its opening clause as the label: "In regards to the
    development pipeline, there is ..." names the development pipeline."""
    out = []
    for offset, (indent, text) in enumerate(_bullets(section.lines)):
        if text:
            words = plain(text)
            out.append(Labelled(" ".join(re.split(r"[,.:;]\s", words)[0].split()[:10]), words, indent, section.line_start + 1 + offset))
    return out


def html_fields(section: Section) -> list[Labelled]:
    """Rows of an HTML table (``<tr><td>Name</td><td>value</td></tr>``) as (name, value) fields."""
    body = "\n".join(section.lines)
    out = []
    for row in re.finditer(r"<tr>(.*?)</tr>", body, re.DOTALL | re.IGNORECASE):
        cells = [plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL | re.IGNORECASE)]
        if len(cells) >= 2 and cells[0] and cells[1]:
            line = section.line_start + 1 + body[: row.start()].count("\n")
            out.append(Labelled(cells[0].rstrip("?"), cells[1], 0, line))
    return out


def _split_label(text: str) -> tuple[str, str]:
    """``"Critical. A listing ..."`` -> ("Critical", "A listing ..."); no label -> ("", text).
    A label is at most six words; a bullet that starts with a link keeps the link's words."""
    match = re.match(r"^(.{2,60}?)[.:](\s+|$)(.*)$", text)
    if not match or len(match.group(1).split()) > 6:
        return "", text
    return match.group(1).strip(), match.group(3).strip()


def table_fields(section: Section, min_words: int = 3) -> list[Labelled]:
    """Rows of the section's tables whose second cell says something (at least ``min_words``
    words, not a bare link): a template's field prompts, an assessment's field values."""
    out = []
    for offset, line in enumerate(section.lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else []
        if len(cells) < 2 or is_table_rule(line) or not cells[0] or not cells[1]:
            continue
        prompt = plain(cells[1])
        if re.match(r"^<?https?://", cells[1]) or len(prompt.split()) < min_words:
            continue
        out.append(Labelled(plain(cells[0]).rstrip("?"), prompt, 0, section.line_start + 1 + offset))
    return out


def has_prose(section: Section) -> bool:
    """The section's body has running text of its own (not only bullets, tables or links)."""
    in_bullet = False
    for line in section.lines:
        stripped = line.strip()
        if not stripped:
            in_bullet = False
            continue
        if _BULLET.match(line):
            in_bullet = True
            continue
        if in_bullet or stripped.startswith(("|", "<!--", "#", "<")):
            continue  # a bullet's wrapped line, a table, a comment
        if len(plain(stripped).split()) >= 4:
            return True
    return False


def only_links(section: Section) -> bool:
    """A table of contents: every line of the body is a link to an anchor."""
    lines = [line.strip() for line in section.lines if line.strip()]
    return bool(lines) and all(re.match(r"^[-*+]\s*\[[^\]]+\]\(#", line) for line in lines)
