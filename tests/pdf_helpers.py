"""Small real PDFs written byte by byte (no PDF library needed to make them), for loader tests."""

from __future__ import annotations

import zlib


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def page_stream(lines: list[str]) -> bytes:
    """A content stream drawing ``lines`` top to bottom in Helvetica 10pt."""
    ops = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"]
    for line in lines:
        ops.append(f"({_escape(line)}) Tj T*")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def make_pdf(pages: list[list[str]] | list[bytes], title: str = "") -> bytes:
    """A PDF whose pages draw the given lines (or use the given raw content streams), Flate-compressed."""
    streams = [p if isinstance(p, bytes) else page_stream(p) for p in pages]
    n = len(streams)
    # objects: 1 catalog, 2 pages, 3 font, 4 info, then (page, content) pairs
    kids = " ".join(f"{5 + 2 * k} 0 R" for k in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_escape(title)}) >>".encode("latin-1"),
    ]
    for k, raw in enumerate(streams):
        packed = zlib.compress(raw, 9)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {6 + 2 * k} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def with_outline(pdf: bytes, entries: list[tuple[int, str, int]]) -> bytes:
    """``pdf`` with an outline (bookmarks): (depth, title, 0-based page) in reading order, written by
    pypdf as a PDF producer writes one."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    parents: list = []
    for depth, title, page in entries:
        del parents[depth:]
        parents.append(writer.add_outline_item(title=title, page_number=page, parent=parents[-1] if parents else None))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
