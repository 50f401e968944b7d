"""The store as readers see it: live generations, and faults reported as messages (real model, real Chroma)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import store_settings

from kfqa.config import Settings
from kfqa.ingest import run_ingest
from kfqa.qa import Assistant
from kfqa.store import Store, store_stats
from kfqa.types import Filters, StoreError

KFQA = str(Path(sys.executable).parent / "kfqa")
KATIB = "Which components does Katib run on the control plane?"
OKAPI = "Which controller runs as root in the okapi namespace?"


def copy_store(src: Settings, dst: Path) -> Settings:
    shutil.copytree(src.store_dir, dst)
    return store_settings(dst, src.corpus_dir)


def note_folder(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


OKAPI_NOTE = "# Okapi controller\n\nThe okapi controller runs as root in the okapi namespace and owns its CRDs.\n"


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([KFQA, *args], capture_output=True, text=True, timeout=timeout)


def retrieved_ids(settings: Settings) -> list[str]:
    return [r.chunk.id for r in Assistant.open(settings).ask(KATIB).retrieved]


# --- live stores ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["another process", "this process"])
def test_live_assistant_sees_a_new_generation(tmp_path, small_store, where):
    """A long-lived Assistant keeps answering while and after an ingest commits into its store
    (before: every ask after a `kfqa ingest` failed with Chroma's "Error finding id")."""
    settings = copy_store(small_store, tmp_path / "store")
    assistant = Assistant.open(settings)
    before = assistant.ask(KATIB)
    assert before.citations and not before.abstained
    first_generation = assistant.generation

    notes = note_folder(tmp_path / "notes", "okapi.md", OKAPI_NOTE)
    if where == "another process":
        run = cli("ingest", str(notes), "--store", str(settings.store_dir), "--json")
        assert run.returncode == 0, run.stderr
    else:
        assert run_ingest([notes], settings).ingested == ["okapi.md"]

    after = assistant.ask(OKAPI)
    assert assistant.generation != first_generation
    assert after.retrieved[0].chunk.meta.source == "okapi.md"
    # a reader's own file (no project) answers beside Kubeflow's: never "the Kubeflow sources never mention okapi"
    assert not after.abstained and after.citations[0].chunk.meta.source == "okapi.md", after.notices
    again = assistant.ask(KATIB)  # the old question still works (term statistics now count one more file)
    assert again.citations and not again.abstained
    assert again.retrieved[0].chunk.id == before.retrieved[0].chunk.id
    assert Store(settings).load_manifest().generation == Store(small_store).load_manifest().generation + 1


def test_live_assistant_answers_while_another_process_ingests(tmp_path, small_store, make_corpus):
    """Every ask during a running ingest (which commits batch by batch) is answered, not an error."""
    import os
    import time

    settings = copy_store(small_store, tmp_path / "store")
    assistant = Assistant.open(settings)
    # enough text for many batches of 8, so the ingest spends seconds between its first batch commit and
    # its generation publish, however fast the machine (two small files left a window one ask could miss)
    more = make_corpus(tmp_path / "more", [
        "guides/tag-security/project-lead.md", "docs/kubeflow/components/katib/overview.md",
        "docs/kubeflow/components/katib/getting-started.md", "docs/kubeflow/components/katib/installation.md",
        "docs/kubeflow/components/pipelines/overview.md", "docs/kubeflow/components/pipelines/getting-started.md",
    ])
    env = dict(os.environ, KFQA_INGEST_BATCH="8", KFQA_SHIPPED_VECTORS="none")
    proc = subprocess.Popen([KFQA, "ingest", str(more), "--store", str(settings.store_dir), "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    asked_during = 0
    store, before = Store(settings), Store(settings).load_manifest()
    try:
        while proc.poll() is None:
            answer = assistant.ask(KATIB)  # raises on a broken store
            assert answer.retrieved
            now = store.load_manifest()
            # the ingest had committed some of its files, and not yet published its generation
            asked_during += len(now.files) > len(before.files) and now.generation == before.generation
            time.sleep(0.1)
    finally:
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert asked_during >= 1
    new_files = Filters(sources=["guides/tag-security/project-lead.md"])  # ranking is not what is tested here
    after = assistant.ask("What does a project lead do in a security assessment?", filters=new_files)
    assert {r.chunk.meta.source for r in after.retrieved} == {"guides/tag-security/project-lead.md"}


def test_no_change_ingest_keeps_the_generation(tmp_path, small_store):
    settings = copy_store(small_store, tmp_path / "store")
    token = Store(settings).generation_token()
    report = run_ingest([settings.corpus_dir], settings)
    assert report.ingested == [] and report.embedded == 0
    assert not Store(settings).changed_since(token)


# --- interrupted first ingest ----------------------------------------------------------------


def test_interrupted_first_ingest_is_incomplete_for_stats_and_ask(tmp_path, small_store):
    """A first ingest killed after committing some files (no BM25 yet) is reported as incomplete,
    never a FileNotFoundError on bm25/params.index.json."""
    settings = copy_store(small_store, tmp_path / "store")
    store = Store(settings)
    manifest = store.load_manifest()
    manifest.generation, manifest.last_ingest = 0, ""  # as the first run left it at a batch commit
    store.save_manifest(manifest)
    store.generation_path.unlink()
    shutil.rmtree(store.bm25_dir)

    for call in (lambda: store_stats(settings), lambda: Assistant.open(settings)):
        with pytest.raises(StoreError, match="incomplete: an ingest was interrupted") as err:
            call()
        assert "kfqa ingest --store" in str(err.value)
    run = cli("ask", KATIB, "--store", str(settings.store_dir))
    assert run.returncode != 0 and "incomplete" in run.stderr + run.stdout and "Traceback" not in run.stderr

    report = run_ingest([settings.corpus_dir], settings)  # the fix the message names
    assert report.embedded == 0 and not report.failed
    assert store_stats(settings)["files"] == len(manifest.files)
    assert retrieved_ids(settings) == retrieved_ids(small_store)  # the same store as before the fault


# --- damaged files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda p: p.write_text(json.dumps({"version": 2, "files": []})), '"files" is a JSON list'),
        (lambda p: p.write_text('{"version": 2, "files": {'), "is damaged"),
        (lambda p: p.write_bytes(b'{"files": {"\xff": 1}}'), "is damaged"),
    ],
    ids=["files-list", "truncated", "not-utf8"],
)
def test_damaged_manifest_is_a_message(tmp_path, small_store, damage, expected):
    settings = copy_store(small_store, tmp_path / "store")
    store = Store(settings)
    damage(store.manifest_path)
    for call in (lambda: store_stats(settings), lambda: Assistant.open(settings), lambda: run_ingest([tmp_path], settings)):
        with pytest.raises(StoreError, match=expected) as err:
            call()
        assert f"rm -rf '{store.dir}' && kfqa ingest --store '{store.dir}'" in str(err.value)
    run = cli("stats", "--store", str(settings.store_dir))
    assert run.returncode != 0 and "Traceback" not in run.stderr and "damaged" in run.stderr + run.stdout


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated mid-row
        lambda b: b.replace(b"Katib", b"K\xfftib", 1),  # a byte that isn't UTF-8
    ],
    ids=["truncated", "not-utf8"],
)
def test_damaged_chunks_file_is_a_message_and_ingest_repairs_it(tmp_path, small_store, damage):
    settings = copy_store(small_store, tmp_path / "store")
    store = Store(settings)
    intact = store.chunks_path.read_bytes()
    store.chunks_path.write_bytes(damage(intact))
    with pytest.raises(StoreError, match=r"chunks\.jsonl is damaged at line \d+") as err:
        Assistant.open(settings)
    assert "kfqa ingest --store" in str(err.value)

    report = run_ingest([settings.corpus_dir], settings)
    assert not report.failed and report.embedded == 0  # rows restored from Chroma, nothing re-embedded
    assert sorted(r["id"] for r in store.read_rows()) == sorted(
        json.loads(line)["id"] for line in intact.decode("utf-8").splitlines()
    )
    assert retrieved_ids(settings) == retrieved_ids(small_store)  # the same store as before the fault


