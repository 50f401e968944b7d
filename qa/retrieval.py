"""Hybrid retrieval: dense (Chroma) + BM25, fused by distance-normalised score (llama-index
QueryFusionRetriever), for the question and each of its parts.

Both retrievers return the same canonical ``TextNode`` objects (one per committed chunk), so
the fusion de-duplicates them, and only chunks the manifest commits are ever returned. The
fused candidates are then reranked (the question's specific terms, the kinds of source,
project, revision and section it points at, the document that answers best), neighbouring
windows of a section are merged into one passage (``qa.merging``), and overlaps dropped.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from kfqa.config import HOME_PROJECT
from kfqa.embedding import get_query_embed_model
from kfqa.qa.merging import merge_neighbours
from kfqa.qa.terms import GENERIC, TermStats, passage_words
from kfqa.store import Store
from kfqa.text import bm25_text
from kfqa.types import Chunk, Filters, Retrieved

# How deep each retriever looks before fusion: deeper than k so filters and de-duplication
# still leave k good chunks.
CANDIDATES = 40
# Multipliers on the fused score for chunks the question points at (see qa.query): enough to
# lift the right kind of source, not to override relevance.
KIND_BOOST = 1.25
PROJECT_BOOST = 1.4
HOME_BOOST = 1.5
# A question about how a document changed is about a document that has revisions in the corpus.
REVISION_BOOST = 2.0
SECTION_BOOST = 1.5  # the question names the passage's own heading
# Reviewers ask about the security documents first; the website docs are background.
KIND_PRIOR = {"assessment": 1.15, "review": 1.1, "audit": 1.1}
DOCUMENT_PRIOR = 0.5  # weight of the file's best hit in each of its hits' score (dev set: +0.02 recall@5)
RERANK_FLOOR = 0.5  # a passage with none of the question's specific terms keeps a third of the score of one with all


@dataclass
class Preference:
    kinds: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # named in the question; else home_project wins
    home_project: str = HOME_PROJECT
    revised: set[str] = field(default_factory=set)  # a history question: files with revisions it is about
    question: str = ""  # as typed: a section it names by its heading ("the Overview") counts

    def weight(self, chunk: Chunk) -> float:
        m = chunk.meta
        weight = KIND_BOOST if m.kind in self.kinds else KIND_PRIOR.get(m.kind, 1.0)
        if m.source in self.revised:
            weight *= REVISION_BOOST
        if self.names_section(m.section):
            weight *= SECTION_BOOST
        if self.projects:
            return weight * (PROJECT_BOOST if m.project in self.projects else 1.0)
        # TAG Security's guides belong to no project: "the self-assessment" means Kubeflow's own unless
        # the question points at the guides (TAG, template, outline).
        home = (self.home_project, "") if "guide" in self.kinds else (self.home_project,)
        return weight * (HOME_BOOST if m.project in home else 1.0)


    def names_section(self, section: str) -> bool:
        heading = section.rpartition(" > ")[2].strip()
        if len(heading) < 6 or heading.lower() in (self.home_project, *self.projects):
            return False
        return bool(re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", self.question, re.IGNORECASE))


class PartsFusionRetriever(QueryFusionRetriever):
    """llama-index's fusion retriever, with the question's own parts as the extra queries
    instead of LLM-generated rewrites (no model is needed)."""

    def __init__(self, retrievers: list[BaseRetriever], parts: list[str], embed, **kwargs):
        super().__init__(retrievers, llm=MockLLM(), num_queries=1 + len(parts), **kwargs)
        self._parts, self._embed = parts, embed

    def _get_queries(self, original_query: str) -> list[QueryBundle]:
        return [QueryBundle(part, embedding=self._embed(part)) for part in self._parts]


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
        # transformations=[]: the index only queries, so no default node parser (and tokenizer) is built
        self._index = VectorStoreIndex.from_vector_store(
            store.vector_store(), embed_model=get_query_embed_model(), transformations=[]
        )
        self.vocabulary = _vocabulary(self.chunks.values())
        self.projects = {c.meta.project for c in self.chunks.values() if c.meta.project}
        self.people = {c.meta.author for c in self.chunks.values() if c.meta.author}
        self.stats = TermStats(passage_words(c) for c in self.chunks.values())
        self.revised = revised_sources(self.chunks.values())

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
        if filters.sources and m.source not in filters.sources:
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
        if filters.sources:
            parts.append({"source": {"$in": list(filters.sources)}})
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
            tuple(filters.kinds),
            tuple(filters.projects),
            filters.source_glob,
            tuple(filters.sources),
            bool(filters.include_superseded),
        )
        inner = BM25Retriever(existing_bm25=self._bm25.bm25, similarity_top_k=depth, corpus_weight_mask=mask)
        return _ChunkRetriever(inner, self, filters)

    @lru_cache(maxsize=64)  # noqa: B019 - one retriever per process; the cache is its lifetime
    def _bm25_mask(self, kinds, projects, source_glob, sources, include_superseded) -> list[int]:
        filters = Filters(kinds=list(kinds), projects=list(projects), source_glob=source_glob,
                          sources=list(sources), include_superseded=include_superseded)
        return [
            int(entry["node_id"] in self.chunks and self.admits(self.chunks[entry["node_id"]], filters))
            for entry in self._bm25.corpus
        ]

    def dense(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Retrieved]:
        return self._run(self._dense_retriever(filters or Filters(), k), query, k)

    def bm25(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Retrieved]:
        return self._run(self._bm25_retriever(filters or Filters(), k * 3), query, k, dense=False)

    def retrieve(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
        prefer: Preference | None = None,
        parts: list[str] = (),
    ) -> list[Retrieved]:
        """The top ``k`` passages: dense and BM25 candidates for the question and its ``parts``, fused,
        reranked and nudged by ``prefer``; neighbouring windows merged, overlaps dropped; for a
        history question, each current passage beside the superseded one of its section."""
        filters = filters or Filters()
        hits = self._candidates(query, filters, parts)
        if prefer and prefer.revised:
            # A history question is about the revised document, even when other files match its
            # words better ("the Overview" is a heading in dozens of pages): search it on its own too.
            seen = {h.chunk.id for h in hits}
            scoped = replace(filters, sources=sorted(prefer.revised))
            hits += [h for h in self._candidates(query, scoped, parts) if h.chunk.id not in seen]
        focus = self.stats.focus(query)
        for hit in hits:
            # Rerank: passages holding more of the question's specific terms move up.
            hit.score *= RERANK_FLOOR + self.stats.coverage(focus, passage_words(hit.chunk))
            if prefer:
                hit.score *= prefer.weight(hit.chunk)
        add_document_prior(hits)
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = drop_overlaps(merge_neighbours(hits, self.chunks))
        if filters.include_superseded:
            # A question about how the document changed needs both revisions side by side.
            hits = pair_revisions(hits)
        return hits[:k]

    def _candidates(self, query: str, filters: Filters, parts: list[str] = ()) -> list[Retrieved]:
        """Dense and BM25 top CANDIDATES for the question and each of its ``parts``, fused by
        distance-normalised score."""
        fusion = PartsFusionRetriever(
            [self._dense_retriever(filters, CANDIDATES), self._bm25_retriever(filters, CANDIDATES)],
            parts=list(parts),
            embed=self.embed_query,  # cached: a history question searches its parts twice
            mode="dist_based_score",
            similarity_top_k=CANDIDATES,
            use_async=False,
        )
        return self._run(fusion, query, CANDIDATES)

    def _run(self, retriever: BaseRetriever, query: str, k: int, dense: bool = True) -> list[Retrieved]:
        embedding = self.embed_query(query) if dense else None  # BM25 alone needs no model call
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        return [Retrieved(chunk=self.chunks[h.node.node_id], score=float(h.score or 0.0)) for h in hits[:k]]

    @staticmethod
    @lru_cache(maxsize=512)
    def embed_query(query: str) -> list[float]:
        return get_query_embed_model().get_query_embedding(query)


def revised_sources(chunks) -> set[str]:
    """Files of documents held in more than one revision (current and superseded), by upstream path."""
    by_document: dict[str, dict[str, bool]] = {}  # upstream document -> {source: superseded}
    for chunk in chunks:
        upstream = re.sub(r"/blob/[0-9a-f]{7,40}/", "/", chunk.meta.url.split("#")[0]) or chunk.meta.source
        by_document.setdefault(upstream, {})[chunk.meta.source] = chunk.meta.superseded
    return {
        source
        for sources in by_document.values()
        if len(sources) > 1 and any(sources.values()) and not all(sources.values())
        for source in sources
    }


def add_document_prior(hits: list[Retrieved]) -> None:
    """Each hit gains a share of the geometric mean of its own score and its file's best: the document
    that answers best tends to hold the rest of the answer too (a caveat two sections below the claim),
    while a passage with little of its own relevance isn't lifted over another file's good one."""
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.chunk.meta.source] = max(best.get(hit.chunk.meta.source, 0.0), hit.score)
    for hit in hits:
        hit.score += DOCUMENT_PRIOR * (hit.score * best[hit.chunk.meta.source]) ** 0.5


def bm25_query(question: str) -> str:
    """The question without conversational filler ("walk me through", "what exactly"), as BM25 reads it."""
    return " ".join(w for w in bm25_text(question).split() if w.lower().strip("?,.!'\"") not in GENERIC)


def pair_revisions(hits: list[Retrieved]) -> list[Retrieved]:
    """Each current passage followed by the superseded passage of the same section (else the best
    superseded one left), so a history question sees both versions of what it asks about."""
    older = [h for h in hits if h.chunk.meta.superseded]
    out: list[Retrieved] = []
    for hit in (h for h in hits if not h.chunk.meta.superseded):
        out.append(hit)
        match = next((o for o in older if o.chunk.meta.section == hit.chunk.meta.section), None)
        match = match or (older[0] if older else None)
        if match:
            out.append(match)
            older.remove(match)
    return out + older


def drop_overlaps(hits: list[Retrieved]) -> list[Retrieved]:
    """Drop a chunk whose text lies mostly inside a better-ranked chunk: a window overlap in the same
    file, or the same text in another file (pages sharing a banner). A superseded revision is never a
    duplicate of the current one: history questions compare them."""
    kept: list[tuple[Retrieved, set[str]]] = []
    for hit in hits:
        mine = _sentence_set(hit.chunk.text)
        duplicate = mine and any(
            other.chunk.meta.superseded == hit.chunk.meta.superseded and len(mine & theirs) >= 0.8 * len(mine)
            for other, theirs in kept
        )
        if not duplicate:
            kept.append((hit, mine))
    return [hit for hit, _ in kept]


def _sentence_set(text: str) -> set[str]:
    return {s.strip().lower() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.strip()) > 20}


def _vocabulary(chunks) -> set[str]:
    words: set[str] = set()
    for chunk in chunks:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-]{2,}", chunk.text))
    return words
