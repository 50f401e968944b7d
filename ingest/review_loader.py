"""Review threads (``reviews/*.json``: a PR or issue with its comments) -> drafts.

Comments are grouped into conversations by ``in_reply_to`` (one linear pass, however long the
chain). A conversation is one text, each comment a header line then its body; windows never
cut a list or table of a body, and a window starting inside a comment repeats its header,
marked "(continued)" (``Draft.lead_chars`` says how long that added lead is).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from kfqa.config import EMBED_MAX_TOKENS
from kfqa.ingest import limits
from kfqa.ingest.chunking import Unit, count, count_many, markdown_sections, pack, prefix_text, text_budget
from kfqa.ingest.limits import label
from kfqa.ingest.loaders import TARGET, Draft, Loaded, LoadError, name_label

_REVIEW_KINDS = {"pull_request": "PR", "issue": "Issue"}
Comment = dict[str, Any]


@dataclass
class Row:
    header: str  # "alice (review_comment, 2025-01-03) on doc.md line 5:"
    body: str
    comment: Comment


@dataclass
class Conversation:
    section: str
    rows: list[Row]


def _s(value: Any) -> str:
    """A field as a label (author, type, date, id, path ...): text, bounded in length."""
    return "" if value is None else label(str(value).strip())


def _hunk(comment: Comment) -> str:
    """The diff hunk a review comment is on: its last lines matter, so a long one keeps its tail."""
    hunk = comment.get("diff_hunk")
    return hunk[-limits.MAX_CHUNK_CHARS :].strip() if isinstance(hunk, str) else ""


def _comment_anchor(comment: Comment) -> str:
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
    except (ValueError, RecursionError) as exc:
        raise LoadError(f"invalid JSON ({exc})") from exc
    problems = validate_thread(data)
    if problems:
        raise LoadError("not a review thread: " + "; ".join(problems[:3]))
    kind = _s(data.get("kind")) or "thread"
    number = _s(data.get("number"))
    label = (
        f"{_REVIEW_KINDS.get(kind, kind.replace('_', ' ').title())} #{number}"
        if number
        else PurePosixPath(name_label(name)).stem
    )
    title = _s(data.get("title")) or label
    comments = [c for c in data.get("comments") or [] if isinstance(c, dict)]
    groups, missing = group_conversations(comments)
    warnings = []
    if missing:
        warnings.append(
            f"replies to comments not in the capture ({', '.join(sorted(missing))}) kept on their own"
        )
    conversations = [c for c in [_description(data, label, kind)] if c]
    conversations += [c for c in (_conversation(label, members) for members in groups) if c]
    if not conversations:
        raise LoadError("review thread has no text (no body and no comment bodies)")
    drafts = [d for conv in conversations for d in _conversation_drafts(title, conv)]
    return Loaded(
        title=title, drafts=drafts, warnings=warnings, meta={"thread_url": _s(data.get("url")) or thread_url}
    )


def group_conversations(comments: list[Comment]) -> tuple[list[list[Comment]], set[str]]:
    """Comments grouped by the comment each (transitively) answers, in order of first appearance,
    and the ids replied to that aren't in the capture. One pass: every comment's root is found
    once and remembered, so a chain of n replies costs O(n), not O(n^2)."""
    keys = [_s(c.get("id")) or f"#{i}" for i, c in enumerate(comments)]  # a comment without id is its own
    by_id = {k: i for i, k in enumerate(keys) if not k.startswith("#")}
    root: list[int | None] = [None] * len(comments)
    for start in range(len(comments)):
        path: list[int] = []
        on_path: set[int] = set()
        cur = start
        while root[cur] is None:
            path.append(cur)
            on_path.add(cur)
            parent = by_id.get(_s(comments[cur].get("in_reply_to")))
            if parent is None or parent == cur or parent in on_path:  # an opener, or a reply cycle
                root[cur] = cur
                break
            cur = parent
        for k in path:
            root[k] = root[cur]
    groups: dict[int, list[Comment]] = {}
    for i, c in enumerate(comments):
        groups.setdefault(root[i], []).append(c)
    missing = {_s(c.get("in_reply_to")) for c in comments if _s(c.get("in_reply_to"))} - set(by_id)
    return list(groups.values()), missing


def _description(data: dict[str, Any], label: str, kind: str) -> Conversation | None:
    body = data.get("body")
    if not isinstance(body, str) or not body.strip():
        return None
    what = "pull request" if kind == "pull_request" else kind.replace("_", " ")
    header = f"{_s(data.get('author')) or 'unknown'} ({what} description, {_s(data.get('created_at')) or 'undated'}):"
    opener = {**data, "type": "description", "id": "", "in_reply_to": ""}
    return Conversation(f"{label} > description", [Row(header, body, opener)])


def _conversation(label: str, members: list[Comment]) -> Conversation | None:
    rows = []
    for c in members:
        body = c.get("body")
        if not isinstance(body, str) or not body.strip():
            continue
        path, line = _s(c.get("path")), _s(c.get("line"))
        where = f" on {PurePosixPath(path).name}" + (f" line {line}" if line else "") if path else ""
        header = f"{_s(c.get('author')) or 'unknown'} ({_s(c.get('type')) or 'comment'}, {_s(c.get('created_at')) or 'undated'}){where}:"
        rows.append(Row(header, body, c))
    if not rows:
        return None
    first = rows[0].comment
    path, line = _s(first.get("path")), _s(first.get("line"))
    if path:
        section = f"{label} > review thread at {PurePosixPath(path).name}" + (f":{line}" if line else "")
    else:
        section = f"{label} > {_s(first.get('type')).replace('_', ' ') or 'comment'} by {_s(first.get('author')) or 'unknown'}"
        if _s(first.get("created_at")):
            section += f" ({_s(first.get('created_at'))})"
    return Conversation(section, rows)


def _conversation_prefix(title: str, conv: Conversation) -> tuple[str, int]:
    """(prefix, token budget for the text) of a conversation: title, section, the diff hunk's tail."""
    hunk = _hunk(conv.rows[0].comment)
    hunk_tail = "\n".join(hunk.splitlines()[-6:]) if hunk else ""
    max_header = max(count_many([r.header for r in conv.rows])) + 3
    for width in (None, 24):  # a long title and hunk leave too little room: a shorter prefix
        prefix = (
            prefix_text([title, conv.section]) if width is None else prefix_text([title, conv.section], width)
        )
        if hunk_tail and width is None:
            prefix = f"{prefix}\n{prefix_text([hunk_tail], 40)}"
        budget = text_budget(prefix) - max_header
        if budget >= 60:
            break
    return prefix, budget


