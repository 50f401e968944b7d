"""The ingest run against real parts: shared Chroma servers, lost vectors, faults mid-run, hostile folders."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chroma_server import ChromaServer
from conftest import store_settings

from kfqa.ingest import run_ingest
from kfqa.qa import Assistant
from kfqa.store import Store, store_stats
from kfqa.types import StoreError

KFQA = str(Path(sys.executable).parent / "kfqa")
GUIDES = ["guides/tag-security/project-lead.md", "guides/tag-security/security-reviewer.md"]
QUESTION = "What does a project lead do in a security assessment?"


def on_server(settings, server: ChromaServer):
    return settings.with_overrides(chroma_host="127.0.0.1", chroma_port=server.port)


def vectors_agree(settings) -> bool:
    store = Store(settings)
    return store.vector_ids() == store.load_manifest().committed_ids()


# --- shared servers and lost vectors ---------------------------------------------------------


def test_two_stores_on_one_chroma_server_keep_their_vectors(tmp_path, make_corpus, stand_in_embedder):
    """Before: one fixed collection name, so each store's ingest deleted the other's vectors as orphans."""
    server = ChromaServer(tmp_path / "chroma-data").start()
    try:
        corpus_a = make_corpus(tmp_path / "a", GUIDES[:1])
        corpus_b = make_corpus(tmp_path / "b", GUIDES[1:])
        a = on_server(store_settings(tmp_path / "store-a", corpus_a), server)
        b = on_server(store_settings(tmp_path / "store-b", corpus_b), server)
        first_a, first_b = run_ingest([corpus_a], a), run_ingest([corpus_b], b)
        assert first_a.ingested == GUIDES[:1] and first_b.ingested == GUIDES[1:]
        again_a, again_b = run_ingest([corpus_a], a), run_ingest([corpus_b], b)
        assert again_a.repaired == again_b.repaired == 0 and again_a.embedded == again_b.embedded == 0
        stats_a, stats_b = store_stats(a), store_stats(b)
        assert stats_a["collection"] != stats_b["collection"]
        assert stats_a["vectors_missing"] == stats_b["vectors_missing"] == 0
        assert stats_a["chunks"] == first_a.chunks_total and stats_b["chunks"] == first_b.chunks_total
        assert vectors_agree(a) and vectors_agree(b)
        answer = Assistant.open(a).ask(QUESTION)
        assert {r.chunk.meta.source for r in answer.retrieved} == set(GUIDES[:1])  # nothing of store b
    finally:
        server.stop()


def test_deleted_chroma_folder_is_reported_and_repaired(tmp_path, make_corpus, stand_in_embedder):
    """Before: ingest called everything unchanged with 0 vectors, and ask answered from BM25 alone."""
    corpus = make_corpus(tmp_path / "c", GUIDES)
    settings = store_settings(tmp_path / "store", corpus)
    first = run_ingest([corpus], settings)
    before = [r["id"] for r in Store(settings).read_rows()]
    shutil.rmtree(settings.store_dir / "chroma")

    assert store_stats(settings)["vectors_missing"] == first.chunks_total
    with pytest.raises(StoreError, match=r"have no vector in Chroma.*kfqa ingest --store"):
        Assistant.open(settings)
    report = run_ingest([corpus], settings)
    assert report.repaired == first.chunks_total and report.ingested == [] and not report.failed
    assert any("restored" in message for _, message in report.warnings)
    assert store_stats(settings)["vectors_missing"] == 0 and vectors_agree(settings)
    assert [r["id"] for r in Store(settings).read_rows()] == before
    assert Assistant.open(settings).ask(QUESTION).citations


# --- a Chroma server that dies ---------------------------------------------------------------


def test_server_dying_mid_ask_is_a_message(tmp_path, make_corpus, stand_in_embedder):
    server = ChromaServer(tmp_path / "chroma-data").start()
    try:
        corpus = make_corpus(tmp_path / "c", GUIDES[:1])
        settings = on_server(store_settings(tmp_path / "store", corpus), server)
        run_ingest([corpus], settings)
        assistant = Assistant.open(settings)
        assert assistant.ask(QUESTION).citations
        server.kill()
        with pytest.raises(StoreError, match=rf"Chroma at chroma server 127\.0\.0\.1:{server.port}.*chroma run"):
            assistant.ask(QUESTION)
        server.start()  # same data, same port: answers again, nothing lost
        assert Assistant.open(settings).ask(QUESTION).citations and vectors_agree(settings)
    finally:
        server.stop()


def test_server_dying_mid_ingest_is_a_message_and_the_next_run_completes(tmp_path, make_corpus):
    files = [
        "assessments/kubeflow/self-assessment.md",
        "assessments/kubeflow/history/self-assessment.first-revision.md",
        *GUIDES,
    ]
    server = ChromaServer(tmp_path / "chroma-data").start()
    try:
        corpus = make_corpus(tmp_path / "c", files)
        settings = on_server(store_settings(tmp_path / "store", corpus), server)
        store = Store(settings)
        env = dict(os.environ, KFQA_INGEST_BATCH="8", KFQA_SHIPPED_VECTORS="none")
        cmd = [KFQA, "ingest", str(corpus), "--store", str(settings.store_dir), "--chroma-host", "127.0.0.1",
               "--chroma-port", str(server.port), "--json"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None and not (store.exists() and store.load_manifest().files):
            time.sleep(0.05)
        assert proc.poll() is None, "ingest finished before the server could be killed"
        server.kill()
        out, err = proc.communicate(timeout=240)
        assert proc.returncode != 0 and "Traceback" not in err
        assert f"127.0.0.1:{server.port}" in err + out and "chroma run" in err + out
        committed = len(store.load_manifest().files)

        server.start()
        report = run_ingest([corpus], settings)
        assert not report.failed and len(report.unchanged) == committed
        assert sorted(store.load_manifest().files) == sorted(files) and vectors_agree(settings)
    finally:
        server.stop()


# --- a read-only store -----------------------------------------------------------------------


@contextlib.contextmanager
def read_only(path: Path):
    """Unwritable even for root (immutable flag); chmod for everyone else."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-R", "+i", str(path)], check=True)
    else:
        subprocess.run(["chmod", "-R", "a-w", str(path)], check=True)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-R", "-i", str(path)], check=True)
        else:
            subprocess.run(["chmod", "-R", "u+w", str(path)], check=True)


