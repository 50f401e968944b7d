"""LLM answers against what a real small model writes.

The scripted server replays the recorded replies of Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, llama.cpp
server, CPU) from tests/fixtures/llm/, over the very passages the model saw; the other cases are
written in the same style over the same passages: a paraphrase around a correct quotation, a
misplaced marker, a quotation with a typo, a fabricated number, name or negation, a reply in the
wrong format. Then the timeouts, fail fast and secrets in the live stream.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from llm_server import RecordedModel, Reply, ScriptedLLMServer, copy_reply, load_recordings, prompt_sources

from kfqa.config import Settings
from kfqa.qa.llm import LLMError, answer_with_llm, stream_answer_with_llm
from kfqa.qa.llm_prompt import within_budget
from kfqa.text import is_supported, normalize
from kfqa.types import Answer, Chunk, ChunkMeta, Retrieved

RECORDINGS = {r.question: r for r in load_recordings()}
KATIB = RECORDINGS["Who runs the Katib controllers, and are they trusted?"]
OPERATOR = RECORDINGS["What does the Kubeflow self-assessment say the operator is responsible for?"]
TENANTS = RECORDINGS["How are tenants isolated from each other in Kubeflow?"]
BOUNTY = RECORDINGS["Does Kubeflow run a paid bug bounty program?"]
REVIEW = "reviews/cncf-toc-pr-2201.json"
SELF = "assessments/kubeflow/self-assessment.md"
API_KEY = "sk-kfqa-stream-5e1f0c2d9a7b-SECRET"


def passages_of(recording) -> list[Retrieved]:
    out = []
    for p in recording.passages:
        kind = p["source"].split("/")[0].rstrip("s")
        meta = ChunkMeta(source=p["source"], kind=kind, section=p["section"])
        out.append(Retrieved(Chunk(id=f"{p['source']}#{p['n']}", text=p["text"], meta=meta), score=1.0 / p["n"]))
    return out


@pytest.fixture(scope="module")
def server():
    with ScriptedLLMServer(default=Reply(render=RecordedModel())) as s:
        yield s


@pytest.fixture
def settings(server, tmp_path):
    server.requests.clear()
    # room for every recorded passage, so the prompt holds what the model saw
    return Settings(store_dir=tmp_path, llm_base_url=server.base_url, llm_model="qwen2.5-coder-1.5b-instruct",
                    llm_api_key=API_KEY, llm_first_token_timeout_s=10.0, llm_idle_timeout_s=5.0,
                    llm_max_source_chars=20_000)


def _sources_block(content: str) -> str:
    return content[content.index("<sources>") : content.index("</sources>")]


def _faithful(answer: Answer) -> None:
    """Every kept sentence passes the eval's faithfulness rule against the chunks it cites."""
    cited = {c.n: c.chunk.text for c in answer.citations}
    for s in answer.sentences:
        assert is_supported(s.text, [cited[n] for n in s.citations]), s.text


# ------------------------------------------------------------------------------------------ recorded replies


def test_recorded_prompt_is_rebuilt_from_the_recorded_passages(server, settings):
    for recording in (KATIB, TENANTS):
        answer_with_llm(recording.question, passages_of(recording), settings)
        sent = server.requests[-1].body["messages"][1]["content"]
        assert _sources_block(sent) == _sources_block(recording.messages[1]["content"])


def test_recorded_katib_answer_survives_re_pointed_to_the_review_thread(settings):
    answer = answer_with_llm(KATIB.question, passages_of(KATIB), settings)
    assert answer.backend == "llm" and not answer.abstained
    assert [c.chunk.meta.source for c in answer.citations] == [REVIEW]
    assert [s.citations for s in answer.sentences] == [[1], [1]]
    assert "trusted components" in answer.answer and "system namespace" in answer.answer
    assert any(n.startswith("Citation added: [1] (reviews/cncf-toc-pr-2201.json)") for n in answer.notices)
    assert any(n.startswith("Citation corrected: the model's [2] (docs/kubeflow/components/katib/reference/"
                            "architecture.md) → [1] (reviews/cncf-toc-pr-2201.json)") for n in answer.notices)
    assert answer.generation.sentences == 2 and answer.generation.kept == 2 and answer.generation.repaired == 2
    _faithful(answer)


