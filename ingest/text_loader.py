"""Bytes to text (UTF-8, or UTF-16 with its byte-order mark), and plain-text files."""

from __future__ import annotations

from kfqa.ingest.loaders import Loaded, LoadError
from kfqa.ingest.markdown_loader import load_markdown


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """UTF-8 text of ``data``; refuses binary content; replaces undecodable bytes with a warning."""
    if b"\x00" in data[:1_000_000]:
        raise LoadError("binary content (NUL bytes) in a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, [
            f"not valid UTF-8 (first bad byte at offset {exc.start}); {bad} character(s) replaced with U+FFFD"
        ]


def load_plain_text(text: str, name: str) -> Loaded:
    """Paragraphs and sentences; a ``#`` line is text, not a heading."""
    return load_markdown(text, name, headings=False)
