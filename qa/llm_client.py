"""The call to an OpenAI-compatible endpoint: a token stream with two timeouts, secrets redacted.

``TokenStream`` reads the endpoint's streamed reply (llama-index ``OpenAILike``) in a worker
thread and hands text pieces to the caller, who waits at most ``llm_first_token_timeout_s``
for the first piece (a local model prefills the whole prompt first) and
``llm_idle_timeout_s`` between pieces. A client-side read timeout alone cannot do this: some
servers send keep-alive comments while they prefill. Every failure becomes ``LLMError`` with a
short, secret-free reason and a ``code`` for reports.

The API key (``Settings.llm_api_key``, env ``KFQA_LLM_API_KEY`` only) is sent in the
Authorization header and nowhere else; ``Redactor`` removes it (and any echoed bearer token)
from everything the endpoint sends back, streamed pieces included.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Iterator

from kfqa.config import Settings
from kfqa.text import safe_url
from kfqa.types import Generation, KfqaError

log = logging.getLogger("kfqa.llm")

MAX_TOKENS = 512
REDACTED = "[redacted]"
_BEARER_RE = re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


class LLMError(KfqaError):
    """The LLM backend gave no usable answer. The message is a short user-facing reason; ``code``
    names the kind of failure for reports; ``generation`` says what the model wrote before it."""

    def __init__(self, message: str, code: str = "endpoint", generation: Generation | None = None):
        super().__init__(message)
        self.code = code
        self.generation = generation or Generation(outcome="fallback", reason=code)
        self.generation.outcome, self.generation.reason = "fallback", code


class Redactor:
    """Removes the API key and bearer tokens from text the endpoint sent back."""

    def __init__(self, settings: Settings):
        key = settings.llm_api_key
        self.secrets = [key] if key and len(key) >= 4 else []

    @property
    def holdback(self) -> int:
        """Characters to hold back at the end of a stream: a secret may be only partly there yet."""
        return max((len(s) - 1 for s in self.secrets), default=0)

    def __call__(self, text: str, final: bool = False) -> str:
        """``text`` without secrets; ``final``: the stream ended, so a secret cut short at the very
        end is redacted too."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
            if final:
                cut = next((k for k in range(len(secret) - 1, 3, -1) if text.endswith(secret[:k])), 0)
                text = text[: len(text) - cut] + REDACTED if cut else text
        return _BEARER_RE.sub(rf"\1{REDACTED}", text)


def _backstop_s(settings: Settings) -> float:
    """The HTTP client's own timeout: only so that an abandoned worker thread ends at some point."""
    return max(settings.llm_first_token_timeout_s, settings.llm_idle_timeout_s) + 5


def make_llm(settings: Settings, http_client=None):
    """An ``OpenAILike`` client for the configured endpoint: chat API, no retries; ``http_client``: an
    ``httpx.Client`` of the caller's, which the caller may close to cancel a request."""
    from llama_index.llms.openai_like import OpenAILike

    if not settings.llm_base_url:
        raise LLMError("no LLM endpoint configured; set KFQA_LLM_BASE_URL or --llm-base-url", "not-configured")
    if not settings.llm_model:
        raise LLMError("no LLM model configured; set KFQA_LLM_MODEL or --llm-model", "not-configured")
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url.rstrip("/"),
        # Always explicit: never let the client pick up OPENAI_API_KEY and send it to another endpoint.
        api_key=settings.llm_api_key or "not-set",
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=8192,
        max_tokens=MAX_TOKENS,
        temperature=0.0,
        timeout=_backstop_s(settings),  # the caller enforces the first-token and idle waits
        max_retries=0,
        reuse_client=False,
        http_client=http_client,
    )


def failure(exc: BaseException, settings: Settings) -> LLMError:
    """A short, secret-free ``LLMError`` for ``exc``."""
    import httpx
    import openai

    url = safe_url(settings.llm_base_url or "", bare=True) or "<invalid url>"
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return LLMError("the endpoint timed out", "timeout")
    if isinstance(exc, openai.APIConnectionError | httpx.ConnectError):
        return LLMError(f"cannot connect to {url}")
    if isinstance(exc, openai.RateLimitError):
        return LLMError("rate-limited (HTTP 429)")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError(f"HTTP {exc.status_code}: check KFQA_LLM_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return LLMError(f"HTTP 404 at {url}: check the base URL (usually ending in /v1) and the model name")
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"HTTP {exc.status_code} from the endpoint")
    if isinstance(exc, httpx.TransportError):
        return LLMError(f"connection to {url} failed")
    if isinstance(exc, openai.APIResponseValidationError | ValueError | TypeError | AttributeError | KeyError | IndexError):
        return LLMError("garbage response from the endpoint", "garbage")
    return LLMError(f"unexpected error ({type(exc).__name__})")


class TokenStream:
    """The model's reply as text pieces; ``close()`` (or leaving ``pieces()`` early) cancels it."""

    def __init__(self, settings: Settings, messages: list):
        import httpx

        self.settings = settings
        # closing our own HTTP client is what stops a request mid-prefill (the worker is blocked in a read)
        self._http = httpx.Client(timeout=_backstop_s(settings))
        try:
            self._llm = make_llm(settings, http_client=self._http)
        except LLMError:
            self._http.close()
            raise
        self._messages = messages
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self._cancel = threading.Event()
        log.debug("LLM request: %s model=%s", safe_url(settings.llm_base_url or "", bare=True), settings.llm_model)
        self._worker = threading.Thread(target=self._read, name="kfqa-llm", daemon=True)
        self._worker.start()

    def _read(self) -> None:
        stream = None
        try:
            stream = self._llm.stream_chat(self._messages)
            for piece in stream:
                delta = piece.delta or ""
                if not isinstance(delta, str):
                    raise TypeError("non-text delta")
                self._queue.put(("piece", delta))
                if self._cancel.is_set():
                    break
            self._queue.put(("end", None))
        except Exception as exc:  # noqa: BLE001 - handed to the caller as a short reason
            self._queue.put(("error", exc))  # after close(): nobody reads it
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()

    def pieces(self) -> Iterator[str]:
        """Text pieces as the model writes them; raises ``LLMError`` on a failure or a timeout."""
        first, idle = self.settings.llm_first_token_timeout_s, self.settings.llm_idle_timeout_s
        started = False
        try:
            while True:
                try:
                    kind, value = self._queue.get(timeout=idle if started else first)
                except queue.Empty:
                    wait = f"{idle:g}s between tokens" if started else f"{first:g}s for the first token"
                    raise LLMError(f"timed out after {wait}", "timeout") from None
                if kind == "error":
                    error = failure(value, self.settings)  # type: ignore[arg-type]
                    log.info("LLM call failed: %s", error)
                    raise error from None
                if kind == "end":
                    return
                if value:
                    started = True
                    yield value  # type: ignore[misc]
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading and drop the connection, so that the endpoint stops generating too."""
        self._cancel.set()
        self._http.close()
