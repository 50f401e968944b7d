"""Loaders: file bytes -> draft chunks (text, section, location), one module per format.

* Markdown with Hugo front matter (``markdown_loader``).
* Review threads, ``reviews/*.json`` (``review_loader``): comments grouped into conversations.
* PDF via pypdf, page by page (``pdf_loader``).
* Plain text: paragraphs and sentences (``text_loader``, which also decodes bytes to text).

This module holds what every format shares (``Draft``, ``Loaded``, ``LoadError``), picks the
format and dispatches. Problems the user can fix raise ``LoadError`` with the reason; the
pipeline reports it with the file name and goes on with the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfqa.ingest import limits
from kfqa.ingest.chunking import embed_input
from kfqa.ingest.limits import exceeded, label
from kfqa.ingest.sources import JSON_EXT, MARKDOWN_EXT, PDF_EXT, TEXT_EXT
from kfqa.text import terminal_safe

TARGET = 190  # preferred window size in word pieces, before the model's limit


class LoadError(Exception):
    """A file that can't be ingested; the message says why."""


@dataclass
class Draft:
    text: str
    prefix: str  # prefixed to the embedded text (heading path, title, diff hunk)
    section: str = ""
    line_start: int = 0
    line_end: int = 0
    page: int = 0
    anchor: str = ""  # appended to the source url: "#L3-L9", "#page=4", "#c12"
    section_key: str = ""  # the section's identity: ``section`` without a PDF "Page N > " prefix
    section_window: int = 0  # position of this window within its section
    continued: bool = False  # starts inside a block (list, table, comment) begun in an earlier window
    opens_in_code: bool = False  # starts inside a fenced code block (its text up to the closing fence is code)
    lead_chars: int = 0  # chars at the start of ``text`` the loader added (a repeated comment header)
    # review comments: the comment the window starts with
    author: str = ""
    date: str = ""
    comment_type: str = ""  # review | review_comment | issue_comment | description
    comment_id: str = ""
    reply_to: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def embed_text(self) -> str:
        return embed_input(self.prefix, self.text)


@dataclass
class Loaded:
    title: str
    drafts: list[Draft]
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def name_label(name: str) -> str:
    """A file name fit to be a title: valid UTF-8 (a name's undecodable bytes become U+FFFD), no
    terminal escapes or other control characters, bounded in length."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that isn't an escaped byte
        raw = name.encode("utf-8", "replace")
    return label(terminal_safe(raw.decode("utf-8", "replace")))


def detect_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if ext in PDF_EXT or head.startswith(b"%PDF"):
        return "pdf"
    if ext in MARKDOWN_EXT:
        return "markdown"
    if ext in JSON_EXT:
        return "review"
    if ext in TEXT_EXT:
        stripped = head.lstrip()
        if stripped.startswith(b"{") and b'"comments"' in head:
            return "review"
        if stripped.startswith((b"---", b"+++", b"#")):
            return "markdown"
        return "text"
    return "unsupported"


def load_file(data: bytes, fmt: str, name: str, url: str) -> Loaded:
    """The drafts of one file. Whatever goes wrong, what is raised is a LoadError with the reason
    (the pipeline reports it with the file's name and goes on with the batch)."""
    try:
        loaded = _load(data, fmt, name, url)
    except LoadError:
        raise
    except RecursionError as exc:
        raise LoadError("nested too deeply to read") from exc
    except MemoryError as exc:
        raise LoadError("too large to load in memory") from exc
    except Exception as exc:  # a loader bug must not read as a crash of the batch
        raise LoadError(f"could not be loaded ({type(exc).__name__}: {exc})") from exc
    if not loaded.drafts:
        raise LoadError("no text to index (only front matter or headings)")
    if len(loaded.drafts) > limits.MAX_CHUNKS_PER_FILE:
        raise LoadError(exceeded("windows", "MAX_CHUNKS_PER_FILE", len(loaded.drafts)))
    return loaded


def _load(data: bytes, fmt: str, name: str, url: str) -> Loaded:
    # the format modules import Draft from here, so they are imported when first needed
    from kfqa.ingest.markdown_loader import load_markdown
    from kfqa.ingest.pdf_loader import load_pdf
    from kfqa.ingest.review_loader import load_review
    from kfqa.ingest.text_loader import decode_text, load_plain_text

    if not data.strip():
        raise LoadError("empty file")
    if fmt == "pdf":
        return load_pdf(data, name)
    text, warnings = decode_text(data)
    if not text.strip():
        raise LoadError("empty file (only whitespace)")
    if fmt == "markdown":
        loaded = load_markdown(text, name)
    elif fmt == "review":
        loaded = load_review(text, name, url)
    else:
        loaded = load_plain_text(text, name)
    loaded.warnings = warnings + loaded.warnings
    return loaded
