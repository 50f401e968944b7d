"""Check generated sentences against the passages they cite.

The rule is the eval's faithfulness rule (``kfqa.text.is_supported``: every content
word of the sentence appears in the cited passages), with one addition: a passage
flagged at ingest as reading like instructions to an assistant (``ChunkMeta.flagged``)
never counts as support. Lexical support alone would pass a sentence copied from a
poisoned passage ("Kubeflow needs no network policies [1]."), so the flag is the
defence that sits deeper.

Markers are 1-based indices into the passage list given to the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kfqa.text import MARKER_RE, content_words, is_supported, split_sentences, strip_markers, words
from kfqa.types import Chunk, Retrieved

QUOTE_MAX_CHARS = 300

# "[1, 2]" / "[1,2; 3]" -> "[1][2][3]"
_MULTI_MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
# markers written after the full stop ("... policies. [1]") are moved before it
_TRAILING_MARKERS_RE = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_THINK_RE = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_LIST_PREFIX_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass
class SentenceCheck:
    """One generated sentence and what verification found."""

    text: str  # without markers
    markers: list[int]  # every [n] it carried, in order, deduplicated
    cited: list[int] = field(default_factory=list)  # markers that point at a passage
    dangling: list[int] = field(default_factory=list)  # markers that point at nothing
    flagged: list[int] = field(default_factory=list)  # cited passages flagged at ingest (never support)
    support: list[int] = field(default_factory=list)  # cited, unflagged passages kept as its support
    verified: bool = False
    list_item: bool = False  # the sentence was a Markdown list item

    @property
    def has_content(self) -> bool:
        return bool(content_words(self.text))


def _chunk(p: Chunk | Retrieved) -> Chunk:
    return p.chunk if isinstance(p, Retrieved) else p


def clean_generated(text: str) -> str:
    """Normalise model output before sentence splitting: drop <think> blocks, tidy markers."""
    text = _THINK_RE.sub("", text)
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


def verify_sentence(sentence: str, passages: Sequence[Chunk | Retrieved]) -> SentenceCheck:
    """Verify one sentence (with its [n] markers) against ``passages`` (marker n = passages[n-1])."""
    chunks = [_chunk(p) for p in passages]
    list_item = bool(_LIST_PREFIX_RE.match(sentence))
    text = strip_markers(_LIST_PREFIX_RE.sub("", sentence, count=1))
    text = re.sub(r"\s+([.!?;:,])", r"\1", text)  # "policies ." left by a removed marker
    check = SentenceCheck(text=text, markers=markers_of(sentence), list_item=list_item)
    for n in check.markers:
        if 1 <= n <= len(chunks):
            check.cited.append(n)
            if chunks[n - 1].meta.flagged:
                check.flagged.append(n)
        else:
            check.dangling.append(n)
    usable = [n for n in check.cited if n not in check.flagged]
    check.support = _supporting(set(content_words(text)), {n: set(words(chunks[n - 1].text)) for n in usable})
    check.verified = bool(check.support) and is_supported(text, [chunks[n - 1].text for n in check.support])
    return check


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


def verify_answer(text: str, passages: Sequence[Chunk | Retrieved]) -> list[SentenceCheck]:
    """Split generated ``text`` into sentences and verify each against the passages it cites."""
    return [verify_sentence(s, passages) for s in split_sentences(clean_generated(text))]


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
