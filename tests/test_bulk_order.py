"""Bulk embedding order: batches of near-equal word-piece counts (little padding), alternating long
and short (progress keeps pace with work). Tokenizer only: unit layer."""

from __future__ import annotations

import random

from kfqa.config import BUNDLED_CORPUS
from kfqa.embedding import bulk_order, token_lengths


def corpus_paragraphs(limit: int = 3000) -> list[str]:
    paragraphs = [
        p for f in sorted((BUNDLED_CORPUS / "docs").rglob("*.md")) for p in f.read_text("utf-8").split("\n\n") if p.strip()
    ]
    random.Random(3).shuffle(paragraphs)
    return paragraphs[:limit]


def padding(lengths: list[int], order: list[int], batch: int) -> float:
    fed = sum(len(b) * max(lengths[i] for i in b) for b in (order[s : s + batch] for s in range(0, len(order), batch)))
    return 1 - sum(lengths) / fed


def test_order_is_a_permutation_in_whole_batches_with_the_remainder_last():
    texts = corpus_paragraphs(203)
    order = bulk_order(texts, batch=64)
    assert sorted(order) == list(range(203))
    lengths = token_lengths(texts)
    tail = order[-(203 % 64):]
    assert max(lengths[i] for i in tail) <= min(lengths[i] for i in order[: -(203 % 64)])  # the shortest, last


def test_batches_pad_far_less_than_sorting_by_characters():
    texts = corpus_paragraphs()
    lengths = token_lengths(texts)
    by_chars = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    ours = bulk_order(texts, batch=64)
    assert padding(lengths, ours, 64) < 0.08
    assert padding(lengths, ours, 64) < padding(lengths, by_chars, 64) / 3


def test_batches_alternate_long_and_short():
    texts = corpus_paragraphs(64 * 6)
    lengths = token_lengths(texts)
    order = bulk_order(texts, batch=64)
    work = [sum(lengths[i] for i in order[s : s + 64]) for s in range(0, len(order), 64)]
    assert work[0] == max(work) and work[1] == min(work)
    # after each pair of batches, the work done is near the average pace
    pairs = [work[i] + work[i + 1] for i in range(0, 6, 2)]
    assert max(pairs) < 3 * min(pairs)


def test_token_lengths_count_special_tokens_and_the_cut():
    assert token_lengths(["", "blast radius", "word " * 1000]) == [2, 4, 256]
