"""LLM answer backend: any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, OpenAI).

``stream_answer_with_llm(question, passages, settings)`` (or ``answer_with_llm`` with an
``on_delta`` callback) sends the best-ranked passages that fit ``KFQA_LLM_MAX_SOURCE_CHARS`` as
numbered, delimited sources (``qa.llm_prompt``), streams the reply (``qa.llm_client``: a
first-token and an idle timeout, secrets redacted from every piece), then checks every sentence
(``qa.verify``): quotations verbatim in their passage, a bounded check on the rest, markers
re-pointed to the passage that supports a sentence (with a notice), unsupported sentences
removed. Kept citations are renumbered 1..m.

- **Fail fast.** If the first ``FAIL_FAST_SENTENCES`` claims the model finishes all fail, the
  stream is stopped there and kfqa falls back, rather than waiting for the whole reply.
- **A decline is an answer.** When the model only says the sources do not answer, the Answer
  abstains (``abstained=True``) with the closest passages, as the extractive answerer does.
- Any other failure -- endpoint down, timeout, HTTP 429/5xx, garbage, no supported sentence --
  raises ``LLMError`` with a short reason and a ``code``; the Assistant falls back to the
  extractive answer. ``Answer.generation`` (or ``LLMError.generation``) says how many sentences
  the model wrote and how many were kept, for ``kfqa eval --llm``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from kfqa.config import Settings
from kfqa.qa.compose import ABSTAIN_TEXT
from kfqa.qa.llm_client import LLMError, Redactor, TokenStream
from kfqa.qa.llm_prompt import NO_ANSWER, SYSTEM_PROMPT, build_messages, neutralise, within_budget
from kfqa.qa.verify import SentenceCheck, best_quote, split_claims, verify_answer, verify_sentence
from kfqa.text import strip_reasoning
from kfqa.types import Answer, AnswerSentence, Citation, Generation, Retrieved

__all__ = [
    "FAIL_FAST_SENTENCES", "NO_ANSWER", "SYSTEM_PROMPT", "LLMError", "answer_with_llm",
    "build_answer", "build_messages", "fallback_notice", "neutralise", "stream_answer_with_llm", "within_budget",
]

FAIL_FAST_SENTENCES = 2  # stop the stream when this many first claims all fail verification
CLOSEST = 3  # passages shown with a decline


# ---------------------------------------------------------------------------------------------- answer


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _label(n: int, passage: Retrieved) -> str:
    meta = passage.chunk.meta
    return f"[{n}] {meta.source}" + (f" › {meta.section}" if meta.section else "")


def _render(text: str, markers: list[int]) -> str:
    tags = "".join(f"[{n}]" for n in markers)
    if text and text[-1] in ".!?":
        return f"{text[:-1]} {tags}{text[-1]}"
    return f"{text} {tags}"


_REMOVED = {
    "flagged": "Removed a sentence that relied on a flagged source",
    "no-citation": "Removed a sentence without a valid citation",
    "unsupported": "Removed a sentence its cited sources do not support",
    "wrong-quote": "Removed a sentence whose quotation is in none of the sources",
}


def _removal_notice(check: SentenceCheck) -> str:
    if check.reason == "unsupported-detail":
        return f"Removed a sentence that adds what its source does not say ({check.detail}): “{_short(check.text)}”"
    return f"{_REMOVED.get(check.reason, _REMOVED['unsupported'])}: “{_short(check.text)}”"


def _checked_notices(checks: list[SentenceCheck], passages: Sequence[Retrieved]) -> list[str]:
    """Flag warnings, removed sentences and dangling markers (model numbering)."""
    notices: list[str] = []
    warned: set[int] = set()
    dangling: list[int] = []
    for check in checks:
        dangling.extend(n for n in check.dangling if n not in dangling)
        for n in check.flagged:
            if n not in warned:
                warned.add(n)
                reason = passages[n - 1].chunk.meta.flag_reason or "reads as instructions to an assistant"
                notices.append(
                    f"Warning: source {_label(n, passages[n - 1])} was flagged at ingest ({reason}); "
                    "it is never used as evidence."
                )
        if check.is_claim and not check.verified:
            notices.append(_removal_notice(check))
    if dangling:
        listed = ", ".join(f"[{n}]" for n in sorted(dangling))
        notices.append(f"Dropped citation marker(s) {listed} that point at no source.")
    return notices


def _repair_notice(check: SentenceCheck, renumber: dict[int, int], passages: Sequence[Retrieved]) -> str:
    """"Citation corrected: the model's [2] (its file) → [1] (the file that states it) for “…”"."""
    new = ", ".join(f"[{renumber[n]}] ({passages[n - 1].chunk.meta.source})" for n in check.support)
    if not check.cited:
        return f"Citation added: {new} for “{_short(check.text)}”, which carried none."
    old = ", ".join(f"[{n}] ({passages[n - 1].chunk.meta.source})" for n in check.cited)
    return f"Citation corrected: the model's {old} → {new} for “{_short(check.text)}”."


def _layout(kept: list[SentenceCheck], sentences: list[AnswerSentence]) -> str:
    """Runs of list items stay a list; prose sentences join into paragraphs."""
    blocks: list[tuple[bool, list[str]]] = []
    for check, sentence in zip(kept, sentences, strict=True):
        rendered = _render(sentence.text, sentence.citations)
        if blocks and blocks[-1][0] == check.list_item:
            blocks[-1][1].append(rendered)
        else:
            blocks.append((check.list_item, [rendered]))
    return "\n\n".join("\n".join(f"- {r}" for r in items) if is_list else " ".join(items) for is_list, items in blocks)


def _declined(question: str, passages: Sequence[Retrieved], notices: list[str], generation: Generation) -> Answer:
    generation.outcome = "declined"
    notices.append("The LLM said the sources do not answer this question.")
    return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True, citations=[], retrieved=list(passages),
                  closest=list(passages[:CLOSEST]), notices=notices, backend="llm", generation=generation)


def build_answer(question: str, raw: str, passages: Sequence[Retrieved], settings: Settings) -> Answer:
    """Verify generated ``raw`` text against ``passages`` and build the Answer.

    Raises ``LLMError`` (code ``no-supported-sentence``) when no sentence holds and the model
    did not decline."""
    checks = verify_answer(Redactor(settings)(raw, final=True), passages)
    claims = [c for c in checks if c.is_claim]
    kept = [c for c in claims if c.verified]
    generation = Generation(sentences=len(claims), kept=len(kept), repaired=sum(c.repaired for c in kept))
    notices = _checked_notices(checks, passages)
    if not kept:
        if any(c.declines for c in checks):
            return _declined(question, passages, notices, generation)
        raise LLMError("no supported sentence in the model's answer", "no-supported-sentence", generation)

    renumber: dict[int, int] = {}
    for check in kept:
        for n in check.support:
            renumber.setdefault(n, len(renumber) + 1)
    notices += [_repair_notice(c, renumber, passages) for c in kept if c.repaired]
    sentences = [
        AnswerSentence(text=c.text, citations=[renumber[n] for n in c.support], verified=True, quote=" … ".join(c.quoted))
        for c in kept
    ]
    citations = []
    for old, new in renumber.items():
        chunk = passages[old - 1].chunk
        claims_here = [" ".join(c.quoted) or c.text for c in kept if old in c.support]
        citations.append(Citation(n=new, chunk=chunk, quote=best_quote(chunk.text, claims_here)))
    return Answer(question=question, answer=_layout(kept, sentences), abstained=False, citations=citations,
                  retrieved=list(passages), sentences=sentences, notices=notices, backend="llm", generation=generation)


# ---------------------------------------------------------------------------------------------- streaming


class FailFast:
    """Verifies claims as the model finishes them; stops the stream when the first ones all fail."""

    def __init__(self, passages: Sequence[Retrieved], limit: int = FAIL_FAST_SENTENCES):
        self.passages, self.limit = passages, limit
        self.checked = 0  # finished sentences verified so far
        self.failed_claims = 0
        self.decided = False  # a claim passed, or the limit was reached

    def feed(self, text: str) -> None:
        """``text``: the reply so far. Every sentence but the last one is finished."""
        if self.decided:
            return
        finished = split_claims(text)[:-1]
        for sentence in finished[self.checked :]:
            self.checked += 1
            check = verify_sentence(sentence, self.passages)
            if not check.is_claim:
                continue
            if check.verified:
                self.decided = True
                return
            self.failed_claims += 1
            if self.failed_claims >= self.limit:
                self.decided = True
                raise LLMError(
                    f"the model's first {self.limit} sentences are not supported by the sources",
                    "first-sentences-failed",
                    Generation(sentences=self.failed_claims),
                )


def _visible(text: str) -> str:
    """Streamed text as the user should see it: reasoning (<think>) blocks hidden."""
    return strip_reasoning(text).lstrip()


def stream_answer_with_llm(question: str, passages: list[Retrieved], settings: Settings) -> Iterator[str | Answer]:
    """Text pieces as the model writes them (provisional, secrets redacted), then the checked Answer.

    Raises ``LLMError`` -- possibly after some pieces were yielded, which the caller should then
    discard -- when the endpoint fails, times out, the first sentences fail verification or no
    sentence holds. Closing the generator early cancels the request."""
    if not passages:
        raise LLMError("no passages to answer from", "no-passages")
    passages = within_budget(passages, settings.llm_max_source_chars)
    started = time.perf_counter()
    redact = Redactor(settings)
    watch = FailFast(passages)
    stream = TokenStream(settings, build_messages(question, passages))
    text, shown = "", ""
    try:
        for piece in stream.pieces():
            text += piece
            visible = redact(_visible(text))
            ready = visible[: max(0, len(visible) - redact.holdback)]
            if len(ready) > len(shown) and ready.startswith(shown):
                yield ready[len(shown) :]
                shown = ready
            watch.feed(text)
    finally:
        stream.close()  # cancels the request when verification stopped it or the caller went away
    visible = redact(_visible(text), final=True)
    if len(visible) > len(shown) and visible.startswith(shown):
        yield visible[len(shown) :]
    if not text.strip():
        raise LLMError("garbage or empty response from the endpoint", "garbage")
    answer = build_answer(question, text, passages, settings)
    answer.timings_ms["llm"] = (time.perf_counter() - started) * 1000
    yield answer


# failures of the model's answer rather than of the endpoint
_CONTENT_FAILURES = {"no-supported-sentence", "first-sentences-failed"}


def fallback_notice(error: LLMError) -> str:
    """The notice shown with the extractive answer when the LLM answer failed."""
    if error.code in _CONTENT_FAILURES:
        return f"The LLM's answer did not hold up against the sources ({error}); showing the extractive answer."
    return f"LLM endpoint unavailable ({error}); showing the extractive answer."


def answer_with_llm(
    question: str,
    passages: list[Retrieved],
    settings: Settings,
    on_delta: Callable[[str], None] | None = None,
) -> Answer:
    """``stream_answer_with_llm`` as one call: ``on_delta`` receives the provisional text pieces."""
    answer = None
    for item in stream_answer_with_llm(question, passages, settings):
        if isinstance(item, Answer):
            answer = item
        elif on_delta is not None:
            on_delta(item)
    assert answer is not None
    return answer