def test_recorded_neighbouring_answer_keeps_its_correct_sentences(settings):
    answer = answer_with_llm(OPERATOR.question, passages_of(OPERATOR), settings)
    assert answer.generation.kept == answer.generation.sentences == 3
    assert {c.chunk.meta.section for c in answer.citations} == {"Overview > Actors > Kubeflow Spark Operator"}
    assert "the operator's (cluster administrator's) responsibility" in answer.answer
    _faithful(answer)


def test_recorded_tenant_answer_drops_the_sentence_no_passage_states(settings):
    answer = answer_with_llm(TENANTS.question, passages_of(TENANTS), settings)
    assert "submission runner" not in answer.answer
    assert any("do not support" in n and "submission runner" in n for n in answer.notices)
    assert answer.generation.sentences == 4 and answer.generation.kept == 3
    assert [c.chunk.text for c in answer.citations] == [TENANTS.passages[0]["text"]]
    assert "one tenant cannot read or control another tenant's resources" in answer.answer
    _faithful(answer)


def test_recorded_decline_is_an_abstention_with_the_closest_material(settings):
    answer = answer_with_llm(BOUNTY.question, passages_of(BOUNTY), settings)
    assert answer.abstained and answer.backend == "llm" and not answer.citations and not answer.sentences
    assert [r.chunk.meta.source for r in answer.closest] == [p["source"] for p in BOUNTY.passages[:3]]
    assert answer.generation.outcome == "declined"


def test_copier_answers_unrecorded_questions_in_the_prompt_format(server, settings):
    """What the scripted server writes for a question with no recording: quoted claims, kept, the
    misplaced marker re-pointed; a decline when nothing shares two words with the question."""
    passages = passages_of(TENANTS)
    sources = {i: p.chunk.text for i, p in enumerate(passages, start=1)}
    question = "Which tenants are isolated by namespaces and RBAC?"
    reply = copy_reply(question, sources, misplace=True)
    assert reply.count('"') == 4 and re.search(r"\[\d\]\.$", reply)
    model = RecordedModel(misplace_every=1)
    server.script(Reply(render=model))
    answer = answer_with_llm(question, passages, settings)
    assert model.served == ["copied"] and answer.generation.kept == answer.generation.sentences == 2
    assert answer.generation.repaired == 1 and any(n.startswith("Citation corrected") for n in answer.notices)
    _faithful(answer)
    assert copy_reply("What is the capital of France?", sources) == "The sources do not answer this question."


# ------------------------------------------------------------------------------------------ same style, written


def _ask(server, settings, reply: str, recording=KATIB) -> Answer:
    server.script(reply)
    return answer_with_llm(recording.question, passages_of(recording), settings)


def test_paraphrase_around_a_correct_quotation_survives(server, settings):
    answer = _ask(server, settings, 'Platform administrators run the Katib controllers and must '
                  '"harden them and ensure they are protected from compromise" [1].')
    assert answer.generation.kept == 1 and answer.sentences[0].citations == [1]
    assert answer.sentences[0].quote == "harden them and ensure they are protected from compromise"
    assert normalize(answer.sentences[0].quote) in normalize(answer.citations[0].quote)
    assert answer.notices == []


def test_misplaced_marker_on_a_quoted_claim_is_re_pointed(server, settings):
    answer = _ask(server, settings, 'The Katib controllers "are trusted components" [2].')
    assert [c.chunk.meta.source for c in answer.citations] == [REVIEW]
    assert any(n.startswith("Citation corrected: the model's [2]") and "→ [1] (reviews/" in n for n in answer.notices)


