"""``kfqa ledger``: every reviewer request in a review thread and what became of it.

A row is a review's body, a comment that opens a conversation, or a follow-up that asks for
something (a follow-up whose author the capture lost counts when it asks for a change). Its
resolution is one or more of ``replied`` (the reply, quoted), ``changed`` (the section of the
current revision that changed in response, quoted before and after) and ``open``; in a thread
the capture cut short, an unresolved row is ``not captured`` instead of ``open``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfqa.config import HOME_PROJECT
from kfqa.qa.reports.cite import Quoter, opening
from kfqa.qa.reports.corpus import Corpus
from kfqa.qa.reports.revisions import Change, ChangeFinder
from kfqa.qa.reports.thread import Comment, Thread, asks_for_change, read_thread, request_sentences
from kfqa.types import Citation, KfqaError

REPLIED, CHANGED, OPEN, NOT_CAPTURED = "replied", "changed", "open", "not captured"


@dataclass
class Resolution:
    kind: str  # replied | changed | open | not captured
    summary: str  # one line: who replied / which section changed / why open
    citations: list[Citation] = field(default_factory=list)
    who: str = ""  # who replied
    section: str = ""  # the changed section's heading path
    before_is_context: bool = False


@dataclass
class LedgerRow:
    thread: str  # corpus path of the thread
    comment_id: str
    kind: str  # review | review_comment | issue_comment | description
    who: str
    date: str
    file: str  # the file and line the request was made on ("" for a review body)
    line: int
    request: Citation | None  # the request, quoted from the thread
    request_text: str  # the request as written (when the store lacks the thread, this is all there is)
    resolutions: list[Resolution]
    notes: list[str] = field(default_factory=list)  # what the capture says is missing around this row

    @property
    def status(self) -> list[str]:
        return list(dict.fromkeys(r.kind for r in self.resolutions))


@dataclass
class Ledger:
    threads: list[str]
    rows: list[LedgerRow]
    notes: dict[str, list[str]] = field(default_factory=dict)  # per thread: capture gaps


def default_threads(corpus: Corpus, project: str = HOME_PROJECT) -> list[str]:
    """The review threads of the home project's self-assessment: threads of the project whose
    title or reviewed files name a self-assessment."""
    names = re.compile(r"self[- ]?assessment", re.IGNORECASE)
    out = []
    for file in corpus.files("reviews/*.json"):
        if file.entry.get("project", project) != project:
            continue
        try:
            thread = read_thread(file)
        except KfqaError:
            continue
        if names.search(thread.title) or any(names.search(p) for p in thread.files()):
            out.append(file.rel)
    return out


def request_rows(thread: Thread) -> list[Comment]:
    """The comments of ``thread`` that are reviewer requests, in thread order."""
    rows = []
    for c in thread.comments:
        if c.type == "description":
            if thread.kind == "issue" and c.body.strip():  # an issue's body is its request
                rows.append(c)
            continue
        if c.author and c.author == thread.author:
            continue  # the authors' own comments answer requests
        if c.type == "review":  # a review's body; an approval nobody answers asks for nothing
            if c.body and (request_sentences(c.body) or _answered_by_mention(thread, c)):
                rows.append(c)
        elif not c.reply_to:
            if c.body and (c.type == "review_comment" or request_sentences(c.body)):
                rows.append(c)
        elif (c.author and request_sentences(c.body)) or (not c.author and asks_for_change(c.body)):
            rows.append(c)
    return rows


def _answered_by_mention(thread: Thread, c: Comment) -> bool:
    later = thread.comments[thread.comments.index(c) + 1 :]
    return bool(c.author) and any(
        not x.reply_to and x.author != c.author and re.search(rf"@{re.escape(c.author)}\b", x.body) for x in later
    )


def replies_to(thread: Thread, row: Comment, rows: list[Comment]) -> list[Comment]:
    """Later comments that answer ``row``: the rest of its conversation (until the requester asks
    again), or, for a review body or top-level comment, top-level comments that @-mention the
    requester while this is the requester's latest top-level comment."""
    later = thread.comments[thread.comments.index(row) + 1 :]
    if row.type == "review_comment" or row.reply_to:
        out = []
        for c in later:
            if thread.root(c).id != thread.root(row).id:
                continue
            if c in rows:
                break  # a new request in the conversation: what follows answers that one
            if c.author != row.author or not c.author:
                out.append(c)
        return out
    if thread.kind == "issue" and row.type == "description":
        return [c for c in later if not c.reply_to and c.author != row.author]
    out = []
    for c in later:
        if c.reply_to or c.type == "review_comment":
            continue
        if row.author and c.author == row.author:
            break  # the requester spoke again: later replies answer that
        if row.author and re.search(rf"@{re.escape(row.author)}\b", c.body):
            out.append(c)
    return out


