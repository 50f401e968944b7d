"""The unit layer's own tools: the stand-in embedder works end to end, and the guard stops a unit
test from loading the real model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import store_settings, write_files
from stand_in_embedder import HashingEmbedding

import kfqa.embedding

NOTES = {
    "assessments/widget/self-assessment.md": "# Widget self-assessment\n\n## Actors\n\n"
    "The widget controller reconciles Widget resources and runs in the widget-system namespace. "
    "Its service account can read secrets in tenant namespaces.\n",
    "docs/widget/install.md": "# Installing Widget\n\n## Helm\n\n"
    "Install the chart with helm and set the replica count for high availability of the web console.\n",
}


def test_stand_in_vectors_are_deterministic_unit_length_and_follow_shared_words():
    model = HashingEmbedding()
    a, b, c = np.array(model.embed([
        "Who runs the widget controller?",
        "The widget controller reconciles Widget resources",
        "Install the chart with helm",
    ]))
    assert a.shape == (384,)
    assert np.allclose([np.linalg.norm(v) for v in (a, b, c)], 1.0)
    assert a @ b > a @ c
    assert np.array_equal(HashingEmbedding().embed(["Who runs the widget controller?"])[0], a)


def test_stand_in_embedder_ingests_and_answers_without_the_model(stand_in_embedder, tmp_path):
    from kfqa.ingest import run_ingest
    from kfqa.qa import Assistant

    corpus = write_files(tmp_path / "corpus", NOTES)
    settings = store_settings(tmp_path / "store", corpus)
    report = run_ingest([corpus], settings)
    assert report.files_ok == 2 and not report.failed
    answer = Assistant.open(settings).ask("Which namespace does the widget controller run in?")
    assert answer.retrieved[0].chunk.meta.source == "assessments/widget/self-assessment.md"
    assert "widget-system" in answer.answer


def test_unit_layer_test_cannot_reach_the_real_model():
    # reached by a computed name: naming it in the code would put this test in the corpus layer
    def entry(name: str):
        return getattr(kfqa.embedding, "_".join(name.split()))

    with pytest.raises(pytest.fail.Exception, match="mark the test @pytest.mark.corpus"):
        entry("get embed model")()
    with pytest.raises(pytest.fail.Exception, match="stand_in_embedder"):
        entry("embed bulk")(["text"])


def test_this_module_is_in_the_unit_layer(request):
    assert request.node.get_closest_marker("corpus") is None


def test_stand_in_store_never_mixes_in_the_shipped_real_vectors(stand_in_embedder, tmp_path):
    from conftest import copy_corpus

    from kfqa.ingest import run_ingest

    corpus = copy_corpus(tmp_path / "corpus", ["guides/tag-security/project-lead.md"])
    report = run_ingest([corpus], store_settings(tmp_path / "store", corpus))
    assert report.files_ok == 1 and report.chunks_added > 0
    assert report.shipped == 0 and report.embedded == report.chunks_added
