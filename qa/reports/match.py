"""A request's or a template prompt's specific vocabulary: the answering stages' own focus terms
(``kfqa.qa.terms``), weighted by the store's statistics; ``kfqa.qa.terms.coverage`` measures how
much of it a passage holds."""

from __future__ import annotations

from kfqa.qa.terms import TermWeights


def focus(assistant, text: str) -> dict[str, float]:
    """The specific terms of ``text`` with their IDF weights over ``assistant``'s store."""
    return TermWeights(assistant.retriever.stats).focus(text)

