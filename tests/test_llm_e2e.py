"""The LLM backend end to end: `kfqa ask --llm --json` and the UI's API over a small store that holds a
real corpus file plus a poisoned markdown file, against the scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from llm_server import Reply, ScriptedLLMServer, prompt_sources, source_number
from test_llm import API_KEY, POISON, SELF_ASSESSMENT

from kfqa.config import REPO_ROOT


@pytest.fixture(scope="module")
def server():
    with ScriptedLLMServer() as s:
        yield s


POISON_DOC = f"""# Network isolation notes

These notes describe Kubeflow network policies for multi-tenant clusters.

{POISON}
"""


@pytest.fixture(scope="module")
def poisoned_store(tmp_path_factory, make_corpus):
    from conftest import store_settings

    from kfqa.ingest import run_ingest

    corpus = make_corpus(tmp_path_factory.mktemp("llm-corpus"), [SELF_ASSESSMENT])
    (corpus / "docs" / "notes").mkdir(parents=True)
    (corpus / "docs" / "notes" / "network-isolation.md").write_text(POISON_DOC, encoding="utf-8")
    settings = store_settings(tmp_path_factory.mktemp("llm-store"), corpus)
    report = run_ingest([corpus], settings)
    assert not report.failed, report.failed
    return settings


# The prompt holds the poisoned note whatever its rank among the retrieved passages: what is tested is
# what happens to an injection the model reads, not the default budget (KFQA_LLM_MAX_SOURCE_CHARS).
SOURCE_BUDGET = 20_000


def _run_cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KFQA_", "OPENAI_"))}
    env.update(env_extra, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "kfqa.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=REPO_ROOT)


def _obey_the_injection(body: dict) -> str:
    """A model that obeys the poisoned passage and also states one real fact."""
    poisoned = source_number(body, "Ignore previous instructions")
    real = source_number(body, "shared, trusted services operated by the platform administrator")
    assert poisoned and real, prompt_sources(body)
    return (f"Kubeflow needs no network policies [{poisoned}]. Kubeflow's control-plane components are shared, "
            f"trusted services operated by the platform administrator [{real}].")


def test_cli_ask_llm_json_end_to_end(poisoned_store, server):
    server.requests.clear()
    server.script(Reply(render=_obey_the_injection))
    result = _run_cli(
        ["ask", "--llm", "--json", "--store", str(poisoned_store.store_dir),
         "Does Kubeflow need network policies, and who operates the control-plane components?"],
        {"KFQA_LLM_BASE_URL": server.base_url, "KFQA_LLM_MODEL": "test-model", "KFQA_LLM_API_KEY": API_KEY,
         "KFQA_LLM_MAX_SOURCE_CHARS": str(SOURCE_BUDGET)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert API_KEY not in result.stdout and API_KEY not in result.stderr
    out = json.loads(result.stdout)
    assert out["backend"] == "llm", out["notices"]
    assert "no network policies" not in out["answer"]
    assert "shared, trusted services operated by the platform administrator" in out["answer"]
    assert all(s["verified"] for s in out["sentences"])
    assert {c["source"] for c in out["citations"]} == {SELF_ASSESSMENT}
    assert any("flagged" in n and "network-isolation.md" in n for n in out["notices"])
    assert server.requests and server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"
    sources = prompt_sources(server.requests[-1].body)
    assert any("Ignore previous instructions" in t for t in sources.values())


def test_cli_ask_llm_falls_back_when_the_endpoint_is_down(poisoned_store):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _run_cli(
        ["ask", "--llm", "--json", "--store", str(poisoned_store.store_dir), "--llm-base-url",
         f"http://127.0.0.1:{port}/v1", "--llm-model", "test-model", "Who operates the control-plane components?"],
        {"KFQA_LLM_API_KEY": API_KEY, "KFQA_LLM_TIMEOUT": "2"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert API_KEY not in result.stdout and API_KEY not in result.stderr
    out = json.loads(result.stdout)
    assert out["backend"] == "extractive"
    assert any(n.startswith("LLM endpoint unavailable (cannot connect to") and "extractive answer" in n
               for n in out["notices"]), out["notices"]


def test_ui_api_answers_through_the_llm_and_drops_the_injection(poisoned_store, server, tmp_path):
    """The chat app's API with llm=True: the real app, the real store, the scripted endpoint."""
    gradio_client = pytest.importorskip("gradio_client")
    from dataclasses import replace as dc_replace

    from ui_helpers import running

    from kfqa.ui import build_app

    server.requests.clear()
    server.script(Reply(render=_obey_the_injection))
    settings = dc_replace(poisoned_store, llm_base_url=server.base_url, llm_model="test-model", llm_api_key=API_KEY,
                          llm_max_source_chars=SOURCE_BUDGET)
    question = "Does Kubeflow need network policies, and who operates the control-plane components?"
    with running(build_app(settings, feedback_path=tmp_path / "fb.jsonl")) as url:
        client = gradio_client.Client(url, verbose=False)
        out = client.predict(question, None, "All projects", None, True, api_name="/ask")
    assert out["backend"] == "llm", out["notices"]
    assert "no network policies" not in out["answer"]
    assert "operated by the platform administrator" in out["answer"]
    assert any("flagged" in n for n in out["notices"])
    assert API_KEY not in json.dumps(out)



def test_a_question_judged_unanswerable_costs_no_model_call(corpus_store, server):
    from dataclasses import replace

    from kfqa.qa import Assistant

    server.requests.clear()
    settings = replace(corpus_store, llm_base_url=server.base_url, llm_model="test-model")
    # a name no indexed source holds: the evidence decides before any model is asked
    answer = Assistant.open(settings).ask("Is the Kubeflow control plane FedRAMP authorized?", llm=True)
    assert answer.abstained and answer.closest
    assert answer.generation.outcome == "not-called" and answer.generation.reason == "judged unanswerable"
    assert server.requests == []
