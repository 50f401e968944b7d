"""Text rules shared by the composer, the LLM verifier and the eval scorer.

``normalize`` and ``is_supported`` implement the eval README's matching and
faithfulness rules, so what the answerer checks is exactly what the eval scores.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

MARKER_RE = re.compile(r"\[(\d+)\]")
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9'\-\./]*[a-z0-9]|[a-z0-9]")

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can cannot could couldn't did didn't do does doesn't doing don't down
    during each either etc few for from further had hadn't has hasn't have haven't having he her here hers
    herself him himself his how however i if in into is isn't it it's its itself just let's may me might
    more most much must mustn't my myself no nor not of off on once only or other ought our ours ourselves
    out over own per same shall shan't she should shouldn't so some such than that that's the their theirs
    them themselves then there there's these they this those through thus to too under until up upon us
    very via was wasn't we were weren't what what's when where which while who whom whose why will with
    within without won't would wouldn't yes yet you your yours yourself yourselves e.g i.e""".split()
)


def normalize(text: str) -> str:
    """The eval's normalisation: NFKC, lower case, no * _ ` marks, whitespace runs folded."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[*_`]", "", text)
    return re.sub(r"\s+", " ", text).strip()


# An identifier in CamelCase ("ValidatingWebhook", "failurePolicy"), and where its words meet.
CAMEL_TOKEN_RE = re.compile(r"\b[A-Z]?[a-z]+(?:[A-Z][a-z]+)+\b")
CAMEL_SPLIT_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def camel_words(token: str) -> list[str]:
    """The words of a CamelCase identifier: "ValidatingWebhook" -> ["Validating", "Webhook"]."""
    return CAMEL_SPLIT_RE.split(token)


# HTML as Markdown files carry it: tables, links, line breaks
_HTML_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)</tr\s*>", re.I | re.S)
_HTML_CELL_RE = re.compile(r"<(t[dh])\b[^>]*>(.*?)</t[dh]\s*>", re.I | re.S)
_HTML_TABLE_TAG_RE = re.compile(r"</?(table|thead|tbody|tfoot|tr|caption|colgroup|col)\b[^>]*>", re.I)
_HTML_TAG_RE = re.compile(r"<[^>]+>")


def html_table_rows(text: str) -> str:
    """An HTML table's rows as table lines ("| Security Provider? | No. Kubeflow projects are not
    security providers |"), so each row is a sentence like a Markdown table's; header rows (all
    ``<th>``) say nothing by themselves and go."""
    def row(match: re.Match) -> str:
        cells = _HTML_CELL_RE.findall(match.group(1))
        if not cells or all(tag.lower() == "th" for tag, _ in cells):
            return "\n"
        texts = [re.sub(r"\s+", " ", _HTML_TAG_RE.sub(" ", body)).strip() for _, body in cells]
        return "\n| " + " | ".join(texts) + " |\n"

    if "<tr" not in text.lower():
        return text
    return _HTML_TABLE_TAG_RE.sub("\n", _HTML_ROW_RE.sub(row, text))


def bm25_text(text: str) -> str:
    """Text as BM25 tokenizes it on both sides (index and query): Markdown emphasis and code marks
    become spaces, so "_OpenSSF Best Practices_" yields the words "openssf" and "practices"; a
    CamelCase identifier is followed by its words ("ValidatingWebhook Validating Webhook")."""
    text = re.sub(r"[*_`]", " ", text)
    return CAMEL_TOKEN_RE.sub(lambda m: f"{m.group(0)} {' '.join(camel_words(m.group(0)))}", text)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(normalize(text))


def content_words(text: str) -> list[str]:
    """Words of a sentence that carry content: not stop words, not bare markers."""
    return [w for w in words(MARKER_RE.sub(" ", text)) if w not in STOP_WORDS]


# a bare address, or where a Markdown link points ("[sync.py](https://.../multi-user/sync.py)")
LINK_TARGET_RE = re.compile(r"https?://\S+|\]\([^)]*\)")


def without_link_targets(text: str) -> str:
    """``text`` less the addresses it links to: a link's path ("installs/multi-user/pipelines-profile-
    controller") is where it points, not what the sentence says."""
    return LINK_TARGET_RE.sub(" ", text)


def strip_markers(text: str) -> str:
    return re.sub(r"\s+", " ", MARKER_RE.sub("", text)).strip()


# A reasoning model's "<think>...</think>" block; an unclosed one runs to the end of the text so far.
_REASONING_RE = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)


def strip_reasoning(text: str) -> str:
    """Generated text without reasoning (``<think>``) blocks: what the user should see."""
    return _REASONING_RE.sub("", text)


