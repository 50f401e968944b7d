"""`kfqa` command line: a thin layer over ingest, qa, eval and ui.

Heavy imports (torch, chromadb, llama-index, gradio) happen inside the commands,
so `kfqa --help` is instant.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kfqa.config import KINDS, Settings, apply_runtime_env
from kfqa.render import SafeConsole
from kfqa.text import terminal_safe
from kfqa.types import KfqaError

app = typer.Typer(
    name="kfqa",
    help="Cited answers for security reviewers of Kubeflow: ingest sources, ask, evaluate, chat.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
# every message and table may hold a file name or source text: printed without terminal control
console = SafeConsole()
err_console = SafeConsole(stderr=True)


@app.callback()
def _entry() -> None:
    apply_runtime_env()
    log_warnings_safely()


class _TerminalSafe(logging.Filter):
    """Log records printed without terminal control: they can quote file names and source text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = terminal_safe(record.getMessage()), ()
        return True


def log_warnings_safely() -> None:
    """Library warnings (kfqa's and others') on stderr as one line each, escape sequences removed."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)  # some libraries set their own loggers to DEBUG
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        handler.addFilter(_TerminalSafe())
        root.addHandler(handler)
        root.setLevel(logging.WARNING)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="Store directory (env KFQA_STORE; default: per-user data dir).")
]
HostOpt = Annotated[
    str | None, typer.Option("--chroma-host", help="Use a Chroma server at this host (env KFQA_CHROMA_HOST).")
]
PortOpt = Annotated[int | None, typer.Option("--chroma-port", help="Chroma server port (env KFQA_CHROMA_PORT).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def settings_from(store: Path | None, chroma_host: str | None, chroma_port: int | None, **extra) -> Settings:
    return Settings().with_overrides(store_dir=store, chroma_host=chroma_host, chroma_port=chroma_port, **extra)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def json_for_terminal(data) -> str:
    """JSON with non-ASCII text kept readable but DEL and C1 controls escaped (json escapes C0), so
    no source text can send an escape sequence to a terminal."""
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return text.translate({c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)})


def check_kinds(kinds: list[str] | None) -> list[str] | None:
    unknown = [k for k in kinds or [] if k not in KINDS]
    if unknown:
        raise typer.BadParameter(f"unknown kind {', '.join(map(repr, unknown))}; valid kinds: {', '.join(KINDS)}")
    return kinds


def read_question(question: str) -> str:
    """The question from argv or, for '-', standard input; a clear error when it isn't UTF-8 text."""
    if question == "-":
        raw = sys.stdin.buffer.read()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            fail(f"The question on standard input is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}).")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError as exc:  # argv bytes that aren't UTF-8 arrive as lone surrogates
        fail(f"The question is not valid UTF-8 (a byte that isn't UTF-8 text at character {exc.start + 1}).")
    return question


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Folders or files to ingest (default: the bundled corpus).")] = None,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn sources into chunks in the store (incremental: unchanged files are skipped).

    Examples:

        kfqa ingest                         # the bundled corpus

        kfqa ingest ~/notes/assessments     # any folder of the same kinds

        kfqa ingest --store /tmp/kfqa-store --chroma-host 127.0.0.1 --chroma-port 8000
    """
    from kfqa.ingest import run_ingest

    settings = settings_from(store, chroma_host, chroma_port)
    try:
        report = run_ingest(paths or [settings.corpus_dir], settings, console=None if as_json else console)
    except KfqaError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(report.to_json(), indent=1))
    if report.failed and not report.files_ok:
        raise typer.Exit(1)


@app.command()
def stats(store: StoreOpt = None, chroma_host: HostOpt = None, chroma_port: PortOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the store holds: files, chunks by kind, location, embedding model, last ingest.

    Examples:

        kfqa stats

        kfqa stats --json | jq .chunks_by_kind
    """
    from kfqa.store import store_stats

    settings = settings_from(store, chroma_host, chroma_port)
    try:
        data = store_stats(settings)
    except KfqaError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(data, indent=1))
        return
    for key, value in data.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from standard input.")],
    as_json: JsonOpt = False,
    k: Annotated[int, typer.Option("--k", min=1, help="Chunks retrieved per question.")] = 8,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", callback=check_kinds, help=f"Only these source kinds (repeatable): {', '.join(KINDS)}."),
    ] = None,
    project: Annotated[list[str] | None, typer.Option("--project", help="Only these projects (repeatable).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only sources whose path matches this glob.")] = None,
    history: Annotated[
        bool | None, typer.Option("--history/--current", help="Include / exclude superseded revisions (default: by question).")
    ] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Answer with the LLM endpoint (KFQA_LLM_BASE_URL, KFQA_LLM_MODEL).")] = False,
    llm_base_url: Annotated[str | None, typer.Option("--llm-base-url", help="OpenAI-compatible base URL.")] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model", help="Model name at that endpoint.")] = None,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
) -> None:
    """Answer a question with numbered citations (file, section, link, quoted passage).

    Examples:

        kfqa ask "If an attacker owns one Kubeflow controller, what's the blast radius?"

        kfqa ask "What did the audit find about Katib?" --kind audit --json

        kfqa ask "How did the Overview change during review?" --history
    """
    with collection_paused():
        from kfqa.qa import Assistant
        from kfqa.render import render_answer
        from kfqa.types import Filters

        question = read_question(question)
        settings = settings_from(store, chroma_host, chroma_port, llm_base_url=llm_base_url, llm_model=llm_model)
        filters = Filters(kinds=kind or [], projects=project or [], source_glob=source or "", include_superseded=history)
        try:
            answer = Assistant.open(settings).ask(question, filters=filters, k=k, llm=llm)
        except KfqaError as exc:
            fail(str(exc))
        if as_json:
            print(json_for_terminal(answer.to_json()))
        else:
            render_answer(answer, console)


