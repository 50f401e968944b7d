"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank (llama-index QueryFusionRetriever).

Both retrievers return the same canonical ``TextNode`` objects (one per committed chunk),
so the fusion de-duplicates them by hash, and only chunks the manifest commits are
ever returned.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from kfqa.config import HOME_PROJECT
from kfqa.embedding import get_embed_model
from kfqa.store import Store
from kfqa.text import bm25_text
from kfqa.types import Chunk, Filters, Retrieved
from qa.terms import GENERIC, TermStats, passage_words

# How deep each retriever looks before fusion: deeper than k so filters and de-duplication
# still leave k good chunks.
CANDIDATES = 40
# Multipliers on the fused score for chunks the question points at (see qa.query): a nudge of
# ~15-25 ranks at RRF scale, enough to lift the right kind of source, not to override relevance.
KIND_BOOST = 1.25
PROJECT_BOOST = 1.4
HOME_BOOST = 1.5
# Reviewers ask about the security documents first; the website docs are background.
KIND_PRIOR = {"assessment": 1.15, "review": 1.1, "audit": 1.1}
RERANK_FLOOR = 0.5  # a passage with none of the question's specific terms keeps a third of the score of one with all


@dataclass
class Preference:
    kinds: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # named in the question; else home_project wins
    home_project: str = HOME_PROJECT

    def weight(self, chunk: Chunk) -> float:
        m = chunk.meta
        weight = KIND_BOOST if m.kind in self.kinds else KIND_PRIOR.get(m.kind, 1.0)
        if self.projects:
            return weight * (PROJECT_BOOST if m.project in self.projects else 1.0)
        # TAG Security's guides belong to no project: they are home ground for a Kubeflow reviewer too.
        return weight * (HOME_BOOST if m.project in (self.home_project, "") else 1.0)


def _node(chunk: Chunk) -> TextNode:
    return TextNode(id_=chunk.id, text=chunk.text, metadata={"source": chunk.meta.source})


class _ChunkRetriever(BaseRetriever):
    """Adapts a retriever's hits to canonical nodes, dropping uncommitted or filtered-out chunks."""

    def __init__(self, inner: BaseRetriever, owner: HybridRetriever, filters: Filters):
        super().__init__()
        self._inner, self._owner, self._filters = inner, owner, filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if isinstance(self._inner, BM25Retriever):  # the index holds bm25_text; query alike
            query_bundle = QueryBundle(query_str=bm25_query(query_bundle.query_str))
        hits = []
        for hit in self._inner.retrieve(query_bundle):
            chunk = self._owner.chunks.get(hit.node.node_id)
            if chunk is not None and self._owner.admits(chunk, self._filters):
                hits.append(NodeWithScore(node=self._owner.nodes[chunk.id], score=hit.score))
        return hits


