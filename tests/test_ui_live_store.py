"""A running `kfqa ui` keeps answering while its store changes under it (issue #13, case 1).

Real processes throughout: `kfqa ingest` builds a store, `kfqa ui` serves it, the browser asks,
a second `kfqa ingest` adds one new file to the same store, and the browser asks about the new
file (it must be cited) and the old question again (it must still be answered).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("gradio")
pytest.importorskip("playwright.sync_api")
httpx = pytest.importorskip("httpx")

from ui_helpers import (  # noqa: E402
    AUDIT,
    CHROMIUM,
    Q_BOTH_KINDS,
    THREAT_MODEL,
    ask,
    browser_fixture,  # noqa: F401 - fixture "browser"
    free_port,
    latest_sources,
    open_app,
    page_fixture,  # noqa: F401 - fixture "page"
    wait_answer,
)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed (tests/ensure_chromium.sh)")

NEW_FILE = """---
title: Gadget scheduler design
---

# Gadget scheduler design

## Encryption at rest

The gadget scheduler encrypts every queued job manifest with a per-tenant key before it writes the manifest to etcd. The gadget scheduler rotates the per-tenant keys every thirty days.
"""
Q_NEW = "What does the gadget scheduler encrypt with a per-tenant key?"


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFQA_")}
    return env | {"KFQA_STORE": str(store), "PYTHONUNBUFFERED": "1"}


def _kfqa(*args: str, store: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kfqa.cli", *args], env=_env(store), capture_output=True,
                          text=True, timeout=timeout)


def _wait_up(url: str, proc: subprocess.Popen, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kfqa ui exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url + "config", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"kfqa ui did not come up on {url}")


@pytest.fixture
def live_ui(tmp_path):
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    (corpus / "assessments" / "kubeflow").mkdir(parents=True)
    (corpus / "audits" / "kubeflow").mkdir(parents=True)
    (corpus / "assessments" / "kubeflow" / "threat-model.md").write_text(THREAT_MODEL, encoding="utf-8")
    (corpus / "audits" / "kubeflow" / "widget-audit.md").write_text(AUDIT, encoding="utf-8")
    first = _kfqa("ingest", str(corpus), store=store)
    assert first.returncode == 0, first.stderr
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kfqa.cli", "ui", "--port", str(port)], env=_env(store),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_up(url, proc)
        yield url, corpus, store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_ingest_into_the_store_of_a_running_ui(page, live_ui):
    url, corpus, store = live_ui
    open_app(page, url)
    ask(page, Q_BOTH_KINDS)
    wait_answer(page, 1)
    before = latest_sources(page)
    assert "assessments/kubeflow/threat-model.md" in before or "audits/kubeflow/widget-audit.md" in before

    (corpus / "assessments" / "kubeflow" / "gadget-scheduler.md").write_text(NEW_FILE, encoding="utf-8")
    second = _kfqa("ingest", str(corpus), store=store)
    assert second.returncode == 0, second.stderr

    ask(page, Q_NEW)
    wait_answer(page, 2)
    assert "assessments/kubeflow/gadget-scheduler.md" in latest_sources(page)
    assert "per-tenant key" in page.locator("#kfqa-chat").inner_text()

    ask(page, Q_BOTH_KINDS)  # the question from before the ingest still works
    wait_answer(page, 3)
    assert set(latest_sources(page)) & set(before)
    assert not page.locator("#kfqa-banner .kfqa-banner-error").count()