_AT_EXIT: list = []  # hooks registered once per process, however often a command runs in it


@contextlib.contextmanager
def collection_paused():
    """The cyclic garbage collector paused while a one-shot command runs, and the heap frozen at exit.

    `kfqa ask` builds a heap (llama-index's and chromadb's classes, every chunk, BM25) that lives until
    the process ends: the collector's full passes over it free next to nothing, yet cost a cold ask
    0.3 s while it runs and 0.45 s more in the interpreter's final collections. Frozen objects
    (gc.freeze) are skipped by those; the OS takes the memory back with the process. Restored
    afterwards (as it was) for a caller that goes on (a test invoking the command in-process)."""
    was_enabled = gc.isenabled()
    gc.disable()
    if gc.freeze not in _AT_EXIT:
        _AT_EXIT.append(gc.freeze)
        atexit.register(gc.freeze)
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@app.command(name="eval")
def eval_(
    questions: Annotated[Path | None, typer.Option("--questions", help="JSONL eval set (default: the shipped dev set).")] = None,
    k: Annotated[int, typer.Option("--k", min=1, help="Chunks retrieved per question.")] = 10,
    compare: Annotated[bool, typer.Option("--compare", help="Also score the baselines side by side.")] = False,
    llm: Annotated[bool, typer.Option("--llm", help="Also score the LLM backend and report how much of its answers survived.")] = False,
    llm_base_url: Annotated[str | None, typer.Option("--llm-base-url", help="OpenAI-compatible base URL.")] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model", help="Model name at that endpoint.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.json, report.md and the chart.")] = Path("eval-out"),
    ablate: Annotated[
        str | None, typer.Option("--ablate", help="Switch these answering stages off: STAGE[,STAGE] (see kfqa.qa.stages).")
    ] = None,
    folds: Annotated[
        int, typer.Option("--folds", min=0, help="Also print cross-validated figures over this many folds (e.g. 5).")
    ] = 0,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
) -> None:
    """Score retrieval and answers on an eval set (format: ../shared/eval/README.md).

    Examples:

        kfqa eval                                  # dev set, kfqa alone

        kfqa eval --compare --out eval-out         # with the four baselines

        kfqa eval --questions my-set.jsonl --json

        kfqa eval --folds 5                        # cross-validated figures beside in-sample ones

        kfqa eval --ablate merge,document-prior    # what two stages are worth

        kfqa eval --llm --llm-base-url http://localhost:11434/v1 --llm-model qwen2.5:1.5b
    """
    from kfqa.eval import run_eval

    settings = settings_from(store, chroma_host, chroma_port, llm_base_url=llm_base_url, llm_model=llm_model)
    try:
        run_eval(settings, questions=questions, k=k, compare=compare, llm=llm, out=out, as_json=as_json, console=console,
                 ablate=ablate, folds=folds)
    except KfqaError as exc:
        fail(str(exc))


