"""Check generated sentences against the passages given to the model, and repair what can be.

A sentence is a claim: its text, the ``[n]`` markers it carries (1-based indices into the
passage list) and any quotations of three words or more in it.

- **Quoted claim.** Each quotation must stand verbatim (after the eval's normalisation,
  ``kfqa.text.normalize``) in a given passage: the cited one, else another, to which the claim
  is then re-pointed. A quotation found nowhere removes the sentence. The rest of the sentence
  is held to a bounded check (``bounded_check``) against the quoted passage and the other
  cited passages: at least two thirds of its content words covered (inflections allowed), and
  no number, name or negation that the passage does not contain. An honest paraphrase around
  a correct quotation passes; a fabricated number, name or "not" does not.
- **Plain claim** (no quotation). Every content word must appear in the cited passages, the
  eval's faithfulness rule (``kfqa.text.is_supported``). If the marker is missing or points at
  the wrong passage and one other given passage supports the whole sentence, it is re-pointed.

A passage flagged at ingest as reading like instructions to an assistant (``ChunkMeta.flagged``)
never counts as support: lexical support alone would pass a sentence copied from a poisoned
passage ("Kubeflow needs no network policies [1].").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kfqa.qa.quotes import QuoteMatch, find_quote, passage_window
from kfqa.termstats import stem
from kfqa.text import (
    MARKER_RE,
    STOP_WORDS,
    content_words,
    is_supported,
    split_sentences,
    strip_markers,
    strip_reasoning,
    words,
)
from kfqa.types import Chunk, Retrieved

QUOTE_MAX_CHARS = 300
MIN_QUOTE_WORDS = 3  # a shorter quoted phrase is a term ("restricted"), not a claim's evidence
MIN_COVERAGE = 2 / 3  # share of a quoted claim's other content words its passages must contain
NEGATIONS = frozenset({"not", "no", "never", "cannot", "none", "neither", "nor", "without", "nothing", "nobody"})

# "[1, 2]" / "[1,2; 3]" -> "[1][2][3]"
_MULTI_MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
# markers written after the full stop ("... policies. [1]") are moved before it
_TRAILING_MARKERS_RE = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_LIST_PREFIX_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_QUOTE_RE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”')
_NAME_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9'\-]*[A-Za-z0-9]\b")
_NO_ANSWER_RE = re.compile(
    r"\b(sources?|documents?|passages?|context)\b[^.]{0,40}\b(do(es)?n'?t|do(es)? not|cannot|can't)\b[^.]{0,20}"
    r"\b(answer|contain|say|mention|cover|address|provide)",
)


@dataclass
class SentenceCheck:
    """One generated sentence and what verification found."""

    text: str  # without markers
    markers: list[int]  # every [n] it carried, in order, deduplicated
    cited: list[int] = field(default_factory=list)  # markers that point at a passage
    dangling: list[int] = field(default_factory=list)  # markers that point at nothing
    flagged: list[int] = field(default_factory=list)  # cited passages flagged at ingest (never support)
    support: list[int] = field(default_factory=list)  # passages kept as its support (after any repair)
    verified: bool = False
    list_item: bool = False  # the sentence was a Markdown list item
    quotes: list[str] = field(default_factory=list)  # its quotations of MIN_QUOTE_WORDS words or more
    quoted: list[str] = field(default_factory=list)  # the passage text those quotations matched
    repaired: bool = False  # kept with a citation other than the one the model gave
    reason: str = ""  # why not verified: no-citation | unsupported | flagged | wrong-quote | unsupported-detail
    detail: str = ""  # what the bounded check missed ("number 1962")

    @property
    def has_content(self) -> bool:
        return bool(content_words(self.text))

    @property
    def declines(self) -> bool:
        """The sentence says the sources don't answer ("The sources do not answer this question.")."""
        return bool(_NO_ANSWER_RE.search(" ".join(words(self.text))))

    @property
    def is_claim(self) -> bool:
        """A sentence that states something: not a lead-in ("Here is the answer:"), not a decline."""
        return self.has_content and not self.declines and not (not self.markers and self.text.endswith(":"))


def _chunk(p: Chunk | Retrieved) -> Chunk:
    return p.chunk if isinstance(p, Retrieved) else p


def clean_generated(text: str) -> str:
    """Normalise model output before sentence splitting: drop <think> blocks, tidy markers."""
    text = strip_reasoning(text)
    text = _MULTI_MARKER_RE.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    text = _TRAILING_MARKERS_RE.sub(lambda m: m.group(2) + m.group(1), text)
    return text.strip()


