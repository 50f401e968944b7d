"""A review thread as the ledger reads it: the GitHub-REST-like JSON of ``reviews/*.json``
(``{repository, number, kind, title, url, author, body, comments: [{id, type, author,
created_at, body, path, line, diff_hunk, in_reply_to}]}``), what its capture notes say is
missing, and which comments ask for something."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from kfqa.qa.reports.corpus import CorpusFile, read_text
from kfqa.text import split_sentences
from kfqa.types import KfqaError

NO_AUTHOR = "author not in the capture"


@dataclass
class Comment:
    id: str
    type: str  # review | review_comment | issue_comment | description
    author: str  # "" when the capture lost it
    date: str
    body: str
    path: str = ""  # the file a review comment is on (upstream path)
    line: int = 0
    reply_to: str = ""
    anchor: str = ""  # the lines of the document the comment sits under (end of its diff hunk)

    @property
    def who(self) -> str:
        return self.author or NO_AUTHOR


@dataclass
class Thread:
    file: CorpusFile
    repository: str
    number: int
    kind: str  # pull_request | issue
    title: str
    url: str
    author: str
    comments: list[Comment]
    gaps: list[str] = field(default_factory=list)  # the capture notes' gaps, one per item
    state: str = ""  # open | closed | merged, as captured

    def root(self, comment: Comment) -> Comment:
        """The comment that opened ``comment``'s conversation."""
        by_id = {c.id: c for c in self.comments}
        seen = set()
        while comment.reply_to and comment.reply_to in by_id and comment.id not in seen:
            seen.add(comment.id)
            comment = by_id[comment.reply_to]
        return comment

    def context(self, comment: Comment) -> str:
        """What a comment refers to: the lines it sits on and the conversation before it."""
        before = self.comments[: self.comments.index(comment)]
        said = [c.body for c in before if comment.reply_to and self.root(c).id == self.root(comment).id]
        return "\n".join([comment.anchor, *said]).strip()

    def gaps_about(self, comment: Comment) -> list[str]:
        """Capture gaps that name this comment (``c18``) or say the thread is cut short."""
        named = re.compile(rf"(?<![\w-]){re.escape(comment.id)}(?![\w-])") if comment.id else None
        return [g for g in self.gaps if named and named.search(g)]

    @property
    def cut_short(self) -> bool:
        """The capture says parts of the thread could not be reached."""
        return any(re.search(r"\b(cut|could not be reached|missing|no text)\b", g, re.I) for g in self.gaps)

    def files(self) -> list[str]:
        return sorted({c.path for c in self.comments if c.path})


def read_thread(file: CorpusFile) -> Thread:
    """The thread in ``file``; a KfqaError naming the file if it isn't a review thread."""
    try:
        data = json.loads(read_text(file))
    except ValueError as exc:
        raise KfqaError(f"{file.rel}: not a review thread (not JSON: {exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("comments", []), list) or "body" not in data:
        raise KfqaError(
            f"{file.rel}: not a review thread (expected an object with 'body' and a 'comments' list, "
            "as in reviews/*.json)."
        )
    comments = [_comment(raw, file, i) for i, raw in enumerate(data.get("comments") or [])]
    return Thread(
        file=file,
        repository=_s(data.get("repository")),
        number=int(data.get("number") or 0),
        kind=_s(data.get("kind")) or "pull_request",
        title=_s(data.get("title")),
        url=_s(data.get("url")),
        author=_s(data.get("author")),
        comments=[_description(data)] + comments if _s(data.get("body")) else comments,
        gaps=capture_gaps(file.note),
        state=_s(data.get("state")),
    )


def _description(data: dict) -> Comment:
    return Comment("description", "description", _s(data.get("author")), _s(data.get("created_at")), _s(data.get("body")))


def _comment(raw, file: CorpusFile, index: int) -> Comment:
    if not isinstance(raw, dict):
        raise KfqaError(f"{file.rel}: comment {index + 1} is not an object; not a review thread.")
    line = raw.get("line")
    return Comment(
        id=_s(raw.get("id")) or f"#{index + 1}",
        type=_s(raw.get("type")) or "issue_comment",
        author=_s(raw.get("author")),
        date=_s(raw.get("created_at")),
        body=_s(raw.get("body")),
        path=_s(raw.get("path")),
        line=line if isinstance(line, int) else 0,
        reply_to=_s(raw.get("in_reply_to")),
        anchor=anchor_lines(_s(raw.get("diff_hunk"))),
    )


def anchor_lines(diff_hunk: str, count: int = 3) -> str:
    """The last ``count`` lines of a diff hunk, without diff marks: the text a comment is made on."""
    lines = [line[1:] if line[:1] in "+- " else line for line in diff_hunk.splitlines() if not line.startswith("@@")]
    return "\n".join(line.strip() for line in lines[-count:] if line.strip())


def _s(value) -> str:
    return "" if value is None else str(value).strip()


def capture_gaps(note: str) -> list[str]:
    """The gaps a capture note lists (``Gaps: - a. - b.``), or its sentences saying something is cut."""
    if not note:
        return []
    head, _, listed = note.partition("Gaps:")
    if listed:
        return [g.strip() for g in re.split(r"(?:^|\s)-\s+", listed) if g.strip()]
    return [s for s in split_sentences(head) if re.search(r"\b(cut|could not be reached)\b", s, re.I)]


# --- which comments ask for something ---------------------------------------------------------

# A sentence asks for a change when it addresses the authors ("can you", "please", "kindly") or
# says what the document should do ("needs", "should be", "need to be"); a sentence that only
# points the reader at a link ("please check out <url>", "take a look at") is an answer.
_ASKS = re.compile(
    r"\b(can|could|would|will) you\b|\bplease\b|\bkindly\b|\b(should|must|needs?|has) to\b|"
    r"\bneeds?\b|\bshould( be|n't)?\b|\bwould be (good|nice|great|better)\b|\bmake sure\b|\bconsider\b",
    re.IGNORECASE,
)
_POINTER = re.compile(r"\b(check out|take a look|have a look|see|refer to|look at)\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")


def request_sentences(body: str) -> list[str]:
    """The sentences of ``body`` that ask the authors for something (a change or an answer)."""
    out = []
    for sentence in split_sentences(body):
        if sentence.startswith(">"):  # quoted text belongs to the comment it quotes
            continue
        pointer = _POINTER.search(sentence) and _URL.search(sentence)
        if sentence.rstrip().endswith("?") or (_ASKS.search(sentence) and not pointer):
            out.append(sentence)
    return out


def asks_for_change(body: str) -> bool:
    """Some sentence of ``body`` asks the authors to do something (not only a question, not a pointer)."""
    return any(_ASKS.search(s) for s in request_sentences(body))
