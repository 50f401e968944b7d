"""PDF -> drafts via pypdf, page by page (``extract_text()``, so quotes match the extracted text).

A running header and footer (lines most pages share) stay out of the chunks. Sections come from
the PDF's outline (its bookmarks) when it has one: each bookmark's title is found on its page and
starts a section there, mid-page too, under its parents' titles ("Scorecard > Model Registry
(7.7/10)"). A page no bookmark starts, whose first short line reads as a heading, starts a
subsection of the bookmark before it ("Threat model > Katib > Attack Surfaces"); without an outline
that first line is the page's heading. A heading holds until the next one, so a finding running
onto the next page keeps its section.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePosixPath

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest import limits
from kfqa.ingest.chunking import count, fit_units, pack, prefix_text, sentence_spans, text_budget
from kfqa.ingest.limits import exceeded, label
from kfqa.ingest.loaders import TARGET, Draft, Loaded, LoadError, name_label
from kfqa.ingest.pdf_outline import Bookmark, heading_starts, read_bookmarks


@dataclass(frozen=True)
class PdfText:
    pages: list[str]  # each page's extracted text
    title: str  # from the document's metadata, or ""
    bookmarks: list[Bookmark]  # the outline in reading order; [] when it has none (or a broken one)


def read_pdf(data: bytes) -> PdfText:
    """The text of each page, the metadata title and the outline of a PDF (``LoadError`` if unreadable)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        _decrypt(reader)
        pages = _extract(reader.pages)
    except LoadError:
        raise
    except LimitReachedError as exc:  # pypdf's own cap on what a stream may inflate to
        raise LoadError(exceeded("a content stream", "MAX_PAGE_CONTENT_BYTES") + f" ({exc})") from exc
    except Exception as exc:  # pypdf raises many things on broken files
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    try:
        meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:  # a broken info dictionary only costs the title
        meta_title = ""
    return PdfText(pages, meta_title, read_bookmarks(reader, len(pages)))


def _decrypt(reader) -> None:
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    try:
        ok = reader.decrypt("")
    except DependencyError as exc:
        raise LoadError(f"encrypted PDF that needs the cryptography package to read ({exc})") from exc
    except Exception as exc:
        raise LoadError(f"encrypted PDF ({type(exc).__name__}: {exc})") from exc
    if not ok:
        raise LoadError("encrypted PDF (needs a password, which kfqa does not have): decrypt it first")


def _extract(pages) -> list[str]:
    """Each page's text, checking what it inflates to before and after extraction: pypdf's time
    grows with the content stream, a tiny compressed file can hold megabytes of it."""
    texts: list[str] = []
    content_total = text_total = 0
    for n, page in enumerate(pages, start=1):
        size = _content_bytes(page)
        if size > limits.MAX_PAGE_CONTENT_BYTES:
            raise LoadError(exceeded(f"page {n}'s content stream", "MAX_PAGE_CONTENT_BYTES", size))
        content_total += size
        if content_total > limits.MAX_PDF_CONTENT_BYTES:
            raise LoadError(exceeded("the pages' content streams", "MAX_PDF_CONTENT_BYTES", content_total))
        text = page.extract_text() or ""
        if len(text) > limits.MAX_PAGE_TEXT_CHARS:
            raise LoadError(exceeded(f"text extracted from page {n}", "MAX_PAGE_TEXT_CHARS", len(text)))
        text_total += len(text)
        if text_total > limits.MAX_FILE_TEXT_CHARS:
            raise LoadError(exceeded("extracted text", "MAX_FILE_TEXT_CHARS", text_total))
        texts.append(text)
    return texts


def _content_bytes(page) -> int:
    """Decoded bytes of the streams text extraction reads on ``page``: its contents and form XObjects."""
    from pypdf.generic import ArrayObject

    streams = []
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        streams += [c.get_object() for c in contents] if isinstance(contents, ArrayObject) else [contents]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in xobjects.get_object().values() if xobjects is not None else []:
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Form":
            streams.append(obj)
    return sum(len(s.get_data()) for s in streams if hasattr(s, "get_data"))


