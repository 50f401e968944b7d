"""Shared fixtures: real stores built with the real embedding model and real Chroma.

* ``small_store``  - Settings of a store built once per session from a few real corpus files
  (every kind: assessment, superseded history, review, audit PDF, docs, guide). Read-only.
* ``corpus_store`` - Settings of a store holding the WHOLE bundled corpus. Built once and
  cached in ``test-artifacts/corpus-store`` (ingest is incremental, so later sessions only
  re-check hashes: ~3 s); set ``KFQA_TEST_FRESH_STORE=1`` to build it in a temp dir instead.
  Read-only: never ingest into it from a test.
* ``make_corpus``  - factory copying chosen corpus files (+ their sources.json entries) to a dir.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

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
