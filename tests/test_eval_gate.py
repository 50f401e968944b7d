"""CI regression gate for `kfqa eval`, and the end-to-end eval path (--compare, --json, baseline cache).

The gate runs the shipped dev set on kfqa alone through the CLI (`kfqa eval --json`) over
the whole-corpus store and fails when a metric drops below its floor.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfqa.config import DEV_QUESTIONS

# Floors for the dev set (kfqa alone, k=10), from the CROSS-VALIDATED figures of `kfqa eval --folds 5`
# (constants fitted on four folds, scored on the fifth; session 19: recall@5 0.878, MRR 0.919, key-fact
# recall 0.823, citation precision 0.850, faithfulness 1.0, abstention 1.0), a little below them so that
# noise in Chroma's approximate search doesn't fail CI while a regression does. Quality gate, not a timing.
FLOORS = {
    "recall@5": 0.84,
    "mrr": 0.88,
    "key_fact_recall": 0.78,
    "faithfulness": 0.98,
    "citation_precision": 0.80,
    "abstention_accuracy": 0.95,
}

TINY_FILES = ["docs/kubeflow/components/central-dash/profiles.md", "reviews/cncf-toc-pr-2201.json"]
TINY_QUESTIONS = [
    {
        "id": "auto-profile-creation",
        "question": "Is automatic profile creation on by default?",
        "category": "docs",
        "answerable": True,
        "evidence": [
            {
                "source": "docs/kubeflow/components/central-dash/profiles.md",
                "quote": "By default, automatic profile creation is disabled.",
            }
        ],
        "key_facts": [["disabled"]],
        "reference_answer": "No, it is disabled by default.",
    },
    {
        "id": "rv-overall-feedback",
        "question": "What was Justin Cappos's overall criticism of the first Kubeflow self-assessment draft?",
        "category": "review",
        "answerable": True,
        "evidence": [
            {
                "source": "reviews/cncf-toc-pr-2201.json",
                "quote": "Overall, I feel like the self assessment document needs more of a security focus.",
            }
        ],
        "key_facts": [["security focus"]],
    },
    {
        "id": "un-bug-bounty",
        "question": "Does Kubeflow run a paid bug bounty program? what are the payout tiers?",
        "category": "unanswerable",
        "answerable": False,
        "evidence": [],
        "key_facts": [],
    },
]


def _clean_env(monkeypatch, cache: Path | None = None) -> None:
    for name in ("KFQA_CHROMA_HOST", "KFQA_CHROMA_PORT", "KFQA_LLM_BASE_URL", "KFQA_LLM_MODEL", "KFQA_CORPUS"):
        monkeypatch.delenv(name, raising=False)
    if cache is not None:
        monkeypatch.setenv("KFQA_CACHE", str(cache))


def _cli_eval(args: list[str]) -> dict:
    from kfqa.cli import app

    result = CliRunner().invoke(app, ["eval", *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)  # --json: stdout is the report and nothing else


def test_dev_set_gate(corpus_store, tmp_path, monkeypatch):
    _clean_env(monkeypatch)
    monkeypatch.setenv("KFQA_CORPUS", str(corpus_store.corpus_dir))
    out = tmp_path / "eval-out"
    report = _cli_eval(["--store", str(corpus_store.store_dir), "--questions", str(DEV_QUESTIONS), "--out", str(out)])
    overall = report["systems"]["kfqa"]["overall"]
    assert overall["n"] == 54
    assert not report["config"]["question_problems"]
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.png"}
    below = {m: (overall[m], floor) for m, floor in FLOORS.items() if overall[m] is None or overall[m] < floor}
    assert not below, f"below the floors (reached, floor): {below}"

    # the same store and the same questions give the same report (latency aside): a refactoring that
    # changes any question's retrieval, answer or score shows up here as a changed figure
    again = _cli_eval(["--store", str(corpus_store.store_dir), "--questions", str(DEV_QUESTIONS)])
    assert _without_latency(again["systems"]["kfqa"]["overall"]) == _without_latency(overall)
    assert [_without_latency(q["systems"]["kfqa"]) for q in again["questions"]] == [
        _without_latency(q["systems"]["kfqa"]) for q in report["questions"]
    ]


# The sets helpers wrote blind to the code (eval/questions/README.md): in TAG Security's template and
# reviewers' words, value questions, busy reviewers' words, and a mix like the maintainers' unseen sets.
# Each was scored blind once, then used in development, so these floors guard against regressions; they
# are not held-out figures.
OTHER_SETS = {
    "templates.jsonl": {"recall@5": 0.70, "key_fact_recall": 0.60, "citation_precision": 0.72, "abstention_accuracy": 0.90},
    "values.jsonl": {"recall@5": 0.80, "key_fact_recall": 0.80, "citation_precision": 0.75, "abstention_accuracy": 0.90},
    "reviewers.jsonl": {"recall@5": 0.62, "key_fact_recall": 0.58, "citation_precision": 0.72, "abstention_accuracy": 0.90},
    "mixed.jsonl": {"recall@5": 0.62, "key_fact_recall": 0.66, "citation_precision": 0.72, "abstention_accuracy": 0.90},
    "mixed2.jsonl": {"recall@5": 0.62, "key_fact_recall": 0.50, "citation_precision": 0.70, "abstention_accuracy": 0.83},
    "mixed3.jsonl": {"recall@5": 0.75, "key_fact_recall": 0.74, "citation_precision": 0.83, "abstention_accuracy": 0.90},
    "mixed4.jsonl": {"recall@5": 0.74, "key_fact_recall": 0.67, "citation_precision": 0.86, "abstention_accuracy": 0.90},
    "mixed5.jsonl": {"recall@5": 0.63, "key_fact_recall": 0.64, "citation_precision": 0.84, "abstention_accuracy": 0.83},
    "mixed6.jsonl": {"recall@5": 0.80, "key_fact_recall": 0.78, "citation_precision": 0.85, "abstention_accuracy": 0.88},
    "mixed7.jsonl": {"recall@5": 0.68, "key_fact_recall": 0.79, "citation_precision": 0.82, "abstention_accuracy": 0.85},
    "mixed8.jsonl": {"recall@5": 0.74, "key_fact_recall": 0.68, "citation_precision": 0.74, "abstention_accuracy": 0.88},
    "mixed9.jsonl": {"recall@5": 0.74, "key_fact_recall": 0.56, "citation_precision": 0.84, "abstention_accuracy": 0.82},
    "mixed10.jsonl": {"recall@5": 0.71, "key_fact_recall": 0.67, "citation_precision": 0.78, "abstention_accuracy": 0.90},
    "mixed11.jsonl": {"recall@5": 0.84, "key_fact_recall": 0.67, "citation_precision": 0.75, "abstention_accuracy": 0.88},
    "mixed12.jsonl": {"recall@5": 0.81, "key_fact_recall": 0.78, "citation_precision": 0.76, "abstention_accuracy": 0.90},
    "mixed13.jsonl": {"recall@5": 0.84, "key_fact_recall": 0.71, "citation_precision": 0.84, "abstention_accuracy": 0.88},
    "mixed14.jsonl": {"recall@5": 0.84, "key_fact_recall": 0.72, "citation_precision": 0.75, "abstention_accuracy": 0.86},
    "mixed15.jsonl": {"recall@5": 0.79, "key_fact_recall": 0.72, "citation_precision": 0.81, "abstention_accuracy": 0.93},
    "mixed16.jsonl": {"recall@5": 0.77, "key_fact_recall": 0.57, "citation_precision": 0.70, "abstention_accuracy": 0.93},
    "mixed17.jsonl": {"recall@5": 0.86, "key_fact_recall": 0.72, "citation_precision": 0.84, "abstention_accuracy": 0.93},
    "mixed18.jsonl": {"recall@5": 0.72, "key_fact_recall": 0.70, "citation_precision": 0.75, "abstention_accuracy": 0.84},
}


@pytest.mark.parametrize("name", sorted(OTHER_SETS))
def test_other_shipped_sets_gate(corpus_store, tmp_path, monkeypatch, name):
    _clean_env(monkeypatch)
    monkeypatch.setenv("KFQA_CORPUS", str(corpus_store.corpus_dir))
    report = _cli_eval(["--store", str(corpus_store.store_dir), "--questions", str(DEV_QUESTIONS.parent / name), "--out",
                        str(tmp_path / "eval-out")])
    assert not report["config"]["question_problems"]
    overall = report["systems"]["kfqa"]["overall"]
    below = {m: (overall[m], floor) for m, floor in OTHER_SETS[name].items() if overall[m] is None or overall[m] < floor}
    assert not below, f"below the floors (reached, floor): {below}"
    assert overall["faithfulness"] >= 0.98


def _without_latency(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if "latency" not in k and "ms" not in k}


# --- the whole eval path on a tiny corpus ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from conftest import copy_corpus, store_settings

    from kfqa.ingest import run_ingest

    root = tmp_path_factory.mktemp("tiny-eval")
    corpus = copy_corpus(root / "corpus", TINY_FILES)
    settings = store_settings(root / "store", corpus)
    report = run_ingest([corpus], settings)
    assert not report.failed, report.failed
    questions = root / "tiny.jsonl"
    lines = [json.dumps(q) for q in TINY_QUESTIONS]
    lines.insert(1, '{"id": "broken", ')  # malformed line 2: reported, the rest still scored
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings, questions


def test_compare_builds_baselines_once_and_reuses_the_cache(tiny, tmp_path, monkeypatch):
    from rich.console import Console

    from kfqa.eval import run_eval
    from kfqa.eval.systems import LlamaIndexBaseline

    settings, questions = tiny
    cache = tmp_path / "cache"
    _clean_env(monkeypatch, cache)
    quiet = Console(file=io.StringIO(), width=200)

    first = run_eval(settings, questions=questions, k=10, compare=True, out=tmp_path / "one", console=quiet)
    assert list(first["systems"]) == ["kfqa", "llamaindex-default", "docs-agent-style", "bm25", "dense"]
    for name in ("llamaindex-default", "docs-agent-style"):
        assert first["config"]["systems"][name]["built_this_run"] is True
    cache_dirs = sorted((cache / "baselines").iterdir())
    assert len(cache_dirs) == 2
    stamps = {d: (d / "done.json").stat().st_mtime_ns for d in cache_dirs}

    # Second run: loads from the cache; embedding a corpus text now would fail the test.
    def no_embedding(*args, **kwargs):
        raise AssertionError("a cached baseline was embedded again")

    original_prepare = LlamaIndexBaseline.prepare

    def checked_prepare(self, progress=None):
        with monkeypatch.context() as patch:  # only while the baseline loads: kfqa itself may embed
            for method in ("_get_text_embeddings", "_aget_text_embeddings", "_get_text_embedding"):
                patch.setattr(type(self.embed_model), method, no_embedding)
            original_prepare(self, progress)
        assert not self.built and self.embedded == 0

    monkeypatch.setattr(LlamaIndexBaseline, "prepare", checked_prepare)
    second = run_eval(settings, questions=questions, k=10, compare=True, out=tmp_path / "two", console=quiet)
    for name in ("llamaindex-default", "docs-agent-style"):
        assert second["config"]["systems"][name]["built_this_run"] is False
    assert sorted((cache / "baselines").iterdir()) == cache_dirs
    assert {d: (d / "done.json").stat().st_mtime_ns for d in cache_dirs} == stamps
    # same corpus, same questions, same cached index: same retrieval scores
    for name in ("llamaindex-default", "docs-agent-style", "bm25", "dense"):
        for metric in ("recall@1", "recall@5", "mrr"):
            assert first["systems"][name]["overall"][metric] == second["systems"][name]["overall"][metric]

    # report shape
    assert first["config"]["question_problems"][0]["line"] == 2
    assert [q["id"] for q in first["questions"]] == ["auto-profile-creation", "rv-overall-feedback", "un-bug-bounty"]
    kfqa = first["systems"]["kfqa"]
    assert set(kfqa["by_category"]) == {"docs", "review", "unanswerable"}
    assert kfqa["overall"]["n"] == 3
    for name in ("llamaindex-default", "docs-agent-style", "bm25", "dense"):
        overall = first["systems"][name]["overall"]
        assert overall["key_fact_recall"] is None and overall["faithfulness"] is None
        assert overall["recall@10"] is not None and overall["latency_p50_ms"] is not None
        detail = first["questions"][0]["systems"][name]
        assert all("/" in s and not s.startswith("/") for s in detail["retrieved_sources"])  # corpus-relative
    # the small docs file is in a single 1024-token chunk: the default baseline must find it
    assert first["systems"]["llamaindex-default"]["by_category"]["docs"]["recall@10"] == 1.0
    md = (tmp_path / "one" / "report.md").read_text(encoding="utf-8")
    assert "## Worst questions" in md and "| recall@5 |" in md
    assert (tmp_path / "one" / "report.png").stat().st_size > 10_000


def test_cli_json_prints_only_the_report(tiny, tmp_path, monkeypatch):
    settings, questions = tiny
    _clean_env(monkeypatch, tmp_path / "cache")
    report = _cli_eval(["--store", str(settings.store_dir), "--questions", str(questions), "--out", str(tmp_path / "o")])
    assert set(report) >= {"systems", "questions", "config", "corpus"}
    assert list(report["systems"]) == ["kfqa"]
    assert json.loads((tmp_path / "o" / "report.json").read_text()) == report


def test_missing_question_file_is_a_clean_error(tiny, tmp_path, monkeypatch):
    from kfqa.cli import app

    settings, _ = tiny
    _clean_env(monkeypatch)
    result = CliRunner().invoke(
        app, ["eval", "--store", str(settings.store_dir), "--questions", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "No question file" in result.stderr


def test_folds_and_ablation_on_the_tiny_set(tiny, tmp_path, monkeypatch):
    from rich.console import Console

    from kfqa.eval import run_eval
    from kfqa.eval.folds import GRID, fold_of

    settings, questions = tiny
    _clean_env(monkeypatch, tmp_path / "cache")
    quiet = Console(file=io.StringIO(), width=200)
    report = run_eval(settings, questions=questions, k=10, out=None, console=quiet, ablate="merge,facets", folds=2)
    assert report["config"]["ablated_stages"] == ["merge", "facets"]
    assert report["config"]["qa_config"]["disabled"] == ["facets", "merge"]
    cv = report["cross_validation"]
    assert cv["folds"] == 2 and len(cv["chosen_per_fold"]) == 2
    assert cv["configs_tried"] == len(list(itertools.product(*GRID.values())))
    for chosen in cv["chosen_per_fold"]:
        assert set(chosen) == set(GRID) and all(chosen[name] in GRID[name] for name in GRID)
    assert cv["cross_validated"]["n"] == cv["in_sample"]["n"] == 3
    declines = cv["declines_cross_validated"]
    assert declines["unanswerable"] == 1 and declines["answerable"] == 2
    # folds are fixed by the id alone: the same id, the same fold, whatever else is in the set
    assert [fold_of(q, 5) for q in ("a", "b", "auto-profile-creation")] == [fold_of(q, 5) for q in ("a", "b", "auto-profile-creation")]
    assert len({fold_of(f"q{i}", 5) for i in range(50)}) == 5


def test_unknown_stage_is_a_clean_error(tiny, tmp_path, monkeypatch):
    from kfqa.cli import app

    settings, questions = tiny
    _clean_env(monkeypatch)
    result = CliRunner().invoke(app, ["eval", "--store", str(settings.store_dir), "--questions", str(questions),
                                      "--out", str(tmp_path), "--ablate", "merge,warp-drive"])
    assert result.exit_code == 1
    assert "Unknown stage 'warp-drive'" in result.stderr and "document-prior" in result.stderr
