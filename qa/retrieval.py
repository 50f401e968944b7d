"""Hybrid retrieval: dense (Chroma) + BM25, fused by distance-normalised score (llama-index
QueryFusionRetriever), for the question and each of its parts.

Both retrievers return the same canonical ``TextNode`` objects (one per committed chunk, made
the first time a retriever returns it), so the fusion de-duplicates them, and only chunks the
manifest commits are ever returned. The fused candidates are then reranked (the question's
specific terms, the kinds of source, project, revision and section it points at, the document
that answers best), neighbouring windows of a section are merged into one passage
(``qa.merging``), and overlaps dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from kfqa.config import HOME_PROJECT
from kfqa.embedding import get_query_embed_model
from kfqa.qa.filters import admits, chroma_where, metadata_filters
from kfqa.qa.merging import Windows, expand_in_section, merge_neighbours, revised_sources, upstream_document
from kfqa.qa.names import (
    compares,
    filed_under_another_release,
    names_heading,
    names_section,
    replace_names,
    thread_key,
)
from kfqa.qa.query import quoted_phrases, without_revision_words
from kfqa.qa.ranked import extremes
from kfqa.qa.sentences import is_contents
from kfqa.qa.stages import QAConfig
from kfqa.qa.terms import DISCOURSE, TermWeights, coverage
from kfqa.store import Store
from kfqa.termstats import OpenCompounds, TermStats, held_terms, passage_words, terms
from kfqa.text import bm25_text, normalize, split_sentences
from kfqa.types import Chunk, Filters, Retrieved


@dataclass
class Preference:
    kinds: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # named in the question; else home_project wins
    home_project: str = HOME_PROJECT
    revised: set[str] = field(default_factory=set)  # a history question: files with revisions it is about
    question: str = ""  # as typed: a section it names by its heading ("the Overview") counts
    sections: frozenset = frozenset()  # (source, section) it asks for in a template prompt's words
    aspects: frozenset = frozenset()  # (source, heading) put under several parents: named with the parent only
    speakers: frozenset = frozenset()  # logins, lower-cased, of the people the question asks what they said
    broader: frozenset = frozenset()  # (source, section key) whose subsection the question names with it (section-join)
    releases: frozenset = frozenset()  # releases the question names ("26.03"; stage release-focus)
    threads: frozenset = frozenset()  # sources of the review threads it names by number (stage thread-references)

    def weight(self, chunk: Chunk, config: QAConfig) -> float:
        """Multiplier on a passage's fused score: enough to lift the kind of source, project,
        section or revision the question points at, not to override relevance."""
        m = chunk.meta
        weight = config.kind_boost if m.kind in self.kinds else config.kind_weight(m.kind)
        # a history question is about the revised document; one that names a review is also about the
        # thread that changed it ("what did the reviewer criticise in the first draft?")
        if m.source in self.revised or (self.revised and m.kind == "review" and "review" in self.kinds):
            weight *= config.revision_boost
        if (self.names_section(m.source, m.section) and (m.source, m.section_key or m.section) not in self.broader) \
                or (m.source, m.section) in self.sections:
            weight *= config.section_boost
        if self.releases and filed_under_another_release(chunk, self.releases):
            weight *= config.other_release_factor
        if m.source in self.threads:
            weight *= config.thread_boost
        if m.author.lower() in self.speakers:  # (stage speaker-prior: a thread's window, by its first comment)
            weight *= config.speaker_prior
        if self.projects:
            return weight * (config.project_boost if m.project in self.projects else 1.0)
        # TAG Security's guides belong to no project: "the self-assessment" means Kubeflow's own unless
        # the question points at the guides (TAG, template, outline).
        home = (self.home_project, "") if "guide" in self.kinds else (self.home_project,)
        return weight * (config.home_boost if m.project in home else 1.0)


    def names_section(self, source: str, section: str) -> bool:
        return names_section(self.question, source, section, (self.home_project, *self.projects), self.aspects)


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
        self._rules = metadata_filters(filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if isinstance(self._inner, BM25Retriever):  # the index holds bm25_text; query alike
            query_bundle = QueryBundle(query_str=bm25_query(query_bundle.query_str))
        hits = []
        for hit in self._inner.retrieve(query_bundle):
            chunk = self._owner.chunks.get(hit.node.node_id)
            if chunk is not None and admits(chunk.meta, self._rules, self._filters.source_glob):
                hits.append(NodeWithScore(node=self._owner.node(chunk), score=hit.score))
        return hits


class _DenseRetriever(BaseRetriever):
    """Chroma's nearest chunks within the filters, asked for ids and distances only (the documents and
    metadata kfqa already holds cost a query ~15 ms to send back). A filtered Chroma query costs ~45 ms
    against ~5 ms unfiltered (the filter, not the search, takes the time), so the unfiltered nearest
    ``OVERFETCH`` times as many are read first and filtered here; only when fewer than ``depth`` of them
    pass does Chroma filter. Both searches are exact at SEARCH_EF: either way the result is the filtered
    top ``depth`` (with a source glob, which Chroma can't apply, the best that both reads found). Scores
    as llama-index's Chroma store gives them (exp of minus the distance)."""

    OVERFETCH = 3

    def __init__(self, collection, filters: Filters, depth: int, owner: HybridRetriever):
        super().__init__()
        self._collection, self._filters, self._depth, self._owner = collection, filters, depth, owner
        self._rules = metadata_filters(filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        embedding = query_bundle.embedding or self._owner.embed_query(query_bundle.query_str)
        if self._rules is None and not self._filters.source_glob:
            return self._nodes(self._query(embedding, self._depth))
        wide = self._depth * self.OVERFETCH
        hits = self._query(embedding, wide)
        admitted = self._admitted(hits)
        if len(admitted) < self._depth and len(hits) == wide:  # too few pass, and the store holds more
            # (a source glob has no Chroma operator: what Chroma's filtered read returns is checked again,
            # and both reads' admitted chunks merged by distance)
            more = self._admitted(self._query(embedding, self._depth, chroma_where(self._rules)))
            admitted = sorted(dict(admitted + more).items(), key=lambda kv: kv[1])
        return self._nodes(admitted[: self._depth])

    def _admitted(self, hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
        chunks = self._owner.chunks
        return [(cid, d) for cid, d in hits
                if cid in chunks and admits(chunks[cid].meta, self._rules, self._filters.source_glob)]

    def _query(self, embedding, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        n = min(n, self._owner.vector_count)
        if n <= 0:
            return []
        found = self._collection.query(query_embeddings=[embedding], n_results=n, where=where, include=["distances"])
        return list(zip(found["ids"][0], found["distances"][0], strict=True))

    def _nodes(self, hits: list[tuple[str, float]]) -> list[NodeWithScore]:
        chunks = self._owner.chunks
        return [NodeWithScore(node=self._owner.node(chunks[cid]), score=math.exp(-d)) for cid, d in hits if cid in chunks]


class HybridRetriever:
    def __init__(self, store: Store):
        self.store = store
        self.chunks: dict[str, Chunk] = {c.id: c for c in store.load_chunks()}
        self._nodes: dict[str, TextNode] = {}  # canonical nodes, made when a retriever first returns them
        self._bm25 = BM25Retriever.from_persist_dir(str(store.bm25_dir))
        get_query_embed_model()  # loaded with the store: a question's first embedding waits for nothing
        self.stats = TermStats.for_store(store.dir, list(self.chunks.values()))
        self.vocabulary = self.stats.vocabulary
        self.projects = {c.meta.project for c in self.chunks.values() if c.meta.project}
        self.people = {c.meta.author for c in self.chunks.values() if c.meta.author}
        self.revised = revised_sources(self.chunks.values())
        self.windows = Windows(self.chunks)

    def node(self, chunk: Chunk) -> TextNode:
        """The one ``TextNode`` of a chunk, whichever retriever returns it (the fusion de-duplicates by
        identity). Made on first use: building all of them cost every cold start 0.15 s."""
        node = self._nodes.get(chunk.id)
        if node is None:
            node = self._nodes[chunk.id] = _node(chunk)
        return node

    # --- the three retrievers ----------------------------------------------------------------
    def _dense_retriever(self, filters: Filters, depth: int) -> BaseRetriever:
        return _ChunkRetriever(_DenseRetriever(self.store.collection, filters, depth, self), self, filters)

    @cached_property
    def vector_count(self) -> int:
        """Vectors in the store's collection (a query may ask Chroma for no more)."""
        return self.store.collection.count()

    def _bm25_retriever(self, filters: Filters, depth: int) -> BaseRetriever:
        # A weight mask keeps BM25 inside the filters (so a narrow filter still yields `depth` hits).
        mask = self._bm25_mask(
            tuple(filters.kinds),
            tuple(filters.projects),
            filters.source_glob,
            tuple(filters.sources),
            bool(filters.include_superseded),
        )
        # never ask bm25s for more hits than the store holds (it warns on every ask of a small store)
        top_k = max(1, min(depth, len(self._bm25.corpus)))
        inner = BM25Retriever(existing_bm25=self._bm25.bm25, similarity_top_k=top_k, corpus_weight_mask=mask)
        return _ChunkRetriever(inner, self, filters)

    @lru_cache(maxsize=64)  # noqa: B019 - one retriever per process; the cache is its lifetime
    def _bm25_mask(self, kinds, projects, source_glob, sources, include_superseded) -> list[int]:
        rules = metadata_filters(Filters(kinds=list(kinds), projects=list(projects), sources=list(sources),
                                         include_superseded=include_superseded))
        return [
            int(entry["node_id"] in self.chunks and admits(self.chunks[entry["node_id"]].meta, rules, source_glob))
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
        config: QAConfig | None = None,
        general: str = "",
        asked: list[Retrieved] = (),
        identifiers: list[str] = (),
        group: list[str] = (),
    ) -> list[Retrieved]:
        """The top ``k`` passages: dense and BM25 candidates for the question and its ``parts``, fused,
        reranked and nudged by ``prefer``; neighbouring windows merged, overlaps dropped; for a
        history question, each current passage beside the superseded one of its section.
        ``general``: the question without its names (stage "generalize"), whose candidates join
        at ``config.general_weight`` of the question's own. ``asked``: the passages a template prompt the
        question restates is answered by (stage template-sections), joined at ``config.template_join``.
        ``identifiers``: titled identifiers the question describes; passages naming them join at
        ``config.identifier_join`` (stage identifiers). ``group``: identifiers it names by a value their titles
        share; passages naming them, of the kinds of source the question asks about, join likewise
        (stage identifier-groups)."""
        config = config or QAConfig()
        filters = filters or Filters()
        hits = self._candidates(query, filters, parts, config)
        if general and config.on("generalize") and config.general_weight > 0 and hits:
            hits = joined(hits, self._candidates(general, filters, (), config), config.general_weight)
        if asked:
            hits = joined(hits, list(asked), config.template_join)
        # (only the projects the reader's filter admits: a reader who chose Kubeflow gets no other project's)
        compared = [p for p in prefer.projects if not filters.projects or p in filters.projects] if prefer else []
        if len(compared) > 1 and config.on("project-search"):
            hits = joined(hits, self.each_project(query, filters, compared, parts, config), config.project_join)
        if identifiers and config.on("identifiers"):  # passages naming an identifier the question describes join
            hits = joined(hits, self.naming(identifiers, filters, config), config.identifier_join)
        if group and config.on("identifier-groups"):  # (in the kinds asked: the self-assessment's "Critical" isn't the audit's)
            hits = joined(hits, self.naming(group, filters, config, prefer.kinds if prefer else ()), config.identifier_join)
        if config.on("linked-threads") and hits:  # the threads that say they fix the best-ranked ones join
            hits = joined(hits, self.fixing(sorted(hits, key=lambda h: h.score, reverse=True)[: config.link_top], filters),
                          config.link_join)
        if config.on("anchor-links") and hits:  # the sections the best passages point at on their own page join
            hits = joined(hits, self.anchored(sorted(hits, key=lambda h: h.score, reverse=True)[: config.link_top],
                                              filters), config.anchor_join)
        if prefer and config.on("section-join"):  # passages of a section the question names by its heading path
            named = self.named_sections(prefer.question, filters)
            hits = joined(hits, named, config.section_join)
            # (their parent, named by its heading too, is not the section asked for: the prior is theirs; by
            # the heading path without a PDF's "Page N >", the parent section on each of its pages. A question
            # of several parts may ask about the parent in one, "are cluster users trusted? ... Trainer?")
            if not parts:
                prefer = replace(prefer, broader=frozenset(
                    (h.chunk.meta.source, (h.chunk.meta.section_key or h.chunk.meta.section).rpartition(" > ")[0])
                    for h in named))
        if config.on("ranked-join") and hits:  # "which scored best/worst?": the extremes of a scored group join
            best = sorted(hits, key=lambda h: h.score, reverse=True)[: config.ranked_top]
            ranked = extremes(prefer.question if prefer and prefer.question else query, best, self.windows.scored_groups)
            rules = metadata_filters(filters)  # (a best passage's sibling sections: the same file, admitted alike)
            hits = joined(hits, [Retrieved(s.chunk, 1.0) for s in ranked if admits(s.chunk.meta, rules, filters.source_glob)],
                          config.ranked_join)
        phrases = quoted_phrases(query) if config.on("quoted-phrases") else []
        if phrases:  # a quoted phrase is searched as it stands: its passages join, rerank lifts them
            hits = joined(hits, self.holding(phrases, filters, config.candidates), config.phrase_join)
        if prefer and prefer.revised:
            # A history question is about the revised document, even when other files match its
            # words better ("the Overview" is a heading in dozens of pages): search it on its own too.
            seen = {h.chunk.id for h in hits}
            scoped = replace(filters, sources=sorted(prefer.revised & set(filters.sources) if filters.sources else prefer.revised))
            hits += [h for h in self._candidates(query, scoped, parts, config) if h.chunk.id not in seen]
        # a table of contents says where things are, not what they are (unless that is what is asked)
        if config.on("navigation") and not _ASKS_WHERE_RE.search(query):
            hits = [h for h in hits if not is_contents(h.chunk)]
        self.rerank(query, hits, prefer, config)
        hits.sort(key=lambda h: h.score, reverse=True)
        if config.on("feedback") and config.feedback_weight > 0 and hits:
            hits = self.feedback(query, hits, filters, prefer, config)
        if config.on("merge"):
            hits = merge_neighbours(hits, self.windows, config.merge_max_chars, config.merge_max_gap)
        if config.on("section-expand"):
            hits = expand_in_section(hits, self.windows, config.expand_top, config.merge_max_chars,
                                     subsections=config.on("subsections"),
                                     # (a question restating a template prompt asks for what the project states
                                     # under it, which a lead-in says: "Kubeflow aims to provide the following ...")
                                     lead_ins=bool(asked) and config.on("lead-in-windows"))
        hits = drop_overlaps(hits)
        if filters.include_superseded:
            # A question about how the document changed needs both revisions side by side.
            hits = pair_revisions(hits)
            if config.on("section-expand"):  # each of a pair read as far: the older ones pairing brought up grow too
                hits = drop_overlaps(expand_in_section(hits, self.windows, 2 * config.expand_top, config.merge_max_chars,
                                                       subsections=config.on("subsections"),
                                                       only=lambda hit: hit.chunk.meta.superseded))
        return hits[:k]

    def each_project(self, query: str, filters: Filters, projects: list[str], parts, config: QAConfig) -> list[Retrieved]:
        """Each project's own candidates for the question, each list scaled to its best (a comparison is
        answered by every project it names alike, whichever matches the question's words better). Each
        project's sources are searched with the other projects' names made its own ("X says it is a security
        provider; does Kubeflow say the same?" asks Kubeflow's sources whether Kubeflow is one, not which of
        them mention X), when the question compares them (not in "Which cert-manager does Kubeflow install?")."""
        found: dict[str, Retrieved] = {}
        side_by_side = compares(query)
        for project in projects:
            others = [p for p in projects if p != project] if side_by_side else []
            own = [replace_names(q, others, project) for q in (query, *parts)]
            hits = self._candidates(own[0], replace(filters, projects=[project]), own[1:], config)
            best = max((h.score for h in hits), default=0.0) or 1.0
            for h in hits:
                if h.chunk.id not in found or found[h.chunk.id].score < h.score / best:
                    found[h.chunk.id] = Retrieved(h.chunk, h.score / best)
        return sorted(found.values(), key=lambda h: h.score, reverse=True)

    def fixing(self, hits: list[Retrieved], filters: Filters) -> list[Retrieved]:
        """Passages (within the filters) of the threads that say they fix, close or resolve the issue or
        pull request one of ``hits`` belongs to ("Fixes: #991"): how an issue was settled is in them."""
        rules = metadata_filters(filters)
        found: dict[str, Retrieved] = {}
        for hit in hits:
            key = thread_key(hit.chunk.meta.url)
            for chunk in self._fixes.get(key, []) if key else []:
                if chunk.meta.source != hit.chunk.meta.source and admits(chunk.meta, rules, filters.source_glob):
                    found.setdefault(chunk.id, Retrieved(chunk, 1.0))
        return list(found.values())

    @cached_property
    def _fixes(self) -> dict[tuple[str, str], list[Chunk]]:
        """(repository, number) -> the review passages that say they fix, close or resolve it (GitHub's
        closing keywords; "#991" alone is of the thread's own repository)."""
        out: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in self.chunks.values():
            own = thread_key(chunk.meta.url) if chunk.meta.kind == "review" else None
            for m in _CLOSING_RE.finditer(chunk.text) if own else ():
                repo = (m.group(1) or m.group(2) or own[0]).lower()
                out.setdefault((repo, m.group(3)), []).append(chunk)
        return out

    def anchored(self, hits: list[Retrieved], filters: Filters) -> list[Retrieved]:
        """Passages (within the filters) of the sections ``hits`` link to on their own page ("see [Current
        Limitations](#current-limitations) for more details"): what a passage defers to says the rest."""
        rules = metadata_filters(filters)
        found: dict[str, Retrieved] = {}
        for hit in hits:
            for anchor in _IN_PAGE_LINK_RE.findall(hit.chunk.text):
                for chunk in self.windows.under_anchor(hit.chunk.meta.source, anchor):
                    if chunk.id != hit.chunk.id and admits(chunk.meta, rules, filters.source_glob):
                        found.setdefault(chunk.id, Retrieved(chunk, 1.0))
        return list(found.values())

    def named_sections(self, question: str, filters: Filters) -> list[Retrieved]:
        """Passages (within the filters) of a section the question names by its heading and its parent's
        heading both ("the actors in Kubeflow Pipelines": "Actors > Kubeflow Pipelines (KFP)"); a subject its document
        treats aspect by aspect by its name alone ("Katib's scorecard": "Scorecard > Katib (6.5/10)", ``names_subject``);
        a heading alone names too little ("Kubeflow Community Distribution" heads a section of a dozen pages)."""
        low = question.lower()
        rules = metadata_filters(filters)
        aspects = self.windows.aspects  # (a subject its document treats aspect by aspect is named short: "Katib")
        found = []
        for (parent, leaf), chunks in self._sections_by_path.items():
            # (a substring test first: the heading regex, per section, would cost every question ~10 ms)
            if not (_words_in(leaf, low) and _words_in(parent, low) and names_heading(question, parent, (HOME_PROJECT,))):
                continue
            found += [Retrieved(c, 1.0) for c in chunks if admits(c.meta, rules, filters.source_glob)
                      and names_section(question, c.meta.source, c.meta.section, (HOME_PROJECT,), aspects)]
        return found

    @cached_property
    def _sections_by_path(self) -> dict[tuple[str, str], list[Chunk]]:
        """Chunks by the last two headings of their section path (sections one level deep are left out)."""
        out: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in self.chunks.values():
            path = chunk.meta.section.split(" > ")
            if len(path) >= 2:
                out.setdefault((path[-2], path[-1]), []).append(chunk)
        return out

    def naming(self, identifiers: list[str], filters: Filters, config: QAConfig, kinds=()) -> list[Retrieved]:
        """Passages naming one of ``identifiers`` (of ``kinds`` of source, when given)."""
        found = self.holding([i.lower() for i in identifiers], filters, config.candidates)
        return [h for h in found if not kinds or h.chunk.meta.kind in kinds]

    def holding(self, phrases: list[str], filters: Filters, depth: int) -> list[Retrieved]:
        """Passages that hold one of ``phrases`` (normalised) as it stands, in BM25's order for them."""
        found = self._run(self._bm25_retriever(filters, depth * 5), " ".join(phrases), depth * 5, dense=False)
        return [h for h in found if any(p in normalize(f"{h.chunk.meta.section} {h.chunk.text}") for p in phrases)][:depth]

    def rerank(self, query: str, hits: list[Retrieved], prefer: Preference | None, config: QAConfig) -> None:
        """Stages term-rerank, quoted-phrases, source-prior and document-prior, in place."""
        focus = TermWeights(self.stats, config).focus(query)
        if prefer and prefer.revised:
            # (a history question's words naming revisions, "the first submitted draft", "changed", say which
            # versions it compares, not which section: every section of both holds them alike)
            focus = without_revision_words(focus)
        phrases = quoted_phrases(query) if config.on("quoted-phrases") else []
        compounds = OpenCompounds(focus) if config.on("phrasal-compounds") else None
        for hit in hits:
            if config.on("term-rerank"):  # passages holding more of the question's specific terms move up
                hit.score *= config.rerank_floor + coverage(focus, held_terms(passage_words(hit.chunk), compounds))
            if phrases and any(p in normalize(f"{hit.chunk.meta.section} {hit.chunk.text}") for p in phrases):
                hit.score *= config.phrase_boost  # the reader quoted these words: a passage holding them as they stand
            if prefer and config.on("source-prior"):
                hit.score *= prefer.weight(hit.chunk, config)
        if config.on("document-prior"):
            add_document_prior(hits, config.document_prior)

    def feedback(self, query: str, hits: list[Retrieved], filters: Filters, prefer, config: QAConfig) -> list[Retrieved]:
        """Pseudo-relevance feedback: the most telling terms of the best passages (by tf-idf, not in the
        question) added to a second BM25 search, whose hits lift or join the candidates."""
        weights = TermWeights(self.stats, config)
        asked = set(terms(query))
        counts: dict[str, float] = {}
        for hit in hits[: config.feedback_docs]:
            for term in terms(hit.chunk.text):
                if term not in asked and self.stats.known(term) and not weights.ubiquitous(term) and len(term) > 2:
                    counts[term] = counts.get(term, 0.0) + self.stats.idf(term)
        extra = [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: config.feedback_terms]]
        if not extra:
            return hits
        found = self._run(self._bm25_retriever(filters, config.candidates), f"{query} {' '.join(extra)}",
                          config.candidates, dense=False)
        weigh = (lambda chunk: prefer.weight(chunk, config)) if prefer else None
        return sorted(joined(hits, found, config.feedback_weight, weigh), key=lambda h: h.score, reverse=True)

    def _candidates(self, query: str, filters: Filters, parts: list[str], config: QAConfig) -> list[Retrieved]:
        """Dense and BM25 top candidates for the question and each of its ``parts``, fused by
        distance-normalised score (stages dense, bm25)."""
        depth = config.candidates
        retrievers = []
        if config.on("dense"):
            retrievers.append(self._dense_retriever(filters, depth))
        if config.on("bm25") or not retrievers:
            retrievers.append(self._bm25_retriever(filters, depth))
        fusion = PartsFusionRetriever(
            retrievers,
            parts=list(parts),
            embed=self.embed_query,  # cached: a history question searches its parts twice
            mode="dist_based_score",
            similarity_top_k=depth,
            use_async=False,
        )
        return self._run(fusion, query, depth, dense=config.on("dense"))

    def _run(self, retriever: BaseRetriever, query: str, k: int, dense: bool = True) -> list[Retrieved]:
        embedding = self.embed_query(query) if dense else None  # BM25 alone needs no model call
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=embedding))
        return [Retrieved(chunk=self.chunks[h.node.node_id], score=float(h.score or 0.0)) for h in hits[:k]]

    @staticmethod
    @lru_cache(maxsize=512)
    def embed_query(query: str) -> list[float]:
        return get_query_embed_model().get_query_embedding(query)


# a link to a heading of the passage's own page ("[Current Limitations](#current-limitations)")
_IN_PAGE_LINK_RE = re.compile(r"\]\(#([\w-]+)\)")


# GitHub's closing keywords before a reference ("Fixes: #991", "closes org/repo#12",
# "Fixes: https://github.com/org/repo/issues/975"; not "does not fix #991")
_CLOSING_RE = re.compile(r"(?<!not )(?<!n't )\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\b:?\s+"
                         r"(?:https?://github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/|([\w.-]+/[\w.-]+)?#)(\d+)\b", re.I)


def _words_in(heading: str, low_question: str) -> bool:
    """The heading's first word is in the question (a cheap test before the phrase match)."""
    first = heading.split(" ", 1)[0].lower()
    return bool(first) and first in low_question


def joined(hits: list[Retrieved], found: list[Retrieved], weight: float, weigh=None) -> list[Retrieved]:
    """``hits`` with a second search's ``found`` joined at ``weight`` of the best hit's score: a passage
    in both is lifted, a new one joins (its score times ``weigh(chunk)``, the priors it missed)."""
    if not found or not hits:
        return hits
    top, best = max(h.score for h in hits), max(h.score for h in found) or 1.0
    by_id = {h.chunk.id: h for h in hits}
    for h in found:
        lift = weight * top * h.score / best
        if h.chunk.id in by_id:
            by_id[h.chunk.id].score += lift
        else:
            by_id[h.chunk.id] = Retrieved(h.chunk, lift * (weigh(h.chunk) if weigh else 1.0))
    return list(by_id.values())


def add_document_prior(hits: list[Retrieved], share: float) -> None:
    """Each hit gains a share of the geometric mean of its own score and its file's best: the document
    that answers best tends to hold the rest of the answer too (a caveat two sections below the claim),
    while a passage with little of its own relevance isn't lifted over another file's good one."""
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.chunk.meta.source] = max(best.get(hit.chunk.meta.source, 0.0), hit.score)
    for hit in hits:
        # fused scores can be negative (reranked below zero): a negative product has no real root
        hit.score += share * max(hit.score * best[hit.chunk.meta.source], 0.0) ** 0.5


