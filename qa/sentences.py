"""Sentences a passage offers an answer: prose, list items and table rows (not headings, code
blocks or PDF code listings), and the list, table or code lines a lead-in sentence introduces."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from kfqa.text import (
    FENCE_LINE_RE,
    ITEM_MARK,
    ITEM_START_RE,
    code_lines,
    html_table_rows,
    is_table_rule,
    marked_sentences,
    split_sentences,
)
from kfqa.types import Chunk

# Hugo shortcodes ({{% alert ... %}}) around a sentence are markup, not words of it.
_SHORTCODE_RE = re.compile(r"^(\{\{[%<].*?[%>]\}\}\s*)+|(\s*\{\{[%<].*?[%>]\}\})+$")
MIN_WORDS, MAX_WORDS = 5, 90  # a sentence that can stand in an answer on its own
LIST_MARK_RE = re.compile(rf"^({ITEM_MARK}\s+)?(\[[ xX]\]\s+)?")  # list marks and task boxes
_CODE_RE = re.compile(r"^(-\s+)?(kubectl|helm|pip|docker|curl|export|apiVersion:|kind:|name:|value:|\$ )")


def without_code(text: str, opens_in_code: bool = False) -> str:
    """``text`` with its fenced code blocks blanked out: YAML keys and shell lines are no sentences."""
    for start, end in reversed(code_spans(text, opens_in_code)):
        text = text[:start] + "\n\n" + text[end:]
    return text


def code_spans(text: str, opens_in_code: bool = False) -> list[tuple[int, int]]:
    """The (start, end) offsets of ``text``'s fenced code blocks, fences included. A window may start inside
    a block (``opens_in_code``, as ingest marks it: up to its first fence, or all of it, is code; unmarked, the
    first fence is bare, the count odd and no prose before it) or end inside one (an opening fence with no close)."""
    fences = list(FENCE_LINE_RE.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    before = text[: fences[0].start()].rstrip() if fences else ""
    if opens_in_code:
        spans.append((0, fences[0].end() if fences else len(text)))
        i = 1
    # odd count, a bare first fence and no prose before it: the window opened inside a block
    elif len(fences) % 2 == 1 and not fences[0].group(2).strip() and not before.endswith((".", ":", "!", "?")):
        spans.append((0, fences[0].end()))
        i = 1
    while i < len(fences):
        end = fences[i + 1].end() if i + 1 < len(fences) else len(text)
        spans.append((fences[i].start(), end))
        i += 2
    return spans


# a real HTML tag or comment (not an autolink "<https://...>", an address "<a@b.org>" or "<= 0.28")
_MARKUP_RE = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|<!--.*?-->")
_LEADER_RE = re.compile(r"(?:\.\s?){5,}")  # dot leaders
def _code_listing(sentence: str) -> bool:
    """A run of source code as a PDF extracts it: numbered lines (n, n+1, n+2, ...) or dense with
    braces, parentheses and operators (not <>: prose may quote HTML)."""
    numbers = [int(n) for n in re.findall(r"(?<!\S)\d{1,4}(?!\S)", sentence)]
    in_sequence = sum(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))
    symbols = sum(ch in "{}();=" for ch in sentence)
    return in_sequence >= 3 or symbols > 0.05 * len(sentence)


# the page number closing a line of a paginated document's contents ("Risk scoring . . . 7", "Found issues 24")
_PAGE_NUMBER_RE = re.compile(r"\S\s+(\d{1,3})$")
_CONTENTS_HEADINGS = frozenset({"contents", "table of contents"})
CONTENTS_MIN_LINES = 4
CONTENTS_SHARE = 0.6  # of a passage's lines that close with a page number (a window cuts its first and last)
CONTENTS_STEP = 30  # pages from one entry to the next, at most
MAX_CONTENTS_LINE = 120


def is_contents(chunk: Chunk) -> bool:
    """A table of contents (stage navigation): filed under a Contents heading, or, in a PDF, mostly lines
    closing with page numbers that rise from line to line (a PDF's contents pages, windowed under whatever
    heading the extraction saw last; a table of counts or scores doesn't rise page by page). It says where
    things are, not what they are: "Found issues 24" answers no question about the findings."""
    if chunk.meta.section.rpartition(" > ")[2].strip().lower() in _CONTENTS_HEADINGS:
        return True
    if not chunk.meta.source.lower().endswith(".pdf"):
        return False
    lines = [line.strip() for line in chunk.text.splitlines()]
    lines = [line for line in lines if line and not line.isdigit() and line.lower() not in _CONTENTS_HEADINGS]
    found = (_PAGE_NUMBER_RE.search(line) for line in lines if len(line) <= MAX_CONTENTS_LINE)
    pages = [int(m.group(1)) for m in found if m]
    rising = all(0 <= b - a <= CONTENTS_STEP for a, b in zip(pages, pages[1:], strict=False))
    return len(lines) >= CONTENTS_MIN_LINES and len(pages) >= CONTENTS_SHARE * len(lines) and rising


_HEADING_RE = re.compile(r"#{1,6}(?:\s|$)")
_ALNUM_RE = re.compile(r"[^\W_]")


def answerable_sentences(chunk: Chunk) -> list[str]:
    """Sentences of a passage that can stand in an answer: prose, list items and table rows, not headings."""
    out = []
    lines = chunk.text.splitlines()
    headers = {  # a table's header row says nothing by itself
        re.sub(r"\s+", " ", line).strip()
        for line, after in zip(lines, lines[1:], strict=False)
        if after.lstrip().startswith("|") and is_table_rule(after)
    }
    pdf = chunk.meta.source.endswith(".pdf")
    labels: dict[str, int] = {}  # each label's occurrences so far ("Mitigations:" opens six lists of a page)
    for raw, code in marked_sentences(html_table_rows(without_code(chunk.text, chunk.meta.opens_in_code)), pdf):
        sentence = _SHORTCODE_RE.sub("", re.sub(r"\s+", " ", raw)).strip()
        if code or "```" in sentence or _CODE_RE.match(sentence) or (pdf and _code_listing(sentence)):
            continue
        # (in a PDF's text a heading is "#" and a space: "#1 Cluster Administrator ..." is a sentence)
        # (nor a line of no letter or digit: a table's rule row, "| --- | --- |", says nothing)
        if (_HEADING_RE.match(sentence) if pdf else sentence.startswith("#")) or not _ALNUM_RE.search(sentence) \
                or sentence in headers:
            continue
        if _LEADER_RE.search(sentence):  # a table of contents' line ("Risk scoring . . . . 8") navigates
            continue
        # (a label that opens a list, "Authors:", stands for the list, however short)
        if _LABEL_RE.fullmatch(sentence):
            labels[sentence] = labels.get(sentence, -1) + 1
            if opens_list(chunk, sentence, labels[sentence]):
                out.append(sentence)
                continue
        # (an image or a table's closing tags is markup: its words are attributes, "alt=... class=...")
        # (a label's value says it in few words: "OpenSSF Gold: Trainer, Katib.", "* Security: least secure")
        words = _MARKUP_RE.sub(" ", sentence).split()
        least = LABELLED_MIN_WORDS if _LABELLED_RE.fullmatch(" ".join(words)) else MIN_WORDS
        if len(words) < least:
            continue
        n_words = len(sentence.split())
        # Folding line breaks can join what the splitter would cut again; such a sentence would
        # lose its marker in the answer, so it is left out.
        if least <= n_words <= MAX_WORDS and len(split_sentences(sentence)) == 1:
            out.append(sentence)
    return out


# a label of a word or a few ("Authors:", "Known issues:"), capitalised, ending on a colon
_LABEL_RE = re.compile(r"[A-Z][\w'’-]*(?: [\w'’-]+){0,3}:")
# a label of a word or a few and its value in two words or more (no link, markup or trailer: "Signed-off-by:"),
# a list's item or not
_VALUE_WORD = r"(?![^\s|]*(?:://|#|<|>|=))[^\s|]+"
_LABELLED_RE = re.compile(
    rf"(?:[-*+] )?[A-Z][\w'’-]*(?: [\w'’-]+){{0,2}}(?<!-by): {_VALUE_WORD}(?: {_VALUE_WORD})+ ?\|?")
LABELLED_MIN_WORDS = 3  # the label and two words of its value


MAX_ITEMS = 20  # lines of a list, table or code block quoted after its lead-in
MAX_ITEM_CHARS = 1200
MAX_CODE_LINES = 6  # of a code block: enough to show the command, not a whole manifest
_ITEM_LINE_RE = re.compile(r"^\s*([-*+]\s|\d{1,3}[.)]\s|\|)")
# A PDF line at least this share of the page's widest line, not ending a sentence, was wrapped
# by the typesetter: the next line goes on with it.
PDF_WRAP_SHARE = 0.7


def pdf_logical_lines(text: str, width: int) -> list[str]:
    """A PDF page's lines with the typesetter's wraps undone. A PDF keeps no paragraphs, only
    printed lines: a line continues the one before when that one ran to near the full ``width``
    without ending a sentence, or when it starts in lower case. A list mark always starts a line."""
    out: list[str] = []
    previous = ""
    for raw in text.split("\n"):
        line = re.sub(r"\s+", " ", raw).strip()
        if not line:
            previous = ""
            continue
        wrapped = bool(previous) and not ITEM_START_RE.match(line) and (
            line[0].islower() or (len(previous) >= PDF_WRAP_SHARE * width and not previous.endswith((".", ":", "!", "?")))
        )
        if wrapped and out:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        previous = line
    return out


# a line of a code block setting a key to a value: "expirationSeconds: 7200", "audience: pipelines.kubeflow.org",
# "ENABLE_X=true"; not a comparison ("a == b"), a key opening a nested block ("projected:") or a YAML block
# scalar ("script: |"), nor an argument in a call ("name=\"x\",")
_SETTING_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w.-]*)\s*(?::|=(?!=))\s*(?![|>][-+]?\d*\s*$)([^\s#].*?)\s*$")
# a word of a question that may name a setting's key: "expirationSeconds", "audience", "TOKEN_REVIEW_AUDIENCE"
_KEY_RE = re.compile(r"[A-Za-z_][\w.-]*[A-Za-z0-9]")
KEY_MIN_CHARS = 4


def setting_keys(question: str, specific: Callable[[str], bool]) -> set[str]:
    """The words of the reader's question that may name a setting's key (lower-cased), each of them specific
    (``specific(word)``: every term of it weighs in the question), so "namespace" or "name", which set
    everything, name none."""
    return {word.lower() for word in _KEY_RE.findall(question) if len(word) >= KEY_MIN_CHARS and specific(word)}


def setting_lines(chunk: Chunk, keys: set[str]) -> list[str]:
    """The lines of the passage's code blocks that set one of ``keys`` (lower-cased) to a value, quoted as code
    lines ("`expirationSeconds: 7200`"), each key's first: a setting's value is said there and nowhere in prose.
    (Not a line whose value holds a backtick or runs on past a sentence's end: quoted, it would not be one piece.)"""
    if not keys:
        return []
    spans = code_spans(chunk.text, chunk.meta.opens_in_code)
    out: dict[str, str] = {}
    offset = 0
    for line in chunk.text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        setting = _SETTING_RE.match(line)
        if not setting or setting.group(1).lower() not in keys or setting.group(1).lower() in out \
                or FENCE_LINE_RE.match(line) or not any(a <= start < b for a, b in spans):
            continue
        quoted = f"`{' '.join(line.split())}`"
        if "`" not in setting.group(2) and len(split_sentences(quoted)) == 1:
            out[setting.group(1).lower()] = quoted
    return list(out.values())


def is_code_line(text: str) -> bool:
    """A code line as quoted, "`kubectl apply -k ...`": one code span, the whole of it."""
    return text.startswith("`") and text.endswith("`") and text.count("`") == 2


def is_row_or_code(text: str) -> bool:
    """A table row or a code line: cited as one piece, never quoted on with a later sentence (its own
    sentences would go uncited)."""
    return text.startswith("|") or is_code_line(text)


def listed_after(chunk: Chunk, lead_in: str, occurrence: int = 0, adds: Callable[[str, str], bool] | None = None) -> list[str]:
    """The list items, table rows or code lines a lead-in sentence introduces, each to its first sentence.

    Structure comes from the raw text: items are lines indented deeper than the lead-in, or list,
    table and code lines right after a paragraph. A PDF page has no structure, so its following
    lines are taken as they come (an audit's table of resources). Capped at MAX_ITEMS lines.
    ``occurrence``: which of several identical lead-ins in the passage (0 = the first).
    ``adds(sentence, so_far)``: whether a later sentence of an item adds what the question asks to what is
    quoted of it so far (stage item-sentences: "The default value is `false`" after the setting's first
    sentence, for a question asking the default).
    """
    items, _ = _following_items(chunk, lead_in, occurrence)
    # an item of several sentences is quoted up to its first one (its list mark first taken off: "1.
    # Validating..." is not a sentence "1." and another), and on one line with it, its later sentences that
    # ``adds`` keeps (the answer cites each)
    out = []
    for body in (LIST_MARK_RE.sub("", item) for item in items):
        sentences = split_sentences(body)
        if not sentences:
            continue
        quoted = sentences[0]
        for later in sentences[1:] if adds is not None and not is_row_or_code(body) else ():
            if adds(later, quoted):
                quoted = f"{quoted} {later}"
        out.append(quoted)
    return out


# a sentence pointing at what comes after it: "We summarize the threat actors ... in the table below.", "...
# as follows." (not "versions below 1.29")
_FORWARD_RE = re.compile(r"\b(?:below(?!\s*v?\d)|as follows|the following)\b", re.I)
_TABLE_RE = re.compile(r"\btables?\b", re.I)
_LINK_RE = re.compile(r"\[[^\]]*\]\([^)]*\)")  # (a link's text, "[below](#brand-names)", points at its target)


def points_forward(chunk: Chunk, sentence: str, occurrence: int = 0) -> bool:
    """A sentence not ending on a colon that still introduces what follows it (stage forward-lead-ins): it
    says so, and ends its line, so what follows is no more of its paragraph. In a PDF's text, whose lines
    carry no marks of structure, it names a table, or the lines after it are marked as a list."""
    if sentence.endswith(":") or not _FORWARD_RE.search(_LINK_RE.sub(" ", sentence)):
        return False
    end = _end_of(chunk.text, sentence, occurrence)
    if end < 0 or chunk.text[end:].split("\n", 1)[0].strip():
        return False
    return not chunk.meta.source.endswith(".pdf") or bool(_TABLE_RE.search(sentence)) or opens_list(chunk, sentence, occurrence)


def opens_list(chunk: Chunk, lead_in: str, occurrence: int = 0) -> bool:
    """``lead_in`` opens a list or table of its own: not a code block ("Deploy the Experiment:" before a
    manifest), nor, in a PDF's text, lines that merely follow it ("Email:" before an address): there its
    items are marked ("• Privilege Escalation: ...")."""
    items, own = _following_items(chunk, lead_in, occurrence)
    return bool(items) and own


def _following_items(chunk: Chunk, lead_in: str, occurrence: int) -> tuple[list[str], bool]:
    """The raw lines ``listed_after`` quotes (list marks on, code lines in backticks), and whether they are
    a list of the lead-in's own (``opens_list``)."""
    end = _end_of(chunk.text, lead_in, occurrence)
    if end < 0:
        return [], False
    line_start = chunk.text.rfind("\n", 0, end) + 1
    base = _indent(chunk.text[line_start:end])
    lead_is_item = bool(_ITEM_LINE_RE.match(chunk.text[line_start:end]))
    structured = not chunk.meta.source.endswith(".pdf")
    following = chunk.text[end:].split("\n")[1:]
    marked = structured
    if not structured:
        # a link to source code and its numbered listing are code the lead-in points at, not a list's items
        code = code_lines([line.strip() for line in following])
        following = following[: next((i for i, is_code in enumerate(code) if is_code), len(following))]
        width = max(len(" ".join(line.split())) for line in chunk.text.split("\n"))
        following = pdf_logical_lines("\n".join(following), width)
        # a PDF list is its marked lines (wraps joined); without marks, a table's lines as they come
        marked = bool(following) and bool(ITEM_START_RE.match(following[0]))
        if marked:
            following = list(itertools.takewhile(ITEM_START_RE.match, following))
    items: list[str] = []
    # (a window opening inside a code block is in it until its first fence)
    in_code = chunk.meta.opens_in_code and len(FENCE_LINE_RE.findall(chunk.text[:end])) % 2 == 0
    full = has_code = False
    for line in following:
        if FENCE_LINE_RE.match(line):
            in_code = not in_code
            continue
        text = re.sub(r"\s+", " ", line).strip()
        if not text:
            continue
        if structured and not in_code:
            nested = _indent(line) > base
            if text.startswith("#") or (not nested and (lead_is_item or not _ITEM_LINE_RE.match(line))):
                break
            if nested and items and not _ITEM_LINE_RE.match(line) and not items[-1].startswith("`"):
                items[-1] += " " + text  # a wrapped item's next line
                continue
        if full:  # (the list's last item quoted is read to its end: "... service accounts, and" was cut)
            break
        if not in_code and is_table_rule(text):
            continue  # a table's rule says nothing (its header row above names the columns: quoted, it reads the rows)
        if _HEADING_RE.match(text) if not structured else text.startswith("#"):  # a PDF table's header row
            continue  # ("#1 Cluster Administrator ..." is a PDF paragraph's own label: an item)
        if in_code:
            text = f"`{text}`"
            has_code = True
        items.append(text)
        code_items = sum(item.startswith("`") for item in items)
        full = len(items) >= MAX_ITEMS or code_items >= MAX_CODE_LINES or sum(map(len, items)) > MAX_ITEM_CHARS
        if full and not structured:
            break
    return items, marked and not has_code


def occurrences(text: str, sentence: str, part) -> list[re.Match]:
    """Where ``sentence`` appears in ``text``, however lines and spaces wrap it; when the whole doesn't
    appear (markup was taken out of it), where ``part(words)`` of its words does."""
    for words in (sentence.split(), part(sentence.split())):
        found = list(re.finditer(r"\s+".join(re.escape(w) for w in words), text))
        if found:
            return found
    return []


def _end_of(text: str, sentence: str, occurrence: int = 0) -> int:
    """Offset just past the ``occurrence``-th appearance of ``sentence`` in ``text`` (by its last
    words when the whole doesn't match); -1 if absent."""
    found = occurrences(text, sentence, lambda words: words[-6:])
    return found[occurrence].end() if occurrence < len(found) else -1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