def test_read_only_store_is_a_message_and_keeps_its_data(tmp_path, make_corpus, stand_in_embedder):
    corpus = make_corpus(tmp_path / "c", GUIDES[:1])
    settings = store_settings(tmp_path / "store", corpus)
    run_ingest([corpus], settings)
    (corpus / GUIDES[0]).write_text("# Project lead\n\nChanged: the lead writes the zebra plan.\n", encoding="utf-8")
    manifest_before = Store(settings).manifest_path.read_bytes()
    with read_only(settings.store_dir):
        with pytest.raises(StoreError, match=r"Can't write to the store .*chmod -R u\+w") as err:
            run_ingest([corpus], settings)
        assert str(settings.store_dir) in str(err.value)
        with pytest.raises(StoreError, match=r"is read-only.*chmod -R u\+w"):
            Assistant.open(settings).ask(QUESTION)
    assert Store(settings).manifest_path.read_bytes() == manifest_before
    assert vectors_agree(settings) and run_ingest([corpus], settings).ingested == GUIDES[:1]


# --- hostile folders: one bad entry never stops the batch ------------------------------------


def test_symlink_loop_odd_names_and_unreadable_folder_are_reported_and_the_rest_ingested(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.md").write_text("# Keep\n\nThe keep controller stores its secrets in the keep namespace.\n")
    settings = store_settings(tmp_path / "store", notes)
    assert run_ingest([notes], settings).ingested == ["keep.md"]

    (notes / "good.md").write_text("# Good\n\nThe good controller rotates its tokens every hour.\n")
    (notes / "loop-a.md").symlink_to(notes / "loop-b.md")
    (notes / "loop-b.md").symlink_to(notes / "loop-a.md")
    (notes / "dir-loop").symlink_to(notes / "dir-loop")
    os.mkdir(os.fsencode(notes) + b"/caf\xe9")  # a folder and a file whose names aren't UTF-8
    with open(os.fsencode(notes) + b"/caf\xe9/na\xefve.md", "w") as fh:
        fh.write("# Naive\n\nText.\n")
    (notes / "\x1b]52;c;aGk=\x07evil.md").write_text("# Evil name\n\nEscape sequences in a file name.\n")
    secret = notes / "secret"
    secret.mkdir()
    (secret / "hidden.md").write_text("# Hidden\n\nUnreadable.\n")
    secret.chmod(0)
    try:
        # without the capabilities root reads through permissions with, as any other user would run it
        drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"] if os.geteuid() == 0 else []
        run = subprocess.run([*drop, KFQA, "ingest", str(notes), "--store", str(settings.store_dir), "--json"],
                             capture_output=True, text=True, timeout=300)
    finally:
        secret.chmod(0o755)
    assert "Traceback" not in run.stderr and "\x1b" not in run.stdout
    report = json.loads(run.stdout)
    reasons = {f["file"]: f["reason"] for f in report["failed"]}
    assert "symlink loop" in reasons["loop-a.md"] and "symlink loop" in reasons["loop-b.md"]
    assert "symlink loop" in reasons["dir-loop"]
    assert "not valid UTF-8" in reasons["caf\ufffd/na\ufffdve.md"]
    assert "can't read this folder" in reasons["secret/"]
    assert sorted(report["ingested"]) == ["\x1b]52;c;aGk=\x07evil.md", "good.md"]  # JSON escapes it
    assert report["unchanged"] == 1 and len(report["failed"]) == 5
    chunks = Store(settings).load_chunks()
    assert {c.meta.source for c in chunks} >= {"keep.md", "good.md"}
    assert any("keep namespace" in c.text for c in chunks)  # nothing ingested before is lost
