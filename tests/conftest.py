"""Shared fixtures: real stores built with the real embedding model and real Chroma.

* ``small_store``  - Settings of a store built once per session from a few real corpus files
  (every kind: assessment, superseded history, review, audit PDF, docs, guide). Read-only.
* ``corpus_store`` - Settings of a store holding the WHOLE bundled corpus. Built once and
  cached in ``test-artifacts/corpus-store`` (ingest is incremental, so later sessions only
  re-check hashes: ~3 s); set ``KFQA_TEST_FRESH_STORE=1`` to build it in a temp dir instead.
  Read-only: never ingest into it from a test.
* ``make_corpus``  - factory copying chosen corpus files (+ their sources.json entries) to a dir.
* ``stand_in_embedder`` - ingest and questions embed with a small deterministic stand-in
  (``tests/stand_in_embedder.py``) for the test's duration: for unit tests where the real model
  adds nothing. ``stand_in_embedding()`` does the same in any fixture scope.

Two layers (``pytest -m "not corpus"`` runs the first alone; a plain run runs it first):

* the unit layer: synthetic chunks, the stand-in embedder, no model, no CLI process, no browser;
* the ``corpus`` layer: the real model, ingested or whole-corpus stores, CLI processes, a browser.
  A test joins it by an explicit ``@pytest.mark.corpus``, by using a fixture that builds a store
  or a browser (``CORPUS_FIXTURES``, or any fixture whose code calls ``HEAVY_CALLS``), or by
  calling one of ``HEAVY_CALLS`` itself. A unit-layer test that reaches the real model anyway
  fails with a message saying so (``_unit_layer_guard``), so the layers stay honest.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import CodeType

import pytest
from stand_in_embedder import EMBEDDING_ENTRY_POINTS, replaced_embedding, stand_in_embedding

from kfqa.config import BUNDLED_CORPUS, REPO_ROOT, Settings, apply_runtime_env

# the test session is an entry point: offline settings before any test imports gradio or a model
apply_runtime_env()

SMALL_FILES = [
    "assessments/kubeflow/self-assessment.md",
    "assessments/kubeflow/history/self-assessment.first-revision.md",
    "reviews/cncf-toc-pr-2201.json",
    "audits/kubeflow/ada-logics-security-audit-2025.pdf",
    "docs/kubeflow/components/pipelines/operator-guides/multi-user.md",
    "docs/kubeflow/components/central-dash/profiles.md",
    "docs/kubeflow/components/katib/_index.md",
    "guides/tag-security/security-reviewer.md",
]


def copy_corpus(dst: Path, files: list[str], src: Path = BUNDLED_CORPUS) -> Path:
    """Copy ``files`` (paths relative to the corpus) and their sources.json entries to ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for rel in files:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dst / rel)
    entries = json.loads((src / "sources.json").read_text(encoding="utf-8"))
    wanted = set(files)
    (dst / "sources.json").write_text(
        json.dumps([e for e in entries if e["path"] in wanted], indent=1), encoding="utf-8"
    )
    return dst


def write_files(root: Path, files: dict[str, str]) -> Path:
    """A folder holding ``files`` (relative path -> text), for a synthetic corpus."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def ask_without(assistant, question: str, *stages: str):
    """``assistant``'s answer to ``question`` with ``stages`` switched off (its config restored after): what a
    stage's test compares with."""
    saved = assistant.config
    assistant.config = saved.without(*stages)
    try:
        return assistant.ask(question)
    finally:
        assistant.config = saved


def store_settings(store_dir: Path, corpus_dir: Path) -> Settings:
    """Settings independent of the caller's KFQA_* environment (embedded Chroma, no LLM)."""
    return Settings(store_dir=store_dir, corpus_dir=corpus_dir, chroma_host=None, chroma_port=None)


@pytest.fixture(scope="session")
def make_corpus():
    return copy_corpus


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    return copy_corpus(tmp_path_factory.mktemp("small-corpus"), SMALL_FILES)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory, small_corpus) -> Settings:
    from kfqa.ingest import run_ingest

    settings = store_settings(tmp_path_factory.mktemp("small-store"), small_corpus)
    report = run_ingest([small_corpus], settings)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory) -> Settings:
    from kfqa.ingest import run_ingest

    if os.environ.get("KFQA_TEST_FRESH_STORE"):
        store_dir = tmp_path_factory.mktemp("corpus-store")
    else:
        store_dir = REPO_ROOT / "test-artifacts" / "corpus-store"
    settings = store_settings(store_dir, BUNDLED_CORPUS)
    # generous lock wait: another test session may be building the same cached store
    report = run_ingest([BUNDLED_CORPUS], settings, lock_timeout=900)
    assert not report.failed, report.failed
    return settings


@pytest.fixture
def stand_in_embedder():
    """A ``HashingEmbedding`` in place of the real model for this test (ingest and questions)."""
    with stand_in_embedding() as model:
        yield model


# --- the two layers -------------------------------------------------------------------------

# Fixtures that build a store with the real model, or start a browser.
CORPUS_FIXTURES = frozenset({"small_corpus", "small_store", "corpus_store", "make_corpus", "browser", "page"})
# Calls that load the real model, ingest, open a store or start the UI: a test or fixture whose code
# names one is in the corpus layer (unless it uses the stand-in embedder).
HEAVY_CALLS = frozenset({
    "run_ingest", "Assistant", "get_embed_model", "get_query_embed_model", "embed_bulk", "export_query_encoder",
    "tiny_store", "build_app", "launch", "copy_corpus",
})


def _names(code: CodeType) -> set[str]:
    """Every global, attribute and imported name the code (and the functions nested in it) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def _calls_heavy(func) -> bool:
    code = getattr(getattr(func, "__wrapped__", func), "__code__", None)
    return code is not None and bool(_names(code) & HEAVY_CALLS)


def needs_corpus(item: pytest.Item) -> bool:
    if item.get_closest_marker("corpus"):
        return True
    fixtures = set(getattr(item, "fixturenames", ()))
    if "stand_in_embedder" in fixtures:
        return bool(fixtures & (CORPUS_FIXTURES - {"make_corpus"}))
    if fixtures & CORPUS_FIXTURES or _calls_heavy(getattr(item, "function", None)):
        return True
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info else ()
    return any(_calls_heavy(d.func) for chain in defs for d in chain)


def pytest_collection_modifyitems(config, items):
    """Mark the corpus layer, and run the unit layer first (stable: modules stay together)."""
    for item in items:
        if needs_corpus(item):
            item.add_marker(pytest.mark.corpus)
    items.sort(key=lambda item: item.get_closest_marker("corpus") is not None)


def _refuse_real_model(name: str):
    def refuse(*args, **kwargs):
        pytest.fail(
            f"a unit-layer test reached kfqa.embedding.{name} (the real model): mark the test "
            "@pytest.mark.corpus, or use the stand_in_embedder fixture", pytrace=False,
        )

    return refuse


@pytest.fixture(autouse=True)
def _unit_layer_guard(request):
    """Unit-layer tests never load the real model (nor the ONNX encoder, nor an export)."""
    if request.node.get_closest_marker("corpus") or "stand_in_embedder" in request.fixturenames:
        yield
        return
    with replaced_embedding({name: _refuse_real_model(name) for name in EMBEDDING_ENTRY_POINTS}):
        yield
