"""The shipped vectors of the bundled corpus: complete, faithful to the model, and used by ingest."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import store_settings

from kfqa.config import BUNDLED_CORPUS
from kfqa.ingest import run_ingest
from kfqa.ingest.load import CHUNKER_VERSION, FileLoader
from kfqa.ingest.report import IngestReport
from kfqa.ingest.shipped import SHIPPED_PATH, ShippedVectors
from kfqa.ingest.vectors import embed_texts
from kfqa.manifest import Manifest
from kfqa.model_files import EMBED_MODEL_ID
from kfqa.store import store_stats

REGENERATE = "regenerate them with `make vectors`"


@pytest.fixture(scope="module")
def shipped() -> ShippedVectors:
    assert SHIPPED_PATH.is_file(), f"{SHIPPED_PATH} is missing: {REGENERATE}"
    return ShippedVectors.read(SHIPPED_PATH)


@pytest.fixture(scope="module")
def bundled_chunks():
    """(embed hash, embedded text) of every chunk the bundled corpus is cut into now (no model needed)."""
    report = IngestReport()
    pending = FileLoader(Manifest(), report).load_paths([BUNDLED_CORPUS]).pending
    assert not report.failed, report.failed
    return [(e["embed_hash"], t) for p in pending for t, e in zip(p.embed_texts, p.extras, strict=True)]


def test_every_bundled_chunk_has_its_shipped_vector(shipped, bundled_chunks):
    """Fails when the corpus or the chunker changes without regenerating the shipped vectors."""
    assert (shipped.model, shipped.chunker) == (EMBED_MODEL_ID, CHUNKER_VERSION), REGENERATE
    missing = [text[:60] for h, text in bundled_chunks if shipped.get(h) is None]
    assert not missing, f"{len(missing)} of {len(bundled_chunks)} bundled chunks have no shipped vector ({missing[:3]}): {REGENERATE}"
    assert shipped.vectors.dtype == np.float16 and shipped.vectors.shape[1] == 384


@pytest.mark.corpus  # the real model, by definition
def test_shipped_vectors_agree_with_fresh_embeddings(shipped, bundled_chunks):
    sample = bundled_chunks[:: max(1, len(bundled_chunks) // 40)]
    fresh = np.asarray(embed_texts([text for _, text in sample]), dtype=np.float32)
    stored = np.asarray([shipped.get(h) for h, _ in sample], dtype=np.float32)
    cosine = (fresh * stored).sum(1) / np.linalg.norm(fresh, axis=1) / np.linalg.norm(stored, axis=1)
    assert cosine.min() >= 0.999, f"lowest cosine {cosine.min():.5f}"


def test_ingest_reuses_shipped_vectors_and_embeds_only_the_rest(tmp_path, make_corpus, shipped, stand_in_embedder,
                                                               monkeypatch):
    # the stand-in keeps shipped vectors out of its stores; here they are the point (only counts are checked)
    monkeypatch.delenv("KFQA_SHIPPED_VECTORS")
    files = ["guides/tag-security/project-lead.md", "docs/kubeflow/components/central-dash/profiles.md"]
    corpus = make_corpus(tmp_path / "c", files)
    settings = store_settings(tmp_path / "store", corpus)
    first = run_ingest([corpus], settings)
    assert first.embedded == 0 and first.shipped == first.reused == first.chunks_total > 0
    assert store_stats(settings)["last_ingest_vectors"] == {"embedded": 0, "reused": first.chunks_total, "shipped": first.chunks_total}

    # a corpus that differs a little still gains: only the changed passage is embedded
    changed = corpus / files[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA new closing paragraph about zebra audits.\n", encoding="utf-8")
    fresh_store = store_settings(tmp_path / "fresh", corpus)
    second = run_ingest([corpus], fresh_store)
    assert 1 <= second.embedded <= 2 and second.shipped == second.chunks_total - second.embedded


def test_shipped_vectors_can_be_turned_off(tmp_path, make_corpus, monkeypatch, stand_in_embedder):
    corpus = make_corpus(tmp_path / "c", ["guides/tag-security/project-lead.md"])
    monkeypatch.setenv("KFQA_SHIPPED_VECTORS", "none")
    report = run_ingest([corpus], store_settings(tmp_path / "store", corpus))
    assert report.shipped == 0 and report.embedded == report.chunks_total
