"""The eval README's matching rules and metrics on hand-made cases (no model, no store)."""

from __future__ import annotations

import json

import pytest

from kfqa.eval.metrics import (
    Hit,
    Run,
    aggregate,
    aggregate_by_category,
    answer_sentences,
    check_sentences,
    covers,
    facts_stated,
    percentile,
    score_question,
)
from kfqa.eval.questions import Evidence, Question, load_questions, parse_lines
from kfqa.eval.systems import recursive_char_split

SRC = "assessments/kubeflow/self-assessment.md"


def q(qid="q1", answerable=True, evidence=None, facts=None, category="assessment") -> Question:
    if evidence is None:
        evidence = [Evidence(SRC, "the blast radius is bounded by its service account")] if answerable else []
    if facts is None:
        facts = [["service account"], ["denial of service", "dos"]] if answerable else []
    return Question(qid, "What is the blast radius?", category, answerable, evidence, facts)


# --- coverage ---------------------------------------------------------------------------------------


def test_covers_needs_same_source_and_whole_quote():
    ev = Evidence(SRC, "the blast radius is bounded by its service account")
    assert covers(Hit(SRC, "Intro. The blast radius is bounded by its service account. More."), ev)
    assert not covers(Hit("docs/other.md", "the blast radius is bounded by its service account"), ev)


def test_markdown_emphasis_case_and_whitespace_are_ignored():
    ev = Evidence(SRC, "The *blast radius* is bounded by its `service account`")
    assert covers(Hit(SRC, "the **blast\n  radius** is _bounded_ by its service   account"), ev)


def test_quote_split_across_two_chunks_is_not_covered():
    ev = Evidence(SRC, "the blast radius is bounded by its service account")
    first, second = Hit(SRC, "... the blast radius is bounded"), Hit(SRC, "by its service account ...")
    score = score_question(q(evidence=[ev]), Run(retrieved=[first, second]), depth=10)
    assert score.evidence_ranks == [None]
    assert score.recall[10] is False and score.rr == 0.0


def test_recall_needs_every_item_and_mrr_takes_first_item_found():
    ev1, ev2 = Evidence(SRC, "alpha beta"), Evidence("docs/x.md", "gamma delta")
    question = q(evidence=[ev1, ev2])
    noise = Hit(SRC, "nothing here")
    run = Run(retrieved=[noise, Hit(SRC, "Alpha Beta"), noise, noise, noise, Hit("docs/x.md", "gamma delta")])
    s = score_question(question, run, depth=10)
    assert s.evidence_ranks == [2, 6]
    assert s.recall == {1: False, 3: False, 5: False, 10: True}
    assert s.rr == 0.5
    m = aggregate([s])
    assert m["recall@5"] == 0.0 and m["recall@10"] == 1.0 and m["mrr"] == 0.5


def test_recall_deeper_than_retrieval_is_not_measured():
    s = score_question(q(), Run(retrieved=[Hit(SRC, "the blast radius is bounded by its service account")]), depth=5)
    assert s.recall[10] is None and s.recall[5] is True
    assert aggregate([s])["recall@10"] is None


# --- key facts and abstention -------------------------------------------------------------------


def test_key_fact_matching_normalises_both_sides():
    assert facts_stated("Bounded by its **Service  Account** [1]; DoS is possible [2].", [["service account"], ["DOS"]], False) == [
        True,
        True,
    ]
    assert facts_stated("bounded by the account", [["service account"]], False) == [False]


def test_abstention_on_answerable_counts_against_facts_and_abstention():
    answerable = q()
    text = "The sources do not say; the service account and DoS are mentioned nowhere."
    abstain = Run(retrieved=[], answer=text, abstained=True)
    s = score_question(answerable, abstain, depth=10)
    assert s.facts_stated == [False, False]
    assert s.abstention_correct is False
    m = aggregate([s])
    assert m["key_fact_recall"] == 0.0
    assert m["abstention_accuracy"] == 0.0
    assert m["faithfulness"] is None  # an abstention has no answer sentences to judge


def test_abstention_on_unanswerable_is_right_and_answering_it_is_wrong():
    unanswerable = q("u", answerable=False, category="unanswerable")
    good = score_question(unanswerable, Run(retrieved=[], answer="Not in the sources.", abstained=True), depth=10)
    bad = score_question(unanswerable, Run(retrieved=[], answer="Yes.", abstained=False), depth=10)
    assert good.abstention_correct is True and bad.abstention_correct is False
    m = aggregate([good, bad])
    assert m["abstention_accuracy"] == 0.5
    assert m["recall@5"] is None and m["key_fact_recall"] is None  # no answerable question
    assert m["n"] == 2


# --- citations and faithfulness ------------------------------------------------------------------


PASSAGE = "The blast radius is bounded by its service account. A compromised controller can cause denial of service."


def test_citation_precision_and_evidence_citation_recall():
    question = q()
    cited = {1: Hit(SRC, PASSAGE), 2: Hit("docs/unrelated.md", "something else")}
    run = Run(retrieved=[], answer="The blast radius is bounded by its service account [1].", abstained=False, citations=cited)
    s = score_question(question, run, depth=10)
    assert s.cited_in_evidence_sources == [True, False]
    m = aggregate([s])
    assert m["citation_precision"] == 0.5
    assert m["evidence_citation_recall"] == 1.0


