"""Browser tests of the chat UI: Playwright (sync) driving Debian's chromium, headless.

The app runs in this process (``build_app(...).launch(prevent_thread_lock=True)``) on a
free loopback port, over a tiny store built from two markdown files (one carries an
XSS payload), or over a fake assistant where timing matters (streaming, history).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("gradio")
pytest.importorskip("playwright.sync_api")

from ui_helpers import (  # noqa: E402
    CHROMIUM,
    Q_BOTH_KINDS,
    Q_XSS,
    FakeAssistant,
    ask,
    browser_fixture,  # noqa: F401 - fixture "browser"
    latest_kinds,
    open_app,
    page_fixture,  # noqa: F401 - fixture "page"
    running,
    tiny_store,
    wait_answer,
)

from kfqa.config import KINDS, MAX_QUESTION_CHARS, Settings  # noqa: E402
from kfqa.ui import build_app  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed (tests/ensure_chromium.sh)")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Settings:
    return tiny_store(tmp_path_factory.mktemp("ui-store"))


@pytest.fixture(scope="module")
def real_app(store, tmp_path_factory):
    feedback = tmp_path_factory.mktemp("ui-feedback") / "feedback.jsonl"
    with running(build_app(store, feedback_path=feedback)) as url:
        yield url, feedback


# --- over the real assistant ----------------------------------------------------------------------


def test_answer_with_markers_click_selects_source_and_screenshot(page, real_app):
    url, _ = real_app
    open_app(page, url)
    ask(page, Q_BOTH_KINDS)
    wait_answer(page, 1)
    refs = page.locator("#kfqa-chat a.kfqa-ref")
    assert refs.count() >= 2
    cards = page.locator("#kfqa-sources .kfqa-source")
    assert cards.count() >= 2
    first = cards.first
    assert first.locator(".kfqa-badge").first.inner_text().strip().lower() in KINDS
    assert first.locator("mark").count() >= 1  # the answer sentence is highlighted in the passage
    assert first.locator(".kfqa-section").inner_text().strip()
    assert "lines" in first.locator(".kfqa-meta").inner_text()

    # clicking the last marker selects (and scrolls to) its source card
    last = refs.nth(refs.count() - 1)
    n = last.inner_text().strip("[] ")
    last.click()
    selected = page.locator(f"#kfqa-src-1-{n}.kfqa-selected")
    selected.wait_for()
    assert page.locator(".kfqa-source.kfqa-selected").count() == 1
    assert selected.is_visible()
    assert "#kfqa-src" not in page.url  # the click was handled, not followed

    # the layout reviewers see: chat left, sources right
    page.locator("#kfqa-src-1-1").scroll_into_view_if_needed()
    page.locator("#kfqa-chat a.kfqa-ref").first.click()
    page.locator("#kfqa-src-1-1.kfqa-selected").wait_for()
    chat_box = page.locator("#kfqa-chat").bounding_box()
    src_box = page.locator("#kfqa-sources").bounding_box()
    assert chat_box["x"] + chat_box["width"] <= src_box["x"] + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "ui-answered.png"))


def test_kind_filter_changes_the_sources(page, real_app):
    url, _ = real_app
    open_app(page, url)
    ask(page, Q_BOTH_KINDS)
    wait_answer(page, 1)
    assert {"assessment", "audit"} <= latest_kinds(page)

    for kind in KINDS:  # keep only "audit"
        if kind != "audit":
            page.locator("#kfqa-kinds label").filter(has_text=kind).click()
    page.locator("#kfqa-question textarea").fill(Q_BOTH_KINDS)
    page.click("#kfqa-ask")
    wait_answer(page, 2)
    assert latest_kinds(page) == {"audit"}
    badges = page.locator("#kfqa-sources section.kfqa-turn .kfqa-source header .kfqa-badge[data-kind]")
    assert {t.strip().lower() for t in badges.all_inner_texts()} == {"audit"}


def test_feedback_is_appended_to_jsonl(page, real_app):
    url, feedback = real_app
    open_app(page, url)
    ask(page, Q_BOTH_KINDS)
    wait_answer(page, 1)
    page.fill("#kfqa-comment textarea", "quote 2 is the audit finding, good")
    page.locator("#kfqa-chat button[aria-label='Dislike']").last.click()  # Gradio's own feedback buttons
    page.locator("#kfqa-banner", has_text="recorded").wait_for()
    rows = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
    row = [r for r in rows if r["comment"] == "quote 2 is the audit finding, good"][-1]
    assert row["rating"] == "down"
    assert row["question"] == Q_BOTH_KINDS
    assert row["answer"] and "[1]" in row["answer"]
    assert row["citations"] and row["citations"][0]["quote"]
    assert row["timestamp"]


def test_xss_in_a_source_renders_inert(page, real_app):
    url, _ = real_app
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(page, url)
    ask(page, Q_XSS)
    wait_answer(page, 1)
    pane = page.locator("#kfqa-sources").inner_text()
    assert "<script>window.__xss=1</script>" in pane  # shown as literal text
    assert 'onerror="window.__xss=2"' in pane
    assert "<script>" in page.locator("#kfqa-chat").inner_text()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#kfqa-sources script, #kfqa-chat script").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert not dialogs


def test_too_long_question_is_refused(page, real_app):
    url, _ = real_app
    open_app(page, url)
    page.fill("#kfqa-question textarea", "why " * (MAX_QUESTION_CHARS // 4 + 1))
    page.click("#kfqa-ask")
    page.locator("#kfqa-banner", has_text=f"the limit is {MAX_QUESTION_CHARS:,}").wait_for()
    assert page.locator("#kfqa-chat a.kfqa-ref").count() == 0
    assert page.locator("#kfqa-sources .kfqa-source").count() == 0


def test_store_missing_shows_ingest_hint_and_app_still_works(page, tmp_path):
    settings = Settings(store_dir=tmp_path / "no-store", chroma_host=None, chroma_port=None, llm_base_url=None)
    with running(build_app(settings, feedback_path=tmp_path / "fb.jsonl")) as url:
        open_app(page, url)
        banner = page.locator("#kfqa-banner")
        banner.locator("code", has_text="kfqa ingest").first.wait_for()
        page.fill("#kfqa-question textarea", "What is the blast radius?")
        page.click("#kfqa-ask")
        page.locator("#kfqa-banner", has_text="No kfqa store").wait_for()
        assert page.locator("#kfqa-sources .kfqa-source").count() == 0


def test_auth_required_when_given(page, tmp_path):
    settings = Settings(store_dir=tmp_path / "no-store", chroma_host=None, chroma_port=None, llm_base_url=None)
    with running(build_app(settings), auth=("reviewer", "s3cret")) as url:
        page.goto(url)
        page.locator("input[type='password']").wait_for()
        assert page.locator("#kfqa-question").count() == 0
        status = page.request.get(url + "config").status
        assert status in (401, 403)
        user, password = page.locator("input[type='text']").first, page.locator("input[type='password']")
        user.fill("reviewer")
        password.fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Incorrect", exact=False).first.wait_for()
        assert page.locator("#kfqa-question").count() == 0
        user.fill("reviewer")
        password.fill("s3cret")
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#kfqa-question textarea")


# --- over a fake assistant (streaming, history, LLM notice, export) ------------------------------------


def test_streaming_followups_llm_notice_and_export(page, tmp_path):
    fake = FakeAssistant(delay=0.25)
    settings = Settings(store_dir=tmp_path / "s", chroma_host=None, llm_base_url="http://127.0.0.1:9/v1", llm_model="m")
    with running(build_app(settings, feedback_path=tmp_path / "fb.jsonl", assistant=fake)) as url:
        open_app(page, url)
        assert page.locator("#kfqa-use-llm input").is_enabled()
        ask(page, "What is the blast radius?")
        # streamed: a partial answer with the typing cursor shows before the final one
        page.locator("#kfqa-chat", has_text="▍").wait_for()
        partial = page.locator("#kfqa-chat").inner_text()
        assert "Secrets of unrelated tenants" not in partial
        wait_answer(page, 1)
        assert "▍" not in page.locator("#kfqa-chat").inner_text()
        assert page.locator("#kfqa-sources .kfqa-flag").count() == 1  # flagged passage warns

        page.locator("#kfqa-use-llm label").click()
        ask(page, "And does it reach other tenants?")
        wait_answer(page, 2)
        assert fake.calls[-1]["history"] == ["What is the blast radius?"]
        assert fake.calls[-1]["llm"] is True
        page.locator("#kfqa-banner", has_text="LLM endpoint unreachable").wait_for()

        # a marker of the first answer still finds its (now folded) source
        page.locator("#kfqa-chat a.kfqa-ref[href='#kfqa-src-1-2']").click()
        page.locator("#kfqa-src-1-2.kfqa-selected").wait_for(state="visible")

        page.get_by_text("Copy conversation as Markdown").click()
        code = page.locator("#kfqa-export-md")  # filled after every answer; Gradio's copy button copies it
        code.locator(".cm-content", has_text="And does it reach other tenants?").wait_for()
        text = code.locator(".cm-content").inner_text()
        assert "## What is the blast radius?" in text
        assert "**Sources**" in text and "Threat model" in text
        assert code.locator("button[aria-label*='opy']").count() >= 1

        # the Chatbot's own clear button starts a new conversation: turns and sources go too
        page.locator("#kfqa-chat button[aria-label='Clear']").click()
        page.locator("#kfqa-sources .kfqa-source").first.wait_for(state="detached")
        ask(page, "A fresh start?")
        wait_answer(page, 1)
        assert fake.calls[-1]["history"] == []


def test_stop_cancels_an_answer_being_generated(page, tmp_path):
    fake = FakeAssistant(delay=0.8)  # ~16 s to stream in full
    settings = Settings(store_dir=tmp_path / "s", chroma_host=None, llm_base_url="http://127.0.0.1:9/v1", llm_model="m")
    with running(build_app(settings, feedback_path=tmp_path / "fb.jsonl", assistant=fake)) as url:
        open_app(page, url)
        page.locator("#kfqa-use-llm label").click()
        ask(page, "What is the blast radius?")
        page.locator("#kfqa-chat", has_text="Generating an answer with the LLM").wait_for()
        page.locator("#kfqa-stop").click()
        deadline = time.monotonic() + 10
        while not fake.cancelled and time.monotonic() < deadline:
            time.sleep(0.1)
        assert fake.cancelled == 1, "Stop did not close the answer's stream"
        assert fake.S2 not in page.locator("#kfqa-chat").inner_text()


def test_llm_switch_disabled_without_endpoint(page, tmp_path):
    settings = Settings(store_dir=tmp_path / "s", chroma_host=None, llm_base_url=None)
    with running(build_app(settings, assistant=FakeAssistant(delay=0))) as url:
        open_app(page, url)
        assert not page.locator("#kfqa-use-llm input").is_enabled()
