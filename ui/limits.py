"""Abuse controls for the UI: who a caller is, sliding-window rate limits, failed-login throttling.

A caller is identified by its network address (and its user name under ``--auth``), never by
Gradio's ``session_hash``: a script can mint a fresh session per call, but not a fresh address.
``X-Forwarded-For`` is not trusted (any client can set it); behind a reverse proxy every caller
shares the proxy's address, so there the per-user key under ``--auth`` is what separates people.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ASK_LIMIT = 20  # questions per window per caller (UI and /ask together)
ASK_WINDOW_S = 60.0
FEEDBACK_LIMIT = 10  # ratings per window per caller
FEEDBACK_WINDOW_S = 60.0
LOGIN_FAILURES = 5  # failed sign-ins per window per address before /login refuses everything
LOGIN_WINDOW_S = 300.0
_FORGET_AFTER = 10_000  # keys tracked before idle ones are dropped


@dataclass(frozen=True)
class Caller:
    """Who is asking: the peer address and, under --auth, the signed-in user."""

    address: str
    user: str = ""

    @classmethod
    def of(cls, request: Any) -> Caller:
        """From a ``gr.Request`` (None when a handler is called directly, e.g. in tests)."""
        if request is None:
            return cls("local")
        client = getattr(request, "client", None)
        address = getattr(client, "host", None) or "unknown"
        return cls(address, getattr(request, "username", None) or "")

    def keys(self) -> list[str]:
        """Every bucket this caller draws from: its address, and its user when signed in."""
        keys = [f"addr:{self.address}"]
        if self.user:
            keys.append(f"user:{self.user}")
        return keys

    def label(self) -> str:
        return f"{self.user}@{self.address}" if self.user else self.address


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window, thread-safe)."""

    def __init__(self, limit: int = ASK_LIMIT, window: float = ASK_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._events.setdefault(key, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        return q

    def allow(self, keys: str | Sequence[str]) -> tuple[bool, float]:
        """(allowed, seconds until a slot frees up). An event counts against every key or none."""
        keys = [keys] if isinstance(keys, str) else list(keys)
        now = self.clock()
        with self._lock:
            queues = [self._recent(k, now) for k in keys]
            full = [q for q in queues if len(q) >= self.limit]
            if full:
                return False, max(max(0.0, self.window - (now - q[0])) for q in full)
            for q in queues:
                q.append(now)
            self._forget_idle(now)
            return True, 0.0

    def record(self, key: str) -> None:
        """Count an event without asking (a failed login is counted after the fact)."""
        now = self.clock()
        with self._lock:
            self._recent(key, now).append(now)
            self._forget_idle(now)

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may now), without counting anything."""
        now = self.clock()
        with self._lock:
            q = self._recent(key, now)
            return max(0.0, self.window - (now - q[0])) if len(q) >= self.limit else 0.0

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        if len(self._events) > _FORGET_AFTER:
            for k in [k for k, v in self._events.items() if not v or now - v[-1] >= self.window]:
                del self._events[k]


def wait_text(wait_s: float) -> str:
    return f"Try again in {max(1, round(wait_s))} s."


class LoginThrottle:
    """ASGI middleware in front of Gradio's ``POST /login``: after ``failures.limit`` failed sign-ins
    from one address within the window, every attempt from it (right password or not) gets HTTP 429
    until the window frees up. Gradio's auth callable receives no request, so the address is read here.
    """

    def __init__(self, app: Any, failures: RateLimiter):
        self.app = app
        self.failures = failures

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or not _is_login(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        key = "login:" + ((scope.get("client") or ("unknown", 0))[0] or "unknown")
        wait = self.failures.blocked_for(key)
        if wait:
            await _send_json(send, 429, {"detail": f"Too many failed sign-ins from this address. {wait_text(wait)}"})
            return
        status: list[int] = []

        async def watch(message: dict) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 400:  # Gradio answers wrong credentials with 400
            self.failures.record(key)
        elif status and status[0] == 200:
            self.failures.reset(key)


def _is_login(path: str) -> bool:
    return path.rstrip("/").endswith("/login")


async def _send_json(send: Callable, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
