"""Where each chunk's vector comes from, cheapest first, and writing vectors to Chroma.

1. a row already in Chroma under the same id with the same embedded text (left by a killed run);
2. the file's previous version, a passage with the same embedded text (an edited file);
3. the shipped vectors of the bundled corpus (``ingest.shipped``), keyed by the embedded text;
4. the embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kfqa.ingest.chunking import embed_input
from kfqa.ingest.chunks import Pending
from kfqa.ingest.shipped import ShippedVectors
from kfqa.manifest import Manifest
from kfqa.model_files import EMBED_BATCH

UPSERT_BATCH = 256
GET_BATCH = 1000


def embed_texts(texts: list[str], on_batch=None) -> list[list[float]]:
    """Vectors for ``texts``, batched by word-piece count so padding stays small (``bulk_order``)."""
    from kfqa.embedding import bulk_order, embed_bulk

    if not texts:
        return []
    order = bulk_order(texts)
    out: list[list[float] | None] = [None] * len(texts)
    for b in range(0, len(order), EMBED_BATCH):
        idx = order[b : b + EMBED_BATCH]
        vecs = embed_bulk([texts[i] for i in idx])
        for i, v in zip(idx, vecs, strict=True):
            out[i] = v
        if on_batch:
            on_batch(len(idx))
    return out  # type: ignore[return-value]


def chroma_meta(meta: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A chunk's metadata as Chroma stores it: the typed fields, plus the loader's scalar extras."""
    out = dict(meta)
    for k, v in extra.items():
        if k not in out and isinstance(v, (str, int, float, bool)) and v != "":
            out[k] = v
    return out


def embedded_text(row: dict[str, Any]) -> str:
    """The text that was embedded for a chunks.jsonl row, from its stored prefix and text (checked
    against the row's ``embed_hash`` before use)."""
    return embed_input((row.get("extra") or {}).get("embed_prefix") or "", row["text"])


class ChromaRows:
    """The calls the ingest makes on the collection, batched."""

    def __init__(self, collection):
        self.collection = collection

    def existing(self, ids: list[str], include: list[str]) -> dict[str, dict[str, Any]]:
        """Rows of ``ids`` already in Chroma, by id (embeddings / metadatas / documents as asked)."""
        out: dict[str, dict[str, Any]] = {}
        for b in range(0, len(ids), GET_BATCH):
            got = self.collection.get(ids=ids[b : b + GET_BATCH], include=include)
            for k, cid in enumerate(got["ids"]):
                out[cid] = {key: got[key][k] for key in include if got.get(key) is not None}
        return out

    def delete(self, ids) -> None:
        ids = list(ids)
        for b in range(0, len(ids), UPSERT_BATCH * 4):
            self.collection.delete(ids=ids[b : b + UPSERT_BATCH * 4])

    def upsert(self, items: list[tuple[str, list[float], str, dict[str, Any]]]) -> None:
        """``items``: (id, vector, document, metadata)."""
        for b in range(0, len(items), UPSERT_BATCH):
            batch = items[b : b + UPSERT_BATCH]
            self.collection.upsert(
                ids=[i[0] for i in batch],
                embeddings=[i[1] for i in batch],
                documents=[i[2] for i in batch],
                metadatas=[i[3] for i in batch],
            )


@dataclass
class VectorPlan:
    """For each chunk id: its vector, or None when Chroma already holds it as is."""

    vectors: dict[str, list[float] | None] = field(default_factory=dict)
    todo_ids: list[str] = field(default_factory=list)
    todo_texts: list[str] = field(default_factory=list)
    reused: int = 0
    shipped: int = 0


class VectorSources:
    def __init__(self, rows: ChromaRows, shipped: ShippedVectors | None):
        self.rows, self.shipped = rows, shipped

    def plan(self, group: list[Pending], manifest: Manifest) -> VectorPlan:
        ids = [c.id for p in group for c in p.chunks]
        in_chroma = self.rows.existing(ids, ["metadatas"])
        previous = self._previous_versions(group, manifest)
        plan = VectorPlan()
        for p in group:
            for c, text, extra in zip(p.chunks, p.embed_texts, p.extras, strict=True):
                old = in_chroma.get(c.id, {}).get("metadatas") or {}
                if old.get("embed_hash") == extra["embed_hash"] and old.get("chunk_hash") == c.meta.chunk_hash:
                    plan.vectors[c.id] = None
                    plan.reused += 1
                    continue
                self.add(plan, c.id, text, extra["embed_hash"], previous)
        return plan

    def add(self, plan: VectorPlan, cid: str, text: str, embed_hash: str, previous: dict | None = None) -> None:
        """One chunk not in Chroma: a known vector for its text, else queued for embedding."""
        vector = (previous or {}).get(embed_hash)
        if vector is None and self.shipped is not None:
            vector = self.shipped.get(embed_hash)
            plan.shipped += vector is not None
        if vector is not None:
            plan.vectors[cid] = vector
            plan.reused += 1
        else:
            plan.todo_ids.append(cid)
            plan.todo_texts.append(text)

    def _previous_versions(self, group: list[Pending], manifest: Manifest) -> dict[str, list[float]]:
        """Vectors of the committed versions of the group's files, by the hash of their embedded text."""
        old_ids = [cid for p in group if p.source in manifest.files for cid in manifest.files[p.source].chunk_ids]
        by_hash: dict[str, list[float]] = {}
        for row in self.rows.existing(old_ids, ["metadatas", "embeddings"]).values():
            h = (row.get("metadatas") or {}).get("embed_hash")
            if h and row.get("embeddings") is not None:
                by_hash[h] = list(row["embeddings"])
        return by_hash

    def fill(self, plan: VectorPlan, progress=None) -> int:
        """Embeds what the plan queued; returns how many were embedded."""
        if progress is not None:
            progress.advance(len(plan.vectors))
        on_batch = progress.advance if progress is not None else None
        for cid, vec in zip(plan.todo_ids, embed_texts(plan.todo_texts, on_batch), strict=True):
            plan.vectors[cid] = vec
        return len(plan.todo_ids)
