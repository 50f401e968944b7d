"""Bytes to text (UTF-8, or UTF-16/32 with a byte-order mark), and plain-text files."""

from __future__ import annotations

import re

from kfqa.ingest import limits
from kfqa.ingest.limits import exceeded
from kfqa.ingest.loaders import Loaded, LoadError
from kfqa.ingest.markdown_loader import load_markdown

# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
_BOMS = [
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]
BINARY_SAMPLE_CHARS = 65_536  # decoded characters looked at to tell text from binary
BINARY_SHARE = 0.30  # text has few undecodable or control characters; binary data has many
# controls text never holds: C0 but tab, newline, vertical tab, form feed and carriage return; DEL; C1
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """The text of ``data`` and warnings; binary content raises LoadError. Undecodable bytes in
    otherwise readable text are replaced (U+FFFD) with a warning."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    if encoding == "utf-8" and b"\x00" in data[:1_000_000]:
        raise LoadError("binary content (NUL bytes) in a text file")
    try:
        text, warnings = data.decode(encoding), []
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        warnings = [
            f"not valid {encoding.upper()} (first bad byte at offset {exc.start}); "
            f"{bad} character(s) replaced with U+FFFD"
        ]
    sample = text[:BINARY_SAMPLE_CHARS]
    odd = len(_NOT_TEXT.findall(sample))
    if sample and odd / len(sample) > BINARY_SHARE:
        raise LoadError(
            f"binary content: {odd / len(sample):.0%} of the characters are undecodable or control codes"
        )
    if len(text) > limits.MAX_FILE_TEXT_CHARS:
        raise LoadError(exceeded("text", "MAX_FILE_TEXT_CHARS", len(text)))
    return text, warnings


def load_plain_text(text: str, name: str) -> Loaded:
    """Paragraphs and sentences; a ``#`` line is text, not a heading."""
    return load_markdown(text, name, headings=False)
