"""How an extractive answer is written: the lead sentence, then the supporting points as a list,
each line quoted as the passage has it and ending with the [n] marker of the passage it comes from;
one citation per passage, quoting everything the answer took from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kfqa.qa.selection import Candidate
from kfqa.qa.sentences import LIST_MARK_RE, is_code_line, is_row_or_code
from kfqa.text import split_sentences
from kfqa.types import AnswerSentence, Citation

__all__ = ["Composition", "render"]


@dataclass
class Composition:
    answer: str
    abstained: bool
    citations: list[Citation]
    sentences: list[AnswerSentence]
    notices: list[str] = field(default_factory=list)


def _with_marker(text: str, n: int) -> str:
    # The marker goes inside the sentence's own end mark ("... [1]?"), so a splitter keeps them together.
    body = LIST_MARK_RE.sub("", text.rstrip())  # the answer's own list marks replace the source's
    if body.startswith("|"):  # a table row reads as its cells: "Security Provider? — No. ..."
        body = " — ".join(cell.strip() for cell in body.strip("| ").split("|") if cell.strip()) or body
    if is_code_line(body):  # nothing to go inside
        return f"{body} [{n}]"
    if closing := re.search(r"\s*([.?!:])([\"')\]]+)$", body):  # "(... system?)": inside the closing marks
        return f"{body[: closing.start()]} [{n}]{closing.group(1)}{closing.group(2)}"
    end = body[-1] if body[-1] in ".?!:" else "."
    return f"{body.rstrip('.?!:').rstrip()} [{n}]{end}"


def _item_with_markers(item: str, n: int) -> str:
    """A list item cited: each of its sentences, when it is quoted with more than one (stage item-sentences:
    "`enableLeaderElection` - whether to ... [1]. The default value is `false` [1]."), so each is checked."""
    # (a code line or a table row is cited as one piece, as listed_after cut it: item-sentences adds to neither)
    parts = split_sentences(item) if not is_row_or_code(item) else []
    return " ".join(_with_marker(part, n) for part in parts) if len(parts) > 1 else _with_marker(item, n)


def render(chosen: list[Candidate]) -> Composition:
    """Lead sentence, then supporting points as a list; one citation per passage, markers in order."""
    numbers: dict[str, int] = {}
    quotes: dict[str, list[str]] = {}
    sentences: list[AnswerSentence] = []
    lines: list[str] = []
    for i, cand in enumerate(chosen):
        chunk_id = cand.hit.chunk.id
        n = numbers.setdefault(chunk_id, len(numbers) + 1)
        quotes.setdefault(chunk_id, []).extend([*([cand.opening] if cand.opening else []), cand.text, *cand.items])
        text = f"{cand.said_by}: {LIST_MARK_RE.sub('', cand.text, count=1)}" if cand.said_by else cand.text
        line = _with_marker(text, n)
        if cand.opening:  # "author: Thanks [1]. This is much improved [1]! I think ... [1]." (each cited)
            point, opening = LIST_MARK_RE.sub("", cand.text, count=1), cand.opening
            cited = " ".join(_with_marker(s, n) for s in split_sentences(opening))
            text, line = f"{cand.said_by}: {opening} {point}", f"{cand.said_by}: {cited} {_with_marker(point, n)}"
        sentences.append(AnswerSentence(text=text, citations=[n], verified=True))
        lines.append(line if i == 0 else f"- {line}")
        for item in cand.items:  # each line quoted and cited on its own, nested under its lead-in
            sentences.append(AnswerSentence(text=item, citations=[n], verified=True))
            lines.append(("  - " if i else "- ") + _item_with_markers(item, n))
    answer = lines[0] + ("\n\n" + "\n".join(lines[1:]) if len(lines) > 1 else "")
    hits = {c.hit.chunk.id: c.hit for c in chosen}
    citations = [Citation(n=n, chunk=hits[cid].chunk, quote=" … ".join(quotes[cid])) for cid, n in numbers.items()]
    return Composition(answer, False, citations, sentences)
