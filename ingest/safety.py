"""Flag passages that read as instructions to an AI assistant (prompt injection).

A flagged chunk is still stored and retrievable (a reviewer may ask about it), but
the answerer must never use it as support. The patterns target imperative text
addressed to a model; ordinary security prose ("prompt injection", "as an AI platform",
"you are now ready to deploy") must not match.
"""

from __future__ import annotations

import re
import unicodedata

_ASSISTANT = r"(?:ai|a\.i\.|llm|language model|assistant|chat ?bot|chatgpt|gpt|claude|model|agent|copilot)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "asks to ignore earlier instructions",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|every\s+)?"
            r"(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?"
            r"(?:previous|prior|preceding|above|earlier|original|existing|system|safety)\s+"
            r"(?:instructions?|prompts?|messages?|rules|directions|guidelines|context|text)"
        ),
    ),
    (
        "asks to disregard the text above",
        re.compile(
            r"\b(?:disregard|ignore|forget)\s+(?:everything|all|anything)\s+(?:above|before|said|written)"
        ),
    ),
    (
        "asks to disregard the text above",
        re.compile(r"\bdisregard\s+the\s+above\b"),
    ),
    (
        "assigns the reader a new role",
        re.compile(
            r"\byou\s+are\s+now\s+(?:a|an|the|in|no\s+longer|free|dan|jailbroken|unrestricted)\b"
            r"(?!\s+(?:ready|able|set|done|logged|connected|running|in\s+the\s+\w+\s+(?:directory|folder|namespace)))"
        ),
    ),
    (
        "assigns the reader a new role",
        re.compile(r"\bfrom\s+now\s+on,?\s+you\s+(?:are|will|must|should|shall)\b"),
    ),
    (
        "assigns the reader a new role",
        re.compile(
            r"\b(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|jailbroken|evil)\b"
        ),
    ),
    (
        "tells the assistant what to tell the user",
        re.compile(r"\btell\s+the\s+(?:user|reader|reviewer|human)s?\s+(?:that|to)\b"),
    ),
    (
        "tells the assistant what to tell the user",
        re.compile(
            r"\b(?:always|never|must|should)\s+(?:say|answer|respond|reply|claim|state)\s+(?:to\s+the\s+user\s+)?that\b"
            r"[^.\n]{0,80}\b(?:user|reviewer|question)"
        ),
    ),
    (
        "refers to the assistant's system prompt",
        re.compile(
            r"\b(?:reveal|print|output|repeat|show|leak|ignore|override|disregard|new|updated|your)\s+"
            r"(?:(?:the|your|my)\s+)?system\s+prompt\b"
        ),
    ),
    ("refers to the assistant's system prompt", re.compile(r"(?:^|\n)\s*system\s+prompt\s*:")),
    (
        "speaks as an AI model",
        re.compile(
            r"\bas\s+an?\s+(?:ai|artificial intelligence)\s+(?:language\s+model|assistant|chat ?bot|model)\b"
        ),
    ),
    (
        "addresses an AI assistant directly",
        re.compile(
            r"\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+)?" + _ASSISTANT + r"s?\b"
            r"(?:\s+(?:reading|processing|summari[sz]ing|answering))?\s*[:,]"
        ),
    ),
    (
        "addresses an AI assistant directly",
        re.compile(r"\b(?:if|when)\s+you\s+are\s+an?\s+" + _ASSISTANT + r"s?\b"),
    ),
    (
        "addresses an AI assistant directly",
        re.compile(
            r"\b(?:ai|llm|language model)\s+(?:assistants?|models?|agents?|systems?)\s+"
            r"(?:reading|processing|summari[sz]ing|answering\s+questions\s+about)\s+this\b"
        ),
    ),
    (
        "contains chat-template control tokens",
        re.compile(r"<\|im_start\|>|<\|im_end\|>|<\|system\|>|\[/?inst\]|<<sys>>|<\|endoftext\|>"),
    ),
    (
        "asks the assistant to hide or change its answer",
        re.compile(
            r"\bdo\s+not\s+(?:tell|inform|mention\s+(?:this\s+)?to)\s+the\s+(?:user|reader|reviewer)s?\b"
        ),
    ),
]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[*_`]", "", text)
    return re.sub(r"[ \t\r\f\v]+", " ", text)


def flag_instructions(text: str) -> str | None:
    """A short reason when ``text`` reads as instructions to an AI assistant, else ``None``."""
    folded = _fold(text)
    raw = text.lower()
    for reason, pattern in _PATTERNS:
        m = pattern.search(folded) or pattern.search(raw)
        if m:
            snippet = re.sub(r"\s+", " ", m.group(0)).strip()
            return f"reads as an instruction to an AI assistant ({reason}: {snippet!r})"
    return None
