"""Limits on what one file may expand to, not only its size on disk.

A small hostile file can unfold into far more than its bytes: a YAML alias bomb, a PDF content
stream that inflates to megabytes, a run of characters without spaces that the tokenizer counts
as one word. Each limit is a named constant, several times what the bundled corpus needs (its
largest file gives about 100,000 characters and 175 windows, its largest window 2,100
characters, its largest PDF page 4,200 characters from a 105 KB content stream; a 20,000-reply
review thread is 3.2 million characters in 2,843 windows and still fits). A file over a
limit is skipped with a message naming the limit; nothing else in the batch is affected.
"""

from __future__ import annotations

MAX_FILE_TEXT_CHARS = 5_000_000  # text of one file (decoded, or extracted from all PDF pages)
MAX_PAGE_TEXT_CHARS = 100_000  # text extracted from one PDF page
MAX_PAGE_CONTENT_BYTES = 2_000_000  # one PDF page's decoded content stream (pypdf parses ~0.2 MB/s)
MAX_PDF_CONTENT_BYTES = 20_000_000  # all pages' decoded content streams of one PDF
MAX_CHUNK_CHARS = 4_000  # characters in one window, whatever its words: long runs are split
MAX_CHUNKS_PER_FILE = 5_000  # windows of one file
MAX_FRONT_MATTER_NODES = 10_000  # YAML nodes of front matter once aliases are expanded
MAX_LABEL_CHARS = 1_000  # a title, heading, author or file name used in a prefix or a header line

_UNITS = {
    "MAX_FILE_TEXT_CHARS": "characters",
    "MAX_PAGE_TEXT_CHARS": "characters",
    "MAX_PAGE_CONTENT_BYTES": "bytes",
    "MAX_PDF_CONTENT_BYTES": "bytes",
    "MAX_CHUNK_CHARS": "characters",
    "MAX_CHUNKS_PER_FILE": "windows",
    "MAX_FRONT_MATTER_NODES": "nodes",
}


def exceeded(what: str, limit: str, found: int | None = None) -> str:
    """The reason a file is skipped: "skipped: <what> exceeds <LIMIT> (<value> <unit>)"."""
    value = globals()[limit]
    seen = f"; found {found:,}" if found is not None else ""
    return f"skipped: {what} exceeds {limit} ({value:,} {_UNITS[limit]}{seen})"


def label(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis) for use as a title, heading or name."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