def safe_url(url: str, bare: bool = False) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None; never with user info (credentials).
    ``bare``: also without query and fragment, for logs and error messages (tokens hide there)."""
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 address keeps its brackets
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if bare:
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def is_supported(sentence: str, passages: list[str]) -> bool:
    """Every content word of ``sentence`` appears in the cited passages (the eval's faithfulness rule)."""
    if not passages:
        return False
    vocabulary = set()
    for passage in passages:
        vocabulary.update(words(passage))
    return all(w in vocabulary for w in content_words(sentence))


# Sentence ends: ., ! or ? followed by space and an upper-case letter, digit, quote or bracket;
# or a line break that ends a list item / table row. Abbreviations like "e.g." are kept whole.
# Words whose period doesn't end a sentence (shared with ingest's chunker).
ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "Dr", "Mr", "No")
# Checked right after the end mark, so each abbreviation includes its final period.
_ABBREV = "".join(rf"(?<!\b{re.escape(a)}\.)" for a in ABBREVIATIONS)
_SENT_END = re.compile(_ABBREV + r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[`*_-])")


def split_sentences(text: str, pdf: bool = False) -> list[str]:
    """Split a passage into sentences without cutting list items, table rows or code lines apart (``pdf``:
    a PDF's text, whose code listings and links stand apart from its prose)."""
    return [sentence for sentence, _ in marked_sentences(text, pdf)]


def marked_sentences(text: str, pdf: bool = False) -> list[tuple[str, bool]]:
    """``split_sentences``, each sentence with whether it is code: of a PDF (``pdf``), a numbered listing's
    line or a link standing alone ("31 - name: Run Backend Tests", "https://..."), no sentence of prose."""
    out: list[tuple[str, bool]] = []
    for block in re.split(r"\n\s*\n", text):
        raws = [raw.strip() for raw in block.splitlines() if raw.strip()]
        if pdf:
            listing, rows = numbered_lines(raws)
            logical = _logical_lines(raws, code_lines(raws, listing), rows, pdf=True)
        else:
            logical = _logical_lines(raws, [False] * len(raws), [False] * len(raws))
        for line, code in logical:
            out.extend((s.strip(), code) for s in _SENT_END.split(line) if s.strip())
    return out


# Marks that open a list item: Markdown's, the bullets a PDF's text extraction keeps, and numbers.
BULLETS = "-*+•◦▪‣●"
ITEM_MARK = rf"(?:[{BULLETS}]|\d{{1,3}}[.)])"
ITEM_START_RE = re.compile(rf"^\s*{ITEM_MARK}\s")  # a line that opens a list item
# a code fence's line ("```python", "~~~"): what it opens or closes is code
FENCE_LINE_RE = re.compile(r"^[ \t]*(```|~~~)(.*)$", re.M)
# a Markdown table's rule row ("|---|:--:|", "--- | ---"): it draws the table and says nothing
_TABLE_RULE_RE = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")


def is_table_rule(line: str) -> bool:
    return _TABLE_RULE_RE.fullmatch(line.strip()) is not None


# an identifier of a numbered scheme: "ADA-KUBEFL-02", "CVE-2024-1234" (upper case, ending in a number)
IDENTIFIER = r"[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+-\d{1,8}"
# a line opening with one and going on with its title (capitalised: "CVE-2024-1234 in the parser and" is
# prose wrapped there): a row of a table of findings as a PDF's text has it
IDENTIFIER_ROW_RE = re.compile(rf"^{IDENTIFIER}\b[\s:|\u2013\u2014-]+[A-Z0-9]")


_IDENTIFIER_IN_TEXT_RE = re.compile(rf"(?<![\w-]){IDENTIFIER}(?![\w-])", re.I)


def identifiers_in(text: str) -> list[str]:
    """The numbered identifiers a text writes ("ADA-KUBEFL-08", typed in any case), upper-cased, each once."""
    return list(dict.fromkeys(m.group(0).upper() for m in _IDENTIFIER_IN_TEXT_RE.finditer(text)))


def naming_re(identifiers) -> re.Pattern | None:
    """A pattern finding any of ``identifiers`` as a whole identifier ("CVE-2024-1234" not inside
    "CVE-2024-12345"), in any case; None for none."""
    if not identifiers:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, identifiers)) + r")(?![\w-])", re.I)


_LINE_NUMBER_RE = re.compile(r"^(\d{1,4})(?: |$)")
_LINK_LINE_RE = re.compile(r"https?://\S+")
# a listing's line holds code: a symbol of code, or nothing but its number (a blank line of the source)
_CODE_LINE_RE = re.compile(r"[{}()\[\]=:;$|\"'\\<>]|^\d+$")


def _numbered_runs(raws: list[str]) -> list[tuple[int, int]]:
    """Spans (start, end) of three or more lines in a row opening with numbers that go up one at a time,
    as a PDF's text extraction gives a code listing ("31 - name: Run Backend Tests", "32 run: |") or a
    numbered table ("1 Cluster admin High Runtime", "2 Kubeflow maintainer High Supply-chain")."""
    numbers = [int(m.group(1)) if (m := _LINE_NUMBER_RE.match(line)) else None for line in raws]
    spans = []
    i = 0
    while i < len(raws):
        j = i + 1
        while numbers[i] is not None and j < len(raws) and numbers[j] is not None and numbers[j] == numbers[j - 1] + 1:
            j += 1
        if j - i >= 3:
            spans.append((i, j))
        i = j
    return spans


