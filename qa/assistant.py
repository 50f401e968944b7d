"""The public entry point: ``Assistant.open(settings).ask(question)`` -> ``Answer``.

The CLI (`kfqa ask`), the chat UI and `kfqa eval` all go through this class:

    from kfqa.qa import Assistant
    answer = Assistant.open().ask("Who runs the Katib controllers?")
    print(answer.answer); [print(c.n, c.chunk.meta.url, c.quote) for c in answer.citations]
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator
from dataclasses import replace

from kfqa.config import HOME_PROJECT, MAX_QUESTION_CHARS, Settings, apply_runtime_env
from kfqa.embedding import get_query_embed_model
from kfqa.qa.answer_type import asked_value
from kfqa.qa.answerability import Scope, ScopeUnion, SentenceEncoder
from kfqa.qa.compose import Composer, Evidence
from kfqa.qa.filters import admits, metadata_filters
from kfqa.qa.names import (
    asked_releases,
    asks_about_other_projects,
    asks_beyond_named_projects,
    asks_own_document,
    compares,
    names_in,
    project_aliases,
    store_names,
)
from kfqa.qa.query import (
    Identifiers,
    PreparedQuery,
    abbreviations_for,
    asking_part,
    before_and_from_first_question,
    lead_kinds,
    prepare,
    question_parts,
)
from kfqa.qa.retrieval import HybridRetriever, Preference
from kfqa.qa.stages import QAConfig
from kfqa.qa.template_match import (
    GUIDE_PASSAGES,
    LabelIndex,
    TemplateMatch,
    as_any_project,
    match_template,
    opens_with_label,
    restated_prompt,
)
from kfqa.qa.terms import GENERAL_SYNONYMS, TermWeights
from kfqa.store import StaleStoreError, Store
from kfqa.termstats import stem
from kfqa.types import Answer, Filters, Generation, KfqaError, Retrieved

MAX_SCOPES = 16  # answerability scopes kept per store (filter combinations a UI user picks)
MAX_TEMPLATE_PARTS = 4  # parts of a question searched for template prompts of their own (each costs a query vector)


class Assistant:
    """Retrieval + answering over one store. Open once (loads the model and indexes); ``ask`` is fast."""

    def __init__(self, settings: Settings, retriever: HybridRetriever, composer: Composer, config: QAConfig | None = None):
        self.settings = settings
        self.retriever = retriever
        self.composer = composer
        self.config = config or QAConfig()  # the stages and their constants (kfqa eval --ablate/--folds vary it)
        self._scopes: dict = {}  # filters -> Scope (the answerability stage's sources in scope)

    @property
    def expand_queries(self) -> bool:
        """Stage "expand": abbreviations, typos, names (bench/bench_ask.py measures the effect)."""
        return self.config.on("expand")

    @expand_queries.setter
    def expand_queries(self, on: bool) -> None:
        disabled = self.config.disabled - {"expand"} if on else self.config.disabled | {"expand"}
        self.config = replace(self.config, disabled=frozenset(disabled))

    @classmethod
    def open(cls, settings: Settings | None = None) -> Assistant:
        """Open the store in ``settings.store_dir`` (or the Chroma server); raises StoreError if unusable."""
        apply_runtime_env()
        settings = settings or Settings()
        store = Store(settings)
        store.open_for_queries()
        generation = store.generation_token()  # read first: an ingest finishing meanwhile reopens again
        retriever = HybridRetriever(store)
        assistant = cls(settings, retriever, composer_for(retriever))
        assistant.generation = generation
        return assistant

    def reopen_if_changed(self, force: bool = False) -> None:
        """A live store: when an ingest has published a new generation since this Assistant opened
        (or ``force``: Chroma's data changed under it), reopen Chroma, chunks, BM25 and term stats."""
        store, opened = self.retriever.store, getattr(self, "generation", None)
        if opened is None or not force and not store.changed_since(opened):
            return  # built by hand, not by open(): not tracking a store
        store.close()  # the old client must go first: Chroma shares one client per path
        fresh = Assistant.open(self.settings)
        self.retriever, self.composer, self.generation = fresh.retriever, fresh.composer, fresh.generation

    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        llm: bool = False,
    ) -> Answer:
        """Answer ``question`` with cited sentences, or abstain. ``history``: earlier questions of the conversation."""
        answer = None
        for item in self.ask_stream(question, filters, history, k, llm):
            answer = item
        assert isinstance(answer, Answer)
        return answer

    def ask_stream(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        llm: bool = False,
    ) -> Iterator[str | Answer]:
        """Yield answer text as it is produced (str pieces), then the final ``Answer``."""
        started = time.perf_counter()
        question, notices = check_question(question)
        prepared, retrieved, evidence = self.evidence(question, filters, history, k, notices)
        retrieved_at = time.perf_counter()

        # An unanswerable question costs no model call: the LLM gets the same decision first.
        llm_outcome = Generation(outcome="not-called", reason="judged unanswerable") if llm else None
        if llm and evidence.decision.answerable:
            llm_outcome = yield from self._llm_answer(question, retrieved, notices)
            if isinstance(llm_outcome, Answer):
                llm_outcome.timings_ms = _timings(started, retrieved_at)
                yield llm_outcome
                return

        composed = self.composer.render_evidence(evidence)
        answer = Answer(
            question=question,
            answer=composed.answer,
            abstained=composed.abstained,
            citations=composed.citations,
            retrieved=retrieved,
            sentences=composed.sentences,
            closest=retrieved[:3] if composed.abstained else [],
            notices=notices + composed.notices,
            generation=llm_outcome,
        )
        answer.timings_ms = _timings(started, retrieved_at)
        yield from answer.answer.splitlines(keepends=True)
        yield answer

    def evidence(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        notices: list[str] | None = None,
    ) -> tuple[PreparedQuery, list[Retrieved], Evidence]:
        """Retrieval, the scored sentences and the answerability decision for a (checked) question:
        what the extractive answer is rendered from and what the LLM answerer is given (it is called
        only when ``evidence.decision.answerable``)."""
        prepared, retrieved = self.retrieve(question, filters, history, k, notices)
        if not retrieved and notices is not None and filters is not None and filters != Filters():
            notices.append("No indexed passage matches the filters (kinds, project, sources) this question was asked with.")
        return prepared, retrieved, self.gather(prepared, retrieved, filters)

    def gather(self, prepared: PreparedQuery, retrieved: list[Retrieved], filters: Filters | None = None,
               config: QAConfig | None = None) -> Evidence:
        """The scored sentences and the answerability decision for retrieved passages (``config``:
        another set of stages and constants than the Assistant's, as ``kfqa eval --folds`` tries)."""
        config = config or self.config
        scope = self._scope(self._filters(prepared.read, prepared, filters, config), prepared)
        evidence = self.composer.gather(prepared.text, retrieved, facets(prepared), config, scope,
                                    prepared.template_sections, asked_value(prepared.read),
                                    prepared.wants_history, lead_kinds(prepared.kinds, prepared.read),
                                    prepared.asks, prepared.people, prepared.own_words,
                                    self._components() if config.on("component-focus") else frozenset(),
                                    prepared.identifiers + prepared.identifier_group, prepared.speakers,
                                    described=prepared.identifiers, label=self._template_label(prepared.own_words, config))
        # (a notice names what the reader typed: a word kfqa read as another is theirs, not its reading)
        typed = {right.lower(): wrong for wrong, right in prepared.corrections.items()}
        evidence.decision.unknown_names = [typed.get(n.lower(), n) for n in evidence.decision.unknown_names]
        return evidence

    def _template_label(self, question: str, config: QAConfig) -> str:
        """The template's label the question opens with (``LabelIndex.leading_label``), which the answerability
        checks leave out: "Predisposing conditions:" names where the template files the answer. "" for none."""
        if not opens_with_label(question) or not config.on("template-sections") or "guide" not in self._store_kinds():
            return ""
        return self._label_index(self._cache()).leading_label(question)

    @staticmethod
    def _label_index(cache: dict) -> LabelIndex:
        """The store's template labels, built on first need (a restated prompt, a question opening with a
        label), not on every question."""
        index = cache.get("labels")
        if index is None:
            index = cache["labels"] = LabelIndex(cache["retriever"].chunks.values())
        return index

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[str] | None = None,
        k: int = 8,
        notices: list[str] | None = None,
    ) -> tuple[PreparedQuery, list[Retrieved]]:
        """The prepared query and the ranked passages for a (checked) question; notes go to ``notices``."""
        self.reopen_if_changed()
        try:
            return self._retrieve(question, filters, history, k, notices)
        except StaleStoreError:  # another process wrote the embedded store (an ingest running): once more
            self.reopen_if_changed(force=True)
        try:
            return self._retrieve(question, filters, history, k, notices)
        except StaleStoreError:  # still mid-write, even for a fresh client: keywords alone, this once
            if notices is not None:
                notices.append("An ingest is updating the store: this answer used keyword search only.")
            return self._retrieve(question, filters, history, k, notices, self.config.without("dense"))

    def _retrieve(self, question, filters, history, k, notices, config=None) -> tuple[PreparedQuery, list[Retrieved]]:
        r = self.retriever
        config = config or self.config
        prepared = prepare(question, history, r.vocabulary, self._project_aliases(), r.people, expand=config.on("expand"),
                           abbreviations=abbreviations_for(r.stats.abbreviations), parts=config.on("parts"),
                           names=self._names() if config.on("generalize") and config.general_weight > 0 else None,
                           identifiers=self._identifiers(config) if config.on("identifiers") else None,
                           ubiquitous=TermWeights(r.stats, config).ubiquitous if config.on("setting-statements") else None,
                           frequency=lambda word: r.stats.df.get(stem(word), 0), known_identifiers=r.stats.identifiers,
                           synonyms=GENERAL_SYNONYMS if config.on("synonyms") else None,  # (prepare applies them with expand only)
                           home=not filters or not filters.projects or any(p.lower() == HOME_PROJECT for p in filters.projects))
        reader_kinds = filters.kinds if filters else []
        read = prepared.read  # (the rules below read the question as meant: its typos corrected)
        filters = self._filters(read, prepared, filters, config)
        match, asked = self._template_answers(read, prepared, filters, config, reader_kinds)
        # (the release and the thread it names, read as the answer reads them: with the question before a
        # follow-up, "In cncf/toc#2201 ..." then "and the reply?")
        said = prepared.own_words or read
        releases = frozenset(asked_releases(said, r.windows.releases)) if config.on("release-focus") else frozenset()
        threads = frozenset(r.windows.threads_named(said, TermWeights(r.stats, config).ubiquitous)[0]) \
            if config.on("thread-references") else frozenset()
        search = " ".join([prepared.text, *(f"({words})" for words in prepared.searched_with)])
        if match:  # its label is what the answering passages call it ("Security Provider"): searched for too
            prepared = replace(prepared, template_sections=match.sections)
            search = f"{search} ({match.label})"
            if not filters.kinds:  # the template's own prompt restates the question, it doesn't answer it
                filters = replace(filters, kinds=sorted(self._store_kinds() - {"guide"}))
        if prepared.corrections and notices is not None:
            notices.append("Read " + ", ".join(f"{w!r} as {c!r}" for w, c in prepared.corrections.items()) + ".")
        prefer = Preference(
            kinds=prepared.kinds,
            projects=prepared.projects,
            revised=r.revised if prepared.wants_history else set(),
            question=read,
            sections=prepared.template_sections,
            aspects=r.windows.aspects if config.on("aspects") else frozenset(),
            speakers=frozenset(p.lower() for p in prepared.speakers) if config.on("speaker-prior") else frozenset(),
            releases=releases,
            threads=threads,
        )
        return prepared, r.retrieve(search, k=k, filters=filters, prefer=prefer, parts=prepared.parts,
                                    config=config, general=prepared.general, asked=asked,
                                    identifiers=prepared.identifiers, group=prepared.identifier_group)

    def _template_answers(self, question: str, prepared: PreparedQuery, filters: Filters,
                          config: QAConfig, reader_kinds=()) -> tuple[TemplateMatch | None, list[Retrieved]]:
        """Stage template-sections: the passages (within the filters) filed under the label of the
        template prompt the question restates; none when it restates none, points at the guides
        itself ("what does the template ask ...") or the reader chose them, or the store holds none.
        A question pasting several prompts ("Internal: how do team members communicate? Inbound: how do
        users reach the team?", "SBOM — link to the libraries used. How can a reviewer get it?") restates
        none as a whole: then each of its parts that restates one gets that prompt's sections, all of them
        answering together."""
        if not config.on("template-sections") or "guide" in prepared.kinds or "guide" in reader_kinds \
                or "guide" not in self._store_kinds() or self.composer.encoder is None:
            return None, []
        cache = self._cache()
        # (what it asks: "I'm going through the self-assessment for the TAG review." first names a heading,
        # "Self-assessment Use", that is no section the question asks for)
        whole = asking_part(question)
        restated, match = self._restated(question, whole, prepared, filters, config, cache)
        # (a prompt restated but answered by no admitted section, or vetoed by a heading the question names,
        # is the question's answer too: its parts are not asked again)
        parts = question_parts(question)[:MAX_TEMPLATE_PARTS] if not restated else []
        matches = [m for _, m in (self._restated(part, whole, prepared, filters, config, cache) for part in parts) if m]
        if matches:
            match = replace(matches[0], label="; ".join(dict.fromkeys(m.label for m in matches)),
                            sections=frozenset().union(*(m.sections for m in matches)))
        if match is None:
            return None, []
        # (a prompt pasted before a question of the reader's own, which restates none: the prompt says where
        # the template files the topic, the question what it asks; its answer may be filed anywhere)
        if config.on("own-question") and self._asks_its_own(question, prepared, filters, cache, config):
            return None, []
        index = cache["labels"]
        return match, [Retrieved(c, 1.0) for c in index.chunks.values() if (c.meta.source, c.meta.section) in match.sections]

    def _asks_its_own(self, question: str, prepared: PreparedQuery, filters: Filters, cache: dict,
                      config: QAConfig) -> bool:
        """Stage own-question: after the prompt it pastes, ``question`` asks a question of the reader's own, with
        words of its own (not only "What does Kubeflow have?"), far in meaning from the prompt (below
        ``own_question_similarity``) and restating no prompt itself: "Actors: ... isolated ... If a Katib
        controller is compromised, what is the blast radius?" asks about a compromise, not the actors; "...
        How does someone report a suspected vulnerability?" restates the disclosure prompt in the reader's
        words; "Internal. How do team members communicate?" is a prompt after its label."""
        prompt, own = before_and_from_first_question(question)
        if not prompt.strip() or not TermWeights(cache["retriever"].stats, config).focus(own):
            return False
        encoder, vector = self.composer.encoder, cache["retriever"].embed_query(own)
        if encoder.similarities(vector, [prompt])[0] >= config.own_question_similarity:
            return False
        # (nor does it, or one of its parts, restate a prompt: "How do team members communicate? And who rotates keys?")
        return not any(self._restated(part, part, prepared, filters, config, cache)[0]
                       for part in dict.fromkeys([own, *question_parts(own)[:MAX_TEMPLATE_PARTS]]))

    def _restated(self, question: str, whole: str, prepared: PreparedQuery, filters: Filters, config: QAConfig,
                  cache: dict) -> tuple[bool, TemplateMatch | None]:
        """Whether ``question`` (the whole question or one of its parts) restates a template prompt, and the
        project's sections filed under its label (None when no admitted passage holds it, or when the
        ``whole`` question names another section's heading)."""
        r = cache["retriever"]  # (the cache's own: a reopen on another thread swaps both together)
        # the template asks of "the project": "How does Kubeflow communicate with its users?" restates
        # "How do you communicate with your users?" once the name is the template's own word
        asked = [question, as_any_project(question, [HOME_PROJECT, *prepared.projects])]
        vectors = [r.embed_query(text) for text in dict.fromkeys(asked)]
        encoder = self.composer.encoder

        def similarities(texts: list[str]) -> list[float]:
            return [max(sims) for sims in zip(*(encoder.similarities(v, texts) for v in vectors), strict=True)]

        # where the prompt may be: the guides' best passages by words (a restatement shares most of the
        # prompt's; a dense search here cost every question a Chroma query, ~25 ms, and found no more)
        found = r.bm25(asked[-1], GUIDE_PASSAGES, Filters(kinds=["guide"]))
        prompt = restated_prompt(asked[-1], found, similarities, config.template_similarity)
        if prompt is None:
            return False, None
        rules = metadata_filters(filters)
        return True, match_template(whole, prompt, self._label_index(cache),
                                    lambda chunk: admits(chunk.meta, rules, filters.source_glob),
                                    abbreviations_for(r.stats.abbreviations))

    def _filters(self, question: str, prepared: PreparedQuery, filters: Filters | None, config: QAConfig) -> Filters:
        """The reader's filters, completed from the question: superseded revisions for a history question;
        for a question that names no project (nor files), Kubeflow's files and the reader's own
        unlabelled ones, without TAG Security's guides unless it points at them ("the template", "TAG"):
        a guide shares a template question's wording but says how to write the answer, not what it is.
        For a question naming projects (and not reaching beyond them: "other projects"), those projects'
        files, Kubeflow's and unlabelled ones; not Kubeflow's when it asks what their own documents say and
        names nothing of Kubeflow's (stage source-prior: off, every project's files answer).
        A store without Kubeflow's files is another project's (or a reader's own folder): every file of
        it answers, guides too (the scope, ``_scope``, still leaves guides out of what declines)."""
        filters = filters or Filters()
        by_case = {p.lower(): p for p in self.retriever.projects}
        if any(p and p not in self.retriever.projects for p in filters.projects):
            filters = replace(filters, projects=[by_case.get(p.lower(), p) for p in filters.projects])  # "Kubeflow"
        unknown = sorted(set(filters.projects) - self.retriever.projects - {""})
        if unknown:  # a typo (or a client ignoring the UI's choices) would find nothing and say so wrongly
            near = difflib.get_close_matches(unknown[0].lower(), list(by_case), n=5, cutoff=0.5)
            known = near or sorted(self.retriever.projects)[:12]
            raise KfqaError(f"No project {', '.join(map(repr, unknown))} in the store: "
                            f"{'did you mean' if near else 'choose from'} {', '.join(known)} (kfqa stats lists them all).")
        if filters.include_superseded is None:
            filters = replace(filters, include_superseded=prepared.wants_history)
        chosen = filters.projects or filters.sources or filters.source_glob
        home = HOME_PROJECT in self.retriever.projects
        if home and not chosen and not prepared.projects and not asks_about_other_projects(question):
            # Other CNCF projects' assessments are there for comparisons; a question that names no
            # project is about Kubeflow (guides and a reader's own folders belong to no project).
            # (A store without Kubeflow's files is some other project's: every file of it answers.)
            filters = replace(filters, projects=[HOME_PROJECT, ""])
            kinds = self._store_kinds()
            if not filters.kinds and "guide" not in prepared.kinds:
                filters = replace(filters, kinds=sorted(kinds - {"guide"}) or sorted(kinds))
        elif home and not chosen and prepared.projects and not asks_beyond_named_projects(question) \
                and config.on("source-prior"):
            # a question naming projects ("Kubeflow vs Flux: ...") is about those (and Kubeflow, whose
            # components it may name alone: "OpenKruise's webhooks vs the Spark Operator's"): a third
            # project's assessment shares its words, not its subject
            # ... and only those when it asks what their own documents say ("Per Volcano's self-assessment, where
            # should reports be sent?" is not answered by Kubeflow's own disclosure section), naming neither
            # Kubeflow nor any of its components (nor what an abbreviation stands for: "KCD", Kubeflow Community
            # Distribution); a question about how another project is used with Kubeflow's reads both
            said = " ".join([prepared.read, *prepared.expansions])
            aliases = self._project_aliases()
            own = all(asks_own_document(question, p, aliases.get(p, ())) for p in prepared.projects) and not compares(question)
            home_named = HOME_PROJECT in prepared.projects or bool(names_in(said, {*self._components(), HOME_PROJECT}))
            filters = replace(filters, projects=sorted({*prepared.projects, "", *([] if own and not home_named else [HOME_PROJECT])}))
        return filters

    def _cache(self) -> dict:
        """What is kept per opened store (its kinds, names, scopes), dropped when the store is reopened.
        Callers use the dict this returns: UI requests run on threads, and a reopen swaps it whole."""
        cache = self._scopes
        if cache.get("retriever") is not self.retriever:  # reopened: a new store generation
            cache = {"retriever": self.retriever}
            self._scopes = cache
        return cache

    def _store_kinds(self) -> set[str]:
        cache = self._cache()
        kinds = cache.get("kinds")
        if kinds is None:
            kinds = cache["kinds"] = {c.meta.kind for c in self.retriever.chunks.values()}
        return kinds

    def _scope(self, filters: Filters, prepared: PreparedQuery) -> Scope | ScopeUnion:
        """The sources the question is about, for the answerability stage: those the filters admit, but
        not TAG Security's guides unless it points at them (a guide asking "is data encrypted at rest?"
        says nothing of whether Kubeflow's data is)."""
        guides = "guide" in prepared.kinds or "guide" in filters.kinds
        if len(filters.projects) > 1:  # each named project's part built once, shared by every question naming it
            parts = [self._scope(replace(filters, projects=[p]), prepared) for p in sorted(filters.projects)]
            parts = [part for part in parts if part.texts]
            labels = {part.label for part in parts}  # (a reader's unlabelled files are no project's)
            return ScopeUnion(next(iter(labels)) if len(labels) == 1 else "", parts)
        key = ("scope", tuple(filters.projects), tuple(filters.kinds), filters.source_glob, tuple(filters.sources),
               bool(filters.include_superseded), guides)
        cache = self._cache()
        scope = cache.get(key)
        if scope is None:
            rules = metadata_filters(filters)
            admitted = [c for c in self.retriever.chunks.values()
                        if admits(c.meta, rules, filters.source_glob) and (guides or c.meta.kind != "guide")]
            # named in the notice when they all belong to one project (a reader's own folder has none)
            projects = {c.meta.project for c in admitted}
            label = next(iter(projects)) if len(projects) == 1 else ""
            scope = Scope(label[:1].upper() + label[1:], [f"{c.meta.section} {c.text}".lower() for c in admitted])
            if sum(1 for k in cache if isinstance(k, tuple)) >= MAX_SCOPES:  # each holds its files' text
                cache = self._scopes = {k: v for k, v in cache.items() if not isinstance(k, tuple)}
            cache[key] = scope
        return scope

    def _identifiers(self, config: QAConfig) -> Identifiers:
        """The store's titled identifiers, each title's specific terms weighed once per opened store and config."""
        store_cache = self._cache()
        cache = store_cache.setdefault("identifiers", {})
        groups = config.identifier_group_share if config.on("identifier-groups") else 0.0
        key = (config.ubiquity_share, config.ubiquity_min_df, config.identifier_coverage, groups)
        if key not in cache:
            stats = store_cache["retriever"].stats  # the store generation this cache belongs to
            weights = TermWeights(stats, config)
            titles = {ident: [f for f in map(weights.focus, titles) if len(f) >= 2] for ident, titles in stats.identifiers.items()}
            cache[key] = Identifiers({ident: found for ident, found in titles.items() if found}, config.identifier_coverage, groups)
        return cache[key]

    def _components(self) -> set[str]:
        """Kubeflow's components as the store names them (its component folders, and the abbreviations
        the store defines for them: "KFP"), for stage component-focus and the source prior; once per
        opened store. Another project's abbreviation ("CoCo", Confidential Containers) names no component."""
        cache = self._cache()
        if "components" not in cache:
            r = self.retriever
            sources = {c.meta.source for c in r.chunks.values()}
            cache["components"] = store_names(sources, {HOME_PROJECT}, r.stats.abbreviations) - r.projects - {HOME_PROJECT}
        return cache["components"]

    def _project_aliases(self) -> dict[str, tuple[str, ...]]:
        """Each project of the store with the other names the store gives it ("ESO"), once per opened store."""
        cache = self._cache()
        if "project aliases" not in cache:
            r = self.retriever
            # (the home project's own abbreviations, "KFP", name its components: ``_components``; counted as the
            # project's name, "the project's KFP" would name a project and "the project" no longer be Kubeflow)
            aliases = project_aliases(r.projects, r.stats.abbreviations)
            cache["project aliases"] = {p: () if p == HOME_PROJECT else a for p, a in aliases.items()}
        return cache["project aliases"]

    def _names(self) -> set[str]:
        """The store's project and component names (stage "generalize"), once per opened store."""
        cache = self._cache()
        names = cache.get("names")
        if names is None:
            r = self.retriever
            names = cache["names"] = store_names({c.meta.source for c in r.chunks.values()}, r.projects, r.stats.abbreviations)
        return names

    def _llm_answer(self, question, retrieved, notices) -> Iterator[str]:
        """Generator: streams LLM text live; returns the verified Answer, or the ``Generation`` that
        says why to fall back to extraction."""
        from kfqa.qa.llm import LLMError, fallback_notice, stream_answer_with_llm

        answer = None
        try:
            for item in stream_answer_with_llm(question, retrieved, self.settings):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        except LLMError as exc:
            notices.append(fallback_notice(exc))
            return exc.generation
        answer.retrieved = retrieved
        answer.notices = notices + answer.notices
        return answer


