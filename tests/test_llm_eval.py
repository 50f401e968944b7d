"""`kfqa eval --llm` against the scripted server serving a real model's recorded replies.

The question set is the shipped dev set plus the four recorded questions
(tests/fixtures/llm/questions.jsonl). For a recorded question the server returns what
Qwen2.5-Coder-1.5B-Instruct wrote; for any other it writes what a careful small model writes
(``llm_server.copy_reply``): up to two claims copied from the source sentences that share the
most words with the question, each with a quoted stretch and its marker, every third reply with
the second marker misplaced, and a decline when no sentence shares two words with the question.
"""

from __future__ import annotations

import json

import pytest
from llm_server import RecordedModel, Reply, ScriptedLLMServer
from typer.testing import CliRunner

from kfqa.config import DEV_QUESTIONS, REPO_ROOT

RECORDED_QUESTIONS = REPO_ROOT / "tests" / "fixtures" / "llm" / "questions.jsonl"


@pytest.fixture(scope="module")
def eval_report(corpus_store, tmp_path_factory):
    from kfqa.cli import app

    folder = tmp_path_factory.mktemp("llm-eval")
    questions = folder / "questions.jsonl"
    questions.write_text(DEV_QUESTIONS.read_text(encoding="utf-8") + RECORDED_QUESTIONS.read_text(encoding="utf-8"),
                         encoding="utf-8")
    model = RecordedModel()
    with ScriptedLLMServer(default=Reply(render=model)) as server:
        env = {"KFQA_LLM_BASE_URL": "", "KFQA_LLM_MODEL": "", "KFQA_LLM_API_KEY": "", "KFQA_CHROMA_HOST": "",
               "KFQA_CORPUS": str(corpus_store.corpus_dir)}
        result = CliRunner().invoke(app, ["eval", "--llm", "--llm-base-url", server.base_url, "--llm-model",
                                          "qwen2.5-coder-1.5b-instruct", "--json", "--store", str(corpus_store.store_dir),
                                          "--questions", str(questions), "--out", str(folder / "out")], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout), model, folder / "out"


def test_eval_llm_keeps_faithful_sentences_and_reports_survival(eval_report):
    report, model, out = eval_report
    llm = report["systems"]["kfqa-llm"]["overall"]
    survival = report["llm_survival"]["kfqa-llm"]
    print(json.dumps(survival, indent=1), {m: llm[m] for m in ("faithfulness", "key_fact_recall", "citation_precision",
                                                              "abstention_accuracy")})
    assert llm["n"] == 58
    assert llm["faithfulness"] >= 0.98
    assert survival["kept_share"] >= 0.70
    assert survival["sentences_written"] >= 40  # the model was asked, and wrote, for most questions
    assert survival["model_called"] + sum(survival["not_called"].values()) == 58
    assert set(survival["not_called"]) <= {"judged unanswerable"}
    assert all(isinstance(n, int) and n > 0 for n in survival["fallbacks"].values())
    assert model.served.count("recorded") >= 3  # the recorded replies were served (bar any judged unanswerable)
    assert "## LLM answers: what survived verification" in (out / "report.md").read_text(encoding="utf-8")


def test_eval_llm_recorded_questions_answer_from_their_passages(eval_report):
    report = eval_report[0]
    by_id = {q["id"]: q["systems"]["kfqa-llm"] for q in report["questions"]}
    katib = by_id["rec-katib-controllers-trust"]
    assert not katib["abstained"] and "reviews/cncf-toc-pr-2201.json" in katib["cited_sources"]
    assert all(s["supported"] for s in katib["sentences"])
    assert by_id["rec-bug-bounty"]["abstained"]