def test_unsupported_sentence_lowers_faithfulness():
    cited = {1: Hit(SRC, PASSAGE)}
    answer = (
        "The blast radius is bounded by its service account [1]. "
        "An attacker can also mine cryptocurrency on every node [1]. "
        "A compromised controller can cause denial of service."
    )
    checks = check_sentences(answer, cited)
    assert [c.supported for c in checks] == [True, False, False]
    assert "cryptocurrency" in checks[1].reason
    assert checks[2].reason == "no citation marker"
    s = score_question(q(), Run(retrieved=[], answer=answer, abstained=False, citations=cited), depth=10)
    assert aggregate([s])["faithfulness"] == pytest.approx(1 / 3)


def test_citing_a_missing_number_is_unsupported():
    checks = check_sentences("The blast radius is bounded by its service account [3].", {1: Hit(SRC, PASSAGE)})
    assert not checks[0].supported and "[3]" in checks[0].reason


def test_markers_after_the_full_stop_belong_to_the_sentence_before():
    answer = "The blast radius is bounded by its service account. [1] A compromised controller can cause denial of service. [1]"
    assert answer_sentences(answer) == [
        "The blast radius is bounded by its service account. [1]",
        "A compromised controller can cause denial of service. [1]",
    ]
    assert all(c.supported for c in check_sentences(answer, {1: Hit(SRC, PASSAGE)}))


def test_faithfulness_is_pooled_over_sentences():
    cited = {1: Hit(SRC, PASSAGE)}
    one_good = Run(retrieved=[], answer="The blast radius is bounded by its service account [1].", abstained=False, citations=cited)
    three_bad = Run(retrieved=[], answer="Foo bar [1]. Baz qux [1]. Quux [1].", abstained=False, citations=cited)
    scores = [score_question(q("a"), one_good, 10), score_question(q("b"), three_bad, 10)]
    assert aggregate(scores)["faithfulness"] == 0.25  # 1 of 4 sentences, not mean(1, 0)


def test_retrieval_only_system_has_no_answer_metrics():
    s = score_question(q(), Run(retrieved=[Hit(SRC, PASSAGE)], latency_ms=12.0), depth=10)
    m = aggregate([s])
    for name in ("key_fact_recall", "citation_precision", "evidence_citation_recall", "faithfulness", "abstention_accuracy"):
        assert m[name] is None
    assert m["recall@1"] == 1.0 and m["latency_p50_ms"] == 12.0


def test_metric_names_and_categories():
    scores = [
        score_question(q("a"), Run(retrieved=[], answer="", abstained=False, latency_ms=10), 10),
        score_question(q("b", category="docs"), Run(retrieved=[], answer="", abstained=False, latency_ms=30), 10),
    ]
    m = aggregate(scores)
    assert list(m) == [
        "recall@1", "recall@3", "recall@5", "recall@10", "mrr", "key_fact_recall", "citation_precision",
        "evidence_citation_recall", "faithfulness", "abstention_accuracy", "latency_p50_ms", "latency_p95_ms", "n",
    ]  # fmt: skip
    assert m["latency_p50_ms"] == 20 and m["latency_p95_ms"] == pytest.approx(29)
    by_cat = aggregate_by_category(scores)
    assert set(by_cat) == {"assessment", "docs"} and by_cat["docs"]["n"] == 1


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5


# --- loading question files ---------------------------------------------------------------------


def _line(**over) -> str:
    row = {
        "id": "x",
        "question": "Q?",
        "category": "assessment",
        "answerable": True,
        "evidence": [{"source": SRC, "quote": "quote"}],
        "key_facts": [["fact"]],
        "reference_answer": "A.",
        "extra_field": {"ignored": True},
    }
    row.update(over)
    return json.dumps(row)


def test_malformed_lines_are_reported_with_line_numbers_and_the_rest_scored(tmp_path):
    no_evidence = json.loads(_line(id="d"))
    del no_evidence["evidence"]
    lines = [
        _line(id="a"),
        "{not json",
        "",
        json.dumps(no_evidence),
        _line(id="e", answerable="yes"),
        _line(id="f", key_facts=["fact"]),
        _line(id="a"),
        "[1, 2]",
        _line(id="g", evidence=[], key_facts=[], answerable=False, category="unanswerable"),
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    qset = load_questions(path)
    assert [x.id for x in qset.questions] == ["a", "g"]
    assert [x.line for x in qset.questions] == [1, 9]
    problems = {p.line: p.message for p in qset.problems}
    assert set(problems) == {2, 4, 5, 6, 7, 8}
    assert "bad JSON" in problems[2]
    assert "evidence" in problems[4]
    assert "answerable" in problems[5]
    assert "key_facts" in problems[6]
    assert "duplicate" in problems[7]
    assert "object" in problems[8]


def test_reference_answer_may_be_missing_and_unknown_fields_are_ignored():
    row = json.loads(_line())
    del row["reference_answer"]
    qset = parse_lines([json.dumps(row)])
    assert not qset.problems and qset.questions[0].reference_answer == ""


def test_shipped_dev_set_loads_cleanly():
    from kfqa.config import DEV_QUESTIONS

    qset = load_questions(DEV_QUESTIONS)
    assert not qset.problems
    assert len(qset.questions) == 54


def test_recursive_char_split_windows():
    text = " ".join(f"word{i}" for i in range(400)) + "\n\n" + "tail paragraph."
    pieces = recursive_char_split(text, 600, 60)
    assert all(len(p) <= 600 for p in pieces)
    assert pieces[-1].endswith("tail paragraph.")
    # consecutive windows overlap (the last words of one start the next)
    assert pieces[1].split()[0] in pieces[0]
