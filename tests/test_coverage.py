"""kfqa coverage on the real corpus store: template items read from the template itself, statuses
against hand-labelled keys (Kubeflow's assessment, and OpenMetrics' as an untuned check), cited
passages, the reviewer guide's questions, bad input."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfqa.cli import app
from kfqa.config import BUNDLED_CORPUS
from kfqa.qa import Assistant
from kfqa.qa.reports import export
from kfqa.qa.reports.corpus import Corpus, CorpusFile
from kfqa.qa.reports.coverage import COVERED, MISSING, build_coverage
from kfqa.qa.reports.template import reviewer_items, template_items
from kfqa.types import KfqaError

KEYS = Path(__file__).parent / "keys"
TEMPLATE = "guides/tag-security/self-assessment.md"


def key(name: str) -> dict:
    return json.loads((KEYS / name).read_text(encoding="utf-8"))


def agreement(cov, labelled: dict) -> tuple[float, list]:
    wanted = {i["id"]: i["status"] for i in labelled["items"]}
    got = {r.item.id: r.status for r in cov.rows}
    assert set(got) == set(wanted), "the key labels every item the template asks for"
    wrong = [(i, got[i], wanted[i]) for i in wanted if got[i] != wanted[i]]
    return 1 - len(wrong) / len(wanted), wrong


@pytest.fixture(scope="module")
def assistant(corpus_store):
    return Assistant.open(corpus_store)


@pytest.fixture(scope="module")
def corpus(corpus_store):
    return Corpus(corpus_store)


def test_items_come_from_the_template_itself(tmp_path):
    items = template_items(CorpusFile(TEMPLATE, BUNDLED_CORPUS / TEMPLATE))
    labels = [i.label for i in items]
    for expected in ("Assessment Stage", "Security links", "Non-goals", "Critical", "Incident Response",
                     "if contributors are required to sign commits", "how many reviewers before merging"):
        assert expected in labels
    assert "Table of contents" not in labels and "Self-assessment outline" not in labels
    # a template with one more prompt and one heading fewer gives one row more and that heading's row fewer
    text = (BUNDLED_CORPUS / TEMPLATE).read_text(encoding="utf-8")
    text = text.replace("* Ecosystem.", "* Threat Model. Describe the threats the project defends against.\n* Ecosystem.")
    text = text.replace("#### Non-goals", "Non-goals, as text without a heading:")
    edited = tmp_path / "template.md"
    edited.write_text(text, encoding="utf-8")
    changed = [i.label for i in template_items(CorpusFile("template.md", edited))]
    assert "Threat Model" in changed and "Non-goals" not in changed
    assert len(changed) == len(labels)


def test_reviewer_guide_questions_are_read_from_the_guide():
    guide = "guides/tag-security/security-reviewer.md"
    labels = [i.label for i in reviewer_items(CorpusFile(guide, BUNDLED_CORPUS / guide))]
    assert "hidden assumptions" in labels and "the impact of attacks" in labels


def test_kubeflow_coverage_agrees_with_the_hand_labelled_key(assistant, corpus):
    cov = build_coverage(assistant, corpus, "assessments/kubeflow/self-assessment.md")
    share, wrong = agreement(cov, key("coverage-kubeflow.json"))
    print(f"\ncoverage Kubeflow: agreement {share:.1%} ({len(cov.rows) - len(wrong)}/{len(cov.rows)}); wrong: {wrong}")
    assert share >= 0.9


def test_another_cncf_assessment_agreement_is_reported(assistant, corpus):
    cov = build_coverage(assistant, corpus, "assessments/cncf/openmetrics/self-assessment.md")
    share, wrong = agreement(cov, key("coverage-openmetrics.json"))
    print(f"\ncoverage OpenMetrics (not tuned to): agreement {share:.1%} ({len(cov.rows) - len(wrong)}/{len(cov.rows)}); wrong: {wrong}")
    assert share >= 0.8


def test_covered_rows_cite_the_assessment_itself(assistant, corpus):
    cov = build_coverage(assistant, corpus, "assessments/cncf/copacetic/self-assessment.md")
    covered = [r for r in cov.rows if r.status == COVERED]
    assert len(covered) > len(cov.rows) / 2
    for row in covered:
        assert row.citations, row.item.id
        for c in row.citations:
            assert c.chunk.meta.source == "assessments/cncf/copacetic/self-assessment.md"
            # the answerer may elide between quoted sentences ("… "): every piece is the chunk's own text
            pieces = [" ".join(p.split()) for p in c.quote.split("…") if p.strip()]
            assert pieces and all(p in " ".join(c.chunk.text.split()) for p in pieces), c.quote
    signed = next(r for r in cov.rows if r.item.label == "if contributors are required to sign commits")
    assert signed.status == COVERED and any("sign their commits" in c.quote for c in signed.citations)


def test_an_assessment_without_the_template_sections_is_missing_them(assistant, corpus):
    # the audit-finding-free GTR has its own outline: most template items have no section there
    cov = build_coverage(assistant, corpus, "assessments/kubeflow/general-technical-review.md")
    assert sum(r.status == MISSING for r in cov.rows) >= 3
    assert all(not r.citations for r in cov.rows if r.status == MISSING)


def test_reviewer_adds_the_guides_questions(assistant, corpus):
    plain = build_coverage(assistant, corpus, "assessments/kubeflow/self-assessment.md")
    more = build_coverage(assistant, corpus, "assessments/kubeflow/self-assessment.md", reviewer=True)
    extra = [r for r in more.rows if r.item.kind == "reviewer"]
    assert len(more.rows) == len(plain.rows) + len(extra) and len(extra) >= 3
    md = export.coverage_markdown(more)
    assert "hidden assumptions" in md and md.count("\n|") == len(more.rows) + 2


@pytest.mark.parametrize(
    "name, says",
    [
        ("reviews/cncf-toc-pr-2201.json", "not an assessment"),
        ("assessments/kubeflow/nothing-here.md", "no such file"),
    ],
)
def test_bad_input_names_the_path(assistant, corpus, name, says):
    with pytest.raises(KfqaError) as err:
        build_coverage(assistant, corpus, name)
    assert name in str(err.value) and says in str(err.value)


def test_an_assessment_with_no_headings_is_refused_by_name(assistant, corpus_store, tmp_path):
    (tmp_path / "flat.md").write_text("Just a paragraph about security, no headings at all.\n", encoding="utf-8")
    with pytest.raises(KfqaError, match=r"flat\.md: the assessment has no headings"):
        build_coverage(assistant, Corpus(replace(corpus_store, corpus_dir=tmp_path)), "flat.md")


def test_cli_coverage_json_and_bad_path(corpus_store):
    runner = CliRunner()
    store = ["--store", str(corpus_store.store_dir)]
    out = runner.invoke(app, ["coverage", "--json", *store])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["assessment"] == "assessments/kubeflow/self-assessment.md" and data["template"] == TEMPLATE
    assert all(r["template_prompt"] for r in data["rows"])
    out = runner.invoke(app, ["coverage", "reviews/cncf-toc-pr-2201.json", *store])
    assert out.exit_code == 1 and "not an assessment" in out.output