# a listing's command, though it holds no symbol of code ("12 kubectl get pods -n kubeflow")
_COMMAND_RE = re.compile(r"^\d{1,4} (?:\$ |sudo |kubectl |helm |pip3? |docker |curl |git |go |python3? |export |cd |make )")


def numbered_lines(raws: list[str]) -> tuple[list[bool], list[bool]]:
    """Which of a PDF block's lines belong to a code listing, and which are a numbered table's rows: each
    a numbered run (a line left blank keeps its number). A listing's run holds code (a symbol of code or a
    command); a table's rows ("1 Cluster admin High Runtime", "2 dex Deployment auth") hold none, and a
    score table's ("10 / 10 CI-Tests Low") don't count up."""
    listing, rows = [False] * len(raws), [False] * len(raws)
    for i, j in _numbered_runs(raws):
        code = any(_CODE_LINE_RE.search(raws[k]) or _COMMAND_RE.match(raws[k]) for k in range(i, j))
        (listing if code else rows)[i:j] = [True] * (j - i)
    return listing, rows


def code_lines(raws: list[str], listing: list[bool] | None = None) -> list[bool]:
    """Which of a PDF block's (stripped) lines are code: a numbered listing's, or a link standing alone."""
    listing = numbered_lines(raws)[0] if listing is None else listing
    return [listing[i] or bool(_LINK_LINE_RE.fullmatch(line)) for i, line in enumerate(raws)]


# A heading is "#" and a space, a table row opens on "|": neither runs on into the next line. In a PDF's text
# a "#" is the text's own ("#1 Cluster Administrator The cluster ..." labels a paragraph); Markdown's "#word"
# line is a code comment a window cut from its fence, no prose either.
_HEADING_OR_ROW_RE = re.compile(r"\||#{1,6}(?:\s|$)")
_PDF_LABEL_RE = re.compile(r"#\d")  # "#1 Cluster Administrator ...": a PDF paragraph's own label opens a line


def _logical_lines(raws: list[str], code: list[bool], numbered: list[bool], pdf: bool = False) -> list[tuple[str, bool]]:
    """Join wrapped lines of a paragraph (``raws``: its lines, stripped); keep list items, table rows and
    headings as their own lines (and, of a PDF's table of findings, rows: two lines or more in a row
    opening with an identifier). Each logical line comes with whether it opened on one of the ``code``
    lines (a PDF's listing or link, apart from the prose around it: "... in its CI." / "https://..." /
    "31 - name: Run Backend Tests" / "The workflow interpolates ..."; its wrapped continuation joins it,
    a capitalised line after it is prose again). The ``numbered`` lines, a PDF table's numbered rows, stand
    apart, each one and the line after the last; of a ``pdf``'s text, so does a paragraph's own label ("#1
    Cluster Administrator The cluster ..."), which is no heading there."""
    lines: list[str] = []
    marks: list[bool] = []
    rows = [bool(IDENTIFIER_ROW_RE.match(line)) for line in raws]
    for i, line in enumerate(raws):
        starts_item = bool(re.match(rf"([{BULLETS}]\s|\d+[.)]\s|\||#{{1,6}}\s|>)", line)) or (pdf and bool(_PDF_LABEL_RE.match(line)))
        # (after a row, wrapped or not, or before one)
        after_row = bool(lines) and bool(IDENTIFIER_ROW_RE.match(lines[-1]))
        starts_row = rows[i] and (after_row or i + 1 < len(rows) and rows[i + 1])
        # (a sentence after a table's last row is none of its title: "The table above lists every finding.")
        ends_table = after_row and line.endswith((".", "!", "?")) and line[0].isupper()
        set_apart = code[i] or (bool(marks) and marks[-1] and line[0].isupper()) or numbered[i] or (i > 0 and numbered[i - 1])
        closed = bool(lines) and (bool(_HEADING_OR_ROW_RE.match(lines[-1])) if pdf else lines[-1].startswith(("|", "#")))
        if lines and not starts_item and not starts_row and not ends_table and not set_apart and not closed:
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
            marks.append(code[i])
    return list(zip(lines, marks, strict=True))


# Terminal escape sequences (ECMA-48): CSI (ESC [ or 8-bit 0x9b) up to its final byte; string
# commands (OSC, DCS, SOS, PM, APC: ESC ] P X ^ _ or 0x9d 0x90 0x98 0x9e 0x9f) up to their
# terminator (BEL, ST) or the end of the line; any other ESC + intermediates + final byte.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|$)"
    r"|\x1b[ -/]*[0-~]?"
)
# What is left of C0 (but newline and tab), DEL and C1 after the sequences are gone.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal control: escape sequences (OSC 52 clipboard writes, SGR 8 hidden
    text, screen clears, ...) removed whole, every other C0/C1 control but newline and tab dropped.
    For anything printed that came from a source, a file name or a question."""
    if text.isprintable():  # the common case: nothing to strip, no regex pass
        return text
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
