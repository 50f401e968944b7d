"""Abuse controls of the UI, against the running app: limits per address (not per Gradio session),
the same limits on /ask and on the page's own handlers, rated and capped feedback, throttled
sign-ins, internal handlers off the public API, and no API key in anything streamed to the page."""

from __future__ import annotations

import json
import uuid

import pytest

pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")
httpx = pytest.importorskip("httpx")

from llm_server import Reply, ScriptedLLMServer  # noqa: E402
from ui_helpers import FakeAssistant, app_config, handler_index, queue_call, running, tiny_store  # noqa: E402

from kfqa.config import KINDS, Settings  # noqa: E402
from kfqa.ui import build_app  # noqa: E402
from kfqa.ui.controller import ChatController, Limits, make_filters  # noqa: E402
from kfqa.ui.limits import Caller, RateLimiter  # noqa: E402

API_KEY = "sk-kfqa-test-0123456789abcdefXYZ"


def _settings(tmp_path, **kw) -> Settings:
    return Settings(store_dir=tmp_path / "s", chroma_host=None, llm_base_url=None, **kw)


def _ask_args(question: str, use_llm: bool = False) -> list:
    """The page's inputs to the ask handler: question, chat, turns (server state), kinds, project, superseded, llm."""
    return [question, [], None, list(KINDS), "All projects", False, use_llm]


def _banner(state: list) -> str:
    return state[3] if isinstance(state[3], str) else ""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Settings:
    return tiny_store(tmp_path_factory.mktemp("ui-store"))


def test_api_rate_limit_per_address_not_per_session(tmp_path):
    fake = FakeAssistant(delay=0)
    with running(build_app(_settings(tmp_path), assistant=fake, rate_limit=3)) as url:
        for _ in range(3):  # a fresh client, hence a fresh session_hash, for every call
            assert gradio_client.Client(url, verbose=False).predict("q?", [], None, None, api_name="/ask")["citations"]
        with pytest.raises(Exception, match="Too many questions"):
            gradio_client.Client(url, verbose=False).predict("q?", [], None, None, api_name="/ask")
        assert len(fake.calls) == 3


def test_page_handler_shares_the_limits_of_ask(tmp_path):
    fake = FakeAssistant(delay=0)
    with running(build_app(_settings(tmp_path), assistant=fake, rate_limit=2)) as url:
        ask = handler_index(app_config(url), "kfqa-ask", "click")
        for _ in range(2):  # posted straight to the queue, each with a new session
            states = queue_call(url, ask, _ask_args("What is the blast radius?"), uuid.uuid4().hex)
            assert "kfqa-src-1-1" in json.dumps(states[-1])
        refused = queue_call(url, ask, _ask_args("What is the blast radius?"), uuid.uuid4().hex)
        assert "Too many questions" in _banner(refused[-1])
        with pytest.raises(Exception, match="Too many questions"):  # one quota for page and API
            gradio_client.Client(url, verbose=False).predict("q?", [], None, None, api_name="/ask")
        too_long = queue_call(url, ask, _ask_args("why " * 600), uuid.uuid4().hex)
        assert "the limit is 2,000" in _banner(too_long[-1])
        assert len(fake.calls) == 2


def test_only_ask_is_callable_through_the_client(tmp_path):
    with running(build_app(_settings(tmp_path), assistant=FakeAssistant(delay=0))) as url:
        client = gradio_client.Client(url, verbose=False)
        api = client.view_api(print_info=False, return_format="dict")
        assert set(api["named_endpoints"]) == {"/ask"} and not api["unnamed_endpoints"]
        config = app_config(url)
        internal = [d["id"] for d in config["dependencies"] if d.get("api_name") != "ask"]
        assert len(internal) >= 4  # ask (submit, click), rate, clear, examples
        for fn_index in internal:
            with pytest.raises(ValueError, match="Invalid function index"):
                client.predict("q?", fn_index=fn_index)
        for name in ("/respond", "/rate", "/clear", "/load_example"):
            with pytest.raises(ValueError):
                client.predict("q?", api_name=name)


