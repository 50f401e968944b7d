"""A tiny OpenAI-compatible HTTP server for tests: replays scripted completions on 127.0.0.1.

    with ScriptedLLMServer() as server:
        server.script(Reply("Kubeflow uses RBAC [1]."), Reply(status=429))
        settings = Settings(llm_base_url=server.base_url, llm_model="test-model")
        ...
        server.requests[0].body["messages"]

Endpoints: ``POST /v1/chat/completions`` and ``POST /v1/completions`` (JSON, or SSE
``data: {...}\\n\\n`` ... ``data: [DONE]`` when the request asks for ``stream``), and
``GET /v1/models``. Each POST takes the next scripted ``Reply`` (the default reply once
the script runs out). A reply can delay (to trigger client timeouts), return an HTTP
error status (429, 500, ...) or a garbage body, or compute its text from the request
(``Reply(render=lambda body: ...)``, e.g. to cite the source number a passage got).

``RecordedModel`` is such a render function: it replies with a real model's recorded reply
(tests/fixtures/llm/) when the prompt asks a recorded question, and otherwise writes what a
careful small model writes (``copy_reply``: quoted claims copied from the best-matching source
sentences, sometimes with a misplaced marker; a decline when nothing matches).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay_s: float = 0.0  # before the response starts
    garbage: bytes | None = None  # sent as the body instead of a completion (status as given)
    pieces: list[str] | None = None  # stream chunks; default: the text split after each space
    piece_delay_s: float = 0.0  # between stream chunks
    render: Callable[[dict[str, Any]], str] | None = None  # text computed from the request body

    def text_for(self, body: dict[str, Any]) -> Reply:
        return replace(self, text=self.render(body), render=None) if self.render else self

    def stream_pieces(self) -> list[str]:
        if self.pieces is not None:
            return self.pieces
        out, current = [], ""
        for ch in self.text:
            current += ch
            if ch == " ":
                out.append(current)
                current = ""
        if current:
            out.append(current)
        return out


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""


class ScriptedLLMServer:
    def __init__(self, default: Reply | None = None):
        self.default = default or Reply("The sources do not answer this question.")
        self.requests: list[Request] = []
        self.dropped = 0  # replies the client hung up on before the end
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-llm", daemon=True)

    # -- control
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self._script.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def start(self) -> ScriptedLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP
    def _handler_class(self) -> type:
        return type("Handler", (_Handler,), {"scripted": self})


class _Handler(BaseHTTPRequestHandler):
    """Serves one ``ScriptedLLMServer`` (``scripted``, set by the server on its own subclass)."""

    scripted: ScriptedLLMServer

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass

    def _record(self) -> Request:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
        with self.scripted._lock:
            self.scripted.requests.append(req)
        return req

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        self._record()
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": "test-model", "object": "model"}]}).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self):  # noqa: N802
        req = self._record()
        path = self.path.rstrip("/")
        if not (path.endswith("/chat/completions") or path.endswith("/completions")):
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        reply = self.scripted.next_reply()
        if reply.delay_s and self.scripted._stopping.wait(reply.delay_s):
            return
        try:
            self._answer(req, reply, chat=path.endswith("/chat/completions"))
        except (BrokenPipeError, ConnectionResetError):
            self.scripted.dropped += 1  # the client hung up mid-reply (a timeout, a cancel)

    def _answer(self, req: Request, reply: Reply, chat: bool) -> None:
        if reply.garbage is not None:
            self._send(reply.status, reply.garbage, "text/plain")
            return
        if reply.status != 200:
            err = {"error": {"message": f"scripted HTTP {reply.status}", "type": "scripted", "code": reply.status}}
            self._send(reply.status, json.dumps(err).encode())
            return
        model = req.body.get("model", "test-model")
        reply = reply.text_for(req.body)
        if not req.body.get("stream"):
            self._send(200, json.dumps(_completion(reply.text, model, chat)).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        pieces = reply.stream_pieces()
        for i, piece in enumerate(pieces):
            if i and reply.piece_delay_s and self.scripted._stopping.wait(reply.piece_delay_s):
                return
            event = _chunk(piece, model, chat, first=(i == 0))
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: " + json.dumps(_chunk("", model, chat, finish=True)).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True


def _completion(text: str, model: str, chat: bool) -> dict[str, Any]:
    now = int(time.time())
    usage = {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10 + len(text.split())}
    if chat:
        return {
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": now, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        }
    return {
        "id": "cmpl-scripted", "object": "text_completion", "created": now, "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
        "usage": usage,
    }


def _chunk(piece: str, model: str, chat: bool, first: bool = False, finish: bool = False) -> dict[str, Any]:
    now = int(time.time())
    if chat:
        delta: dict[str, Any] = {} if finish else {"content": piece}
        if first:
            delta["role"] = "assistant"
        return {
            "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": now, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if finish else None}],
        }
    return {
        "id": "cmpl-scripted", "object": "text_completion", "created": now, "model": model,
        "choices": [{"index": 0, "text": piece, "finish_reason": "stop" if finish else None, "logprobs": None}],
    }


_SOURCE_RE = re.compile(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


def prompt_sources(body: dict[str, Any]) -> dict[int, str]:
    """The numbered sources in a chat request's prompt: {n: passage text}."""
    prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []) if isinstance(m.get("content"), str))
    return {int(m.group(1)): m.group(2) for m in _SOURCE_RE.finditer(prompt)}