def _layout(rows: list[Row], budget: int) -> tuple[str, list[Unit]]:
    """The conversation as one text (header line, body, blank line, next comment ...) and its units:
    each header, then the body's blocks (list items and tables whole, sentences otherwise)."""
    blocks = [f"{r.header}\n{r.body.strip()}" for r in rows]
    text = "\n\n".join(blocks)
    header_tokens = count_many([r.header for r in rows])
    units: list[Unit] = []
    pos = 0
    for g, (row, block) in enumerate(zip(rows, blocks, strict=True)):
        units.append(Unit(pos, pos + len(row.header), header_tokens[g], "header", g))
        end = pos + len(block)
        for sec in markdown_sections(text, pos + len(row.header) + 1, budget, headings=False, end=end):
            for u in sec.units:
                u.group = g
                units.append(u)
        pos = end + 2
    return text, units


def _conversation_drafts(title: str, conv: Conversation) -> list[Draft]:
    prefix, budget = _conversation_prefix(title, conv)
    text, units = _layout(conv.rows, budget)
    first = conv.rows[0].comment

    def lead(i: int) -> str:  # a window starting inside a comment repeats who wrote it
        return (
            ""
            if units[i].kind == "header"
            else conv.rows[units[i].group].header.rstrip(":") + " (continued):\n"
        )

    def measure(i: int, j: int) -> int:
        return count(prefix + "\n" + lead(i) + text[units[i].start : units[j - 1].end])

    shared = {
        "diff_hunk": _hunk(first),
        "file_path": _s(first.get("path")),
        "file_line": _s(first.get("line")),
    }
    drafts = []
    for k, (i, j) in enumerate(pack(units, min(TARGET, budget), EMBED_MAX_TOKENS, measure)):
        c = conv.rows[units[i].group].comment
        ids = ",".join(_s(conv.rows[u.group].comment.get("id")) for u in units[i:j] if u.kind == "header")
        drafts.append(
            Draft(
                text=lead(i) + text[units[i].start : units[j - 1].end],
                prefix=prefix,
                section=conv.section,
                anchor="" if c.get("type") == "description" else _comment_anchor(c),
                section_key=conv.section,
                section_window=k,
                continued=units[i].kind != "header",
                lead_chars=len(lead(i)),
                author=_s(c.get("author")),
                date=_s(c.get("created_at")),
                comment_type=_s(c.get("type")),
                comment_id=_s(c.get("id")),
                reply_to=_s(c.get("in_reply_to")),
                extra={key: v for key, v in {**shared, "comment_ids": ids}.items() if v},
            )
        )
    return drafts
