"""What a cold `kfqa ask` no longer does at open, and that answers are the same for it (issue #11):
canonical nodes are made only for chunks a retriever returns, chunks.jsonl is read with orjson
(a damaged line still named, with json's own message), the query encoder loads its saved
optimised graph (same vectors), and the Chroma collection is opened once."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import store_settings, write_files
from llama_index.core.schema import QueryBundle

from kfqa.qa.stages import QAConfig
from kfqa.store import Store
from kfqa.types import Filters, StoreError

NOTES = {
    "assessments/widget/self-assessment.md": "# Widget self-assessment\n\n## Actors\n\n"
    "The widget controller reconciles Widget resources and runs in the widget-system namespace. "
    "Its service account can read secrets in tenant namespaces.\n\n## Webhooks\n\n"
    "The widget webhook validates Widget resources before the controller sees them.\n",
    "docs/widget/install.md": "# Installing Widget\n\n## Helm\n\n"
    "Install the chart with helm and set the replica count for high availability of the web console.\n\n"
    "## Upgrades\n\nUpgrade the widget controller with helm upgrade; the webhook restarts with it.\n",
}
QUESTION = "Which namespace does the widget controller run in?"


@pytest.fixture
def widget_store(stand_in_embedder, tmp_path):
    from kfqa.ingest import run_ingest

    corpus = write_files(tmp_path / "corpus", NOTES)
    settings = store_settings(tmp_path / "store", corpus)
    assert not run_ingest([corpus], settings).failed
    return settings


# --- canonical nodes, made on first use ------------------------------------------------------


def test_nodes_are_made_lazily_and_are_one_object_per_chunk_across_retrievers(widget_store):
    from kfqa.qa.retrieval import HybridRetriever

    retriever = HybridRetriever(Store(widget_store))
    assert retriever._nodes == {}  # nothing built at open
    query = QueryBundle(QUESTION, embedding=retriever.embed_query(QUESTION))
    dense = retriever._dense_retriever(Filters(), 10).retrieve(query)
    bm25 = retriever._bm25_retriever(Filters(), 10).retrieve(QueryBundle(QUESTION))
    both = {h.node.node_id for h in dense} & {h.node.node_id for h in bm25}
    assert both, "the question's chunk should be a hit of both retrievers"
    by_id = {h.node.node_id: h.node for h in dense}
    for hit in bm25:
        if hit.node.node_id in both:
            assert hit.node is by_id[hit.node.node_id]  # the same object, so the fusion merges it
    assert set(retriever._nodes) == {h.node.node_id for h in [*dense, *bm25]}  # only what was returned
    for cid, node in retriever._nodes.items():
        chunk = retriever.chunks[cid]
        assert (node.node_id, node.text, node.metadata) == (cid, chunk.text, {"source": chunk.meta.source})
        assert retriever.node(chunk) is node

    # the fusion of both retrievers holds each chunk once
    ids = [h.chunk.id for h in retriever._candidates(QUESTION, Filters(), [], QAConfig())]
    assert len(ids) == len(set(ids)) and set(ids) >= both


def test_the_dense_retriever_uses_the_collection_opened_to_check_vectors(widget_store):
    from kfqa.qa import Assistant

    assistant = Assistant.open(widget_store)
    store = assistant.retriever.store
    assert "collection" in store.__dict__  # opened (and cached) by check_vectors
    assert assistant.retriever._dense_retriever(Filters(), 5)._inner._collection is store.collection
    assert assistant.ask(QUESTION).retrieved[0].chunk.meta.source == "assessments/widget/self-assessment.md"


# --- chunks.jsonl through orjson ---------------------------------------------------------------

ROWS = [
    {"id": f"c{i}", "text": f"passage {i} — naïve 東京", "meta": {"source": "a.md", "kind": "docs", "line_start": i}}
    for i in range(1, 5)
]


def write_rows(tmp_path, lines: list[bytes]) -> Store:
    store = Store(store_settings(tmp_path / "store", tmp_path))
    store.dir.mkdir(parents=True, exist_ok=True)
    store.chunks_path.write_bytes(b"".join(line + b"\n" for line in lines))
    return store


def encoded(row) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8")


def test_chunks_read_with_orjson_are_the_rows_json_reads(tmp_path):
    store = write_rows(tmp_path, [encoded(r) for r in ROWS])
    store.write_chunk_rows(ROWS)  # as ingest writes them
    assert list(store.read_rows()) == [json.loads(line) for line in store.chunks_path.read_text("utf-8").splitlines()]
    chunks = store.load_chunks()
    assert [(c.id, c.text, c.meta.line_start, c.meta.kind) for c in chunks] == [
        (r["id"], r["text"], r["meta"]["line_start"], "docs") for r in ROWS
    ]


@pytest.mark.parametrize(
    "damaged",
    [
        encoded(ROWS[2])[:25],  # truncated mid-row
        encoded(ROWS[2]).replace("naïve".encode(), b"na\xffve"),  # a byte that isn't UTF-8
        encoded(ROWS[2]) + b" trailing",
        b'["a list, not a row"]',
    ],
    ids=["truncated", "not-utf8", "extra-data", "not-a-row"],
)
def test_a_damaged_line_is_named_with_jsons_own_message(tmp_path, damaged):
    store = write_rows(tmp_path, [encoded(ROWS[0]), encoded(ROWS[1]), damaged, encoded(ROWS[3])])
    try:  # what json said of the line as read (with its newline) before orjson read it
        row = json.loads((damaged + b"\n").decode("utf-8"))
        expected = "not a chunk row" if isinstance(row, list) else None
    except (UnicodeDecodeError, ValueError) as exc:
        expected = str(exc)
    assert expected
    with pytest.raises(StoreError) as err:
        store.load_chunks()
    assert str(err.value) == (
        f"{store.chunks_path} is damaged at line 3 ({expected}). "
        f"Run `kfqa ingest --store '{store.dir}'` to rewrite it from the committed chunks."
    )
    assert [r["id"] for r in store.read_rows(strict=False)] == ["c1", "c2", "c4"]  # skipped, not strict


def test_what_only_json_reads_still_loads(tmp_path):
    # NaN and Infinity: orjson refuses them, json (which wrote them) reads them
    odd = {**ROWS[0], "extra": {"score": float("nan"), "bound": float("inf")}}
    store = write_rows(tmp_path, [encoded(odd), encoded(ROWS[1])])
    rows = list(store.read_rows())
    assert rows[0]["extra"]["bound"] == float("inf") and rows[0]["extra"]["score"] != rows[0]["extra"]["score"]
    assert [c.id for c in store.load_chunks()] == ["c1", "c2"]


def test_meta_fields_of_another_version_are_sifted_and_missing_ones_reported(tmp_path):
    newer = {**ROWS[0], "meta": {**ROWS[0]["meta"], "field_of_a_newer_kfqa": 1}}
    store = write_rows(tmp_path, [encoded(newer)])
    (chunk,) = store.load_chunks()
    assert chunk.meta.source == "a.md" and not hasattr(chunk.meta, "field_of_a_newer_kfqa")

    without_kind = {**ROWS[0], "meta": {"source": "a.md"}}
    store = write_rows(tmp_path, [encoded(without_kind)])
    with pytest.raises(StoreError, match=r"chunks\.jsonl holds a row without .*kind"):
        store.load_chunks()


def test_a_row_this_version_wrote_is_read_as_written_and_other_keys_are_sifted():
    from kfqa.types import ChunkMeta

    meta = ChunkMeta(source="a.md", kind="review", project="katib", section="Thread > reply", line_start=3,
                     superseded=True, window=2, author="alice", comment_id="c9", flagged=True, flag_reason="why")
    assert ChunkMeta.from_store(meta.to_store()) == meta  # exactly the fields: taken as they are
    chroma_metadata = {**meta.to_store(), "_node_content": "{}", "doc_id": "None", "field_of_a_newer_kfqa": 1}
    assert ChunkMeta.from_store(chroma_metadata) == meta
    with pytest.raises(TypeError, match="kind"):
        ChunkMeta.from_store({k: v for k, v in meta.to_store().items() if k != "kind"})


# --- BM25: its persisted corpus names chunks by id ---------------------------------------------

BM25_QUERIES = [QUESTION, "helm upgrade webhook", "secrets tenant namespaces", "replica count web console"]


def bm25_hits(bm25_dir, query: str) -> list[tuple[str, float]]:
    from llama_index.retrievers.bm25 import BM25Retriever

    index = BM25Retriever.from_persist_dir(str(bm25_dir))
    retriever = BM25Retriever(existing_bm25=index.bm25, similarity_top_k=len(index.corpus))
    return [(h.node.node_id, round(h.score, 6)) for h in retriever.retrieve(QueryBundle(query))]


def test_bm25_keeps_ids_only_and_ranks_as_llama_indexs_whole_node_index(widget_store, tmp_path):
    from llama_index.retrievers.bm25 import BM25Retriever

    from kfqa.ingest import run_ingest
    from kfqa.ingest.indexes import BM25_MARKER, bm25_current, bm25_nodes
    from kfqa.qa.retrieval import HybridRetriever

    store = Store(widget_store)
    rows = [json.loads(line) for line in (store.bm25_dir / "corpus.jsonl").read_text("utf-8").splitlines()]
    chunk_ids = [c.id for c in store.load_chunks()]
    assert [r["node_id"] for r in rows] == chunk_ids and all(set(r) == {"node_id", "_node_content"} for r in rows)
    assert bm25_current(store)

    # the index as llama-index persists it by default (each whole node), from the same rows
    whole = tmp_path / "whole"
    BM25Retriever.from_defaults(nodes=bm25_nodes(list(store.read_rows()))).persist(str(whole))
    assert (whole / "corpus.jsonl").stat().st_size > 5 * (store.bm25_dir / "corpus.jsonl").stat().st_size
    for query in BM25_QUERIES:
        hits = bm25_hits(store.bm25_dir, query)
        assert hits and hits == bm25_hits(whole, query)

    slim = HybridRetriever(store)
    answers = {q: [(h.chunk.id, h.score) for h in slim.bm25(q, k=4)] for q in BM25_QUERIES}
    assert all(answers.values())

    # a store whose index an older kfqa wrote (whole nodes, version 2) still answers the same,
    # and the next ingest rewrites it
    (whole / BM25_MARKER).write_text("2")
    store.close()
    shutil.rmtree(store.bm25_dir)
    shutil.copytree(whole, store.bm25_dir)
    assert not bm25_current(store)
    older = HybridRetriever(store)
    assert {q: [(h.chunk.id, h.score) for h in older.bm25(q, k=4)] for q in BM25_QUERIES} == answers
    store.close()
    assert not run_ingest([Path(widget_store.corpus_dir)], widget_store).failed
    assert bm25_current(store)
    assert (store.bm25_dir / "corpus.jsonl").stat().st_size < (whole / "corpus.jsonl").stat().st_size / 5


# --- kfqa ask's process: the cyclic collector paused ----------------------------------------


def test_the_collector_is_paused_while_ask_runs_and_restored_after(monkeypatch):
    import atexit
    import gc

    from kfqa.cli import collection_paused

    at_exit: list = []
    monkeypatch.setattr(atexit, "register", at_exit.append)
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("a failing command")
    assert gc.isenabled()  # restored for whoever goes on in this process
    assert at_exit == [gc.freeze]  # the final collections at exit skip what the command built


# --- the query encoder's saved optimised graph -----------------------------------------------

SENTENCES = [
    "Who runs the Katib controllers?",
    "blast radius",
    "Qui exécute les contrôleurs de Katib ? — naïve façade, 東京",
    "The Profile controller reconciles namespaces, RoleBindings and Istio AuthorizationPolicies. " * 30,
]


@pytest.mark.corpus
def test_the_saved_optimised_graph_gives_the_same_vectors(tmp_path, monkeypatch, caplog):
    import onnxruntime as ort

    from kfqa.embedding import export_query_encoder
    from kfqa.onnx_embedding import OnnxEmbedding, optimised_path

    export = export_query_encoder()
    assert export is not None
    link = tmp_path / "model.onnx"  # the export, in a folder of the test's own
    link.symlink_to(export)

    # the reference: the export as sessions were opened before (default optimisation, one thread)
    reference = OnnxEmbedding(link, save_optimised=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    reference._session = ort.InferenceSession(str(export), options, providers=["CPUExecutionProvider"])
    expected = np.array(reference.embed(SENTENCES))
    assert not optimised_path(link).exists()  # save_optimised=False saved nothing

    opened: list[str] = []
    real = ort.InferenceSession

    def spy(path, *args, **kwargs):
        opened.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", spy)

    first = OnnxEmbedding(link)  # optimises the export and saves the result
    saved = optimised_path(link)
    assert opened == [str(link)]
    assert saved.is_file() and (saved.parent / "weights.bin").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", saved.parent.name]  # no staging left
    assert np.abs(np.array(first.embed(SENTENCES)) - expected).max() < 1e-5

    opened.clear()
    second = OnnxEmbedding(link)  # loads the saved graph: no optimisation pass
    assert opened == [str(saved)]
    assert np.abs(np.array(second.embed(SENTENCES)) - expected).max() < 1e-5
    assert np.abs(np.array(second.embed(SENTENCES[:1])) - expected[:1]).max() < 1e-5

    # a damaged saved graph is replaced, with a warning, and the vectors stay the same
    (saved.parent / "weights.bin").unlink()
    opened.clear()
    with caplog.at_level(logging.WARNING, logger="kfqa.embedding"):
        third = OnnxEmbedding(link)
    assert "optimising the export again" in caplog.text
    assert opened == [str(saved), str(link)]
    assert (saved.parent / "weights.bin").is_file()
    assert np.abs(np.array(third.embed(SENTENCES)) - expected).max() < 1e-5
