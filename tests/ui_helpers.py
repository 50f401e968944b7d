"""Shared helpers for the UI tests (test_ui_browser.py, test_ui_api.py): a tiny store, a running app, fakes."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from kfqa.config import Settings
from kfqa.types import Answer, AnswerSentence, Chunk, ChunkMeta, Citation

XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'

THREAT_MODEL = f"""---
title: Widget Operator threat model
---

# Widget Operator threat model

## Controller compromise

If an attacker compromises the widget controller, the blast radius is bounded by its service account. The controller can read and write the widget resources in namespaces it is authorized for, but it cannot read secrets of unrelated tenants.

## Rendering notes

Reviewers pasted this sample payload into the notes: {XSS_SCRIPT} and also {XSS_IMG} to show that the widget dashboard escapes untrusted markup. The widget dashboard escapes untrusted markup before it renders tenant labels.
"""

AUDIT = """---
title: Widget Operator security audit
---

# Widget Operator security audit

## Findings

The auditors found that the widget controller service account has cluster-wide permissions to read secrets. The auditors recommend scoping the widget controller service account to the namespaces it manages. The auditors found no NetworkPolicy for the widget webhook deployment.
"""

Q_BOTH_KINDS = "What can the widget controller service account do?"  # cites the assessment and the audit
Q_XSS = "Does the widget dashboard escape untrusted markup?"  # cites the passage with the payload

_store_lock = threading.Lock()
_stores: dict[str, Settings] = {}


def tiny_store(base: Path) -> Settings:
    """A store over two small markdown files (assessment + audit, one with an XSS payload); built once per session."""
    with _store_lock:
        if "tiny" not in _stores:
            from kfqa.ingest import run_ingest

            corpus = base / "corpus"
            (corpus / "assessments" / "kubeflow").mkdir(parents=True)
            (corpus / "audits" / "kubeflow").mkdir(parents=True)
            (corpus / "assessments" / "kubeflow" / "threat-model.md").write_text(THREAT_MODEL, encoding="utf-8")
            (corpus / "audits" / "kubeflow" / "widget-audit.md").write_text(AUDIT, encoding="utf-8")
            settings = Settings(store_dir=base / "store", chroma_host=None, chroma_port=None, llm_base_url=None)
            report = run_ingest([corpus], settings)
            assert report.files_ok == 2, report.to_json()
            _stores["tiny"] = settings
        return _stores["tiny"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app, auth=None):
    """Launch a Blocks app on a free loopback port in this process; yield its URL; close it afterwards."""
    app.queue(default_concurrency_limit=4)
    port = free_port()
    app.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=port,
        auth=auth,
        quiet=True,
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def _citation(n: int, kind: str, quote: str, title: str, section: str, flagged: bool = False) -> Citation:
    meta = ChunkMeta(
        source=f"{kind}s/kubeflow/widget-{n}.md",
        kind=kind,
        project="kubeflow",
        title=title,
        section=section,
        url=f"https://github.com/example/widget/blob/0123abc/{kind}s/widget-{n}.md#L3-L5",
        page_url="https://example.org/widget/" if kind == "docs" else "",
        line_start=3,
        line_end=5,
        flagged=flagged,
    )
    return Citation(n=n, chunk=Chunk(id=f"{kind}-{n}", text=quote, meta=meta), quote=quote)


class FakeAssistant:
    """Streams a fixed two-sentence answer slowly; records each call (question, filters, history, llm)."""

    S1 = "The blast radius is bounded by the controller's service account."
    S2 = "Secrets of unrelated tenants stay out of reach."

    def __init__(self, delay: float = 0.15, notice_when_llm: str = "LLM endpoint unreachable; answered extractively."):
        self.delay = delay
        self.notice_when_llm = notice_when_llm
        self.calls: list[dict] = []
        self.cancelled = 0  # streams closed before their final Answer (the UI's Stop)

    def _answer(self, question: str, llm: bool) -> Answer:
        c1 = _citation(1, "assessment", f"Controllers run with service accounts. {self.S1} RBAC limits it.", "Threat model", "Controllers")
        c2 = _citation(2, "audit", f"{self.S2} The audit checked this.", "Audit report", "Findings > F-3", flagged=True)
        return Answer(
            question=question,
            answer=f"{self.S1} [1] {self.S2} [2]",
            abstained=False,
            citations=[c1, c2],
            retrieved=[],
            sentences=[AnswerSentence(self.S1, [1]), AnswerSentence(self.S2, [2])],
            notices=[self.notice_when_llm] if llm else [],
        )

    def ask_stream(self, question, filters=None, history=None, k=8, llm=False):
        self.calls.append({"question": question, "filters": filters, "history": list(history or []), "llm": llm})
        answer = self._answer(question, llm)
        done = False
        try:
            for word in answer.answer.split(" "):
                time.sleep(self.delay)
                yield word + " "
            done = True
            yield answer
        finally:
            self.cancelled += not done

    def ask(self, question, filters=None, history=None, k=8, llm=False):
        self.calls.append({"question": question, "filters": filters, "history": list(history or []), "llm": llm})
        return self._answer(question, llm)


# --- raw calls through Gradio's queue, as the page makes them (gradio_client refuses private handlers) --


def app_config(url: str, cookies: dict | None = None) -> dict:
    import httpx

    return httpx.get(url + "config", cookies=cookies, timeout=30).raise_for_status().json()


def handler_index(config: dict, elem_id: str, event: str) -> int:
    """fn_index of the handler of ``event`` on the component with ``elem_id``."""
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    for dep in config["dependencies"]:
        if any(t[0] in ids and t[1] == event for t in dep["targets"]):
            return dep["id"]
    raise LookupError(f"no {event} handler on #{elem_id}")


def queue_call(url: str, fn_index: int, data: list, session_hash: str, event_data: dict | None = None,
               cookies: dict | None = None) -> list[list]:
    """Join the queue like the page does; every state of the outputs the server streamed (diffs applied)."""
    import json

    import httpx
    from gradio_client.utils import apply_diff

    body = {"data": data, "fn_index": fn_index, "session_hash": session_hash, "event_data": event_data,
            "trigger_id": None}
    with httpx.Client(base_url=url, cookies=cookies, timeout=120) as http:
        event_id = http.post("gradio_api/queue/join", json=body).raise_for_status().json()["event_id"]
        states: list[list] = []
        current: list | None = None
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") != event_id:
                    continue
                output = (msg.get("output") or {}).get("data")
                if msg["msg"] == "process_generating" and output is not None:
                    current = list(output) if current is None else [apply_diff(p, d) for p, d in zip(current, output, strict=True)]
                    states.append(current)
                elif msg["msg"] == "process_completed":
                    if not msg.get("success", True):
                        raise RuntimeError(msg.get("output"))
                    if output is not None and current is None:
                        states.append(list(output))
                    return states
    return states


# --- the browser (Playwright driving Debian's chromium, headless) -------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TIMEOUT = 90_000  # ms: the first question loads the embedding model


# Imported by the browser test modules; named fixtures, so a test's ``page`` argument shadows no import.
@pytest.fixture(scope="module", name="browser")
def browser_fixture():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-quic", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture(name="page")
def page_fixture(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # fresh profile per test
    context.set_default_timeout(TIMEOUT)
    pg = context.new_page()
    yield pg
    context.close()


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#kfqa-question textarea")


def ask(page, question: str) -> None:
    page.fill("#kfqa-question textarea", question)
    page.click("#kfqa-ask")


def wait_answer(page, turn: int) -> None:
    """Until the answer of ``turn`` is final: its sources section is in the pane."""
    page.wait_for_selector(f"#kfqa-sources .kfqa-turn[data-turn='{turn}']:not(.kfqa-older)")


def latest_kinds(page) -> set[str]:
    return set(
        page.locator("#kfqa-sources section.kfqa-turn .kfqa-source").evaluate_all("els => els.map(e => e.dataset.kind)")
    )


def latest_sources(page) -> list[str]:
    """The source paths cited by the newest answer."""
    return page.locator("#kfqa-sources section.kfqa-turn .kfqa-source .kfqa-meta code").all_inner_texts()
