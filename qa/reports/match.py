"""How much of a request's or a template prompt's specific vocabulary a passage holds: the
answering stages' own focus terms (``kfqa.qa.terms``), weighted by the store's statistics."""

from __future__ import annotations

from kfqa.qa.terms import TermWeights, coverage


def focus(assistant, text: str) -> dict[str, float]:
    """The specific terms of ``text`` with their IDF weights over ``assistant``'s store."""
    return TermWeights(assistant.retriever.stats).focus(text)


def share(focus_terms: dict[str, float], text: str) -> float:
    """IDF-weighted share of ``focus_terms`` that ``text`` holds (1.0 when there are none)."""
    return coverage(focus_terms, text)