def test_quotation_with_a_typo_is_removed(server, settings):
    with pytest.raises(LLMError, match="no supported sentence") as err:
        _ask(server, settings, 'Administrators must "harden them and ensure they are protectd from compromise" [1].')
    assert err.value.code == "no-supported-sentence" and err.value.generation.sentences == 1
    answer = _ask(server, settings, 'The Katib controllers "are trusted components" [1]. Administrators must '
                  '"harden them and ensure they are protectd from compromise" [1].')
    assert answer.generation.sentences == 2 and answer.generation.kept == 1
    assert any("quotation is in none of the sources" in n and "protectd" in n for n in answer.notices)


@pytest.mark.parametrize(("sentence", "detail"), [
    ('The 3 Katib controllers "are trusted components" [1].', "number 3"),
    ('The Katib controllers "are trusted components" audited by Google [1].', "name google"),
    ('The Katib controllers are never "managed by the Katib controllers in the system namespace" [1].', "negation"),
    ('Katib encrypts payloads "in the system namespace" [1].', "words"),
    ("These are not trusted components [1].", "negation"),
])
def test_fabricated_number_name_negation_or_claim_is_removed(server, settings, sentence, detail):
    answer = _ask(server, settings, f'The Katib controllers "are trusted components" [1]. {sentence}')
    assert answer.generation.sentences == 2 and answer.generation.kept == 1
    assert any(n.startswith("Removed a sentence that adds what its source does not say") and detail in n
               for n in answer.notices), answer.notices
    assert answer.answer == 'The Katib controllers "are trusted components" [1].'


@pytest.mark.parametrize("reply", [
    '{"answer": "Kubeflow runs Katib controllers", "citations": ["source 2"]}',
    "| Component | Owner |\n|---|---|\n| Katib | admins |",
])
def test_reply_in_the_wrong_format_falls_back_with_its_reason(server, settings, reply):
    with pytest.raises(LLMError, match="no supported sentence") as err:
        _ask(server, settings, reply)
    assert err.value.generation.outcome == "fallback" and err.value.generation.kept == 0


def test_sources_are_cut_to_the_budget_best_ranked_first(server, settings):
    passages = passages_of(TENANTS)
    kept = within_budget(passages, 4000)
    assert kept[0] is passages[0] and sum(len(p.chunk.text) for p in kept) <= 4000
    assert kept == [p for p in passages if p in kept]  # rank order kept; too-large ones skipped
    server.script(TENANTS.raw)
    answer_with_llm(TENANTS.question, passages, replace(settings, llm_max_source_chars=4000))
    sent = prompt_sources(server.requests[-1].body)
    assert [normalize(t) for t in sent.values()] == [normalize(p.chunk.text) for p in kept]
    assert Settings().llm_max_source_chars == 6000


# ------------------------------------------------------------------------------------------ time and streams


def test_slow_prefill_then_steady_tokens_has_no_total_timeout(server, settings):
    fast = replace(settings, llm_first_token_timeout_s=3.0, llm_idle_timeout_s=0.5)
    server.script(Reply(KATIB.raw, delay_s=1.0, piece_delay_s=0.1))  # ~4 s in all, every gap < 0.5 s
    started = time.monotonic()
    answer = answer_with_llm(KATIB.question, passages_of(KATIB), fast)
    assert time.monotonic() - started > 3.0 and answer.generation.kept == 2


def test_a_stalled_stream_times_out_on_the_idle_wait(server, settings):
    fast = replace(settings, llm_first_token_timeout_s=3.0, llm_idle_timeout_s=0.5)
    server.script(Reply(KATIB.raw, pieces=["The Katib controllers ", "are managed ", "by the Katib"], piece_delay_s=2.0))
    with pytest.raises(LLMError, match=r"timed out after 0.5s between tokens") as err:
        answer_with_llm(KATIB.question, passages_of(KATIB), fast)
    assert err.value.code == "timeout"