# a question about a document's contents or pages ("on which page does the threat model start?")
_ASKS_WHERE_RE = re.compile(r"\b(?:contents|pages?)\b", re.I)


def bm25_query(question: str) -> str:
    """The question without the words that frame it ("what did they say"), as BM25 reads it; stop
    words stay (BM25's IDF weighs them lightly, and "what" / "did" find the questions of a thread)."""
    return " ".join(w for w in bm25_text(question).split() if w.lower().strip("?,.!'\"") not in DISCOURSE)


def pair_revisions(hits: list[Retrieved]) -> list[Retrieved]:
    """Each current passage followed by the superseded passage of the same section (else the best
    superseded one left of the same document), so a history question sees both versions of what it
    asks about. A review thread or another document is no revision of an older one: paired with one,
    an unrelated older section came to sit beside it."""
    older = {id(h): upstream_document(h.chunk) for h in hits if h.chunk.meta.superseded}  # left to pair, in order
    by_id = {id(h): h for h in hits}
    out: list[Retrieved] = []
    for hit in (h for h in hits if not h.chunk.meta.superseded):
        out.append(hit)
        document = upstream_document(hit.chunk)
        mine = [by_id[key] for key, doc in older.items() if doc == document]
        match = next((o for o in mine if o.chunk.meta.section == hit.chunk.meta.section), mine[0] if mine else None)
        if match:
            out.append(match)
            del older[id(match)]
    return out + [by_id[key] for key in older]


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
    return {s.lower() for s in split_sentences(text) if len(s) > 20}