class LedgerBuilder:
    def __init__(self, assistant, corpus: Corpus):
        self.assistant, self.corpus = assistant, corpus
        self.quoter = Quoter(assistant.retriever.chunks.values())
        self._finders: dict[str, ChangeFinder | None] = {}

    def build(self, names: list[str]) -> Ledger:
        rows, notes = [], {}
        for name in names:
            thread = read_thread(self.corpus.find(name))
            notes[thread.file.rel] = thread.gaps
            rows += self.thread_rows(thread)
        return Ledger([self.corpus.find(n).rel for n in names], rows, notes)

    def thread_rows(self, thread: Thread) -> list[LedgerRow]:
        requests = request_rows(thread)
        return [self.row(thread, c, requests) for c in requests]

    def row(self, thread: Thread, c: Comment, requests: list[Comment]) -> LedgerRow:
        source = thread.file.rel
        resolutions = [self._replied(thread, r) for r in replies_to(thread, c, requests)]
        change = self._changed(thread, c)
        if change is not None:
            resolutions.append(change)
        if not resolutions:
            resolutions.append(self._unresolved(thread))
        return LedgerRow(
            thread=source,
            comment_id=c.id,
            kind=c.type,
            who=c.who,
            date=c.date or "undated",
            file=c.path,
            line=c.line,
            request=self.quoter.cite(source, c.body),
            request_text=c.body,
            resolutions=resolutions,
            notes=thread.gaps_about(c),
        )

    def _replied(self, thread: Thread, reply: Comment) -> Resolution:
        cited = self.quoter.cite(thread.file.rel, reply.body)
        text = cited.quote if cited else opening(reply.body)
        return Resolution(REPLIED, f"{reply.who}: {text}", [cited] if cited else [], who=reply.who)

    def _changed(self, thread: Thread, c: Comment) -> Resolution | None:
        asks = request_sentences(c.body)
        if not asks and c.type != "review_comment":
            return None  # nothing was asked of the document
        finder = self._finder(thread, c)
        whole_document = c.type in ("review", "description") and not c.path
        request = c.body if whole_document else " ".join(asks) or c.body
        found = finder.find(request, thread.context(c)) if finder else None
        if found is None and finder and whole_document:
            found = finder.largest()  # a review of the whole document is answered by the next revision
        if found is None:
            return None
        return self._change_resolution(found, finder)

    @staticmethod
    def _change_resolution(found: Change, finder: ChangeFinder) -> Resolution:
        cites = [found.after] + ([found.before] if found.before else [])
        for n, cite in enumerate(cites, start=1):
            cite.n = n
        summary = f"{found.section} changed in {finder.after.rel}"
        if found.basis == "revision":
            summary += " (the document was revised after this review; this is its largest change)"
        if found.new_section:
            summary += "; the section is new"
        elif found.before:
            summary += "; before: [2], " + ("where the text was inserted" if found.before_is_context else "the text it replaced")
        return Resolution(CHANGED, summary, cites, section=found.section, before_is_context=found.before_is_context)

    def _finder(self, thread: Thread, c: Comment) -> ChangeFinder | None:
        """The revisions of the file the request is on (a review body: the files its thread reviews)."""
        for path in [c.path] if c.path else thread.files():
            if path not in self._finders:
                before, after = self.corpus.revisions(thread.repository, path)
                self._finders[path] = ChangeFinder(self.assistant, self.quoter, before, after) if before and after else None
            if self._finders[path] is not None:
                return self._finders[path]
        return None

    @staticmethod
    def _unresolved(thread: Thread) -> Resolution:
        if thread.cut_short:
            return Resolution(NOT_CAPTURED, "no reply or change in the capture, which is cut short: " + "; ".join(thread.gaps))
        closed = f" (the thread is {thread.state} in the capture)" if thread.state in ("closed", "merged") else ""
        return Resolution(OPEN, "no reply in the thread and no change in the current revision" + closed)


def build_ledger(assistant, corpus: Corpus, names: list[str] | None = None) -> Ledger:
    """The ledger of the named threads (default: the home project's self-assessment threads)."""
    names = names or default_threads(corpus)
    return LedgerBuilder(assistant, corpus).build(names)
