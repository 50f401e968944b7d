"""The Assistant over the whole bundled corpus: answers, citations, abstention, filters, revisions, bad input."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ask_without

from kfqa.config import Settings
from kfqa.qa import Assistant
from kfqa.store import Store
from kfqa.text import MARKER_RE, is_supported, normalize, split_sentences, strip_markers
from kfqa.types import Filters, StoreError


@pytest.fixture(scope="module")
def assistant(corpus_store):
    return Assistant.open(corpus_store)


def test_answer_sentences_are_cited_and_quoted_from_their_sources(assistant):
    answer = assistant.ask("If an attacker owns one Kubeflow controller, what's the blast radius?")
    assert not answer.abstained
    assert answer.citations
    by_n = {c.n: c for c in answer.citations}
    for sentence in split_sentences(answer.answer):
        markers = [int(n) for n in MARKER_RE.findall(sentence)]
        assert markers, f"uncited sentence: {sentence!r}"
        passages = [by_n[n].chunk.text for n in markers]
        assert is_supported(strip_markers(sentence), passages)
    for c in answer.citations:
        for piece in c.quote.split(" … "):
            assert normalize(piece) in normalize(c.chunk.text)
    assert any("blast radius is bounded by its service account" in normalize(c.quote) for c in answer.citations)
    top = answer.citations[0].chunk.meta
    assert top.source == "assessments/kubeflow/self-assessment.md"
    assert top.url.startswith("https://github.com/cncf/toc/blob/") and "#L" in top.url


def test_unanswerable_question_is_declined_with_closest_material(assistant):
    # declined from evidence (a name no indexed source mentions), not from how the question is worded
    answer = assistant.ask("Which assessor granted Kubeflow its FedRAMP Moderate authorization?")
    assert answer.abstained
    assert "don't answer" in answer.answer
    assert "The indexed Kubeflow sources never mention 'FedRAMP'." in answer.notices
    assert answer.citations == []
    assert answer.closest


def test_kind_filter_restricts_every_retrieved_chunk(assistant):
    answer = assistant.ask("Which deployments are missing a network policy?", filters=Filters(kinds=["audit"]))
    assert answer.retrieved
    assert {r.chunk.meta.kind for r in answer.retrieved} == {"audit"}
    assert all(r.chunk.meta.page >= 1 for r in answer.retrieved)


def test_source_glob_filter(assistant):
    answer = assistant.ask("Who can see vulnerability reports?", filters=Filters(source_glob="reviews/*"))
    assert answer.retrieved and all(r.chunk.meta.source.startswith("reviews/") for r in answer.retrieved)


def test_superseded_revision_only_for_history_questions(assistant):
    current = assistant.ask("What does the Spark Operator's mutating admission webhook do?", k=10)
    assert not any(r.chunk.meta.superseded for r in current.retrieved)
    history = assistant.ask("How did the Spark Operator webhook description change from the first revision?", k=10)
    assert any(r.chunk.meta.superseded for r in history.retrieved)
    assert any(not r.chunk.meta.superseded for r in history.retrieved)


def test_follow_up_is_resolved_against_the_previous_turn(assistant):
    first = "What are the Katib controllers responsible for?"
    alone = assistant.ask("and who runs them?")
    followed = assistant.ask("and who runs them?", history=[first])
    assert any("katib" in r.chunk.text.lower() for r in followed.retrieved[:3])
    assert [r.chunk.id for r in alone.retrieved] != [r.chunk.id for r in followed.retrieved]


def test_abbreviations_and_typos_still_find_the_passage(assistant):
    answer = assistant.ask("does kubeflow sandbox user-suplied trainng code?")
    texts = " ".join(normalize(r.chunk.text) for r in answer.retrieved[:5])
    assert "does not sandbox it" in texts


@pytest.mark.parametrize("question, read, stated", [
    # a swap in a six-letter word: the unknown "raidus" declined the question as naming what the sources never mention
    ("If an attacker owns one Kubeflow controller, what's the blast raidus?", ("raidus", "radius"),
     "blast radius is bounded by its service account"),
    # the count question counted "reivewers", which no sentence holds, so stage answer-type declined it
    ("What's the minimum number of reivewers a Kubeflow pull request needs before it can be approved?",
     ("reivewers", "reviewers"), "at least one reviewer is required"),
    # typed without apostrophes: "isnt" was a word the sources never mention, and it carries the meaning
    ("In multi-user KFP, what still isnt isolated between namespaces", ("isnt", "isn't"), "not isolated"),
])
def test_a_slip_of_the_fingers_neither_declines_nor_misleads(assistant, question, read, stated):
    answer = assistant.ask(question)
    assert not answer.abstained
    typed, meant = read
    assert any(notice.startswith("Read ") and typed in notice and meant in notice for notice in answer.notices)
    assert stated in normalize(answer.answer)


def test_missing_and_empty_store_say_how_to_ingest(tmp_path):
    with pytest.raises(StoreError, match="kfqa ingest"):
        Assistant.open(Settings(store_dir=tmp_path / "nothing-here"))
    store = Store(Settings(store_dir=tmp_path / "empty"))
    store.save_manifest(store.load_manifest())
    with pytest.raises(StoreError, match="empty"):
        Assistant.open(Settings(store_dir=tmp_path / "empty"))


def test_store_built_with_another_model_is_refused(tmp_path):
    store = Store(Settings(store_dir=tmp_path))
    manifest = store.load_manifest()
    manifest.embedding_model = "intfloat/e5-large"
    store.save_manifest(manifest)
    with pytest.raises(StoreError, match="e5-large"):
        Assistant.open(Settings(store_dir=tmp_path))


def _kfqa(*args, stdin=None, store=None, env=None):
    env = dict(os.environ, **(env or {}), **({"KFQA_STORE": str(store)} if store else {}))
    return subprocess.run(
        [sys.executable, "-m", "kfqa.cli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=300
    )


def test_cli_json_is_stable(corpus_store):
    run = _kfqa("ask", "Who operates the Kubeflow controllers and webhooks?", "--json", store=corpus_store.store_dir)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert {"answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(data)
    assert data["citations"]
    assert set(data["citations"][0]) >= {"n", "source", "kind", "title", "section", "url", "page_url", "page", "lines", "quote"}
    assert set(data["retrieved"][0]) == {"source", "section", "score"}


_SAME_ANSWER_SCRIPT = """
import json, sys
from kfqa.config import Settings
from kfqa.types import Retrieved
from kfqa.qa import Assistant
from kfqa.qa.assistant import facets
assistant = Assistant.open(Settings(store_dir=sys.argv[1]))
question = sys.argv[2]
prepared, _ = assistant.retrieve(question)
# a fixed list of passages: what is compared is kfqa's own reading of them, not Chroma's
# approximate search (whose 40th candidate may vary between processes)
chunks = sorted(assistant.retriever.chunks.values(), key=lambda c: c.id)
passages = [Retrieved(c, 1.0 - i / 100) for i, c in enumerate(
    c for c in chunks if c.meta.source == "assessments/kubeflow/self-assessment.md")][:12]