@app.command()
def ui(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (default loopback only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 7860,
    auth: Annotated[
        str | None, typer.Option("--auth", help="USER:PASS required to use the UI (env KFQA_UI_AUTH).", envvar="KFQA_UI_AUTH")
    ] = None,
    feedback: Annotated[Path | None, typer.Option("--feedback", help="JSONL file for thumbs up/down feedback.")] = None,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
) -> None:
    """Start the chat UI for reviewers.

    Examples:

        kfqa ui                                # http://127.0.0.1:7860

        kfqa ui --host 0.0.0.0 --auth reviewer:s3cret --port 8080
    """
    from kfqa.ui import launch

    settings = settings_from(store, chroma_host, chroma_port)
    check_can_serve(host, port)
    try:
        launch(settings, host=host, port=port, auth=auth, feedback_path=feedback)
    except KfqaError as exc:
        fail(str(exc))


@app.command()
def ledger(
    threads: Annotated[list[str] | None, typer.Argument(help="Review threads by corpus path (default: the self-assessment's).")] = None,
    as_json: JsonOpt = False,
    as_md: Annotated[bool, typer.Option("--md", help="Print a Markdown table.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
) -> None:
    """Every reviewer request in review threads and what became of it: replied, changed (the
    section of the current revision, quoted before and after) or open, each quote cited.

    Examples:

        kfqa ledger                                     # the home project's self-assessment threads

        kfqa ledger reviews/cncf-toc-pr-2201.json --md > ledger.md

        kfqa ledger reviews/cncf-toc-pr-2201.json --csv > ledger.csv
    """
    from kfqa.qa import Assistant
    from kfqa.qa.reports import export
    from kfqa.qa.reports.corpus import Corpus
    from kfqa.qa.reports.ledger import build_ledger

    settings = settings_from(store, chroma_host, chroma_port)
    try:
        result = build_ledger(Assistant.open(settings), Corpus(settings), threads or None)
    except KfqaError as exc:
        fail(str(exc))
    if as_json:
        print(json_for_terminal(export.ledger_json(result)))
    elif as_csv:
        print(terminal_safe(export.ledger_csv(result)), end="")
    else:
        print_report(export.ledger_markdown(result), raw=as_md)


@app.command()
def coverage(
    assessment: Annotated[str | None, typer.Argument(help="Assessment by corpus path (default: the home project's).")] = None,
    template: Annotated[str | None, typer.Option("--template", help="Template by corpus path (default: TAG Security's).")] = None,
    reviewer: Annotated[bool, typer.Option("--reviewer", help="Add the questions of TAG Security's reviewer guide.")] = False,
    as_json: JsonOpt = False,
    as_md: Annotated[bool, typer.Option("--md", help="Print a Markdown table.")] = False,
    store: StoreOpt = None,
    chroma_host: HostOpt = None,
    chroma_port: PortOpt = None,
) -> None:
    """An assessment against the TAG Security self-assessment template: each item the template
    asks for (read from the template itself) is covered, thin or missing, with cited passages.

    Examples:

        kfqa coverage                                   # assessments/kubeflow/self-assessment.md

        kfqa coverage assessments/cncf/flux/self-assessment.md --reviewer --md

        kfqa coverage --template guides/tag-security/self-assessment.md --json
    """
    from kfqa.qa import Assistant
    from kfqa.qa.reports import export
    from kfqa.qa.reports.corpus import Corpus
    from kfqa.qa.reports.coverage import build_coverage

    settings = settings_from(store, chroma_host, chroma_port)
    try:
        result = build_coverage(Assistant.open(settings), Corpus(settings), assessment, template, reviewer)
    except KfqaError as exc:
        fail(str(exc))
    if as_json:
        print(json_for_terminal(export.coverage_json(result)))
    else:
        print_report(export.coverage_markdown(result), raw=as_md)


def print_report(markdown: str, raw: bool) -> None:
    """A report as Markdown source (``--md``, for files) or rendered for the terminal; source text
    in it never reaches the terminal as control sequences."""
    if raw:
        print(terminal_safe(markdown), end="")
        return
    from rich.markdown import Markdown

    console.print(Markdown(markdown))


def check_can_serve(host: str, port: int) -> None:
    """Fail early, with the system's reason, when ``host:port`` can't be listened on (before the
    model and indexes load; Gradio would report any bind failure as a busy port)."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        fail(f"Can't serve the UI on {host}:{port}: {exc.strerror or exc}. Pick another --port or --host.")


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
