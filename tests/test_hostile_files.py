"""Hostile and careless files (#13 items 3, 4 and 10): each is skipped with a message naming the
file and the limit, or read correctly, and every other file of the same batch still ingests;
what was ingested before is kept. One real ingest (real Chroma, real embedding model) of a batch
holding all of them, after a first ingest of the files that must survive."""

from __future__ import annotations

import io
import json
import os
import re

import pytest
from conftest import store_settings
from pdf_helpers import make_pdf, page_stream

from kfqa.ingest import limits, run_ingest
from kfqa.ingest.loaders import LoadError, load_file
from kfqa.store import Store

ALIAS_BOMB = (
    "---\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
        for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
    )
    + "title: *i\n---\n# Bomb\n\nThe body of a bombed file.\n"
)
RUN = 120_000  # characters without a space
PATCHED_MAX_CHUNKS = 45  # small, so a file over it stays quick to chunk; every other file is under it
ESCAPED_NAME = "\x1b]52;c;aGk=\x07clip\x1b[8m.md"  # an OSC 52 clipboard write and hidden text


def _aes_pdf(user_password: str, line: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["Encrypted page", line]]))))
    writer.encrypt(user_password=user_password, owner_password="owner-only", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _binary_without_nul() -> bytes:
    return bytes(b or 1 for b in os.urandom(6000))


def _many_windows() -> str:
    paragraphs = [
        f"Paragraph {n} tells the controller story in plain words, number {n} of many." for n in range(900)
    ]
    return "# Many\n\n" + "\n\n".join(paragraphs) + "\n"


def _write_batch(batch, keep_text: str) -> None:
    (batch / "reviews").mkdir(parents=True, exist_ok=True)
    (batch / "good.md").write_text("# Good\n\nThe namespaced service account stays put.\n", encoding="utf-8")
    (batch / "keep.md").write_text(keep_text, encoding="utf-8")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """(settings, report of the hostile run, the batch folder)."""
    tmp = tmp_path_factory.mktemp("hostile")
    batch, other, dir_sources = tmp / "batch", tmp / "other", tmp / "dir-sources"
    _write_batch(batch, "# Keep\n\nThis text was ingested before the file turned hostile.\n")
    settings = store_settings(tmp / "store", batch)
    first = run_ingest([batch], settings)
    assert sorted(first.ingested) == ["good.md", "keep.md"] and not first.failed

    (batch / "keep.md").write_text(ALIAS_BOMB, encoding="utf-8")  # a committed file turns hostile
    (batch / "sources.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (batch / "alias-bomb.md").write_text(ALIAS_BOMB, encoding="utf-8")
    inflating = (
        b"BT /F1 10 Tf 12 TL 40 800 Td\n" + b"(The same words again and again.) Tj T*\n" * 60_000 + b"ET"
    )
    (batch / "inflating.pdf").write_bytes(make_pdf([inflating]))
    (batch / "wordy-page.pdf").write_bytes(make_pdf([page_stream(["Many words on one page."] * 4_500)]))
    (batch / "huge-text.md").write_text("word " * 1_050_000, encoding="utf-8")
    (batch / "many-windows.md").write_text(_many_windows(), encoding="utf-8")
    (batch / "long-run.md").write_text(
        f"# Run\n\nBefore the run.\n\n{'a' * RUN}\n\nAfter the run.\n", encoding="utf-8"
    )
    thread = {"title": "Run", "comments": [{"id": "1", "author": "x", "body": f"Look: {'b' * RUN} done."}]}
    (batch / "reviews" / "long-run.json").write_text(json.dumps(thread), encoding="utf-8")
    (batch / "reviews" / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    (batch / "binary.md").write_bytes(_binary_without_nul())
    (batch / "utf16.md").write_bytes("# Café\n\nThe UTF-16 file says hello.\n".encode("utf-16"))
    (batch / "aes-locked.pdf").write_bytes(_aes_pdf("secret", "The locked text."))
    (batch / "aes-open.pdf").write_bytes(_aes_pdf("", "The open text of an encrypted file."))
    (batch / ESCAPED_NAME).write_text("Plain words about clipboards.\n", encoding="utf-8")
    other.mkdir()
    (other / "sources.json").write_text("{nope", encoding="utf-8")
    (other / "other.md").write_text("# Other\n\nThe other folder's file.\n", encoding="utf-8")
    (dir_sources / "sources.json").mkdir(parents=True)
    (dir_sources / "third.md").write_text("# Third\n\nThe third folder's file.\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "MAX_CHUNKS_PER_FILE", PATCHED_MAX_CHUNKS)
        report = run_ingest([batch, other, dir_sources], settings)
    return settings, report, batch


def _chunks(settings, source: str):
    return [c for c in Store(settings).load_chunks() if c.meta.source == source]


def _reason(report, source: str) -> str:
    return dict(report.failed)[source]


def _rest_ingested(settings, report) -> None:
    """The batch went on: the good files of every folder are in the store, the kept ones unchanged."""
    assert {
        "long-run.md",
        "reviews/long-run.json",
        "utf16.md",
        "aes-open.pdf",
        "other.md",
        "third.md",
    } <= set(report.ingested)
    assert "good.md" in report.unchanged
    assert _chunks(settings, "good.md") and _chunks(settings, "other.md") and _chunks(settings, "third.md")


def test_yaml_alias_bomb_is_skipped_and_the_version_ingested_before_is_kept(batch):
    settings, report, _ = batch
    assert len(ALIAS_BOMB) < 500
    for source in ("alias-bomb.md", "keep.md"):
        reason = _reason(report, source)
        assert "skipped" in reason and "MAX_FRONT_MATTER_NODES (10,000 nodes" in reason
    assert "is kept" in _reason(report, "keep.md")
    [kept] = _chunks(settings, "keep.md")
    assert "ingested before the file turned hostile" in kept.text
    assert not _chunks(settings, "alias-bomb.md")
    _rest_ingested(settings, report)


def test_pdf_is_capped_on_what_it_inflates_to(batch):
    settings, report, batch_dir = batch
    assert (batch_dir / "inflating.pdf").stat().st_size < 40_000  # small on disk
    assert "page 1's content stream exceeds MAX_PAGE_CONTENT_BYTES" in _reason(report, "inflating.pdf")
    assert "text extracted from page 1 exceeds MAX_PAGE_TEXT_CHARS" in _reason(report, "wordy-page.pdf")
    assert not _chunks(settings, "inflating.pdf") and not _chunks(settings, "wordy-page.pdf")
    _rest_ingested(settings, report)


def test_text_and_windows_per_file_are_capped(batch):
    settings, report, _ = batch
    assert "skipped: text exceeds MAX_FILE_TEXT_CHARS (5,000,000 characters; found 5,250,000)" == _reason(
        report, "huge-text.md"
    )
    assert f"skipped: windows exceeds MAX_CHUNKS_PER_FILE ({PATCHED_MAX_CHUNKS}" in _reason(
        report, "many-windows.md"
    )
    _rest_ingested(settings, report)


def test_runs_without_spaces_are_split_into_capped_windows(batch):
    settings, report, _ = batch
    for source, run in (("long-run.md", "a" * 50), ("reviews/long-run.json", "b" * 50)):
        chunks = _chunks(settings, source)
        assert len(chunks) >= RUN // limits.MAX_CHUNK_CHARS
        for c in chunks:
            assert len(c.text) - c.meta.lead_chars <= limits.MAX_CHUNK_CHARS
        covered = sum(c.text[c.meta.lead_chars :].count(run[0]) for c in chunks)
        assert covered >= RUN  # the whole run is there (windows may overlap)
    text = " ".join(c.text for c in _chunks(settings, "long-run.md"))
    assert "Before the run." in text and "After the run." in text
    _rest_ingested(settings, report)


def test_binary_without_nul_bytes_is_refused_and_utf16_is_read(batch):
    settings, report, _ = batch
    assert "binary content" in _reason(report, "binary.md")
    [utf16] = _chunks(settings, "utf16.md")
    assert utf16.text.startswith("# Café") and "says hello" in utf16.text and utf16.meta.title == "Café"
    _rest_ingested(settings, report)


def test_aes_encrypted_pdfs(batch):
    settings, report, _ = batch
    reason = _reason(report, "aes-locked.pdf")
    assert "encrypted PDF" in reason and "password" in reason and "corrupt" not in reason
    assert any("open text of an encrypted file" in c.text for c in _chunks(settings, "aes-open.pdf"))
    _rest_ingested(settings, report)


def test_malformed_sources_json_is_a_warning_and_ingest_goes_on_without_it(batch):
    settings, report, _ = batch
    warnings = [w for f, w in report.warnings if "sources.json" in f or "sources.json" in w]
    assert any("sources.json: nested too deeply to read" in w for w in warnings), report.warnings
    assert any("sources.json: not valid JSON" in w for w in warnings)
    assert any("sources.json: can't be read (Is a directory)" in w for w in warnings)
    [other] = _chunks(settings, "other.md")
    assert other.meta.kind == "docs" and other.meta.url.startswith("file://")  # guessed, as without it
    _rest_ingested(settings, report)


def test_deep_review_json_is_a_load_error(batch):
    settings, report, _ = batch
    assert "invalid JSON" in _reason(report, "reviews/deep.json")
    _rest_ingested(settings, report)


def test_file_name_with_escapes_makes_a_clean_title(batch):
    settings, report, _ = batch
    [chunk] = [c for c in Store(settings).load_chunks() if "clip" in c.meta.source]
    assert chunk.meta.title.isprintable() and "clip" in chunk.meta.title
    assert "\x1b" not in chunk.meta.title and "\x07" not in chunk.meta.title
    _rest_ingested(settings, report)


@pytest.mark.parametrize("fmt", ["markdown", "review", "pdf", "text"])
def test_a_loader_raises_only_load_error(fmt):
    """Whatever the bytes, load_file gives drafts or a LoadError with a reason, nothing else."""
    samples = [
        _binary_without_nul(),
        b"%PDF-1.7\n" + bytes(range(1, 256)) * 20,
        b"[" * 100_000,
        b'{"comments": [{"body": {"x": 1}}]}',
        b"---\nkey: [unclosed\n---\n",
        "\ufeff# BOM\n\ntext\n".encode(),
    ]
    for data in samples:
        try:
            loaded = load_file(data, fmt, "sample", "")
        except LoadError as exc:
            assert str(exc) and not re.search(r"Traceback", str(exc))
        else:
            assert loaded.drafts