class HybridRetriever:
    def __init__(self, store: Store):
        self.store = store
        self.chunks: dict[str, Chunk] = {c.id: c for c in store.load_chunks()}
        self.nodes: dict[str, TextNode] = {cid: _node(c) for cid, c in self.chunks.items()}
        self._bm25 = BM25Retriever.from_persist_dir(str(store.bm25_dir))
        self._index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=get_embed_model())
        self.vocabulary = _vocabulary(self.chunks.values())
        self.projects = {c.meta.project for c in self.chunks.values() if c.meta.project}
        self.people = {c.meta.author for c in self.chunks.values() if c.meta.author}
        self.stats = TermStats(passage_words(c) for c in self.chunks.values())

    # --- filters ---------------------------------------------------------------------------
    @staticmethod
    def admits(chunk: Chunk, filters: Filters) -> bool:
        m = chunk.meta
        if filters.kinds and m.kind not in filters.kinds:
            return False
        if filters.projects and m.project not in filters.projects:
            return False
        if filters.source_glob and not fnmatch.fnmatch(m.source, filters.source_glob):
            return False
        return not (m.superseded and not filters.include_superseded)

    @staticmethod
    def _chroma_where(filters: Filters) -> dict | None:
        """The filters as a Chroma where-clause (llama-index's MetadataFilter has no booleans)."""
        parts: list[dict] = []
        if filters.kinds:
            parts.append({"kind": {"$in": list(filters.kinds)}})
        if filters.projects:
            parts.append({"project": {"$in": list(filters.projects)}})
        if not filters.include_superseded:
            parts.append({"superseded": {"$eq": False}})
        if len(parts) > 1:
            return {"$and": parts}
        return parts[0] if parts else None

    # --- the three retrievers ----------------------------------------------------------------
    def _dense_retriever(self, filters: Filters, depth: int) -> BaseRetriever:
        where = self._chroma_where(filters)
        inner = self._index.as_retriever(
            similarity_top_k=depth, vector_store_kwargs={"where": where} if where else {}
        )
        return _ChunkRetriever(inner, self, filters)

    def _bm25_retriever(self, filters: Filters, depth: int) -> BaseRetriever:
        # A weight mask keeps BM25 inside the filters (so a narrow filter still yields `depth` hits).
        mask = self._bm25_mask(
            tuple(filters.kinds), tuple(filters.projects), filters.source_glob, bool(filters.include_superseded)
        )
        inner = BM25Retriever(existing_bm25=self._bm25.bm25, similarity_top_k=depth, corpus_weight_mask=mask)
        return _ChunkRetriever(inner, self, filters)

    @lru_cache(maxsize=64)  # noqa: B019 - one retriever per process; the cache is its lifetime
    def _bm25_mask(self, kinds, projects, source_glob, include_superseded) -> list[int]:
        filters = Filters(kinds=list(kinds or ()), projects=list(projects or ()), source_glob=source_glob,
                          include_superseded=include_superseded)
        return [
            int(entry["node_id"] in self.chunks and self.admits(self.chunks[entry["node_id"]], filters))
            for entry in self._bm25.corpus
        ]

    def dense(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Retrieved]:
        return self._run(self._dense_retriever(filters or Filters(), k), query, k)

    def bm25(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Retrieved]:
        return self._run(self._bm25_retriever(filters or Filters(), k * 3), query, k, dense=False)

    def retrieve(
        self, query: str, k: int = 10, filters: Filters | None = None, prefer: Preference | None = None
    ) -> list[Retrieved]:
        """Dense and BM25 candidates fused by reciprocal rank, nudged by ``prefer``, near-duplicates removed."""
        filters = filters or Filters()
        fusion = QueryFusionRetriever(
            [self._dense_retriever(filters, CANDIDATES), self._bm25_retriever(filters, CANDIDATES)],
            llm=MockLLM(),  # num_queries=1: no query generation, so no model is needed
            mode="dist_based_score",
            num_queries=1,
            similarity_top_k=CANDIDATES,
            use_async=False,
        )
        hits = self._run(fusion, query, CANDIDATES)
        focus = self.stats.focus(query)
        for hit in hits:
            # Rerank: passages holding more of the question's specific terms move up.
            hit.score *= RERANK_FLOOR + self.stats.coverage(focus, passage_words(hit.chunk))
            if prefer:
                hit.score *= prefer.weight(hit.chunk)
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = drop_overlaps(hits)
        if filters.include_superseded:
            # A question about how the document changed needs both revisions side by side.
            hits = interleave([h for h in hits if not h.chunk.meta.superseded], [h for h in hits if h.chunk.meta.superseded])
        return hits[:k]

    def _run(self, retriever: BaseRetriever, query: str, k: int, dense: bool = True) -> list[Retrieved]:
        embedding = self.embed_query(query) if dense else None  # BM25 alone needs no model call
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        return [Retrieved(chunk=self.chunks[h.node.node_id], score=float(h.score or 0.0)) for h in hits[:k]]

    @staticmethod
    @lru_cache(maxsize=512)
    def embed_query(query: str) -> list[float]:
        return get_embed_model().get_query_embedding(query)


def bm25_query(question: str) -> str:
    """The question without conversational filler ("walk me through", "what exactly"), as BM25 reads it."""
    return " ".join(w for w in bm25_text(question).split() if w.lower().strip("?,.!'\"") not in GENERIC)


def interleave(first: list[Retrieved], second: list[Retrieved]) -> list[Retrieved]:
    """Alternate two ranked lists (first of each, then second of each, ...), keeping leftovers in order."""
    out: list[Retrieved] = []
    for a, b in zip(first, second, strict=False):
        out += [a, b]
    shorter = min(len(first), len(second))
    return out + first[shorter:] + second[shorter:]


def drop_overlaps(hits: list[Retrieved]) -> list[Retrieved]:
    """Drop a chunk whose text lies mostly inside a better-ranked chunk of the same file (window overlap)."""
    kept: list[Retrieved] = []
    for hit in hits:
        mine = _sentence_set(hit.chunk.text)
        duplicate = any(
            other.chunk.meta.source == hit.chunk.meta.source
            and mine
            and len(mine & _sentence_set(other.chunk.text)) >= 0.8 * len(mine)
            for other in kept
        )
        if not duplicate:
            kept.append(hit)
    return kept


def _sentence_set(text: str) -> set[str]:
    return {s.strip().lower() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 20}


def _vocabulary(chunks) -> set[str]:
    words: set[str] = set()
    for chunk in chunks:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-]{2,}", chunk.text))
    return words