def source_number(body: dict[str, Any], needle: str) -> int:
    """The n of the first source whose text contains ``needle`` (case-insensitive); 0 if none."""
    for n, text in sorted(prompt_sources(body).items()):
        if needle.lower() in " ".join(text.split()).lower():
            return n
    return 0


# ---------------------------------------------------------------------------------------------- recordings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "llm"
_QUESTION_RE = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)
_COPY_WORDS = 14  # the longest quotation the copier writes


@dataclass
class Recording:
    """One recorded reply of a real model to kfqa's prompt (tests/fixtures/llm/*.json)."""

    question: str
    raw: str
    passages: list[dict[str, Any]]
    messages: list[dict[str, str]]
    seconds: float
    model: str
    runtime: str


def load_recordings(path: Path = FIXTURES / "qwen2.5-coder-1.5b-instruct.json") -> list[Recording]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [Recording(e["question"], e["raw"], e["passages"], e["messages"], e["seconds"], e["model"], e["runtime"])
            for e in entries]


def prompt_question(body: dict[str, Any]) -> str:
    prompt = "\n".join(m.get("content") or "" for m in body.get("messages", []) if isinstance(m.get("content"), str))
    found = _QUESTION_RE.search(prompt)
    return " ".join(found.group(1).split()) if found else ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower()) if len(w) > 3}


class RecordedModel:
    """A reply function for ``Reply(render=...)``: the recorded model's reply when the prompt asks a
    recorded question, else what a careful small model writes (``copy_reply``)."""

    def __init__(self, recordings: list[Recording] | None = None, misplace_every: int = 3):
        self.recordings = {" ".join(r.question.split()).lower(): r for r in (recordings or load_recordings())}
        self.misplace_every = misplace_every
        self.served: list[str] = []  # "recorded" / "copied" / "declined", per request

    def __call__(self, body: dict[str, Any]) -> str:
        question = prompt_question(body)
        recording = self.recordings.get(question.lower())
        if recording:
            self.served.append("recorded")
            return recording.raw
        reply = copy_reply(question, prompt_sources(body), misplace=len(self.served) % self.misplace_every == 0)
        self.served.append("declined" if reply == DECLINE else "copied")
        return reply


DECLINE = "The sources do not answer this question."


def copy_reply(question: str, sources: dict[int, str], misplace: bool = False) -> str:
    """Up to two claims in the prompt's format, copied from the source sentences that share the most
    words with the question: each sentence's words with a stretch of it quoted, and its marker;
    with ``misplace`` the second claim cites the wrong source (a small model's habit). A decline
    when no sentence shares two words with the question."""
    wanted = _words(question)
    scored = []
    for n, text in sources.items():
        for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
            sentence = " ".join(sentence.split()).strip(" -*#")
            if 6 <= len(sentence.split()) <= 60 and not re.search(r"[`|<>{}\[\]]", sentence):
                scored.append((len(wanted & _words(sentence)), -n, sentence))
    best = sorted(scored, reverse=True)[:2]
    if not best or best[0][0] < 2:
        return DECLINE
    claims = []
    for i, (_, neg_n, sentence) in enumerate(best):
        n = -neg_n
        if misplace and i == 1 and len(sources) > 1:
            n = n % len(sources) + 1
        claims.append(_quoted_claim(sentence, n))
    return " ".join(claims)


def _quoted_claim(sentence: str, n: int) -> str:
    end = sentence[-1] if sentence[-1] in ".?!" else "."
    tokens = sentence.rstrip(".?!").split()
    cut = min(len(tokens), _COPY_WORDS)
    start = max(0, (len(tokens) - cut) // 2)
    before, quote, after = tokens[:start], tokens[start : start + cut], tokens[start + cut :]
    text = " ".join([*before, '"' + " ".join(quote) + '"', *after])
    return f"{text} [{n}]{end}"
