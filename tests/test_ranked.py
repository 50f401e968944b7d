"""Stage ranked-sections: sibling sections whose headings carry a score answer "which scored best / worst"."""

from kfqa.qa.ranked import asked_extremes, extremes, scored_groups
from kfqa.types import Chunk, ChunkMeta, Retrieved

SOURCE = "audits/report.pdf"


def _window(section: str, text: str, window: int = 0, key: str = "") -> Chunk:
    return Chunk(f"{SOURCE}::0123456789ab::{section}{window}", text,
                 ChunkMeta(source=SOURCE, kind="audit", section=section, section_key=key, window=window))


SCORECARD = [
    _window("Page 9 > Scorecard", "Scorecard\nBelow, we enumerate the Scorecard results of each project.", 0, "Scorecard"),
    _window("Page 9 > Scorecard > Katib (6.5/10)", "Katib (6.5/10)\nSCORE NAME RISK", 1, "Scorecard > Katib (6.5/10)"),
    _window("Page 10 > Scorecard > Katib (6.5/10)", "Katib demonstrates strong practices.", 2, "Scorecard > Katib (6.5/10)"),
    _window("Page 12 > Scorecard > Notebooks (5.6/10)", "Notebooks (5.6/10)\nSCORE NAME", 3, "Scorecard > Notebooks (5.6/10)"),
    _window("Page 12 > Scorecard > Model Registry (7.7/10)", "Model Registry (7.7/10)\nSCORE", 4,
            "Scorecard > Model Registry (7.7/10)"),
    # another scale in the same group is not ranked with them
    _window("Page 14 > Scorecard > Overall (3/5)", "Overall (3/5)\nA summary.", 5, "Scorecard > Overall (3/5)"),
]


def test_superlatives_ask_for_the_highest_or_the_lowest():
    assert asked_extremes("Which project scored best, and which worst?") == (True, True)
    assert asked_extremes("which one came out lowest") == (False, True)
    # ... or of one score ("the worst OpenSSF Scorecard score")
    assert asked_extremes("Which subproject had the worst OpenSSF Scorecard score, and which one was best?") == (True, True)
    # a superlative qualifying a noun, a compound noun or a hyphenated word ranks nothing
    for question in ("Do they follow OpenSSF best practices?", "What is the best way to improve the score?",
                     "Which checks had the lowest scores for Pipelines?", "What is the highest-risk check?",
                     "What's the top priority among the recommendations?",
                     "What is the best way to score well on the OpenSSF Scorecard?",
                     "What is Kubeflow's OpenSSF Best Practices score?"):
        assert asked_extremes(question) == (False, False), question


def test_the_highest_and_lowest_scored_sibling_sections_by_their_first_window():
    groups = scored_groups(SCORECARD)
    [(key, ranked)] = groups.items()
    assert key == (SOURCE, "Scorecard")
    assert [s.heading for s in ranked] == ["Notebooks (5.6/10)", "Katib (6.5/10)", "Model Registry (7.7/10)"]
    assert ranked[1].chunk.meta.window == 1  # the window that opens with the heading
    read = [Retrieved(SCORECARD[0], 1.0)]  # the section above them is among the passages read
    best, worst = extremes("Which project scored best and which worst?", read, groups)
    assert (best.heading, worst.heading) == ("Model Registry (7.7/10)", "Notebooks (5.6/10)")
    assert [s.heading for s in extremes("which came out worst?", [Retrieved(SCORECARD[2], 1.0)], groups)] == [
        "Notebooks (5.6/10)"]
    # not asked for a rank, or no such group read: nothing
    assert extremes("What does Scorecard check?", read, groups) == []
    assert extremes("Which project scored best?", [Retrieved(_window("Intro", "x", 9, "Intro"), 1.0)], groups) == []
    # a question naming one of them asks about that one
    assert extremes("Which of Katib's checks scored worst?", read, groups) == []
    # sections tied at the top are all the best
    tied = [*SCORECARD[:5], _window("Page 13 > Scorecard > Trainer (7.7/10)", "Trainer (7.7/10)\nSCORE", 6,
                                     "Scorecard > Trainer (7.7/10)")]
    assert [s.heading for s in extremes("Which scored best?", read, scored_groups(tied))] == [
        "Model Registry (7.7/10)", "Trainer (7.7/10)"]
    # two scored sections compare, they don't rank
    assert scored_groups(SCORECARD[1:4]) == {}


def test_a_ranking_question_leads_with_the_headings(tmp_path):
    from kfqa.qa.compose import Composer
    from kfqa.qa.merging import Windows
    from kfqa.qa.stages import QAConfig
    from kfqa.termstats import TermStats

    chunks = {c.id: c for c in SCORECARD}
    composer = Composer(TermStats.build(list(chunks.values())), Windows(chunks))
    question = "Which project scored best on Scorecard?"
    read = [Retrieved(SCORECARD[0], 1.0), Retrieved(SCORECARD[2], 0.5)]
    lead = composer.gather(question, read).candidates[0]
    assert lead.text == "Model Registry (7.7/10)" and lead.hit.chunk is SCORECARD[4]
    off = composer.gather(question, read, config=QAConfig().without("ranked-sections")).candidates
    assert all(c.text != "Model Registry (7.7/10)" for c in off)