def test_first_sentences_failing_stop_the_stream(server, settings):
    server.dropped = 0
    bad = "Katib was written in Fortran in 1962 [1]. It runs on mainframes operated by NASA [2]. "
    server.script(Reply(bad + KATIB.raw * 3, piece_delay_s=0.05))
    started = time.monotonic()
    with pytest.raises(LLMError, match="first 2 sentences are not supported") as err:
        list(stream_answer_with_llm(KATIB.question, passages_of(KATIB), settings))
    assert err.value.code == "first-sentences-failed"
    assert time.monotonic() - started < 0.05 * len((bad + KATIB.raw * 3).split()) / 2  # well before the end
    deadline = time.monotonic() + 15  # generous on a loaded machine; the loop ends as soon as it sees the drop
    while not server.dropped and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.dropped == 1  # the connection was dropped: the endpoint stops writing too


def test_api_key_echoed_by_the_endpoint_never_reaches_the_stream(server, settings):
    echo = f"The Katib controllers are trusted components [1]. Authorization: Bearer {API_KEY} and {API_KEY}"
    pieces = [echo[i : i + 5] for i in range(0, len(echo), 5)] + [f" {API_KEY[:12]}"]  # ends on a cut key
    server.script(Reply(echo, pieces=pieces))
    seen = list(stream_answer_with_llm(KATIB.question, passages_of(KATIB), settings))
    streamed = "".join(p for p in seen if isinstance(p, str))
    assert "[redacted]" in streamed
    for i in range(len(API_KEY) - 7):
        assert API_KEY[i : i + 8] not in streamed  # not even a piece of it
    assert API_KEY not in seen[-1].answer and API_KEY not in str(seen[-1].notices)


def test_survival_counts_kept_sentences_and_fallbacks_by_reason(server, settings):
    from kfqa.eval.survival import survival
    from kfqa.types import Generation

    impatient = replace(settings, llm_first_token_timeout_s=0.5)
    outcomes = [answer_with_llm(KATIB.question, passages_of(KATIB), settings).generation,  # 2 of 2 kept
                answer_with_llm(BOUNTY.question, passages_of(BOUNTY), settings).generation]  # declined
    for reply, chosen in [(Reply(status=503), settings), (Reply(KATIB.raw, delay_s=2), impatient),
                          (Reply("Katib was written in 1962 [1]. NASA runs it [2]. More."), settings)]:
        server.script(reply)
        with pytest.raises(LLMError) as err:
            answer_with_llm(KATIB.question, passages_of(KATIB), chosen)
        outcomes.append(err.value.generation)
    outcomes.append(Generation(outcome="not-called", reason="judged unanswerable"))
    summary = survival(outcomes)
    assert summary["fallbacks"] == {"endpoint": 1, "timeout": 1, "first-sentences-failed": 1}
    assert summary["model_called"] == 5 and summary["not_called"] == {"judged unanswerable": 1}
    assert (summary["answered"], summary["declined"]) == (1, 1)
    assert summary["sentences_written"] == 4 and summary["sentences_kept"] == 2 and summary["kept_share"] == 0.5


def test_bad_timeout_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv("KFQA_LLM_IDLE_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="KFQA_LLM_IDLE_TIMEOUT must be a positive number of seconds, not 'soon'"):
        Settings()
    monkeypatch.setenv("KFQA_LLM_IDLE_TIMEOUT", "12")
    monkeypatch.setenv("KFQA_LLM_TIMEOUT", "90")  # the old name still sets the first-token wait
    assert (Settings().llm_idle_timeout_s, Settings().llm_first_token_timeout_s) == (12.0, 90.0)


def test_leaving_the_stream_cancels_the_request(server, settings):
    """What the UI's cancel does: the generator is closed after the first pieces."""
    server.dropped = 0
    server.script(Reply(KATIB.raw * 4, piece_delay_s=0.05))
    stream = stream_answer_with_llm(KATIB.question, passages_of(KATIB), settings)
    assert isinstance(next(stream), str)
    stream.close()
    deadline = time.monotonic() + 15  # generous on a loaded machine; the loop ends as soon as it sees the drop
    while not server.dropped and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.dropped == 1
