"""A Chroma collection whose failures arrive as StoreError messages, not tracebacks.

A server that dies mid-ingest or mid-ask raises httpx / connection errors from deep inside
chromadb; an embedded store written by another process since this one opened it raises
"Error finding id". Both reach the user as a StoreError naming the store and the command that
fixes it; ``StaleStoreError`` marks the second so a reader can reopen and retry once.
"""

from __future__ import annotations

from typing import Any

from kfqa.types import StoreError

# the calls kfqa makes on a collection; anything else passes through unguarded
GUARDED = frozenset({"add", "upsert", "get", "query", "delete", "count", "modify", "peek"})


class StaleStoreError(StoreError):
    """The embedded Chroma data changed under this client (another process wrote it): reopen."""


class ChromaFailure:
    """Turns one chromadb / transport exception into the StoreError the user sees."""

    def __init__(self, location: str, hint: str):
        self.location, self.hint = location, hint

    def __call__(self, op: str, exc: Exception) -> StoreError:
        text = str(exc) or type(exc).__name__
        if "Error finding id" in text or "Error executing plan" in text:
            return StaleStoreError(
                f"The Chroma data at {self.location} changed under this reader ({text}). "
                "Open the store again (a new `kfqa ask`, or restart the UI)."
            )
        return StoreError(f"Chroma at {self.location} failed during {op} ({type(exc).__name__}: {text}). {self.hint}")


def is_chroma_failure(exc: Exception) -> bool:
    """Errors of Chroma or of the way to it, not bugs in the caller (those keep their traceback)."""
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("chromadb", "httpx", "httpcore")) or type(exc).__name__ in ("InternalError", "ChromaError")


class GuardedCollection:
    """Delegates to a chromadb Collection; its data calls raise StoreError on Chroma failures."""

    def __init__(self, collection: Any, store: Any):
        self._collection = collection
        self._failure = ChromaFailure(store.location, store.chroma_hint)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if name not in GUARDED or not callable(attr):
            return attr

        def guarded(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                if is_chroma_failure(exc):
                    raise self._failure(name, exc) from exc
                raise

        return guarded

    def __bool__(self) -> bool:  # llama-index tests `if not self._collection`
        return True