def load_pdf(data: bytes, name: str) -> Loaded:
    pdf = read_pdf(data)
    pages = pdf.pages
    if not any(p.strip() for p in pages):
        raise LoadError("PDF has no extractable text (scanned images?)")
    title = label(pdf.title) or PurePosixPath(name_label(name)).stem.replace("_", " ").replace("-", " ")
    # a running header is a first line shared by most pages (a page's heading, if any, is the line after it)
    header = _most_pages(pages, lambda lines: lines[0])
    footer = _running_footer(pages)
    drafts: list[Draft] = []
    starts = heading_starts(pages, pdf.bookmarks, lambda page: _body_span(page, header, footer))
    heading = outline = ""  # the section the text has reached; the last bookmark's heading path
    for n, page in enumerate(pages, start=1):
        cuts = starts.get(n - 1, [])
        # the running header and footer stay out of the chunks: they would lead every passage
        start, end = _body_span(page, header, footer) if page.strip() else (0, 0)
        if start != end:
            bookmark_starts_page = bool(cuts) and not page[start : cuts[0][0]].strip()
            top = "" if bookmark_starts_page else _page_heading(page, header)
            if top:  # a heading no bookmark gives: a subsection of the last bookmark's section
                heading = f"{outline} > {top}" if outline else top
            for (at, name), (stop, _) in pairwise([(start, heading), *cuts, (end, "")]):
                if page[at:stop].strip():
                    drafts.extend(_page_drafts(page, (at, stop), n, title, name, drafts[-1] if drafts else None))
        if cuts:  # (a bookmark on a page without text still starts its section)
            heading = outline = cuts[-1][1]
    return Loaded(title=title, drafts=drafts, meta={"pages": len(pages)})


def _page_heading(page: str, header: str | None) -> str:
    """The page's first line when it reads as a heading (short, not ending a sentence), else ""."""
    plines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
    if header and plines and plines[0] == header:
        plines = plines[1:]
    if plines and len(plines[0]) <= 80 and not plines[0].endswith((".", ",", ":")) and len(plines) > 1 \
            and _starts_a_heading(plines[0]):
        return plines[0]
    return ""


_SECTION_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)*\.?\s+")


def _starts_a_heading(line: str) -> bool:
    """A heading starts with a capital, after its number if it has one ("3.1 Findings"); a page going
    on with a table row ("10 / 10 Dependency-Update-Tool High") or a code listing ("22 return
    username", ")") starts with neither, and the heading before it holds. (A printed heading that
    starts in lower case, "kubectl access", is read as text: rare in print, and the heading before
    it still holds.)"""
    return _SECTION_NUMBER_RE.sub("", line, count=1)[:1].isupper()


def _page_drafts(
    page: str, span: tuple[int, int], n: int, title: str, heading: str, previous: Draft | None
) -> list[Draft]:
    """The windows of page ``n``'s body ``page[span]``; ``previous`` is the document's last window so far."""
    section = f"Page {n}" + (f" > {heading}" if heading else "")
    section_key = heading or f"Page {n}"  # a finding running onto the next page is one section
    prefix = prefix_text([title, section])
    budget = text_budget(prefix)
    units = fit_units(page, sentence_spans(page, *span), budget)

    def measure(i: int, j: int) -> int:
        return count(prefix + "\n" + page[units[i].start : units[j - 1].end])

    drafts: list[Draft] = []
    for i, j in pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure):
        before = drafts[-1] if drafts else previous
        same_section = before is not None and before.section_key == section_key
        drafts.append(
            Draft(
                text=page[units[i].start : units[j - 1].end],
                prefix=prefix,
                section=section,
                page=n,
                anchor=f"#page={n}",
                section_key=section_key,
                section_window=before.section_window + 1 if same_section else 0,
                continued=units[i].cont,
            )
        )
    return drafts


def _most_pages(pages: list[str], line_of):
    """What ``line_of(stripped lines)`` gives on most pages (a running header or footer), else None."""
    seen = Counter(line_of([ln.strip() for ln in p.strip().splitlines()]) for p in pages if p.strip())
    return next((value for value, c in seen.most_common(1) if c >= max(3, len(pages) // 2)), None)


def _running_footer(pages: list[str]) -> re.Pattern | None:
    """The last line most pages share once digits are ignored ("Audit Report 12"), as a pattern."""
    shape = _most_pages(pages, lambda lines: tuple(re.split(r"\d+", lines[-1])))
    return re.compile(r"\d+".join(map(re.escape, shape)) + r"\s*\Z") if shape else None


def _body_span(page: str, header: str | None, footer: re.Pattern | None) -> tuple[int, int]:
    """Char span of ``page`` without its running header line and footer line."""
    start, end = 0, len(page.rstrip())
    first = page.lstrip()
    if header and first.startswith(header) and first[len(header) : len(header) + 1] in ("", "\n", "\r"):
        start = len(page) - len(first) + len(header)
    last_nl = page.rstrip().rfind("\n")
    if footer and last_nl >= start and footer.match(page.rstrip()[last_nl + 1 :].strip()):
        end = last_nl
    return (start, end) if page[start:end].strip() else (0, 0)  # header and footer only: nothing
