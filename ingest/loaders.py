"""Loaders: file bytes -> draft chunks (text, section, location), one loader per format.

* Markdown with Hugo front matter (YAML ``---`` or TOML ``+++``): front matter parsed
  (title, description) and left out of the text; line numbers stay those of the original file.
* Review threads (``reviews/*.json``): comments grouped into conversations by ``in_reply_to``.
* PDF via pypdf, page by page (``extract_text()``, so quotes match the extracted text).
* Plain text: paragraphs and sentences.

Problems the user can fix raise ``LoadError`` with the reason; the pipeline reports it
with the file name and goes on with the batch.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import tomllib

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest.chunking import (
    LineIndex,
    Unit,
    count,
    embed_form,
    fit_units,
    markdown_sections,
    pack,
    prefix_text,
    sentence_spans,
    table_header,
    text_budget,
    trim_span,
)

TARGET = 190


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
        return embed_form(f"{self.prefix}\n{self.text}" if self.prefix else self.text)


@dataclass
class Loaded:
    title: str
    drafts: list[Draft]
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


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


# --- Markdown -------------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[dict[str, Any], int, list[str]]:
    """(front matter, char offset where the body starts, warnings)."""
    data, body_start, warnings, _span = _front_matter(text)
    return data, body_start, warnings


def _front_matter(text: str) -> tuple[dict[str, Any], int, list[str], tuple[int, int]]:
    first_nl = text.find("\n")
    first = (text if first_nl < 0 else text[:first_nl]).rstrip("\r").strip()
    if first not in ("---", "+++"):
        return {}, 0, [], (0, 0)
    close = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$" if first == "---" else r"^\+\+\+[ \t]*\r?$", re.M)
    m = close.search(text, first_nl + 1)
    if not m:
        return {}, 0, [], (0, 0)
    span = (first_nl + 1, m.start())
    raw = text[span[0] : span[1]]
    body_start = m.end() + 1 if m.end() < len(text) else m.end()
    try:
        if first == "---":
            import yaml

            data = yaml.safe_load(raw) or {}
        else:
            data = tomllib.loads(raw)
    except Exception as exc:  # YAML / TOML errors of every flavour
        return {}, body_start, [f"front matter could not be parsed ({type(exc).__name__}); ignored"], span
    if not isinstance(data, dict):
        return {}, body_start, ["front matter is not a mapping; ignored"], span
    return data, body_start, [], span


def load_markdown(text: str, name: str, headings: bool = True) -> Loaded:
    fm, body_start, warnings, fm_span = _front_matter(text)
    title = str(fm.get("title") or "").strip()
    description = str(fm.get("description") or "").strip()
    if not title and headings:
        m = re.search(r"^ {0,3}#[ \t]+(.+?)[ \t#]*$", text[body_start:], re.M)
        if m:
            title = re.sub(r"[*_`]", "", m.group(1)).strip()
    if not title:
        title = PurePosixPath(name).stem.replace("-", " ").replace("_", " ").strip() or name
    lines = LineIndex(text)
    drafts: list[Draft] = []
    # the budget depends on the prefix, which depends on the section: compute per section
    generic_budget = text_budget(prefix_text([title]), 0) - 30
    for sec in markdown_sections(text, body_start, generic_budget, headings):
        section = " > ".join(sec.path)
        prefix = prefix_text([title, *sec.path])
        budget = text_budget(prefix)
        units = sec.units
        if any(u.tokens > budget for u in units):  # long prefix: re-fit the oversize units
            units = [v for u in units for v in (fit_units(text, [(u.start, u.end)], budget, u.kind))]

        def window_prefix(i: int, units=units, prefix=prefix) -> str:
            # a window starting inside a table carries the column names, when they fit
            header = table_header(text, units[i].start)
            with_header = f"{prefix}\n{header}".strip()
            fits = header and count(with_header + "\n" + text[units[i].start : units[i].end]) <= EMBED_MAX_TOKENS
            return with_header if fits else prefix

        def measure(i: int, j: int, units=units) -> int:
            return count(window_prefix(i) + "\n" + text[units[i].start : units[j - 1].end])

        for k, (i, j) in enumerate(pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure)):
            s, e = units[i].start, units[j - 1].end
            a, b = lines.line_of(s), lines.line_of(max(s, e - 1))
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
                )
            )
    if not drafts and description:
        # a section index page (Hugo _index.md) with only front matter: its title and description
        # lines are the page's text, cited with their own line numbers
        s, e = trim_span(text, *fm_span)
        if s < e and count(text[s:e]) <= text_budget(prefix_text([title])):
            a, b = lines.line_of(s), lines.line_of(e - 1)
            prefix = prefix_text([title])
            drafts.append(
                Draft(text=text[s:e], prefix=prefix, line_start=a, line_end=b, anchor=f"#L{a}-L{b}")
            )
    meta = {"description": description} if description else {}
    return Loaded(title=title, drafts=drafts, warnings=warnings, meta=meta)


def load_plain_text(text: str, name: str) -> Loaded:
    return load_markdown(text, name, headings=False)


# --- PDF ------------------------------------------------------------------------------------


def load_pdf(data: bytes, name: str) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise LoadError(f"encrypted PDF ({exc})") from exc
            if not ok:
                raise LoadError("encrypted PDF (needs a password)")
        pages = [p.extract_text() or "" for p in reader.pages]
        meta_title = ""
        try:
            meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
        except Exception:
            meta_title = ""
    except LoadError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        OSError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many things on broken files
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if not any(p.strip() for p in pages):
        raise LoadError("PDF has no extractable text (scanned images?)")
    title = meta_title or PurePosixPath(name).stem.replace("_", " ").replace("-", " ")
    # a running header is a first line shared by most pages; the next short line is the page's heading
    header = _most_pages(pages, lambda lines: lines[0])
    footer = _running_footer(pages)
    drafts: list[Draft] = []
    last_heading = ""
    for n, page in enumerate(pages, start=1):
        if not page.strip():
            continue
        plines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
        if header and plines and plines[0] == header:
            plines = plines[1:]
        if plines and len(plines[0]) <= 80 and not plines[0].endswith((".", ",", ":")) and len(plines) > 1:
            last_heading = plines[0]
        section = f"Page {n}" + (f" > {last_heading}" if last_heading else "")
        section_key = last_heading or f"Page {n}"  # a finding running onto the next page is one section
        prefix = prefix_text([title, section])
        budget = text_budget(prefix)
        # the running header and footer stay out of the chunks: they would lead every passage
        start, end = _body_span(page, header, footer)
        if start == end:
            continue
        units = fit_units(page, sentence_spans(page, start, end), budget)

        def measure(i: int, j: int, units=units, prefix=prefix, page=page) -> int:
            return count(prefix + "\n" + page[units[i].start : units[j - 1].end])

        for i, j in pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure):
            same_section = drafts and drafts[-1].section_key == section_key
            drafts.append(
                Draft(
                    text=page[units[i].start : units[j - 1].end],
                    prefix=prefix,
                    section=section,
                    page=n,
                    anchor=f"#page={n}",
                    section_key=section_key,
                    section_window=drafts[-1].section_window + 1 if same_section else 0,
                    continued=units[i].cont,
                )
            )
    return Loaded(title=title, drafts=drafts, meta={"pages": len(pages)})


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


# --- review threads -------------------------------------------------------------------------

_REVIEW_KINDS = {"pull_request": "PR", "issue": "Issue"}


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _comment_anchor(comment: dict[str, Any]) -> str:
    cid = _s(comment.get("id"))
    if cid.isdigit():
        return {
            "issue_comment": f"#issuecomment-{cid}",
            "review_comment": f"#discussion_r{cid}",
            "review": f"#pullrequestreview-{cid}",
        }.get(_s(comment.get("type")), f"#{cid}")
    return f"#{cid}" if cid else ""


def validate_thread(data: Any) -> list[str]:
    """Shape problems of a review thread (empty when usable)."""
    if not isinstance(data, dict):
        return [f"expected a JSON object (a review thread), got {type(data).__name__}"]
    problems = []
    if not isinstance(data.get("comments", []), list):
        problems.append("'comments' is not a list")
    for key in ("title", "url", "body", "author", "kind", "created_at"):
        if data.get(key) is not None and not isinstance(data[key], (str, int, float)):
            problems.append(f"'{key}' is a {type(data[key]).__name__}, expected text")
    if "comments" not in data and "body" not in data:
        problems.append("neither 'body' nor 'comments': not a review thread")
    for i, c in enumerate(data.get("comments") or [] if isinstance(data.get("comments"), list) else []):
        if not isinstance(c, dict):
            problems.append(f"comment {i} is a {type(c).__name__}, expected an object")
        elif c.get("body") is not None and not isinstance(c.get("body"), str):
            problems.append(f"comment {i} has a non-text body")
    return problems


def load_review(text: str, name: str, thread_url: str) -> Loaded:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LoadError(f"invalid JSON ({exc})") from exc
    problems = validate_thread(data)
    if problems:
        raise LoadError("not a review thread: " + "; ".join(problems[:3]))
    warnings: list[str] = []
    kind = _s(data.get("kind")) or "thread"
    number = _s(data.get("number"))
    label = (
        f"{_REVIEW_KINDS.get(kind, kind.replace('_', ' ').title())} #{number}"
        if number
        else PurePosixPath(name).stem
    )
    title = _s(data.get("title")) or label
    url = _s(data.get("url")) or thread_url
    comments = [c for c in data.get("comments") or [] if isinstance(c, dict)]

    # conversations: each comment joins the conversation of the comment it (transitively) answers
    by_id = {_s(c.get("id")): c for c in comments if _s(c.get("id"))}

    def root_of(c: dict[str, Any]) -> str:
        seen = set()
        cur = c
        while True:
            parent = _s(cur.get("in_reply_to"))
            cid = _s(cur.get("id")) or str(id(cur))
            if not parent or parent not in by_id or parent in seen or parent == cid:
                return cid
            seen.add(cid)
            cur = by_id[parent]

    groups: dict[str, list[dict[str, Any]]] = {}
    for c in comments:
        groups.setdefault(root_of(c), []).append(c)
    missing_parents = {_s(c.get("in_reply_to")) for c in comments if _s(c.get("in_reply_to"))} - set(by_id)
    if missing_parents:
        warnings.append(
            f"replies to comments not in the capture ({', '.join(sorted(missing_parents))}) kept on their own"
        )

    conversations: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]] = []
    body = data.get("body")
    if isinstance(body, str) and body.strip():
        what = "pull request" if kind == "pull_request" else kind.replace("_", " ")
        header = f"{_s(data.get('author')) or 'unknown'} ({what} description, {_s(data.get('created_at')) or 'undated'}):"
        opener = {**data, "type": "description", "id": "", "in_reply_to": ""}
        conversations.append((f"{label} > description", [(header, body, opener)]))
    for members in groups.values():
        rows = []
        for c in members:
            cbody = c.get("body")
            if not isinstance(cbody, str) or not cbody.strip():
                continue
            path, line = _s(c.get("path")), _s(c.get("line"))
            where = f" on {PurePosixPath(path).name}" + (f" line {line}" if line else "") if path else ""
            header = f"{_s(c.get('author')) or 'unknown'} ({_s(c.get('type')) or 'comment'}, {_s(c.get('created_at')) or 'undated'}){where}:"
            rows.append((header, cbody, c))
        if not rows:
            continue
        first = rows[0][2]
        path, line = _s(first.get("path")), _s(first.get("line"))
        if path:
            section = f"{label} > review thread at {PurePosixPath(path).name}" + (f":{line}" if line else "")
        else:
            section = f"{label} > {_s(first.get('type')).replace('_', ' ') or 'comment'} by {_s(first.get('author')) or 'unknown'}"
            if _s(first.get("created_at")):
                section += f" ({_s(first.get('created_at'))})"
        conversations.append((section, rows))
    if not conversations:
        raise LoadError("review thread has no text (no body and no comment bodies)")

    drafts: list[Draft] = []
    for section, rows in conversations:
        first = rows[0][2]
        hunk = _s(first.get("diff_hunk"))
        hunk_tail = "\n".join(hunk.splitlines()[-6:]) if hunk else ""
        prefix = prefix_text([title, section])
        if hunk_tail:
            hunk_prefix = prefix_text([hunk_tail], 40)
            prefix = f"{prefix}\n{hunk_prefix}"
        # the conversation as one string: header line, body, blank line, next comment...
        parts: list[str] = []
        units: list[Unit] = []
        headers: list[str] = []
        pos = 0
        max_header = max(count(h) for h, _, _ in rows) + 3
        budget = text_budget(prefix) - max_header
        if budget < 60:
            prefix = prefix_text([title, section], 24)
            budget = text_budget(prefix) - max_header
        for g, (header, cbody, _c) in enumerate(rows):
            headers.append(header)
            block = f"{header}\n{cbody.strip()}"
            parts.append(block)
            base = "\n\n".join(parts)
            units.append(Unit(pos, pos + len(header), count(header), "header", g))
            bstart = pos + len(header) + 1
            # review bodies are Markdown: keep list items / tables whole, sentences otherwise
            for sec in markdown_sections(base, bstart, budget, headings=False):
                for u in sec.units:
                    u.group = g
                    units.append(u)
            pos = len(base) + 2
        conv = "\n\n".join(parts)

        def lead(i: int, units=units, headers=headers) -> str:
            # a window starting inside a comment repeats who wrote it
            return "" if units[i].kind == "header" else headers[units[i].group].rstrip(":") + " (continued):\n"

        def compose(i: int, j: int, units=units, conv=conv, lead=lead) -> str:
            return lead(i) + conv[units[i].start : units[j - 1].end]

        def measure(i: int, j: int, prefix=prefix, compose=compose) -> int:
            return count(prefix + "\n" + compose(i, j))

        for k, (i, j) in enumerate(pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure)):
            c = rows[units[i].group][2]
            drafts.append(
                Draft(
                    text=compose(i, j),
                    prefix=prefix,
                    section=section,
                    anchor="" if "description" in section else _comment_anchor(c),
                    section_key=section,
                    section_window=k,
                    continued=units[i].kind != "header",
                    lead_chars=len(lead(i)),
                    author=_s(c.get("author")),
                    date=_s(c.get("created_at")),
                    comment_type=_s(c.get("type")),
                    comment_id=_s(c.get("id")),
                    reply_to=_s(c.get("in_reply_to")),
                    extra={
                        k: v
                        for k, v in {
                            "diff_hunk": hunk,
                            "file_path": _s(first.get("path")),
                            "file_line": _s(first.get("line")),
                            "comment_ids": ",".join(
                                _s(rows[u.group][2].get("id")) for u in units[i:j] if u.kind == "header"
                            ),
                        }.items()
                        if v
                    },
                )
            )
    return Loaded(title=title, drafts=drafts, warnings=warnings, meta={"thread_url": url})


# --- dispatch -------------------------------------------------------------------------------


def detect_format(path: Path, head: bytes) -> str:
    ext = path.suffix.lower()
    if ext == ".pdf" or head.startswith(b"%PDF"):
        return "pdf"
    if ext in (".md", ".markdown", ".mdx"):
        return "markdown"
    if ext == ".json":
        return "review"
    if ext in (".txt", ".text", ".rst", ".adoc", ""):
        stripped = head.lstrip()
        if stripped.startswith(b"{") and b'"comments"' in head:
            return "review"
        if stripped.startswith((b"---", b"+++", b"#")):
            return "markdown"
        return "text"
    return "unsupported"


def load_file(data: bytes, fmt: str, name: str, url: str) -> Loaded:
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
    if not loaded.drafts:
        raise LoadError("no text to index (only front matter or headings)")
    return loaded