def test_feedback_is_rate_limited_and_the_file_capped(tmp_path):
    feedback = tmp_path / "fb.jsonl"
    app = build_app(_settings(tmp_path), assistant=FakeAssistant(delay=0), feedback_path=feedback, feedback_limit=3)
    with running(app) as url:
        config = app_config(url)
        ask, like = handler_index(config, "kfqa-ask", "click"), handler_index(config, "kfqa-chat", "like")
        session = uuid.uuid4().hex
        queue_call(url, ask, _ask_args("What is the blast radius?"), session)
        banners = []
        for i in range(5):
            states = queue_call(url, like, [None, f"comment {i}"], session,
                                event_data={"index": 1, "value": ["x"], "liked": i % 2 == 0})
            banners.append(_banner(states[-1]))
        rows = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()]
        assert [r["rating"] for r in rows] == ["up", "down", "up"]
        assert rows[0]["comment"] == "comment 0" and rows[0]["session"] == "127.0.0.1"
        assert all("recorded" in b for b in banners[:3]) and all("Too many ratings" in b for b in banners[3:])

    # the cap: a rating that would take the file past it is refused, and the file is left as it was
    size = feedback.stat().st_size
    controller = ChatController(_settings(tmp_path), FakeAssistant(delay=0), feedback,
                                Limits(ratings=100, feedback_bytes=size + 100))
    turns = [view.turns for view in controller.respond("q?", [], [], make_filters(None, None, None), False,
                                                       Caller("10.0.0.9"))][-1]
    view = controller.rate(turns, 1, True, "over the cap", Caller("10.0.0.9"))
    assert "cap" in view.banner and str(feedback) in view.banner
    assert feedback.stat().st_size == size
    assert len(feedback.read_text(encoding="utf-8").splitlines()) == 3


def test_failed_logins_are_throttled_per_address(tmp_path):
    now = [0.0]
    app = build_app(_settings(tmp_path), assistant=FakeAssistant(delay=0), login_failures=3)
    app.login_failures = RateLimiter(3, 300, clock=lambda: now[0])  # the same limit on a clock the test moves
    with running(app, auth=("reviewer", "s3cret")) as url:
        def login(password: str) -> httpx.Response:
            return httpx.post(url + "login", data={"username": "reviewer", "password": password}, timeout=30)

        assert [login(f"guess{i}").status_code for i in range(3)] == [400, 400, 400]
        refused = login("s3cret")  # even the right password, while the address is throttled
        assert refused.status_code == 429 and "Too many failed sign-ins" in refused.json()["detail"]
        now[0] = 301.0
        assert login("s3cret").status_code == 200


def test_rate_limit_per_user_across_addresses(tmp_path):
    controller = ChatController(_settings(tmp_path), FakeAssistant(delay=0), tmp_path / "fb.jsonl", Limits(asks=2))
    filters = make_filters(None, None, None)
    assert controller.ask_api("q?", filters, False, Caller("10.0.0.1", "alice"))["citations"]
    assert controller.ask_api("q?", filters, False, Caller("10.0.0.2", "alice"))["citations"]
    with pytest.raises(Exception, match="Too many questions"):
        controller.ask_api("q?", filters, False, Caller("10.0.0.3", "alice"))
    assert controller.ask_api("q?", filters, False, Caller("10.0.0.3", "bob"))["citations"]


class _ChoppedReply(Reply):
    """Streams its text in 5-character pieces, so a key arrives split over several pieces."""

    def stream_pieces(self) -> list[str]:
        return [self.text[i : i + 5] for i in range(0, len(self.text), 5)]


def test_streamed_pieces_never_show_the_api_key(store, tmp_path):
    with ScriptedLLMServer() as server:
        def echo(body: dict) -> str:  # the endpoint echoes the Authorization header it received
            return f"The widget controller uses the key {server.requests[-1].headers.get('authorization')} here [1]."

        server.default = _ChoppedReply(render=echo)
        settings = Settings(store_dir=store.store_dir, chroma_host=None, chroma_port=None,
                            llm_base_url=server.base_url, llm_model="test-model", llm_api_key=API_KEY)
        with running(build_app(settings, feedback_path=tmp_path / "fb.jsonl")) as url:
            ask = handler_index(app_config(url), "kfqa-ask", "click")
            states = queue_call(url, ask, _ask_args("What can the widget controller service account do?", True),
                                uuid.uuid4().hex)
        assert any(r.headers.get("authorization") == f"Bearer {API_KEY}" for r in server.requests)
    shown = [json.dumps(state, ensure_ascii=False) for state in states]
    assert len(shown) > 5 and any("The widget controller uses the key" in s for s in shown)  # it did stream
    assert not any(API_KEY[:6] in s for s in shown)