# --- search breadth ---------------------------------------------------------------------------


def test_a_filtered_dense_search_finds_the_exact_nearest_chunks(corpus_store):
    """Chroma's HNSW search skips the chunks a filter drops; at its default breadth it missed some of the
    nearest admitted chunks, differently from one process to the next. The store searches at SEARCH_EF."""
    import numpy as np

    from kfqa.qa.filters import admits, metadata_filters
    from kfqa.store import SEARCH_EF

    assistant = Assistant.open(corpus_store)
    retriever = assistant.retriever
    assert retriever.store.collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
    got = retriever.store.collection.get(include=["embeddings"])
    # most chunks are Kubeflow's (read unfiltered and filtered by kfqa); Knative's are few (filtered by Chroma)
    for filters in (Filters(projects=["kubeflow"], kinds=["assessment", "audit", "docs", "review"]),
                    Filters(projects=["knative"])):
        rules = metadata_filters(filters)
        admitted = [i for i, cid in enumerate(got["ids"]) if cid in retriever.chunks and admits(retriever.chunks[cid].meta, rules)]
        vectors = np.asarray(got["embeddings"], dtype=np.float64)[admitted]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = np.asarray(got["ids"])[admitted]
        # the first missed 7 of its 40 nearest admitted Kubeflow chunks at the default breadth
        for question in ("what's the catch if I enable it?", "Who runs the Katib controllers?"):
            query = np.asarray(retriever.embed_query(question))
            exact = list(ids[np.argsort(-(vectors @ (query / np.linalg.norm(query))))[:40]])
            found = [h.chunk.id for h in retriever.dense(question, k=40, filters=filters)]
            assert set(found) == set(exact) and found[:5] == exact[:5]


def test_a_collection_made_at_chromas_default_breadth_is_widened_when_the_store_opens(tmp_path):
    from kfqa.config import COLLECTION
    from kfqa.store import SEARCH_EF

    settings = store_settings(tmp_path / "store", tmp_path / "corpus")
    store = Store(settings)
    # a collection as an older kfqa made it: Chroma's default breadth
    old = store.client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})
    assert old.configuration["hnsw"]["ef_search"] < SEARCH_EF
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        breadth = store.collection.configuration["hnsw"]["ef_search"]
    assert breadth == SEARCH_EF, [str(w.message) for w in caught]
    # and the breadth is Chroma's, not only this client's copy: a new client reads it back
    assert Store(settings).client.get_collection(COLLECTION).configuration["hnsw"]["ef_search"] == SEARCH_EF


def test_a_collection_chroma_wont_widen_still_opens_with_a_warning_that_says_why(tmp_path, monkeypatch):
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    from kfqa import store as store_module
    from kfqa.config import COLLECTION

    monkeypatch.setattr(store_module.time, "sleep", lambda _s: None)
    settings = store_settings(tmp_path / "store", tmp_path / "corpus")
    store = Store(settings)
    store.client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})
    calls = []

    def refuse(self, **kwargs):
        calls.append(kwargs)
        raise InternalError("database is locked")

    monkeypatch.setattr(Collection, "modify", refuse)
    with pytest.warns(RuntimeWarning, match="database is locked"):
        collection = store.collection
    assert len(calls) == store_module.WIDEN_ATTEMPTS
    assert collection.count() == 0
