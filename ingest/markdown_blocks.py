"""Markdown block boundaries from markdown-it-py, whose tokens carry source line maps.

The parser decides where headings, paragraphs, lists and their items, tables, code (fenced or
indented), quotes and HTML blocks begin and end; chunking only ever takes char spans of the
source from those line ranges, so chunk texts stay verbatim slices and line numbers stay true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

_LISTS = ("bullet_list", "ordered_list")
_KINDS = {"fence": "code", "code_block": "code", "table": "table", "blockquote": "quote"}


@dataclass
class Block:
    kind: str  # heading | code | table | item | quote | para
    start: int  # char span in the source text
    end: int
    level: int = 0  # heading level
    title: str = ""  # heading text as written (inline Markdown kept)
    cont: bool = (
        False  # a later part of a list begun before (a later item, or an item's text after its sub-list)
    )


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


class _Lines:
    """Line index of ``text[start:stop]``: source line ranges -> char spans of ``text``."""

    def __init__(self, text: str, start: int, stop: int):
        self.text, self.stop = text, stop
        self.starts = [start] + [start + m.end() for m in re.finditer("\n", text[start:stop])]

    def span(self, first: int, end: int) -> tuple[int, int]:
        """Chars of lines ``[first, end)``, without trailing whitespace (blank lines a block map holds)."""
        s = self.starts[first]
        e = self.starts[end] if end < len(self.starts) else self.stop
        while e > s and self.text[e - 1].isspace():
            e -= 1
        return s, e


def markdown_blocks(text: str, start: int, stop: int, headings: bool = True) -> Iterator[Block]:
    """The blocks of ``text[start:stop]`` in source order (``start`` is the start of a line)."""
    lines = _Lines(text, start, stop)
    root = SyntaxTreeNode(_parser().parse(text[start:stop]))
    for node in root.children:
        if node.map is None:
            continue
        if node.type in _LISTS:
            yield from _list_blocks(node, lines, first_item=True)
            continue
        s, e = lines.span(*node.map)
        if s >= e:
            continue
        if node.type == "heading" and headings:
            title = node.children[0].content if node.children else ""
            yield Block("heading", s, e, level=int(node.tag[1:]), title=title)
        else:  # paragraphs, HTML blocks, rules, and headings of plain text read as text
            yield Block(_KINDS.get(node.type, "para"), s, e)


def _list_blocks(node: SyntaxTreeNode, lines: _Lines, first_item: bool) -> Iterator[Block]:
    """A list's items in order; an item's own text is one block, a sub-list's items follow it."""
    for item in node.children:
        if item.map is None:
            continue
        head = item.map[0]  # the item's text runs from its marker to its first sub-list
        for child in [*item.children, None]:
            if child is not None and (child.type not in _LISTS or child.map is None):
                continue
            end = child.map[0] if child is not None else item.map[1]
            s, e = lines.span(head, end) if head < end else (0, 0)
            if s < e:
                yield Block("item", s, e, cont=not first_item)
                first_item = False
            if child is None:
                break
            yield from _list_blocks(child, lines, first_item=False)
            head = child.map[1]
