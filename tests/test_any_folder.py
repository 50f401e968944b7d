"""Any folder works: term weights and answerability on a one-file store and on a 100-file store
of another project (synthetic folders, real ingest, real embedding model, real Chroma)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfqa.qa import Assistant
from kfqa.qa.terms import TermWeights
from kfqa.termstats import TERMSTATS_FILE, TermStats, chunk_set_key, stem


def _ingest(folder: Path, store: Path):
    from conftest import store_settings

    from kfqa.ingest import run_ingest

    settings = store_settings(store, folder)
    report = run_ingest([folder], settings)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="module")
def quokka(tmp_path_factory):
    root = tmp_path_factory.mktemp("quokka")
    folder = root / "notes"
    folder.mkdir()
    (folder / "quokka.md").write_text("The quokka controller rotates its signing keys every 17 days.\n", encoding="utf-8")
    return Assistant.open(_ingest(folder, root / "store"))


def test_the_quokka_question_is_answered_from_a_one_file_store(quokka):
    answer = quokka.ask("How often does the quokka controller rotate its signing keys?")
    assert not answer.abstained, answer.answer
    assert answer.answer.startswith("The quokka controller rotates its signing keys every 17 days [1]")
    [citation] = answer.citations
    assert citation.chunk.meta.source == "quokka.md"
    # in a one-chunk store every term is in every chunk, and still each is a specific term
    focus = TermWeights(quokka.retriever.stats).focus("How often does the quokka controller rotate its signing keys?")
    assert {stem(w) for w in ("quokka", "controller", "signing", "keys")} <= set(focus)
    assert all(w > 0 for w in focus.values())


def test_a_one_file_store_asks_bm25_for_no_more_hits_than_it_holds(quokka, caplog, capfd):
    quokka.ask("How often does the quokka controller rotate its signing keys?")
    said = capfd.readouterr().err + caplog.text
    assert "requires k" not in said, said  # bm25s's warning when asked for more hits than the corpus has


def test_a_name_the_store_never_mentions_is_declined_and_named(quokka):
    answer = quokka.ask("Does the quokka controller hold FedRAMP authorization?")
    assert answer.abstained
    # ("authorization", common English the one file never holds, carries the question too: it may be named beside)
    assert any(n.startswith("The indexed sources never mention 'FedRAMP'") for n in answer.notices), answer.notices
    assert answer.closest and answer.closest[0].chunk.meta.source == "quokka.md"


COMPONENTS = ["gateway", "scheduler", "registry", "ledger", "indexer", "notifier", "archiver", "broker", "planner", "auditor"]
TOPICS = [
    ("rotates its TLS certificates every {n} days", "How often does the otter-{c} rotate its TLS certificates?"),
    ("keeps request logs for {n} weeks before deleting them", "How long does the otter-{c} keep request logs?"),
    ("runs as the otter-{c}-sa service account with read access to {n} namespaces", None),
    ("retries a failed upstream call {n} times with exponential backoff", None),
    ("exposes metrics on port 9{n:03d} for Prometheus", None),
    ("stores its state in a PostgreSQL database encrypted with a key held in Vault", None),
    ("is deployed with {n} replicas behind a PodDisruptionBudget", None),
    ("validates every incoming manifest against the Otterly schema version {n}", None),
    ("signs its container images with cosign and publishes an SBOM for release {n}", None),
    ("reports security issues to the Otterly security team within {n} hours", None),
]


@pytest.fixture(scope="module")
def otterly(tmp_path_factory):
    """100 Markdown files of another project: every component x topic, each file one fact plus
    the boilerplate every page of the project shares."""
    root = tmp_path_factory.mktemp("otterly")
    folder = root / "docs"
    for i, component in enumerate(COMPONENTS):
        for j, (fact, _) in enumerate(TOPICS):
            n = 3 + (7 * i + 5 * j) % 40
            page = folder / component / f"topic-{j}.md"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(
                f"# Otterly {component}: topic {j}\n\n"
                f"Otterly is an open source platform for running otter workloads on Kubernetes. "
                f"This page is part of the Otterly documentation.\n\n"
                f"## Behaviour\n\nThe otter-{component} {fact.format(n=n, c=component)}.\n",
                encoding="utf-8",
            )
    return Assistant.open(_ingest(folder, root / "store"))


@pytest.mark.parametrize(("component", "topic"), [("scheduler", 0), ("archiver", 1), ("broker", 0)])
def test_a_100_file_store_of_another_project_answers_from_the_right_file(otterly, component, topic):
    fact, question = TOPICS[topic]
    i, j = COMPONENTS.index(component), topic
    n = 3 + (7 * i + 5 * j) % 40
    answer = otterly.ask(question.format(c=component))
    assert not answer.abstained, answer.answer
    lead = answer.answer.splitlines()[0]
    assert f"The otter-{component} {fact.format(n=n, c=component)}" in lead
    assert answer.citations[0].chunk.meta.source == f"{component}/topic-{j}.md"


def test_words_on_every_page_are_no_specific_terms(otterly):
    weights = TermWeights(otterly.retriever.stats)
    focus = weights.focus("Which Otterly documentation page says how the otter-gateway rotates certificates?")
    assert "otterly" not in focus and "documentation" not in focus
    assert {stem(w) for w in ("otter-gateway", "rotates", "certificates")} <= set(focus)


def test_unknown_names_in_another_project_are_declined(otterly):
    answer = otterly.ask("Is the otter-gateway FedRAMP authorized?")
    assert answer.abstained
    assert any("FedRAMP" in n for n in answer.notices)


def test_term_statistics_are_saved_for_their_chunk_set_and_ignored_for_another(otterly, tmp_path):
    chunks = list(otterly.retriever.chunks.values())
    stats = TermStats.build(chunks)
    path = stats.save(tmp_path)
    assert path.name == TERMSTATS_FILE
    loaded = TermStats.load(tmp_path, chunk_set_key(c.id for c in chunks))
    assert loaded == stats
    assert TermStats.load(tmp_path, chunk_set_key(c.id for c in chunks[1:])) is None  # another chunk set
    path.write_text("{not json", encoding="utf-8")
    assert TermStats.load(tmp_path, stats.key) is None  # a damaged file is rebuilt, never trusted
    assert TermStats.for_store(tmp_path, chunks) == stats
