"""The UI's API endpoint (gradio_client against the running app) and the UI's pure helpers."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from ui_helpers import Q_BOTH_KINDS, XSS_IMG, XSS_SCRIPT, FakeAssistant, running, tiny_store  # noqa: E402

from kfqa.config import MAX_QUESTION_CHARS, Settings  # noqa: E402
from kfqa.types import KfqaError  # noqa: E402
from kfqa.ui import build_app  # noqa: E402
from kfqa.ui.app import parse_auth  # noqa: E402
from kfqa.ui.controller import make_filters  # noqa: E402
from kfqa.ui.export import conversation_to_markdown  # noqa: E402
from kfqa.ui.feedback import FeedbackLog  # noqa: E402
from kfqa.ui.limits import RateLimiter  # noqa: E402
from kfqa.ui.render import answer_chat_html, highlighted_quote, md_text, safe_url, sources_html  # noqa: E402


def _strip_timings(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "timings_ms"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Settings:
    return tiny_store(tmp_path_factory.mktemp("ui-store"))


def test_api_returns_the_same_answer_and_citations(store, tmp_path):
    from kfqa.qa import Assistant

    expected = Assistant.open(store).ask(Q_BOTH_KINDS).to_json()
    with running(build_app(store, feedback_path=tmp_path / "fb.jsonl")) as url:
        client = gradio_client.Client(url, verbose=False)
        got = client.predict(Q_BOTH_KINDS, ["assessment", "review", "docs", "audit", "guide"], "All projects", None, api_name="/ask")
        assert _strip_timings(got) == _strip_timings(expected)
        assert got["citations"] and got["citations"][0]["quote"]

        audit_only = client.predict(Q_BOTH_KINDS, ["audit"], "kubeflow", None, api_name="/ask")
        assert {c["kind"] for c in audit_only["citations"]} == {"audit"}

        with pytest.raises(Exception, match="limit"):
            client.predict("x" * (MAX_QUESTION_CHARS + 1), [], None, None, api_name="/ask")


def test_api_store_missing_says_how_to_ingest(tmp_path):
    settings = Settings(store_dir=tmp_path / "none", chroma_host=None, llm_base_url=None)
    with running(build_app(settings)) as url:
        client = gradio_client.Client(url, verbose=False)
        with pytest.raises(Exception, match="kfqa ingest"):
            client.predict("What is the blast radius?", [], None, None, api_name="/ask")


# --- pure helpers ----------------------------------------------------------------------------------


def test_markers_become_links_and_text_is_escaped():
    out = answer_chat_html(f"Payload {XSS_SCRIPT} seen [1]. Also [x](javascript:alert(1)) ![](http://t/p.png) [2].", turn=3)
    assert '<a class="kfqa-ref" href="#kfqa-src-3-1"' in out and 'href="#kfqa-src-3-2"' in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "](javascript" not in out  # markdown link syntax is backslash-escaped
    assert "\\!\\[\\]" in out


def test_md_text_keeps_no_markup():
    assert "<" not in md_text(XSS_IMG) and "&lt;img" in md_text(XSS_IMG)
    assert md_text("a_b*c*") == "a\\_b\\*c\\*"


def test_safe_url_only_http():
    assert safe_url("https://github.com/x/y/blob/abc/f.md#L1-L2") == "https://github.com/x/y/blob/abc/f.md#L1-L2"
    assert safe_url('https://x.org/"onmouseover="a') == "https://x.org/&quot;onmouseover=&quot;a"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil", ""):
        assert safe_url(bad) is None


def test_highlight_marks_sentence_and_escapes():
    quote = f"Intro {XSS_SCRIPT}. The blast radius is bounded by its service account. Tail."
    out = highlighted_quote(quote, ["The blast radius is bounded by its service account."])
    assert "<mark>The blast radius is bounded by its service account</mark>" in out
    assert "&lt;script&gt;" in out and "<script>" not in out


def test_sources_html_escapes_every_field():
    fake = FakeAssistant(delay=0)
    answer = fake.ask("q")
    c = answer.citations[0]
    c.chunk.meta.title = XSS_SCRIPT
    c.chunk.meta.section = XSS_IMG
    c.chunk.meta.url = "javascript:alert(1)"
    c.quote = f"{XSS_IMG} {fake.S1}"
    out = sources_html(answer, turn=1)
    assert "<script" not in out and "<img" not in out and "javascript:" not in out
    assert 'id="kfqa-src-1-1"' in out and 'id="kfqa-src-1-2"' in out
    assert 'rel="noopener noreferrer"' in out and 'target="_blank"' in out
    assert "kfqa-kind-audit" in out and "kfqa-flag" in out


def test_export_markdown_has_answers_and_citations():
    answer = FakeAssistant(delay=0).ask("What is the blast radius?").to_json()
    md = conversation_to_markdown([answer, answer | {"question": "Follow-up?"}])
    assert md.startswith("# kfqa conversation")
    assert "## What is the blast radius?" in md and "## Follow-up?" in md
    assert "[1]" in md and "**Sources**" in md
    assert "(https://github.com/example/widget/blob/0123abc/assessments/widget-1.md#L3-L5)" in md
    assert "> Controllers run with service accounts." in md


def test_feedback_log_appends_jsonl(tmp_path):
    log = FeedbackLog(tmp_path / "sub" / "fb.jsonl")
    answer = FakeAssistant(delay=0).ask("q?").to_json()
    log.append("up", "q?", answer, "great")
    log.append("down", "q?", answer)
    rows = [json.loads(x) for x in (tmp_path / "sub" / "fb.jsonl").read_text().splitlines()]
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["comment"] == "great" and rows[0]["citations"][0]["n"] == 1 and rows[0]["timestamp"]
    with pytest.raises(ValueError):
        log.append("meh", "q?", answer)


def test_rate_limiter_sliding_window():
    now = [0.0]
    rl = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert rl.allow("s")[0] and rl.allow("s")[0]
    ok, wait = rl.allow("s")
    assert not ok and 59 <= wait <= 60
    assert rl.allow("other")[0]  # per key
    assert not rl.allow(["other", "s"])[0]  # one full bucket refuses ...
    assert rl.allow("other")[0] and not rl.allow("other")[0]  # ... and counts against none
    now[0] = 60.5
    assert rl.allow("s")[0]


def test_parse_auth_and_filters():
    assert parse_auth("rev:pa:ss") == ("rev", "pa:ss")
    assert parse_auth(None) is None
    with pytest.raises(KfqaError):
        parse_auth("nopass")
    f = make_filters(["audit", "bogus"], "kubeflow", False)
    assert f.kinds == ["audit"] and f.projects == ["kubeflow"] and f.include_superseded is None
    f = make_filters(["assessment", "review", "docs", "audit", "guide"], "All projects", True)
    assert f.kinds == [] and f.projects == [] and f.include_superseded is True


def test_ui_on_a_taken_port_says_so_without_a_traceback(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, KFQA_STORE=str(tmp_path / "no-store"))
        run = subprocess.run([sys.executable, "-m", "kfqa.cli", "ui", "--port", str(port)],
                             capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode != 0
    assert f"127.0.0.1:{port}" in run.stderr and "in use" in run.stderr.lower() and "--port" in run.stderr
    assert "Traceback" not in run.stderr