def markers_of(sentence: str) -> list[int]:
    seen: list[int] = []
    for m in MARKER_RE.finditer(sentence):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def quotations(text: str) -> list[str]:
    """The quoted phrases in ``text`` long enough to be evidence."""
    found = (m.group(1) or m.group(2) for m in _QUOTE_RE.finditer(text))
    return [q.strip() for q in found if len(words(q)) >= MIN_QUOTE_WORDS]


def verify_sentence(sentence: str, passages: Sequence[Chunk | Retrieved]) -> SentenceCheck:
    """Verify one sentence (with its [n] markers) against ``passages`` (marker n = passages[n-1])."""
    chunks = [_chunk(p) for p in passages]
    list_item = bool(_LIST_PREFIX_RE.match(sentence))
    text = strip_markers(_LIST_PREFIX_RE.sub("", sentence, count=1))
    text = re.sub(r"\s+([.!?;:,])", r"\1", text)  # "policies ." left by a removed marker
    text = re.sub(r"([.!?])[.!?]+$", r"\1", text)  # "impact?." from "impact? [1]."
    check = SentenceCheck(text=text, markers=markers_of(sentence), list_item=list_item, quotes=quotations(text))
    for n in check.markers:
        if 1 <= n <= len(chunks):
            check.cited.append(n)
            if chunks[n - 1].meta.flagged:
                check.flagged.append(n)
        else:
            check.dangling.append(n)
    if check.quotes:
        _check_quoted(check, chunks)
    else:
        _check_plain(check, chunks)
    return check


def _usable(chunks: Sequence[Chunk]) -> list[int]:
    return [n for n, c in enumerate(chunks, start=1) if not c.meta.flagged]


def _check_plain(check: SentenceCheck, chunks: Sequence[Chunk]) -> None:
    cited = [n for n in check.cited if n not in check.flagged]
    support = _supporting(set(content_words(check.text)), {n: set(words(chunks[n - 1].text)) for n in cited})
    if support and is_supported(check.text, [chunks[n - 1].text for n in support]):
        if _negated(check.text) and not _negation_backed(check.text, [chunks[n - 1].text for n in support]):
            check.reason, check.detail = "unsupported-detail", "a negation"
            return
        check.support, check.verified = support, True
        return
    others = [n for n in _usable(chunks) if n not in cited and states_locally(check.text, chunks[n - 1].text)]
    if others:
        check.support, check.verified, check.repaired = [others[0]], True, True
    elif check.flagged and not cited:
        check.reason = "flagged"
    else:
        check.reason = "unsupported" if check.cited else "no-citation"


def _negated(text: str) -> bool:
    return any(w in NEGATIONS or w.endswith("n't") for w in words(text))


def _negation_backed(sentence: str, passages: list[str]) -> bool:
    """A negation in ``sentence`` is backed when a passage sentence holding at least half of its
    content words is negated too: "are not trusted" is not supported by "are trusted"."""
    wanted = set(content_words(sentence))
    for passage in passages:
        for part in split_sentences(passage):
            if _negated(part) and len(wanted & set(words(part))) * 2 >= len(wanted):
                return True
    return False


def states_locally(sentence: str, passage: str, span: int = 2) -> bool:
    """Whether ``span`` consecutive sentences of ``passage`` hold every content word of ``sentence``
    (and a negation if it has one): the test for moving a citation to another passage, stricter
    than the whole-passage rule, so that words scattered over a long passage don't count."""
    wanted = set(content_words(sentence))
    if not wanted:
        return False
    parts = split_sentences(passage)
    for i in range(len(parts)):
        window = " ".join(parts[i : i + span])
        if wanted <= set(words(window)) and (_negated(window) or not _negated(sentence)):
            return True
    return False


def _check_quoted(check: SentenceCheck, chunks: Sequence[Chunk]) -> None:
    cited = [n for n in check.cited if n not in check.flagged]
    pairs: list[tuple[int, QuoteMatch]] = []  # per quotation: the passage that holds it, and where
    for quote in check.quotes:
        found = [(n, m) for n in _usable(chunks) if (m := find_quote(chunks[n - 1].text, quote))]
        if not found:
            in_flagged = any(find_quote(chunks[n - 1].text, quote) for n in check.flagged)
            check.reason = "flagged" if in_flagged else "wrong-quote"
            return
        pairs.append(next(((n, m) for n, m in found if n in cited), found[0]))
    anchors = list(dict.fromkeys(n for n, _ in pairs))
    check.quoted = [m.text for _, m in pairs]
    rest = _without_quotes(check.text)
    texts = {n: chunks[n - 1].text for n in dict.fromkeys(anchors + cited)}
    windows = [passage_window(chunks[n - 1].text, m) for n, m in pairs]
    missing = bounded_check(rest, list(texts.values()), windows)
    if missing:
        check.reason, check.detail = "unsupported-detail", missing
        return
    anchored = set().union(*(set(words(texts[n])) for n in anchors))
    wanted = set(content_words(rest)) - anchored
    check.support = anchors + [n for n, t in texts.items() if n not in anchors and wanted & set(words(t))]
    check.verified = True
    check.repaired = not set(anchors) <= set(cited)


