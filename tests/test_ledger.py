"""kfqa ledger on the real corpus store: every reviewer request of PR 2201 with its true resolution
(the hand-labelled key tests/keys/ledger-pr-2201.json), exact cited quotes, capture gaps, bad input."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfqa.cli import app
from kfqa.qa import Assistant
from kfqa.qa.reports import export
from kfqa.qa.reports.corpus import Corpus
from kfqa.qa.reports.ledger import NOT_CAPTURED, OPEN, build_ledger
from kfqa.qa.reports.thread import NO_AUTHOR
from kfqa.types import KfqaError

KEY = json.loads((Path(__file__).parent / "keys" / "ledger-pr-2201.json").read_text(encoding="utf-8"))
COMMIT_URL = re.compile(r"/blob/[0-9a-f]{40}/.+#L\d+-L\d+$")


@pytest.fixture(scope="module")
def assistant(corpus_store):
    return Assistant.open(corpus_store)


@pytest.fixture(scope="module")
def ledger(assistant, corpus_store):
    return build_ledger(assistant, Corpus(corpus_store), [KEY["thread"]])


def test_pr_2201_agrees_with_the_hand_labelled_key(ledger):
    got = {r.comment_id: r for r in ledger.rows}
    assert list(got) == [k["id"] for k in KEY["rows"]], "one row per reviewer request, in thread order"
    right = [k["id"] for k in KEY["rows"] if set(got[k["id"]].status) == set(k["status"])]
    agreement = len(right) / len(KEY["rows"])
    sections = sum(
        1 for k in KEY["rows"] if k.get("section") and any(x.section == k["section"] for x in got[k["id"]].resolutions)
    )
    print(f"\nledger PR 2201: status agreement {agreement:.0%} ({len(right)}/{len(KEY['rows'])}); "
          f"changed section as labelled: {sections}/{sum(1 for k in KEY['rows'] if k.get('section'))}")
    assert agreement == 1.0, {k["id"]: (got[k["id"]].status, k["status"]) for k in KEY["rows"] if k["id"] not in right}
    for k in KEY["rows"]:
        assert got[k["id"]].who == k["who"]


def test_every_quote_is_exact_text_of_its_cited_chunk(ledger):
    cited = [(r.request, "review") for r in ledger.rows] + [
        (c, x.kind) for r in ledger.rows for x in r.resolutions for c in x.citations
    ]
    assert len(cited) > 20
    for citation, kind in cited:
        assert citation is not None
        assert citation.quote and citation.quote in citation.chunk.text
        if kind == "changed":  # document revisions: commit-pinned lines
            assert COMMIT_URL.search(citation.chunk.meta.url), citation.chunk.meta.url
        else:
            assert citation.chunk.meta.url.startswith("https://github.com/cncf/toc/pull/2201#")


def test_changed_quotes_the_current_revision_after_and_the_reviewed_one_before(ledger):
    row = next(r for r in ledger.rows if r.comment_id == "c2")
    changed = next(x for x in row.resolutions if x.kind == "changed")
    after, before = changed.citations
    assert after.chunk.meta.source == "assessments/kubeflow/self-assessment.md" and not after.chunk.meta.superseded
    assert before.chunk.meta.superseded and "history/" in before.chunk.meta.source
    assert "Andrey Velichkevich" in after.quote  # the authors the reviewer asked for
    assert "Andrey Velichkevich" not in Path("corpus", before.chunk.meta.source).read_text(encoding="utf-8")


def test_replies_are_quoted_with_who_made_them_and_lost_authors_are_said(ledger):
    row = next(r for r in ledger.rows if r.comment_id == "c6")
    replies = [x for x in row.resolutions if x.kind == "replied"]
    assert [x.who for x in replies] == ["andreyvelich", NO_AUTHOR]
    assert replies[1].citations[0].quote == "Yes, the submitter is the operator itself."
    follow_ups = [r for r in ledger.rows if r.who == NO_AUTHOR]
    assert [r.comment_id for r in follow_ups] == ["c9", "c13", "c17"]


def test_a_cut_comment_says_so_in_its_row(ledger):
    row = next(r for r in ledger.rows if r.comment_id == "c18")
    assert any("is cut" in note for note in row.notes)
    assert ledger.notes["reviews/cncf-toc-pr-2201.json"]


def test_an_unanswered_request_in_a_cut_thread_is_not_called_open(assistant, corpus_store):
    # kubeflow/community#871: only 4 pieces of the thread could be reached, no replies among them
    result = build_ledger(assistant, Corpus(corpus_store), ["reviews/kubeflow-community-pr-871.json"])
    assert [r.comment_id for r in result.rows] == ["c2", "c3"]  # c1 and c4 are the PR author's own
    assert all(r.status == [NOT_CAPTURED] for r in result.rows)
    assert all("could be reached" in r.resolutions[0].summary for r in result.rows)
    assert OPEN not in export.ledger_json(result)["counts"]


def test_an_issue_is_its_own_request_and_an_approval_nobody_answers_is_none(assistant, corpus_store):
    corpus = Corpus(corpus_store)
    issue = build_ledger(assistant, corpus, ["reviews/kubeflow-community-issue-991.json"])
    assert [r.comment_id for r in issue.rows] == ["description"]
    assert issue.rows[0].status == [OPEN] and "closed" in issue.rows[0].resolutions[0].summary
    approval = build_ledger(assistant, corpus, ["reviews/kubeflow-community-pr-1008.json"])
    assert approval.rows == []  # "/lgtm /approve" asks nothing


def test_default_threads_are_the_self_assessment_threads(assistant, corpus_store):
    result = build_ledger(assistant, Corpus(corpus_store))
    assert "reviews/cncf-toc-pr-2201.json" in result.threads
    assert "reviews/cncf-toc-issue-1861.json" not in result.threads  # the graduation application


def test_empty_thread_gives_an_empty_ledger(assistant, corpus_store, tmp_path):
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "empty.json").write_text(json.dumps({"title": "t", "body": "", "comments": []}))
    result = build_ledger(assistant, Corpus(replace(corpus_store, corpus_dir=tmp_path)), ["reviews/empty.json"])
    assert result.rows == []
    assert export.ledger_csv(result).splitlines() == [",".join(export.LEDGER_COLUMNS)]


@pytest.mark.parametrize(
    "name, says",
    [
        ("assessments/kubeflow/self-assessment.md", "not a review thread"),
        ("reviews/no-such-thread.json", "no such file"),
    ],
)
def test_bad_input_names_the_path(assistant, corpus_store, name, says):
    with pytest.raises(KfqaError) as err:
        build_ledger(assistant, Corpus(corpus_store), [name])
    assert name in str(err.value) and says in str(err.value)


def test_cli_ledger_json_csv_and_bad_path(corpus_store):
    runner = CliRunner()
    store = ["--store", str(corpus_store.store_dir)]
    out = runner.invoke(app, ["ledger", "reviews/cncf-toc-pr-2201.json", "--json", *store])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [r["comment_id"] for r in data["rows"]] == [k["id"] for k in KEY["rows"]]
    assert all(r["request_citation"]["quote"] for r in data["rows"])
    out = runner.invoke(app, ["ledger", "reviews/cncf-toc-pr-2201.json", "--csv", *store])
    assert out.exit_code == 0 and out.stdout.splitlines()[0].startswith("thread,comment,who")
    out = runner.invoke(app, ["ledger", "corpus/sources.json", *store])
    assert out.exit_code == 1 and "not a review thread" in out.output
