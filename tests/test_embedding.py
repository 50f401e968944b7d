"""The ONNX query encoder: same vectors as the torch model, no torch import on the ask path, torch fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kfqa.embedding import count_tokens, export_query_encoder, get_embed_model, get_query_embed_model

pytestmark = pytest.mark.corpus  # the real model, its ONNX export and a store built with them

QUESTIONS = [
    "Who runs the Katib controllers?",
    "blast radius",
    "If an attacker owns one Kubeflow controller, what's the blast radius?",
    "does kubeflow sandbox user-suplied trainng code?",
    "KFP  multi-user isolation: which namespace does the ml-pipeline API server run in??",
    "What did the Ada Logics audit (2025) find about CVE-2023-xxxx & SSRF in the Central Dashboard?",
    "Qui exécute les contrôleurs Katib ? Quelle est la « surface d'attaque » ?",
    "Kubeflow のプロファイルコントローラーは誰が管理していますか？",
    "Warum ist der Spark-Operator-Webhook gefährlich? ÄÖÜ ß — naïve café 🚀",
    # longer than the 256 word pieces the model reads: both runtimes must cut it at the same place
    "Explain how the Profile controller, the KFAM service and the Istio authorization policies "
    "together decide who may read a namespace's pipelines, notebooks and experiments. " * 8,
]


@pytest.fixture(scope="module")
def onnx_model():
    from kfqa.onnx_embedding import OnnxEmbedding

    path = export_query_encoder()
    assert path is not None and path.is_file()
    return OnnxEmbedding(path)


def cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    return (np.array(a) * np.array(b)).sum(axis=1)


def test_onnx_query_vectors_match_the_torch_model(onnx_model):
    assert count_tokens(QUESTIONS[-1]) > 256
    torch_model = get_embed_model()
    ours = [onnx_model.get_query_embedding(q) for q in QUESTIONS]
    ref = [torch_model.get_query_embedding(q) for q in QUESTIONS]
    assert all(len(v) == 384 for v in ours)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = cosines(ours, ref)
    assert cos.min() > 0.9999, dict(zip(QUESTIONS, cos.round(7).tolist(), strict=True))
    # a batch (padded to its longest text) gives the same vectors as one text at a time
    assert cosines(onnx_model.get_text_embedding_batch(QUESTIONS), ours).min() > 0.99999


def test_export_is_idempotent(onnx_model):
    first = export_query_encoder()
    stat = first.stat()
    again = export_query_encoder()
    assert again == first and again.stat().st_mtime_ns == stat.st_mtime_ns
    assert not [p for p in first.parent.iterdir() if p.name.endswith(".tmp")]


PROBE = """
import json, sys
from pathlib import Path
from kfqa.config import Settings
from kfqa.embedding import get_query_embed_model
from kfqa.qa import Assistant

settings = Settings(store_dir=Path(sys.argv[1]), corpus_dir=Path(sys.argv[2]), chroma_host=None, chroma_port=None)
answer = Assistant.open(settings).ask("Who runs the Katib controllers?")
print(json.dumps({
    "retrieved": len(answer.retrieved),
    "encoder": type(get_query_embed_model()).__name__,
    "loaded": [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules],
}))
"""


def test_asking_does_not_import_torch(small_store, onnx_model):
    env = {k: v for k, v in os.environ.items() if k != "KFQA_QUERY_ENCODER"}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(small_store.store_dir), str(small_store.corpus_dir)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["retrieved"] > 0
    assert out["encoder"] == "OnnxEmbedding"
    assert out["loaded"] == []


@pytest.fixture
def fresh_query_model():
    get_query_embed_model.cache_clear()
    yield
    get_query_embed_model.cache_clear()


def test_env_forces_the_torch_query_encoder(onnx_model, fresh_query_model, monkeypatch):
    monkeypatch.setenv("KFQA_QUERY_ENCODER", "torch")
    assert get_query_embed_model() is get_embed_model()


def test_without_an_export_questions_use_the_torch_model(fresh_query_model, monkeypatch, tmp_path):
    monkeypatch.delenv("KFQA_QUERY_ENCODER", raising=False)
    monkeypatch.setenv("KFQA_CACHE", str(tmp_path))  # an empty cache: no export
    assert get_query_embed_model() is get_embed_model()


def test_the_export_is_used_when_present(onnx_model, fresh_query_model, monkeypatch):
    from kfqa.onnx_embedding import OnnxEmbedding

    monkeypatch.delenv("KFQA_QUERY_ENCODER", raising=False)
    assert isinstance(get_query_embed_model(), OnnxEmbedding)


def test_bulk_embedding_matches_fp32_and_can_be_forced_to_it(monkeypatch):
    from kfqa.config import BUNDLED_CORPUS
    from kfqa.embedding import bulk_precision, embed_bulk

    text = (BUNDLED_CORPUS / "assessments/kubeflow/self-assessment.md").read_text(encoding="utf-8")
    passages = [p for p in text.split("\n\n") if len(p) > 200][:24]
    reference = np.array(get_embed_model().get_text_embedding_batch(passages))
    bulk = np.array(embed_bulk(passages))  # bf16 autocast where the CPU has it, else fp32
    assert bulk.shape == reference.shape
    assert float((bulk * reference).sum(axis=1).min()) > 0.9995
    assert np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-3)

    monkeypatch.setenv("KFQA_EMBED_PRECISION", "fp32")
    assert bulk_precision() == "fp32"
    assert np.allclose(np.array(embed_bulk(passages)), reference, atol=1e-6)
