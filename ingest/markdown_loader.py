"""Markdown (and plain text) -> drafts: heading sections, windows of whole blocks.

Hugo front matter (YAML ``---`` or TOML ``+++``) is parsed for the title and description and
left out of the text; line numbers stay those of the original file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import tomllib

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest import limits
from kfqa.ingest.chunking import (
    LineIndex,
    Section,
    TableIndex,
    Unit,
    count,
    fit_units,
    markdown_sections,
    pack,
    prefix_text,
    text_budget,
    trim_span,
)
from kfqa.ingest.limits import exceeded, label
from kfqa.ingest.loaders import TARGET, Draft, Loaded, LoadError, name_label


@dataclass
class _Doc:
    """One Markdown text with the indexes its windows are cut by."""

    text: str
    title: str
    lines: LineIndex
    tables: TableIndex


@dataclass
class FrontMatter:
    data: dict[str, Any]
    body_start: int  # char offset where the body starts
    span: tuple[int, int]  # char span of the front matter's own lines, (0, 0) when none
    warnings: list[str]


def front_matter(text: str) -> FrontMatter:
    first_nl = text.find("\n")
    first = (text if first_nl < 0 else text[:first_nl]).rstrip("\r").strip()
    if first not in ("---", "+++"):
        return FrontMatter({}, 0, (0, 0), [])
    close = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$" if first == "---" else r"^\+\+\+[ \t]*\r?$", re.M)
    m = close.search(text, first_nl + 1)
    if not m:
        return FrontMatter({}, 0, (0, 0), [])
    span = (first_nl + 1, m.start())
    body_start = m.end() + 1 if m.end() < len(text) else m.end()
    data, warning = _parse_front_matter(text[span[0] : span[1]], yaml_syntax=first == "---")
    return FrontMatter(data, body_start, span, [warning] if warning else [])


def _parse_front_matter(raw: str, yaml_syntax: bool) -> tuple[dict[str, Any], str]:
    """(mapping, warning); the warning is "" when the front matter is a usable mapping. Front
    matter whose YAML aliases expand past MAX_FRONT_MATTER_NODES raises LoadError (an alias bomb)."""
    try:
        data = _load_yaml(raw) if yaml_syntax else tomllib.loads(raw)
    except LoadError:
        raise
    except Exception as exc:  # YAML / TOML errors of every flavour, nesting too deep included
        return {}, f"front matter could not be parsed ({type(exc).__name__}); ignored"
    if not isinstance(data, dict):
        return {}, "front matter is not a mapping; ignored"
    return data, ""


def _load_yaml(raw: str) -> Any:
    """Safe YAML, with the document's size counted as if every alias were expanded before any
    object is built: a few hundred bytes of nested aliases would otherwise unfold into gigabytes
    wherever the value is read as text."""
    import yaml

    loader = yaml.SafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        size = _expanded_nodes(node)
        if size > limits.MAX_FRONT_MATTER_NODES:
            raise LoadError(
                exceeded("front matter with its YAML aliases expanded", "MAX_FRONT_MATTER_NODES", size)
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_nodes(root) -> int:
    """Nodes of a composed YAML graph counted once per reference (aliases share node objects), in
    time linear in the distinct nodes: each node's expanded size is computed once."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node.value, list):
            children = [c for item in node.value for c in (item if isinstance(item, tuple) else (item,))]
        else:
            children = []
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _title(fm: FrontMatter, text: str, name: str, headings: bool) -> str:
    title = str(fm.data.get("title") or "").strip()
    if not title and headings:
        m = re.search(r"^ {0,3}#[ \t]+(.+?)[ \t#]*$", text[fm.body_start :], re.M)
        if m:
            title = re.sub(r"[*_`]", "", m.group(1)).strip()
    if not title:
        title = PurePosixPath(name_label(name)).stem.replace("-", " ").replace(
            "_", " "
        ).strip() or name_label(name)
    return label(title)


def load_markdown(text: str, name: str, headings: bool = True) -> Loaded:
    fm = front_matter(text)
    title = _title(fm, text, name, headings)
    description = str(fm.data.get("description") or "").strip()
    doc = _Doc(text, title, LineIndex(text), TableIndex(text))
    drafts: list[Draft] = []
    # the budget depends on the prefix, which depends on the section: fitted per section
    generic_budget = text_budget(prefix_text([title]), 0) - 30
    for sec in markdown_sections(text, fm.body_start, generic_budget, headings):
        drafts.extend(_section_drafts(doc, sec))
    if not drafts and description:
        drafts.extend(_description_draft(text, doc.lines, title, fm.span))
    meta = {"description": description} if description else {}
    return Loaded(title=title, drafts=drafts, warnings=fm.warnings, meta=meta)


def _section_drafts(doc: _Doc, sec: Section) -> list[Draft]:
    """The windows of one heading section."""
    text = doc.text
    section = " > ".join(sec.path)
    prefix = prefix_text([doc.title, *sec.path])
    budget = text_budget(prefix)
    units = sec.units
    if any(u.tokens > budget for u in units):  # long prefix: re-fit the oversize units
        units = [v for u in units for v in _refit(text, u, budget)]

    def window_prefix(i: int) -> str:
        # a window starting inside a table carries the column names, when they fit
        header = doc.tables.header(units[i].start)
        with_header = f"{prefix}\n{header}".strip()
        body = text[units[i].start : units[i].end]
        fits = header and count(with_header + "\n" + body) <= EMBED_MAX_TOKENS
        return with_header if fits else prefix

    def measure(i: int, j: int) -> int:
        return count(window_prefix(i) + "\n" + text[units[i].start : units[j - 1].end])

    drafts = []
    for k, (i, j) in enumerate(pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure)):
        s, e = units[i].start, units[j - 1].end
        a, b = doc.lines.line_of(s), doc.lines.line_of(max(s, e - 1))
        drafts.append(
            Draft(
                text=text[s:e],
                prefix=window_prefix(i),
                section=section,
                line_start=a,
                line_end=b,
                anchor=f"#L{a}-L{b}",
                section_key=section,
                section_window=k,
                continued=units[i].cont,
                opens_in_code=units[i].fenced and units[i].cont,
            )
        )
    return drafts


def _refit(text: str, unit: Unit, budget: int) -> list[Unit]:
    if unit.tokens <= budget:
        return [unit]
    pieces = fit_units(text, [(unit.start, unit.end)], budget, unit.kind)
    pieces[0].cont = unit.cont
    for piece in pieces:
        piece.fenced = unit.fenced
    return pieces


def _description_draft(text: str, lines: LineIndex, title: str, span: tuple[int, int]) -> list[Draft]:
    """A section index page (Hugo _index.md) with only front matter: its title and description
    lines are the page's text, cited with their own line numbers."""
    s, e = trim_span(text, *span)
    prefix = prefix_text([title])
    if s >= e or count(text[s:e]) > text_budget(prefix):
        return []
    a, b = lines.line_of(s), lines.line_of(e - 1)
    return [Draft(text=text[s:e], prefix=prefix, line_start=a, line_end=b, anchor=f"#L{a}-L{b}")]