def _without_quotes(text: str) -> str:
    return _QUOTE_RE.sub(lambda m: " " if len(words(m.group(1) or m.group(2))) >= MIN_QUOTE_WORDS else m.group(0), text)


def _names(text: str) -> list[str]:
    """Capitalised or mixed-case words, bar the sentence's first word when only its first letter is."""
    found = []
    for i, m in enumerate(_NAME_RE.finditer(text)):
        token = m.group(0)
        capital_inside = any(c.isupper() for c in token[1:])
        if (token[0].isupper() and i > 0) or capital_inside:
            if token.lower() not in STOP_WORDS:
                found.append(token.lower())
    return found


def bounded_check(rest: str, passages: list[str], windows: list[str]) -> str:
    """What the non-quoted part ``rest`` of a claim adds that ``passages`` don't back, or "".

    Numbers and names must appear as words of the passages; a negation must appear near the
    quotation (``windows``); of the other content words, ``MIN_COVERAGE`` must appear, inflections
    allowed."""
    vocab = set().union(*(set(words(p)) for p in passages))
    rest_words = content_words(rest)
    for word in rest_words:
        if any(c.isdigit() for c in word) and word not in vocab:
            return f"number {word}"
    for name in _names(rest):
        if name not in vocab and name.removesuffix("'s") not in vocab:
            return f"name {name}"
    said = [w for w in words(rest) if w in NEGATIONS or w.endswith("n't")]
    if said and not any(_negated(window) for window in windows):
        return f"negation {said[0]!r}"
    stems = {stem(w) for w in vocab}
    uncovered = [w for w in rest_words if stem(w) not in stems]
    if rest_words and len(uncovered) > (1 - MIN_COVERAGE) * len(rest_words):
        return "words " + ", ".join(uncovered[:4])
    return ""


def _supporting(wanted: set[str], vocab: dict[int, set[str]]) -> list[int]:
    """The cited passages worth keeping: those covering at least half of the sentence's content
    words, plus (in citation order) any that add a word still missing. A passage that only shares
    a common word ("kubeflow") with the sentence is dropped rather than shown as support."""
    if not wanted:
        return []
    keep = [n for n, v in vocab.items() if len(wanted & v) * 2 >= len(wanted)]
    covered = set().union(*(vocab[n] for n in keep)) & wanted
    for n, v in vocab.items():
        if n not in keep and (wanted - covered) & v:
            keep.append(n)
            covered |= wanted & v
    return sorted(keep, key=list(vocab).index)


def split_claims(text: str) -> list[str]:
    """Generated ``text`` as sentences, markers tidied."""
    return split_sentences(clean_generated(text))


def verify_answer(text: str, passages: Sequence[Chunk | Retrieved]) -> list[SentenceCheck]:
    """Split generated ``text`` into sentences and verify each against the given passages."""
    return [verify_sentence(s, passages) for s in split_claims(text)]


def best_quote(passage: str, claims: Sequence[str], max_chars: int = QUOTE_MAX_CHARS) -> str:
    """The passage sentence(s) the ``claims`` rely on most: short, verbatim (whitespace folded).

    For each claim the passage sentence sharing the most content words with it is
    taken; the picks are kept in passage order and cut to ``max_chars``.
    """
    candidates = split_sentences(passage) or [passage.strip()]
    picked: set[int] = set()
    for claim in claims:
        wanted = set(content_words(claim))
        scored = [(len(wanted & set(words(s))), -i) for i, s in enumerate(candidates)]
        best, neg_i = max(scored)
        if best > 0:
            picked.add(-neg_i)
    if not picked:
        picked = {0}
    quote = " ".join(re.sub(r"\s+", " ", candidates[i]).strip() for i in sorted(picked))
    if len(quote) > max_chars:
        cut = quote[:max_chars].rsplit(" ", 1)[0]
        quote = cut + " …"
    return quote
