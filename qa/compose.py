"""The grounded extractive answerer (the default: no model).

Every line of an answer is a sentence, list item or code line of a retrieved passage, quoted
as it stands (code lines in backticks, list marks replaced by the answer's own), ending with
the [n] marker of the passage it comes from: nothing is stated that a cited passage doesn't
say. Sentences are scored against the question (IDF-weighted lexical overlap with the
question's terms, plus the rank of its passage in the hybrid dense + BM25 retrieval); the best
one leads, a few more from strongly retrieved passages support it. Around them: a lead-in
("... the following resources:") brings the list it introduces, reading on into the next
window of its section when the passage ends on it; a reviewer's question brings the start of
the reply; each kind of source the question names gets a sentence if a relevant one exists.

Abstention: the answer is declined when the best evidence doesn't cover the question's
specific terms (see ``Evidence.confident``) or when the question asks for a kind of
value (a number, a CVE id, a duration) that no selected sentence contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import fsum

from kfqa.qa.merging import with_following_window
from kfqa.qa.terms import TermStats, passage_words, terms
from kfqa.text import split_sentences
from kfqa.types import AnswerSentence, Chunk, Citation, Retrieved

ABSTAIN_TEXT = "The indexed sources don't answer this."
PASSAGES_READ = 6  # top retrieved passages the composer reads sentences from
MAX_POINTS = 4  # sentences in an answer (lead + supporting)
MIN_WORDS, MAX_WORDS = 5, 90
# A supporting sentence comes from a passage retrieved at least this strongly, relative to the best
# (dev set: citation precision 0.74 -> 0.78 at 0.5, key-fact recall 0.706 -> 0.702).
PASSAGE_FLOOR = 0.5
FACET_FLOOR = 0.25  # a sentence added for a named kind of source scores at least this share of the lead
CONTINUATION_WORDS = 14

# Calibrated on the dev set: coverage alone separates answerable from unanswerable questions
# poorly (an unanswerable question about a near-topic scores like an answerable one), so it only
# catches questions with nothing relevant at all; the expected-value checks below do the rest.
COVERAGE_THRESHOLD = 0.12

_EXPECTED_VALUE = [  # question pattern -> what a sentence must contain to answer it
    (re.compile(r"\bcve\b", re.I), re.compile(r"\bCVE-\d{4}-\d+", re.I)),
    (re.compile(r"\bhow many\b|\bnumber of\b", re.I), re.compile(r"\b\d+\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I)),
    (re.compile(r"\b(payouts?|bount(y|ies)|rewards?|prices?|costs?|fees?)\b", re.I), re.compile(r"[$€£]\s?\d|\b\d+\s?(usd|eur|dollars?)\b", re.I)),
    (re.compile(r"\b(lifetime|how long|expir\w*|ttl|timeout)\b", re.I), re.compile(r"\b\d+\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|weeks?)\b", re.I)),
]


@dataclass
class Candidate:
    text: str  # the sentence as it stands in the passage (whitespace folded)
    hit: Retrieved
    rank: int  # rank of its passage in the retrieved list (0 = best)
    lexical: float = 0.0  # IDF-weighted share of question terms the sentence contains
    score: float = 0.0
    terms: set[str] = field(default_factory=set)
    position: int = 0  # index of the sentence in its passage
    items: list[str] = field(default_factory=list)  # what a lead-in ("... the following resources:") introduces


@dataclass
class Evidence:
    candidates: list[Candidate]
    coverage: float  # best IDF-weighted share of the question's focus terms found in one passage
    missing_value: bool  # the question asks for a value kind no selected sentence has

    @property
    def confident(self) -> bool:
        return bool(self.candidates) and self.coverage >= COVERAGE_THRESHOLD and not self.missing_value


@dataclass
class Composition:
    answer: str
    abstained: bool
    citations: list[Citation]
    sentences: list[AnswerSentence]


class Composer:
    def __init__(self, stats: TermStats, chunks: dict[str, Chunk] | None = None):
        self.stats = stats
        self.chunks = chunks or {}  # the store's windows, to read a passage on into its list

    def _complete(self, hit: Retrieved) -> Retrieved:
        """A passage that ends on a lead-in ("This could be achieved by:") is read together with
        the next window of its section, which holds the list."""
        if not hit.chunk.text.rstrip().endswith(":"):
            return hit
        return with_following_window(hit, self.chunks) or hit

    # --- evidence --------------------------------------------------------------------------
    def gather(self, question: str, retrieved: list[Retrieved], facets=()) -> Evidence:
        q_terms = set(terms(question))
        focus = self.stats.focus(question)
        weight = {t: self.stats.idf(t) for t in q_terms}
        total = fsum(weight.values()) or 1.0  # fsum: exact, so no tie depends on set order

        candidates: list[Candidate] = []
        coverage = 0.0
        for rank, hit in enumerate(h for h in retrieved[:PASSAGES_READ] if not h.chunk.meta.flagged):
            hit = self._complete(hit)
            coverage = max(coverage, self.stats.coverage(focus, passage_words(hit.chunk)))
            seen: dict[str, int] = {}  # a lead-in said twice in a passage ("run the following command:")
            for position, sentence in enumerate(answerable_sentences(hit.chunk)):
                items = []
                if sentence.endswith(":"):
                    items = listed_after(hit.chunk, sentence, seen.get(sentence, 0))
                    seen[sentence] = seen.get(sentence, 0) + 1
                s_terms = set(terms(" ".join([sentence, *items])))
                lexical = fsum(weight[t] for t in q_terms & s_terms) / total
                candidates.append(Candidate(sentence, hit, rank, lexical, terms=s_terms, position=position, items=items))
        self._score(question, candidates)
        candidates.sort(key=lambda c: c.score, reverse=True)
        chosen = select(candidates, facets)
        return Evidence(chosen, coverage, missing_value=_missing_value(question, chosen))

    @staticmethod
    def _score(question: str, candidates: list[Candidate]) -> None:
        # Embedding similarity enters through the passage's rank (dense + BM25 fused); scoring each
        # sentence with the model as well cost ~20 ms a sentence and did not change dev-set key-fact
        # recall (0.512 either way) while lowering citation precision (0.64 vs 0.70).
        for cand in candidates:
            cand.score = 0.8 * cand.lexical + 0.2 / (1 + cand.rank)

    # --- answer ----------------------------------------------------------------------------
    def compose(self, question: str, retrieved: list[Retrieved], facets=()) -> Composition:
        """The answer; ``facets`` (predicates on a chunk: the kinds of source, the revisions a
        question names) each get a sentence when a relevant one exists."""
        evidence = self.gather(question, retrieved, facets)
        if not evidence.confident:
            return Composition(ABSTAIN_TEXT, True, [], [])
        return render(evidence.candidates)


# Hugo shortcodes ({{% alert ... %}}) around a sentence are markup, not words of it.
_SHORTCODE_RE = re.compile(r"^(\{\{[%<].*?[%>]\}\}\s*)+|(\s*\{\{[%<].*?[%>]\}\})+$")
_LIST_MARK_RE = re.compile(r"^(([-*+]|\d{1,3}[.)])\s+)?(\[[ xX]\]\s+)?")  # list marks and task boxes
_CODE_RE = re.compile(r"^(-\s+)?(kubectl|helm|pip|docker|curl|export|apiVersion:|kind:|name:|value:|\$ )")


_FENCE_LINE_RE = re.compile(r"^[ \t]*(```|~~~)(.*)$", re.M)


def without_code(text: str) -> str:
    """``text`` with its fenced code blocks blanked out: YAML keys and shell lines are no sentences.
    A window may start inside a block (its first fence then closes one: a bare fence, odd count)
    or end inside one (an opening fence with no close)."""
    fences = list(_FENCE_LINE_RE.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    before = text[: fences[0].start()].rstrip() if fences else ""
    # odd count, a bare first fence and no prose before it: the window opened inside a block
    if len(fences) % 2 == 1 and not fences[0].group(2).strip() and not before.endswith((".", ":", "!", "?")):
        spans.append((0, fences[0].end()))
        i = 1
    while i < len(fences):
        end = fences[i + 1].end() if i + 1 < len(fences) else len(text)
        spans.append((fences[i].start(), end))
        i += 2
    for start, end in reversed(spans):
        text = text[:start] + "\n\n" + text[end:]
    return text


def _code_listing(sentence: str) -> bool:
    """A run of source code as a PDF extracts it: numbered lines (n, n+1, n+2, ...) or dense with
    braces, parentheses and operators (not <>: prose may quote HTML)."""
    numbers = [int(n) for n in re.findall(r"(?<!\S)\d{1,4}(?!\S)", sentence)]
    in_sequence = sum(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))
    symbols = sum(ch in "{}();=" for ch in sentence)
    return in_sequence >= 3 or symbols > 0.05 * len(sentence)


def answerable_sentences(chunk: Chunk) -> list[str]:
    """Sentences of a passage that can stand in an answer: prose, list items and table rows, not headings."""
    out = []
    lines = chunk.text.splitlines()
    headers = {  # a table's header row says nothing by itself
        re.sub(r"\s+", " ", line).strip()
        for line, after in zip(lines, lines[1:], strict=False)
        if re.fullmatch(r"\s*\|[\s|:\-]+\|?\s*", after)
    }
    pdf = chunk.meta.source.endswith(".pdf")
    for raw in split_sentences(without_code(chunk.text)):
        sentence = _SHORTCODE_RE.sub("", re.sub(r"\s+", " ", raw)).strip()
        if "```" in sentence or _CODE_RE.match(sentence) or (pdf and _code_listing(sentence)):
            continue
        if sentence.startswith("#") or re.fullmatch(r"[|:\-\s]+", sentence) or sentence in headers:
            continue
        n_words = len(sentence.split())
        # Folding line breaks can join what the splitter would cut again; such a sentence would
        # lose its marker in the answer, so it is left out.
        if MIN_WORDS <= n_words <= MAX_WORDS and len(split_sentences(sentence)) == 1:
            out.append(sentence)
    return out


MAX_ITEMS = 20  # lines of a list, table or code block quoted after its lead-in
MAX_ITEM_CHARS = 1200
MAX_CODE_LINES = 6  # of a code block: enough to show the command, not a whole manifest
_ITEM_LINE_RE = re.compile(r"^\s*([-*+]\s|\d{1,3}[.)]\s|\|)")


def listed_after(chunk: Chunk, lead_in: str, occurrence: int = 0) -> list[str]:
    """The list items, table rows or code lines a lead-in sentence introduces, as they stand.

    Structure comes from the raw text: items are lines indented deeper than the lead-in, or list,
    table and code lines right after a paragraph. A PDF page has no structure, so its following
    lines are taken as they come (an audit's table of resources). Capped at MAX_ITEMS lines.
    ``occurrence``: which of several identical lead-ins in the passage (0 = the first).
    """
    end = _end_of(chunk.text, lead_in, occurrence)
    if end < 0:
        return []
    line_start = chunk.text.rfind("\n", 0, end) + 1
    base = _indent(chunk.text[line_start:end])
    lead_is_item = bool(_ITEM_LINE_RE.match(chunk.text[line_start:end]))
    structured = not chunk.meta.source.endswith(".pdf")
    items: list[str] = []
    in_code = False
    for line in chunk.text[end:].split("\n")[1:]:
        if _FENCE_LINE_RE.match(line):
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
        if text.startswith("#"):  # a PDF table's header row; Markdown would read it as a heading
            continue
        if in_code:
            text = f"`{text}`"
        items.append(text)
        code_lines = sum(item.startswith("`") for item in items)
        if len(items) >= MAX_ITEMS or code_lines >= MAX_CODE_LINES or sum(map(len, items)) > MAX_ITEM_CHARS:
            break
    # an item of several sentences is quoted up to its first one, so each answer line keeps its marker
    # (its list mark first taken off: "1. Validating..." is not a sentence "1." and another)
    bodies = [_LIST_MARK_RE.sub("", item) for item in items]
    return [split_sentences(body)[0] for body in bodies if split_sentences(body)]


def _end_of(text: str, sentence: str, occurrence: int = 0) -> int:
    """Offset just past the ``occurrence``-th appearance of ``sentence`` in ``text``, whitespace
    folded; by its last words when the whole doesn't match (markup was taken out); -1 if absent."""
    for words in (sentence.split(), sentence.split()[-6:]):
        ends = [m.end() for m in re.finditer(r"\s+".join(re.escape(w) for w in words), text)]
        if ends:
            return ends[occurrence] if occurrence < len(ends) else -1
    return -1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def select(candidates: list[Candidate], facets=()) -> list[Candidate]:
    """The lead and up to MAX_POINTS-1 supporting sentences: relevant enough, not repeating each other;
    then a sentence for each of ``facets`` (predicates on a chunk) not covered yet."""
    if not candidates:
        return []
    # A lead-in to a code block or list ("Run the following command:") leads only with its list.
    lead = next((c for c in candidates if not c.text.endswith(":") or c.items), candidates[0])
    chosen = [lead]
    top = max(c.hit.score for c in candidates)
    pool = [
        c for c in candidates
        if c is not lead and c.hit.score >= PASSAGE_FLOOR * top and not _dangling(c)
    ]
    while pool and len(chosen) < MAX_POINTS:
        best = max(pool, key=lambda c: c.score)
        pool.remove(best)
        if best.score < 0.45 * lead.score:
            break
        if best.text in quoted_items(chosen):
            continue
        if not any(_overlap(best.terms, c.terms) > 0.6 for c in chosen):
            chosen.append(best)
    chosen += covering(chosen, candidates, facets, lead.score * FACET_FLOOR)
    return without_repeats(with_continuations(chosen, candidates))


def without_repeats(chosen: list[Candidate]) -> list[Candidate]:
    """Each sentence once: not again on its own when a lead-in already lists it, nor twice."""
    listed = quoted_items(chosen)
    seen: set[str] = set()
    out = []
    for cand in chosen:
        text = _LIST_MARK_RE.sub("", cand.text)
        if text in seen or (text in listed and not cand.items):
            continue
        seen.add(text)
        out.append(cand)
    return out


def covering(chosen: list[Candidate], candidates: list[Candidate], facets, floor: float) -> list[Candidate]:
    """For each facet the question names (a kind of source, a revision) that no chosen sentence
    comes from, the best sentence that does, if it is relevant enough: a question that sets the
    audit against the self-assessment gets a sentence from each."""
    added: list[Candidate] = []
    for facet in facets:
        if any(facet(c.hit.chunk) for c in chosen + added):
            continue
        best = next((c for c in candidates if facet(c.hit.chunk) and c.score >= floor and not _dangling(c)), None)
        if best and not any(_overlap(best.terms, c.terms) > 0.6 for c in chosen + added):
            added.append(best)
    return added


def _dangling(cand: Candidate) -> bool:
    """A lead-in whose list isn't in its passage says nothing on its own."""
    return cand.text.endswith(":") and not cand.items


def quoted_items(chosen: list[Candidate]) -> set[str]:
    return {_LIST_MARK_RE.sub("", item) for c in chosen for item in c.items}


def with_continuations(chosen: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
    """A short sentence that follows a chosen one in its passage ("Never use this in production.") comes along."""
    by_passage: dict[str, list[Candidate]] = {}
    for cand in candidates:
        by_passage.setdefault(cand.hit.chunk.id, []).append(cand)
    out: list[Candidate] = []
    for cand in chosen:
        out.append(cand)
        siblings = sorted(by_passage[cand.hit.chunk.id], key=lambda c: c.position)
        nxt = next((c for c in siblings if c.position == cand.position + 1), None)
        short = nxt and len(nxt.text.split()) <= CONTINUATION_WORDS and not _dangling(nxt)
        if short and nxt not in chosen and nxt not in out:
            out.append(nxt)
        out += [c for c in reply_to(cand, siblings) if c not in chosen and c not in out]
    return out


# "login (review_comment, 2026-06-18) on self-assessment.md line 253: ..." opens a comment in a thread.
_COMMENT_RE = re.compile(r"^([\w.-]+) \((?:review_comment|issue_comment|review|pull request description|issue description)\b")
REPLY_WORDS = 60


def reply_to(cand: Candidate, siblings: list[Candidate]) -> list[Candidate]:
    """A question quoted from a review thread brings the start of the reply that follows it."""
    if cand.hit.chunk.meta.kind != "review" or not cand.text.endswith("?"):
        return []
    asker = _author(cand, siblings)
    later = [c for c in siblings if c.position > cand.position]
    start = next((i for i, c in enumerate(later) if _COMMENT_RE.match(c.text)), None)
    if start is None or _COMMENT_RE.match(later[start].text).group(1) == asker:
        return []
    reply, words = [], 0
    for c in later[start:]:
        if reply and _COMMENT_RE.match(c.text) or words > REPLY_WORDS:
            break
        reply.append(c)
        words += len(c.text.split())
    return reply


def _author(cand: Candidate, siblings: list[Candidate]) -> str:
    """The login of the comment ``cand`` belongs to (the last comment header at or before it)."""
    for c in sorted((c for c in siblings if c.position <= cand.position), key=lambda c: -c.position):
        if m := _COMMENT_RE.match(c.text):
            return m.group(1)
    return ""


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / (min(len(a), len(b)) or 1)


def _missing_value(question: str, chosen: list[Candidate]) -> bool:
    for asks, value in _EXPECTED_VALUE:
        if asks.search(question) and not any(value.search(c.text) for c in chosen):
            return True
    return False


def _with_marker(text: str, n: int) -> str:
    # The marker goes inside the sentence's own end mark ("... [1]?"), so a splitter keeps them together.
    body = _LIST_MARK_RE.sub("", text.rstrip())  # the answer's own list marks replace the source's
    if body.startswith("`"):
        return f"{body} [{n}]"
    end = body[-1] if body[-1] in ".?!:" else "."
    return f"{body.rstrip('.?!:').rstrip()} [{n}]{end}"


def render(chosen: list[Candidate]) -> Composition:
    """Lead sentence, then supporting points as a list; one citation per passage, markers in order."""
    numbers: dict[str, int] = {}
    quotes: dict[str, list[str]] = {}
    sentences: list[AnswerSentence] = []
    lines: list[str] = []
    for i, cand in enumerate(chosen):
        chunk_id = cand.hit.chunk.id
        n = numbers.setdefault(chunk_id, len(numbers) + 1)
        quotes.setdefault(chunk_id, []).extend([cand.text, *cand.items])
        sentences.append(AnswerSentence(text=cand.text, citations=[n], verified=True))
        lines.append(_with_marker(cand.text, n) if i == 0 else f"- {_with_marker(cand.text, n)}")
        for item in cand.items:  # each line quoted and cited on its own, nested under its lead-in
            sentences.append(AnswerSentence(text=item, citations=[n], verified=True))
            lines.append(("  - " if i else "- ") + _with_marker(item, n))
    answer = lines[0] + ("\n\n" + "\n".join(lines[1:]) if len(lines) > 1 else "")
    hits = {c.hit.chunk.id: c.hit for c in chosen}
    citations = [Citation(n=n, chunk=hits[cid].chunk, quote=" … ".join(quotes[cid])) for cid, n in numbers.items()]
    return Composition(answer, False, citations, sentences)