composed = assistant.composer.compose(prepared.text, passages, facets(prepared))
print(json.dumps({"text": prepared.text, "parts": prepared.parts, "kinds": prepared.kinds,
                  "answer": composed.answer, "quotes": [c.quote for c in composed.citations]}))
"""


def test_same_question_same_reading_in_separate_processes(corpus_store):
    # Processes differ in string-hash (set) order; kfqa's reading of a question and of a fixed
    # set of passages must not (exact sums over term sets, sorted expansions).
    question = ("The assessment says KCD ships network policies by default. Did the audit's cluster check "
                "agree, and was that finding closed out in graduation DD? Who operates the controllers?")
    runs = [
        subprocess.run([sys.executable, "-c", _SAME_ANSWER_SCRIPT, str(corpus_store.store_dir), question],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONHASHSEED=seed))
        for seed in ("1", "2", "3")
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-2000:]
    outputs = [json.loads(r.stdout) for r in runs]
    assert outputs[0]["answer"] and outputs[0]["parts"]
    assert outputs[0] == outputs[1] == outputs[2]


def test_cli_refuses_empty_question_and_cuts_huge_one(corpus_store):
    empty = _kfqa("ask", "  ", store=corpus_store.store_dir)
    assert empty.returncode != 0 and "empty" in empty.stderr and "Traceback" not in empty.stderr
    huge = _kfqa("ask", "-", "--json", stdin="what is the blast radius? " * 4000, store=corpus_store.store_dir)
    assert huge.returncode == 0, huge.stderr
    assert "characters" in json.loads(huge.stdout)["notices"][0]


def test_cli_without_store_says_to_ingest(tmp_path):
    run = _kfqa("ask", "anything", store=tmp_path / "none")
    assert run.returncode != 0
    assert "kfqa ingest" in run.stderr and "Traceback" not in run.stderr


def retrieve_with(assistant, question: str, config):
    """What ``assistant`` retrieves for ``question`` under another config (stages switched off)."""
    kept = assistant.config
    assistant.config = config
    try:
        return assistant.retrieve(question, k=10)
    finally:
        assistant.config = kept


def test_a_finding_described_by_its_title_finds_the_thread_that_names_only_its_identifier(assistant):
    question = "What became of the GCS downloader path traversal the audit found, during graduation due diligence?"
    config = assistant.config

    def thread_rank(cfg):
        prepared, retrieved = retrieve_with(assistant, question, cfg)
        ranks = [i for i, r in enumerate(retrieved) if r.chunk.meta.kind == "review" and "ADA-KUBEFL-03" in r.chunk.text]
        return prepared.identifiers, (ranks or [len(retrieved)])[0]

    expansions, rank = thread_rank(config)
    # the audit's table titles ADA-KUBEFL-03 "Path Traversal in KServe GCS Downloader"; the due-diligence
    # thread that settles it says "ADA-KUBEFL-03 ..." and never the title's words
    assert "ADA-KUBEFL-03" in expansions and rank < 5
    without, rank_without = thread_rank(config.without("identifiers"))
    assert "ADA-KUBEFL-03" not in without and rank_without > rank


def test_a_template_prompt_after_a_statement_is_still_restated(assistant, monkeypatch):
    prompt = "Is the primary function of the project to support the security of an integrating system?"
    alone, _ = assistant.retrieve(prompt, k=10)
    # the statement names "self-assessment use", a heading ("Self-assessment Use") the prompt's answer isn't
    # under; the question doesn't point back at it, so it vetoes nothing
    stated = "The Katib team is reading the self-assessment use section. " + prompt
    after, retrieved = assistant.retrieve(stated, k=10)
    metadata = ("assessments/kubeflow/self-assessment.md", "Metadata")
    assert metadata in alone.template_sections and after.template_sections == alone.template_sections
    assert (retrieved[0].chunk.meta.source, retrieved[0].chunk.meta.section) == metadata
    # read whole, the statement's heading vetoes the prompt's section
    import kfqa.qa.assistant as assistant_module
    monkeypatch.setattr(assistant_module, "asking_part", lambda question: question)
    vetoed, _ = assistant.retrieve(stated, k=10)
    assert vetoed.template_sections == frozenset()


def test_what_the_reader_says_they_are_doing_is_not_searched(assistant):
    doing = "I'm going through the Kubeflow security self-assessment for the TAG review. "
    prepared, retrieved = assistant.retrieve(doing + "Which Ada Logics findings were rated Critical?", k=10)
    # ("security" is in nearly every passage of the store: the statement names nothing but where the reader is)
    assert prepared.read == "Which Ada Logics findings were rated Critical?" and prepared.kinds == ["audit"]
    alone, alone_retrieved = assistant.retrieve("Which Ada Logics findings were rated Critical?", k=10)
    assert [r.chunk.id for r in retrieved[:5]] == [r.chunk.id for r in alone_retrieved[:5]]
    assert not any(r.chunk.meta.kind == "guide" for r in retrieved[:5])


def test_findings_named_by_their_severity_are_each_found(assistant):
    question = "Which Ada Logics findings were rated Critical?"
    critical = {"ADA-KUBEFL-09", "ADA-KUBEFL-10", "ADA-KUBEFL-13"}  # the audit's three Critical findings

    def named_in_top5(cfg):
        prepared, retrieved = retrieve_with(assistant, question, cfg)
        # (the audit's "Found issues" table lists all three; each finding's own page names its own)
        return prepared.identifier_group, {i for r in retrieved[:5] if r.chunk.meta.kind == "audit"
                                           for i in critical if i in r.chunk.text}

    group, named = named_in_top5(assistant.config)
    assert set(group) == critical and named == critical
    without, named_without = named_in_top5(assistant.config.without("identifier-groups"))
    assert without == [] and named_without < critical


def test_a_comparison_finds_each_named_projects_passage(assistant):
    question = "How does Kubeflow's statement on compliance compare with what Knative's self-assessment says about regulatory compliance?"
    config = assistant.config

    def compliance_ranks(cfg):
        prepared, retrieved = retrieve_with(assistant, question, cfg)
        ranks = {}
        for i, r in enumerate(retrieved):
            if r.chunk.meta.section.endswith("Project Compliance"):
                ranks.setdefault(r.chunk.meta.project, i)
        return prepared.projects, ranks

    projects, ranks = compliance_ranks(config)
    assert projects == ["knative", "kubeflow"]  # Kubeflow counts as named beside another project
    # Knative's section matches "regulatory compliance" word for word; Kubeflow's own ("do not currently
    # claim compliance") was crowded out below the fifth place by third projects' sections before each
    # project was searched on its own (project-search) and only the named projects were read (source-prior):
    # each alone brings it back
    assert ranks.get("knative", 99) < 5 and ranks.get("kubeflow", 99) < 5
    assert compliance_ranks(config.without("project-search"))[1].get("kubeflow", 99) < 5
    assert compliance_ranks(config.without("source-prior"))[1].get("kubeflow", 99) < 5
    _, without = compliance_ranks(config.without("project-search", "source-prior"))
    assert without.get("kubeflow", 99) >= 5
    # a reader who chose Kubeflow's sources gets none of Knative's, however the question compares
    chosen = assistant.ask(question, filters=Filters(projects=["kubeflow"]))
    assert chosen.retrieved and {r.chunk.meta.project for r in chosen.retrieved} == {"kubeflow"}


def test_a_section_named_by_its_heading_path_joins_the_candidates(assistant):
    # the template's "actors" asked of one project: neither retriever ranks the self-assessment's
    # "Overview > Actors > Kubeflow Pipelines (KFP)" among its best 40 for these words
    question = "Describe the actors in Kubeflow Pipelines and how they interact."
    config = assistant.config

    def actors_rank(cfg):
        _, retrieved = retrieve_with(assistant, question, cfg)
        return next((i for i, r in enumerate(retrieved) if r.chunk.meta.section.endswith("Actors > Kubeflow Pipelines (KFP)")), 99)

    assert actors_rank(config) < 5
    assert actors_rank(config.without("section-join")) >= 10
    # a heading alone names too little: "Kubeflow Community Distribution" heads sections of many pages
    hits = assistant.retriever.named_sections("Does the Kubeflow Community Distribution enforce PSS?", Filters())
    assert hits == []


def test_the_audits_table_of_contents_gives_its_place_to_the_found_issues_table(assistant):
    # "Found issues 24" on the contents page matches the question's words and answers nothing
    from kfqa.qa.sentences import is_contents

    config = assistant.config
    question = "What issues did Ada Logics find?"
    _, kept = retrieve_with(assistant, question, config)
    _, read = retrieve_with(assistant, question, config.without("navigation"))
    assert any(is_contents(r.chunk) for r in read[:5])
    assert not any(is_contents(r.chunk) for r in kept)
    _, kept = retrieve_with(assistant, "Which Ada Logics findings were rated Critical?", config)
    assert any(r.chunk.meta.section.endswith("Found issues") for r in kept[:6])


def test_the_pull_request_that_fixes_an_issue_comes_with_it(assistant):
    question = ("During graduation DD, kfaseela raised some non-blocking cleanup items about the security "
                "self-assessment. What were they, and how were they addressed?")
    config = assistant.config

    def ranks(cfg):
        _, retrieved = retrieve_with(assistant, question, cfg)
        sources = [r.chunk.meta.source for r in retrieved]
        return [sources.index(s) if s in sources else 99 for s in (
            "reviews/kubeflow-community-issue-991.json", "reviews/kubeflow-community-pr-996.json")]

    # the issue asks; the pull request whose description says "Fixes: #991" says how it was settled
    issue, fix = ranks(config)
    assert issue < 3 and fix < 5
    assert ranks(config.without("linked-threads"))[1] >= 5


def test_a_component_named_alone_names_none_of_the_sections_treating_it_aspect_by_aspect(assistant):
    # the audit's "Threat model > Model Registry" and the self-assessment's "Actors > Kubeflow Model Registry"
    # are two aspects of one subject: naming "Model Registry" asks about it, not about its threat model
    question = "does Model Registry act on k8s resources or orchestrate deployments itself?"
    assert assistant.ask(question).answer.startswith("The Model Registry is a passive repository for metadata")
    assert ("audits/kubeflow/ada-logics-security-audit-2025.pdf", "model registry") in assistant.retriever.windows.aspects
    # (without the stage every heading is named by itself)
    assert not ask_without(assistant, question, "aspects").answer.startswith("The Model Registry is a passive repository")