def composer_for(retriever: HybridRetriever) -> Composer:
    """The composer over a retriever's statistics and windows; sentence similarity by the query encoder."""
    encoder = SentenceEncoder(lambda texts: get_query_embed_model().get_text_embedding_batch(texts))
    return Composer(retriever.stats, retriever.windows, encoder, retriever.embed_query)


def check_question(question: str) -> tuple[str, list[str]]:
    """The question to answer, and notices about what was done to it. Empty questions are refused."""
    if question is None or not question.strip():
        raise KfqaError("The question is empty: ask something, e.g. kfqa ask \"Who runs the Katib controllers?\"")
    question = " ".join(question.split())
    notices = []
    if len(question) > MAX_QUESTION_CHARS:
        notices.append(
            f"The question was {len(question):,} characters long; only its first {MAX_QUESTION_CHARS:,} were used."
        )
        question = question[:MAX_QUESTION_CHARS]
    return question, notices


def _timings(started: float, retrieved_at: float) -> dict[str, float]:
    done = time.perf_counter()
    return {
        "retrieve": (retrieved_at - started) * 1000,
        "answer": (done - retrieved_at) * 1000,
        "total": (done - started) * 1000,
    }


def facets(prepared: PreparedQuery) -> list:
    """What the answer should draw on, each if it can: every kind of source the question names, every
    project a comparison names ("does cert-manager's answer it the same way?" needs both rows) and, for a
    history question, both the current and the superseded revision."""
    named = [lambda chunk, kind=kind: chunk.meta.kind == kind for kind in prepared.named_kinds]
    if compares(prepared.own_words or prepared.read):  # (what retrieval's project-search reads too)
        named += [lambda chunk, project=project: chunk.meta.project == project for project in prepared.projects]
    if prepared.wants_history:
        named += [lambda chunk: not chunk.meta.superseded, lambda chunk: chunk.meta.superseded]
    return named
