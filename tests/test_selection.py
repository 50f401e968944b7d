"""Sentence selection on hand-made candidates: what stage novelty changes and nothing else."""

from __future__ import annotations

from kfqa.qa.selection import Candidate, select
from kfqa.qa.stages import QAConfig
from kfqa.types import Chunk, ChunkMeta, Retrieved

HIT = Retrieved(Chunk(id="docs/a.md::0123456789ab::0", text="", meta=ChunkMeta(source="docs/a.md", kind="docs")), 1.0)


def _cand(text: str, score: float, asked: dict[str, float], position: int) -> Candidate:
    return Candidate(text, HIT, 0, score=score, terms=set(text.lower().rstrip(".").split()), position=position,
                     asked_terms=asked)


# "Which quokka scored best, and which gaps were common?" -- weights of its terms: quokka, best, gaps
LEAD = _cand("The quokka project scored best of all at 7.7 in the review.", 1.0, {"quokka": 0.3, "best": 0.3}, 0)
AGAIN = _cand("Its best quokka score came from the strong code review rules.", 0.9, {"quokka": 0.3, "best": 0.3}, 2)
GAPS = _cand("Common gaps were token permissions and missing fuzzing everywhere.", 0.8, {"gaps": 0.4}, 4)


def test_novelty_prefers_the_point_that_answers_another_part_of_the_question():
    config = QAConfig(max_points=2, continuation_words=0)
    assert select([LEAD, AGAIN, GAPS], config=config.with_values(novelty_weight=0.3)) == [LEAD, GAPS]
    # off (or at weight 0) the higher-scored repeat of the lead's part wins
    assert select([LEAD, AGAIN, GAPS], config=config.without("novelty").with_values(novelty_weight=0.3)) == [LEAD, AGAIN]
    assert select([LEAD, AGAIN, GAPS], config=config.with_values(novelty_weight=0.0)) == [LEAD, AGAIN]


def test_novelty_lifts_no_point_over_the_support_floor():
    # a new part's sentence under the floor (0.44 < 0.45 of the lead) would outrank the point above it
    # with its novelty (0.44 + 0.3 * 0.4): it stays out, and the selection goes on to the point above it
    below = _cand("Common gaps were token permissions and missing fuzzing everywhere.", 0.44, {"gaps": 0.4}, 4)
    above = _cand("The audit covered six repositories over two months.", 0.5, {"quokka": 0.1}, 6)
    config = QAConfig(max_points=2, continuation_words=0, novelty_weight=0.3, support_floor=0.45)
    assert select([LEAD, above, below], config=config) == [LEAD, above]
