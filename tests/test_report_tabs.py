"""Browser tests of the "Review ledger" and "Template coverage" tabs: Playwright driving Debian's
chromium, headless, over the app built on the whole-corpus store (the real assistant)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

pytest.importorskip("gradio")
pytest.importorskip("playwright.sync_api")

from ui_helpers import (  # noqa: E402
    CHROMIUM,
    browser_fixture,  # noqa: F401 - fixture "browser"
    open_app,
    page_fixture,  # noqa: F401 - fixture "page"
    running,
)

from kfqa.ui import build_app  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed (tests/ensure_chromium.sh)")


@pytest.fixture(scope="module")
def app_url(corpus_store, tmp_path_factory):
    feedback = tmp_path_factory.mktemp("report-tabs") / "feedback.jsonl"
    with running(build_app(corpus_store, feedback_path=feedback)) as url:
        yield url


def test_review_ledger_tab_table_links_and_exports(page, app_url):
    open_app(page, app_url)
    page.get_by_role("tab", name="Review ledger").click()
    page.click("#kfqa-ledger-run")
    table = page.locator("#kfqa-ledger-table table")
    table.wait_for()
    page.wait_for_function("document.querySelectorAll('#kfqa-ledger-table tbody tr').length > 10")
    text = table.inner_text()
    assert "reviews/cncf-toc-pr-2201.json" in text and "author not in the capture" in text
    assert "replied" in text and "changed" in text
    commit_links = page.locator("#kfqa-ledger-table a[href*='/blob/4acc1dcf3e5cab23fb02eba784baff82449e87f5/']")
    assert commit_links.count() >= 5
    downloads = page.locator("#kfqa-ledger-files a")
    downloads.first.wait_for()
    links = {a.get_attribute("download"): a.get_attribute("href") for a in downloads.all()}
    assert set(links) == {"ledger.md", "ledger.csv"}
    rows = list(csv.reader(io.StringIO(page.request.get(links["ledger.csv"]).text())))
    assert rows[0][:3] == ["thread", "comment", "who"] and len(rows) > 10
    assert "| c19 |" in page.request.get(links["ledger.md"]).text()
    page.screenshot(path=str(Path(__file__).resolve().parent.parent / "test-artifacts" / "ui-ledger.png"), full_page=True)


def test_template_coverage_tab_statuses_and_citations(page, app_url):
    open_app(page, app_url)
    page.get_by_role("tab", name="Template coverage").click()
    page.click("#kfqa-coverage-run")
    page.wait_for_function("document.querySelectorAll('#kfqa-coverage-table tbody tr').length > 30")
    text = page.locator("#kfqa-coverage-table table").inner_text()
    assert "if contributors are required to sign commits" in text
    assert "covered" in text and "thin" in text
    assert page.locator("#kfqa-coverage-table a[href*='/blob/']").count() >= 10
    download = page.locator("#kfqa-coverage-file a").first
    download.wait_for()
    assert "| **thin** |" in page.request.get(download.get_attribute("href")).text()
