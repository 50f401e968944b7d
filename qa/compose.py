"""The grounded extractive answerer (the default: no model).

Every line of an answer is a sentence, list item or code line of a retrieved passage, quoted
as it stands (code lines in backticks, list marks replaced by the answer's own), ending with
the [n] marker of the passage it comes from: nothing is stated that a cited passage doesn't
say. ``Composer.gather`` reads the candidate sentences of the best passages and scores them
(IDF-weighted overlap with the question's terms plus the rank of their passage, and for the best
few their similarity to the question), decides answerability (``qa.answerability``) and selects
the answer's sentences (``qa.selection``); ``qa.answer_lines`` writes the answer. The score moves
between scoring and selection (lifts, yields) are in ``qa.score_moves``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import fsum

from kfqa.config import HOME_PROJECT
from kfqa.qa.answer_lines import Composition, render
from kfqa.qa.answer_type import AskedValue
from kfqa.qa.answerability import (
    ABSTAIN_TEXT,
    Decision,
    Scope,
    SentenceEncoder,
    answer_score,
    decide,
)
from kfqa.qa.merging import Windows, with_following_window, with_list_read_on
from kfqa.qa.names import (
    asked_releases,
    filed_under,
    filed_under_another_release,
    heading_anchor,
    heading_name,
    names_heading,
    names_in,
    names_section,
    person_terms,
    subject_key,
)
from kfqa.qa.outline import Entry, asked_moves, asks_about_sections, moves, outline, quotes
from kfqa.qa.query import (
    abbreviations_for,
    asked_about,
    expansion_terms,
    names_revisions,
    premise_and_asking,
    quoted_phrases,
)
from kfqa.qa.ranked import extremes
from kfqa.qa.score_moves import (
    about_others,
    filed_elsewhere_yield,
    heard_from,
    identifier_voices,
    lift_naming,
    lift_quoted,
    states_value,
    value_stated,
)
from kfqa.qa.selection import (
    Candidate,
    attributed,
    comment_authors,
    is_statement,
    repeats,
    select,
    without_header,
)
from kfqa.qa.sentences import (
    LIST_MARK_RE,
    answerable_sentences,
    listed_after,
    points_forward,
    setting_keys,
    setting_lines,
)
from kfqa.qa.stages import QAConfig
from kfqa.qa.terms import TermWeights, coverage
from kfqa.termstats import OpenCompounds, TermStats, terms
from kfqa.text import identifiers_in, without_link_targets
from kfqa.types import Retrieved

# a sentence sending the reader to a section of its own page: "see [Current Limitations](#current-limitations)"
_SEE_LINK_RE = re.compile(r"\bsee\s+(?:the\s+)?\[[^\]]+\]\(#([\w-]+)\)", re.I)
# a link alone, or a row of badges ("[![OpenSSF Best Practices](.../badge)](...) [![Scorecard](...)](...)");
# a row of named links ("[Katib](...), [KServe](...)") lists things, and stays
_LINK_ONLY_RE = re.compile(r"^\s*(?:\[[^\]]*\]\([^)]*\)|(?:\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*)+)[\s.;,]*$")
SIMILARITY_CHARS = 600  # of a sentence and its list, compared with the question
HEADING_TIE_BREAK = 0.05
LIST_QUESTION_COVERAGE = 0.8  # a lead-in holding this share of the question's terms is what it asks about
LIST_WINDOWS = 3  # windows a list running past its passage's end is read on into (quoted lists are cut at MAX_ITEM_CHARS)
ITEM_PAGE_HEAD_LINES = 6  # an item's own page names it in its header: its title, severity, status, then "ID ..."

__all__ = ["ABSTAIN_TEXT", "Candidate", "Composer", "Composition", "Evidence", "render"]


@dataclass
class Evidence:
    candidates: list[Candidate]  # the sentences selected for the answer, lead first
    decision: Decision
    scored: list[Candidate] = field(default_factory=list)  # every candidate read, best first

    @property
    def confident(self) -> bool:
        return self.decision.answerable and bool(self.candidates)


class Composer:
    def __init__(self, stats: TermStats, windows: Windows | None = None, encoder: SentenceEncoder | None = None,
                 query_vector=None):
        self.stats = stats
        self._abbreviations = abbreviations_for(stats.abbreviations)  # (the store's and the general ones)
        self.windows = windows or Windows({})
        self.encoder = encoder  # None: answerability from term coverage alone
        self.query_vector = query_vector  # question -> vector (the retriever's cached query embedding)
        self._outlines: dict[str, list[Entry]] = {}  # source -> its table of contents (stage outline-moves)

    def _complete(self, hit: Retrieved, config: QAConfig) -> Retrieved:
        """A passage that ends on a lead-in ("This could be achieved by:") is read together with
        the next window of its section, which holds the list; with stage list-windows, a Markdown
        passage whose lead-in's list runs to its end is read on while the next windows go on with it."""
        if hit.chunk.text.rstrip().endswith(":"):
            hit = with_following_window(hit, self.windows) or hit
        if not config.on("list-windows") or not hit.chunk.meta.source.endswith((".md", ".markdown")):
            return hit
        return with_list_read_on(hit, self.windows, LIST_WINDOWS)

    # --- evidence --------------------------------------------------------------------------
    def gather(self, question: str, retrieved: list[Retrieved], facets=(), config: QAConfig | None = None,
               scope: Scope | None = None, sections: frozenset = frozenset(),
               asked: AskedValue | None = None, history: bool = False, kinds=(), parts: int = 1,
               people=(), own_words: str = "", components=frozenset(), identifiers=(),
               speakers: list[str] | None = None, described=(), label: str = "") -> Evidence:
        """Candidate sentences of the best passages, scored; the answerability decision (``scope``: the
        sources the question is about, whose silence on a name it holds declines it); the selection.
        ``sections``: (source, section) the question asks for in a template prompt's words: each of
        their sentences answers as one under a heading that holds all of the question (the question's
        words are the prompt's, not the answer's, so a sentence elsewhere sharing them doesn't outrank
        it). ``asked``: the kind of value the question asks for (stage answer-type).
        ``history``: the question asks how a document changed, so "the Overview" is that document's.
        ``kinds``: the kinds of source the question asks about (stage kind-lead: the lead comes from one).
        ``parts``: how many parts the question asks (stage part-points: each beyond the first gets a point more).
        ``people``: logins of the review threads' people the question names (stage speaker).
        ``own_words``: the question without kfqa's expansions (its typos corrected, a follow-up's previous
        question before it): what the answerability checks read (default: ``question``).
        ``components``: the store's component names (stage component-focus). ``identifiers``: those the
        question names or describes (a facet's sentence naming one passes the facet floor). ``described``: those
        it describes by their title (stage identifiers), whose own pages are about it when it describes one.
        ``label``: the template's label the question opens with ("Predisposing conditions: "), which the
        answerability checks leave out."""
        config = config or QAConfig()
        weights = TermWeights(self.stats, config)
        focus, weight = weights.focus(question), weights.weights(question)
        # (a name in a statement setting the question up, "We offboard people by ...", is not what it asks)
        premise, asking = premise_and_asking(own_words or question)
        if premise and config.on("premise-terms"):
            # (what the question's own words and their expansions don't hold: the premise's words, and
            # what its abbreviations stand for, "TOC": "Technical Oversight Committee")
            own = set(terms(asking)) | expansion_terms(asking, self._abbreviations)
            only_premise = set(weight) - own
            focus, weight = _premise_lighter(focus, only_premise, config), _premise_lighter(weight, only_premise, config)
        # (``speakers``: of ``people``, those it asks what they said, as ``PreparedQuery.speakers`` reads them)
        if not config.on("speaker-words"):
            speakers = []
        elif speakers is None:
            speakers = asked_about(own_words or question, people)
        written = identifiers_in(own_words or question)
        # (stage identifier-pages: the identifiers the question writes; not those of a group it names, "rated
        # Critical": each such page would crowd out the sentence that counts them)
        # (and the one it describes by its title, "the SSRF in the CreatePipelineV1 API"; describing several,
        # it asks what they share, their status or their ruling, not each one's page)
        about = set(written) | (set(described) if len(described) == 1 else set()) \
            if config.on("identifier-pages") else set()
        releases = asked_releases(own_words or question, self.windows.releases) if config.on("release-focus") else set()
        # (stage thread-references: the thread the question names by number, or by repository and title)
        said = own_words or question
        threads, thread_words = self.windows.threads_named(said, weights.ubiquitous) \
            if config.on("thread-references") else (set(), "")
        # (stage setting-lines: the keys the reader writes that are specific terms, "expirationSeconds", "audience")
        keys = setting_keys(said, lambda word: bool(terms(word)) and set(terms(word)) <= focus.keys()) \
            if config.on("setting-lines") else set()
        candidates = self._candidates(question, retrieved, focus, weight, config, sections, history,
                                      people if config.on("speaker-words") else (), speakers, about, parts,
                                      set(written), releases, threads, thread_words, keys)
        for cand in candidates:
            cand.score = config.lexical_weight * cand.lexical + (1 - config.lexical_weight) / (1 + cand.rank)
        if config.on("quoted-phrases"):
            lift_quoted(candidates, quoted_phrases(question))
        if config.on("identifier-lift"):
            lift_naming(candidates, identifiers, config.identifier_boost)
        if config.on("other-identifiers"):
            about_others(candidates, written)
        # (a question of several parts may name the component in one of them only)
        if config.on("component-focus") and config.other_component_factor != 1.0 and components and parts <= 1:
            asked_components = names_in(own_words or question, components)
            if asked_components:
                filed_elsewhere_yield(candidates, config.other_component_factor, lambda chunk: bool(
                    (filed := names_in(f"{chunk.meta.section} {chunk.meta.source}", components)) and not filed & asked_components))
        if releases:
            filed_elsewhere_yield(candidates, config.other_release_factor,
                                  lambda chunk: filed_under_another_release(chunk, releases))
        if asked and config.on("value-lift"):  # (a relevant sentence stating the value asked for moves up)
            for cand in candidates:
                if cand.relevant and states_value(asked, cand):
                    cand.score *= config.value_boost
        candidates.sort(key=lambda c: c.score, reverse=True)
        self._answer_scores(question, candidates, config)
        # (the template's label the question opens with names where the answer is filed, not what it asks)
        checked = asking[len(label):] if label and asking.startswith(label) else asking
        # (stage rare-word-meaning: a rare word declines unless it carries almost none of the meaning, "any gotcha")
        meaningful = (lambda words: self._meaning_words(checked, words, config.rare_importance)) \
            if config.on("rare-word-meaning") and self.encoder is not None else None
        unknown = weights.unknown_names(checked, scope if scope and scope.texts else None, meaningful)
        # (a question restating a template prompt holds the prompt's words: its answer is filed under the
        # prompt's label, in the project's own words)
        if config.on("absent-words") and config.on("answerability") and scope and scope.texts and not sections:
            unknown += self._meaning_words(checked, weights.absent_words(checked, scope, unknown), config.absent_importance)
        if history and config.on("revision-words"):  # ("how was it reorganised?": a change names nothing)
            unknown = [name for name in unknown if not names_revisions(name)]
        decision = decide([c.answer_score for c in candidates[: config.semantic_candidates]], unknown, config,
                          scope.label if scope else "")
        if decision.answerable and asked and config.on("answer-type") and config.on("answerability") \
                and not value_stated(asked, candidates, config,
                                     written if config.on("identifier-values") else ()):
            decision = replace(decision, answerable=False, unstated=asked.what)
        if decision.answerable and people and config.on("speaker"):
            candidates = heard_from(candidates, people, config)
        voices = identifier_voices(candidates, written, config.voice_floor) if written and config.on("identifier-voices") else []
        chosen = select(candidates, facets, config, kinds, parts, identifiers, speakers, voices) if decision.answerable else []
        if chosen and sections and config.on("template-nearest"):
            chosen += self._nearest_elsewhere(question, candidates, chosen, sections, config)
        if chosen and config.on("see-links"):
            chosen = self._with_linked(question, chosen, focus, weight, config)
        if history and config.on("outline-moves") and retrieved and (chosen or not (unknown or decision.unstated)):
            # (after the lead: what moved, in each revision; what moved answers a question no sentence answers,
            # "Which sections were moved or removed?", unless it names what the sources never mention)
            moved = self._outline_moves(question, retrieved[: config.passages_read], weight, chosen)
            if moved and not chosen:
                decision = replace(decision, answerable=True)
            chosen = chosen[:1] + moved + chosen[1:]
        if chosen and config.on("ranked-sections"):
            chosen = _ranked_first(chosen, extremes(asking, retrieved[: config.passages_read], self.windows.scored_groups))
        if config.on("attribution"):
            chosen = attributed(chosen)
        return Evidence(chosen, decision, candidates)

    def _candidates(self, question: str, retrieved, focus, weight, config: QAConfig,
                    sections: frozenset = frozenset(), history: bool = False, people=(), speakers=(),
                    about: set[str] = frozenset(), parts: int = 1, written=frozenset(),
                    releases: set[str] = frozenset(), threads: set[str] = frozenset(),
                    thread_words: str = "", keys: set[str] = frozenset()) -> list[Candidate]:
        q_terms = set(weight)
        release_terms = q_terms & set(terms(" ".join(releases)))
        thread_terms = q_terms & set(terms(thread_words))
        total = fsum(weight.values()) or 1.0  # fsum: exact, so no tie depends on set order
        # (stage speaker-words: the words naming a person say who wrote the answer, not what it says: they
        # count for no sentence that only names someone, and for each one written by a person of ``speakers``,
        # those the question asks what they said)
        name_terms = {t for p in people for t in q_terms & person_terms(p, q_terms)}
        named_by = {p.lower(): q_terms & person_terms(p, q_terms) for p in speakers}
        aspects = self.windows.aspects if config.on("aspects") else frozenset()
        candidates: list[Candidate] = []
        hits = [self._complete(h, config) for h in retrieved[: config.passages_read] if not h.chunk.meta.flagged]
        asked = {h.chunk.id: self._asked_section(question, h, focus, sections, history, aspects) for h in hits}
        if config.on("aspects") and parts <= 1:  # (one part of several may ask about the parent)
            _narrowest_asked(hits, asked, sections)
        continued: dict[tuple[str, str], tuple[str, int]] = {}  # (source, section key) of an item's page -> it, its rank
        # (stage heading-terms: a sentence says, at this share of their weight, the question's words its heading
        # path holds: "you may log in with:" under "Kubeflow Community Distribution > kubectl port-forwarding" is
        # about that distribution, as much as a sentence naming it elsewhere)
        heading_share = config.heading_share if config.on("heading-terms") else 0.0
        # (stage phrasal-compounds: a question's "login" is a sentence's "log in")
        compounds = OpenCompounds(q_terms) if config.on("phrasal-compounds") else None
        for rank, hit in enumerate(hits):
            heading = hit.chunk.meta.section_key or hit.chunk.meta.section
            title = heading_name(heading.rpartition(" > ")[2])
            template = (hit.chunk.meta.source, hit.chunk.meta.section) in sections
            asked_section = asked[hit.chunk.id]
            heading_terms = set() if asked_section else set(terms(title))
            # under the heading the question names ("the non-goals"), each point answers as the heading
            # does, and one holding the question's words itself more so
            # (a history question's other words say which revisions, not what the section says)
            named_heading = q_terms & self._named_heading_terms(question, heading, hit, aspects) if asked_section else set()
            # (stage template-siblings: a question restating a template prompt filed under one heading and naming
            # a sibling, "Internal ... and outbound", asks both alike)
            sibling = asked_section and config.on("template-siblings") and _template_sibling(hit.chunk.meta, sections)
            heading_lexical = 1.0 if template or (history and asked_section) or sibling else (
                fsum(weight[t] for t in named_heading) / total if asked_section else 0.0)
            passage_cover = coverage(focus, f"{hit.chunk.text} {heading}")
            heading_words = set(terms(heading))  # (the whole path's: each sentence's coverage counts them)
            # (what its heading path says of a sentence, stage heading-terms: not the document's title, which every
            # section of an assessment is filed under, nor a review thread's path of numbers, dates and logins)
            lifting_heading = set() if not heading_share or hit.chunk.meta.kind == "review" else \
                heading_words - set(terms(hit.chunk.meta.title)) - name_terms
            # (stage document-names: the words naming the document, "the Ada Logics 2025 audit", say where
            # the answer is, not which of its sentences it is: each of its sentences holds them alike)
            doc_name_terms = self.windows.name_terms_asked(hit.chunk.meta, q_terms, config.document_name_df,
                                                           config.document_name_words) if config.on("document-names") else set()
            # (stage release-focus: the release the question names says where the answer is, as a document's
            # name does: each sentence of a passage filed under it holds it)
            if release_terms and filed_under(hit.chunk, releases):
                doc_name_terms = doc_name_terms | release_terms
            # (stage thread-references: so does the number naming a thread, "cncf/toc#2201", for its passages)
            if thread_terms and hit.chunk.meta.source in threads:
                doc_name_terms = doc_name_terms | thread_terms
            # (stage identifier-pages: a passage naming one identifier only, one the question asks about, is
            # that item's own page, "ID ADA-KUBEFL-09" in a finding's header: each sentence is about it)
            # (a page that goes on under the item page's heading is the item's too, as near the question)
            section = (hit.chunk.meta.source, heading)  # (the heading path without a PDF's "Page N >")
            item, item_rank, heading_said = _item_page(hit.chunk.text, about), rank, True
            if item:
                continued.setdefault(section, (item, rank))
            elif section in continued:
                (item, item_rank), heading_said = continued[section], False
            # (every sentence of it is about what the title says: relevant by those of its words the question holds,
            # "that kfp minio GetFile issue — how big of an object?" answered by "a large object can make Pipelines
            # read 50 TiB into memory", under "MinioObjectStore.GetFile – ...")
            about_page = q_terms & set(terms(f"{item} {title}")) if item else set()
            # (each sentence scores as holding the item's name; on a page going on under its heading, which names it
            # nowhere, or on its first page when the question writes its name, the title's words too: on the first
            # page of an item the question only describes, they would score every sentence alike)
            own_page = (about_page if not heading_said or item in written else q_terms & set(terms(item))) if item else set()
            sentences = answerable_sentences(hit.chunk)
            numbered = list(enumerate(sentences))
            if keys and hit.chunk.meta.kind != "review":  # (a thread's sentences are its comments', in order)
                # (numbered apart: a setting line continues no sentence, and none continues it)
                numbered += [(len(sentences) + 1 + 2 * i, line) for i, line in enumerate(setting_lines(hit.chunk, keys))]
            authors = comment_authors(sentences, hit.chunk.meta.author) if hit.chunk.meta.kind == "review" else []
            seen: dict[str, int] = {}  # a lead-in said twice in a passage ("run the following command:")
            for position, sentence in numbered:
                if _LINK_ONLY_RE.match(LIST_MARK_RE.sub("", sentence)):
                    continue  # a bare link (a table of contents' line) is navigation, not an answer
                listed, quoted, introduces = self._listed(hit, sentence, seen, config, focus)
                items = listed if self._relevant_list(sentence, listed, focus) else []
                # (what it says, not where its links point: a link's path names whatever its target holds)
                body = without_link_targets(without_header(sentence) if authors else sentence)
                said = " ".join([body, *map(without_link_targets, items)])
                plain = set(terms(said))
                # (a compound written open counts beside the question's other words only: the dashboard's "you may
                # log in with:" is no point for "are the registry logins rotated?")
                opened = compounds.held(said) if compounds and plain & focus.keys() else set()
                s_terms = plain | opened
                if name_terms:
                    s_terms = (s_terms - name_terms) | named_by.get(authors[position][1].lower() if authors else "", set())
                own = coverage(focus, s_terms | heading_words)
                # a point is relevant by the question's terms it holds beyond its section heading's: under
                # "Katib Controller Parameters" every line names the Katib controller
                lead_in_terms = (plain | opened if listed and not items else s_terms) - heading_terms
                said_by_it = s_terms | doc_name_terms | own_page
                # (stage heading-terms: not under a heading the question asks for, which counts whole already)
                from_heading = (q_terms & lifting_heading) - said_by_it if not asked_section else set()
                candidates.append(Candidate(
                    sentence, hit, item_rank,
                    lexical=_with_heading((fsum(weight[t] for t in q_terms & said_by_it)
                                           + heading_share * fsum(weight[t] for t in from_heading))
                                          / total, heading_lexical),
                    terms=s_terms, position=position, items=quoted if items else [], listed=quoted, introduces=introduces,
                    coverage=(own + passage_cover) / 2,
                    under_asked_heading=asked_section, on_item_page=bool(item),
                    relevant=not focus or not config.on("point-relevance") or asked_section or (
                        coverage(focus, s_terms | about_page) >= config.support_coverage
                        and bool((lead_in_terms | about_page) & set(focus))),
                    comment=authors[position][1] if authors else "",
                    comment_no=authors[position][0] if authors else 0,
                    # (under a heading the question names, the heading's words are what the point says:
                    # "Inbound" and "Outbound" each answer their own part of "inbound and outbound channels")
                    asked_terms={t: weight[t] / total for t in q_terms & (s_terms | own_page | named_heading) if t in focus},
                ))
        return candidates

    def _nearest_elsewhere(self, question: str, candidates: list[Candidate], chosen: list[Candidate],
                           sections: frozenset, config: QAConfig) -> list[Candidate]:
        """Stage template-nearest: beside the section a restated template prompt is filed under, the lead-in
        of the same document elsewhere that is nearest the question in meaning, when near enough (the template
        files "what security guarantees is it meant to provide?" under Goals; Kubeflow's Overview says "Kubeflow
        aims to provide the following security properties:"), with its list."""
        if self.encoder is None or self.query_vector is None:
            return []
        documents = {source for source, _ in sections}
        said = {c.text for c in chosen} | {item for c in chosen for item in c.items}
        # (a lead-in and its list, not boilerplate: "This document serves to provide ... users with an initial
        # understanding", which every template-worded question is near; each once, from its fullest reading)
        lead_ins: dict[str, Candidate] = {}
        for c in candidates:
            if c.under_asked_heading or not c.relevant or c.hit.chunk.meta.source not in documents or c.text in said \
                    or len(c.listed) < 2 or any(item.startswith("`") for item in c.listed):
                continue
            if c.text not in lead_ins or len(c.listed) > len(lead_ins[c.text].listed):
                lead_ins[c.text] = c
        others = list(lead_ins.values())[:SIMILARITY_POOL]
        if not others:
            return []
        sims = self.encoder.similarities(self.query_vector(question), [c.text for c in others])
        best, near = max(zip(others, sims, strict=True), key=lambda pair: pair[1])
        return [replace(best, items=best.listed)] if near >= config.template_nearest else []

    def _with_linked(self, question: str, chosen: list[Candidate], focus, weight, config: QAConfig) -> list[Candidate]:
        """Stage see-links: after a chosen sentence that sends the reader to another section of its own page ("...
        are shared across all namespaces, see [Current Limitations](#current-limitations) for more details"), that
        section's first statement, with its list: the rest of what the sentence says is there. Each section once;
        nothing when its first statement is said already."""
        out: list[Candidate] = []
        followed: set[tuple[str, str]] = set()
        for cand in chosen:
            out.append(cand)
            link = _SEE_LINK_RE.search(cand.text)
            meta = cand.hit.chunk.meta
            anchor = link.group(1).lower() if link else ""
            if not anchor or (meta.source, anchor) in followed or anchor in map(heading_anchor, meta.section.split(" > ")):
                continue  # (a link to its own section says nothing more)
            followed.add((meta.source, anchor))
            under = self.windows.under_anchor(meta.source, anchor)
            if not under:
                continue
            linked = min(under, key=lambda c: c.meta.window)
            first = next((replace(c, items=c.listed, score=cand.score)
                          for c in self._candidates(question, [Retrieved(linked, cand.hit.score)], focus, weight, config)
                          if is_statement(replace(c, items=c.listed))), None)
            if first is not None and first.text not in {c.text for c in chosen + out} \
                    and not any(repeats(first, c) for c in chosen + out):
                out.append(first)
        return out

    def _outline_moves(self, question: str, retrieved: list[Retrieved], weight: dict[str, float],
                       chosen: list[Candidate]) -> list[Candidate]:
        """Stage outline-moves: for a history question about a revised document the passages come from, the
        lines of its revisions' tables of contents placing each section the question names that moved (each
        revision's own line, under the entry it nests in), quoted from each revision."""
        sources = {h.chunk.meta.source for h in retrieved}
        # (a document held in several earlier revisions: those the passages come from, else all of them)
        pairs = [p for p in self.windows.revision_pairs if p[1] in sources or p[0] in sources]
        pairs = [p for p in pairs if p[0] in sources] or pairs
        said = {(c.hit.chunk.id, c.text) for c in chosen}
        lead, out = chosen[0] if chosen else Candidate("", retrieved[0], 0, score=1.0), []
        asks_sections = asks_about_sections(question)
        for before, after in pairs:
            old, new = self._outline(before), self._outline(after)
            for quote in quotes(asked_moves(moves(old, new), old + new, set(weight), asks_sections)):
                if (quote.window.id, quote.line) in said:
                    continue
                said.add((quote.window.id, quote.line))
                out.append(Candidate(quote.line, Retrieved(quote.window, lead.hit.score), lead.rank, lexical=1.0,
                                     score=lead.score, coverage=1.0, items=list(quote.items)))
        return out

    def _outline(self, source: str) -> list[Entry]:
        if source not in self._outlines:
            self._outlines[source] = outline(self.windows.of_source(source))
        return self._outlines[source]

    @staticmethod
    def _asked_section(question: str, hit: Retrieved, focus, sections, history: bool, aspects) -> bool:
        """Whether the passage's section is what the question asks about (each of its points is relevant):
        filed under a template prompt the question restates, or named by its heading (its parent's heading as the
        question's label, the rest by its own: "Cloud native threat modeling: Explain the least minimal
        privileges ..."). (A one-word heading,
        "Overview" or "Requirements", is under too many sections to say which, unless the question asks how
        one document changed: then it is that document's, or names its parent's heading too; a hyphenated
        one, "Non-Goals", is two words.)"""
        heading = hit.chunk.meta.section_key or hit.chunk.meta.section
        parent, _, leaf = heading.rpartition(" > ")
        title = heading_name(leaf)
        # (... or with its parent's heading: "Communication channels, outbound: ..." names "Outbound")
        parent_heading = parent.rpartition(" > ")[2]
        parent_named = bool(parent) and names_heading(question, parent_heading)
        one_word_named = history or parent_named
        # (a prompt asked under its parent's heading as a label, "Cloud native threat modeling: Explain the least
        # minimal privileges ...": the label's words are the parent's, the rest must be the heading's)
        rest = {t: w for t, w in focus.items() if t not in set(terms(parent_heading))} if parent_named else {}
        return (hit.chunk.meta.source, hit.chunk.meta.section) in sections or bool(focus) and (
            coverage(focus, title) >= LIST_QUESTION_COVERAGE
            or (bool(rest) and coverage(rest, title) >= LIST_QUESTION_COVERAGE)
            or ((len(re.split(r"[\s-]+", title)) > 1 or one_word_named)
                and names_section(question, hit.chunk.meta.source, heading, (HOME_PROJECT,), aspects)))

    @staticmethod
    def _named_heading_terms(question: str, heading: str, hit: Retrieved, aspects) -> set[str]:
        """The terms of the section's heading, and of its parent's when that names an aspect of a subject
        the question names too ("the actors in Kubeflow Pipelines": "Actors > Kubeflow Pipelines (KFP)"):
        a point there is the one asked for, more than its parent section's on actors in general."""
        path = heading.split(" > ")
        named = set(terms(heading_name(path[-1])))
        if len(path) >= 2 and (hit.chunk.meta.source, subject_key(path[-1])) in aspects \
                and names_heading(question, path[-2]):
            named |= set(terms(heading_name(path[-2])))
        return named

    def _meaning_words(self, question: str, words: list[str], importance: float) -> list[str]:
        """Stages absent-words and rare-word-meaning: of ``words`` (the sources in scope never hold them), those
        that carry the question's meaning: leaving one out moves the question's vector by ``importance`` or more
        ("Does Kubeflow run a bug bounty program?" without "bounty" asks something else; without
        "worried", "... rate-limit requests? worried a tenant could DoS it" asks the same)."""
        if not words or self.encoder is None:
            return []
        without = [" ".join(re.sub(rf"\b{re.escape(w)}\b", " ", question, flags=re.I).split()) for w in words]
        whole, *rest = self.encoder.vectors([question, *without])
        return [w for w, vec in zip(words, rest, strict=True) if 1.0 - float(whole @ vec) >= importance]

    @staticmethod
    def _listed(hit: Retrieved, sentence: str, seen: dict[str, int], config: QAConfig,
                focus=()) -> tuple[list[str], list[str], bool]:
        """The list a lead-in introduces (stage lead-in-lists; a sentence ending its line that says "below" or
        "as follows" is a lead-in too, stage forward-lead-ins), without bare links: a list of links
        ("Some examples can be found here:") is navigation, not an answer; each item to its first sentence
        (what the lead-in is scored with), and as quoted: with stage item-sentences, on with a later
        sentence of the item holding a specific term of the question that the lead-in and what is quoted
        of the item lack ("The default value is `false`" for a question asking the default). Last, whether
        the sentence introduces what follows it at all: one that does says nothing without its list, also
        when the passage ends before the list begins."""
        # (each occurrence counted, lead-in or not: a sentence continuing its line at one place may end it
        # before a list at another)
        occurrence = seen.get(sentence, 0)
        seen[sentence] = occurrence + 1
        introduces = sentence.endswith(":") or config.on("lead-in-lists") and config.on("forward-lead-ins") \
            and points_forward(hit.chunk, sentence, occurrence)
        if not config.on("lead-in-lists") or not introduces:
            return [], [], introduces
        items = [i for i in listed_after(hit.chunk, sentence, occurrence) if not _LINK_ONLY_RE.match(i)]
        # (a term the lead-in holds says nothing new of any item: "Katib" under "configure the Katib controller:")
        wanted = set(focus) - set(terms(sentence)) if config.on("item-sentences") else set()
        if not items or not wanted:
            return items, items, introduces
        adds = lambda later, so_far: bool(wanted & set(terms(later)) - set(terms(so_far)))  # noqa: E731
        quoted = [i for i in listed_after(hit.chunk, sentence, occurrence, adds) if not _LINK_ONLY_RE.match(i)]
        return items, quoted if len(quoted) == len(items) else items, introduces

    @staticmethod
    def _relevant_list(sentence: str, items: list[str], focus) -> bool:
        """A lead-in's list is quoted with it when its items hold a specific term of the question that
        the lead-in doesn't, or the lead-in itself holds nearly all of them (the question asks for
        what it introduces)."""
        if not items or not focus or len(items) == 1:
            # (one item completes the sentence rather than listing: "... using the following command: docker sbom")
            return bool(items)
        added = set(terms(" ".join(items))) - set(terms(sentence))
        return bool(added & set(focus)) or coverage(focus, sentence) >= LIST_QUESTION_COVERAGE

    def _answer_scores(self, question: str, candidates: list[Candidate], config: QAConfig) -> None:
        """Answerability of the best few candidates (coverage mixed with similarity to the question);
        with stage sentence-similarity, their similarity also moves them in the ranking."""
        top = candidates[: config.semantic_candidates]
        sims: list[float | None] = [None] * len(top)
        reranks = config.on("sentence-similarity") and config.similarity_weight > 0
        wanted = config.semantic_weight > 0 or reranks
        if self.encoder is not None and self.query_vector is not None and wanted and top:
            texts = [" ".join([c.text, *c.items])[:SIMILARITY_CHARS] for c in top]
            sims = self.encoder.similarities(self.query_vector(question), texts)
        for cand, sim in zip(top, sims, strict=True):
            cand.answer_score = answer_score(cand.coverage, sim, config)
            if cand.under_asked_heading:  # the section the question asks for answers it, whatever its words
                cand.answer_score = max(cand.answer_score, config.answer_threshold)
            if sim is not None and reranks:
                cand.score = (1 - config.similarity_weight) * cand.score + config.similarity_weight * sim
        candidates[: len(top)] = sorted(top, key=lambda c: c.score, reverse=True)

    # --- answer ----------------------------------------------------------------------------
    def compose(self, question: str, retrieved: list[Retrieved], facets=(), config: QAConfig | None = None,
                kinds=(), people=()) -> Composition:
        """The answer; ``facets`` (predicates on a chunk: the kinds of source, the revisions a
        question names) each get a sentence when a relevant one exists; ``kinds``, ``people``: see ``gather``."""
        return self.render_evidence(self.gather(question, retrieved, facets, config, kinds=kinds, people=people))

    @staticmethod
    def render_evidence(evidence: Evidence) -> Composition:
        if not evidence.confident:
            notice = evidence.decision.notice
            return Composition(ABSTAIN_TEXT, True, [], [], [notice] if notice else [])
        return render(evidence.candidates)


SIMILARITY_POOL = 40  # best-scored sentences elsewhere that stage template-nearest compares with the question


def _item_page(text: str, about: set[str]) -> str:
    """The identifier, of ``about``, whose own page a passage is: it names that one in its first lines (a
    finding's header: "ID ADA-KUBEFL-09") and no other anywhere (a table of findings names them all; a
    passage mentioning one in passing, at its end, is no page of it). "" for none."""
    named = identifiers_in(text) if about else []
    head = "\n".join(text.splitlines()[:ITEM_PAGE_HEAD_LINES])
    return named[0] if len(named) == 1 and named[0] in about and named[0] in identifiers_in(head) else ""


def _with_heading(own: float, heading: float) -> float:
    """A sentence's overlap with the question under a heading that holds ``heading`` of it: the
    heading's share, the sentence's own words filling the rest, and (a heading that holds every word
    ties its sentences) a little more for a sentence that says the question's words itself."""
    return heading + (1 - heading) * own + HEADING_TIE_BREAK * own if heading else own


def _template_sibling(meta, sections: frozenset) -> bool:
    """The passage's section shares its document and parent heading with a section a restated template prompt
    is filed under ("Communication Channels > Outbound" beside "... > Internal")."""
    parent = meta.section.rpartition(" > ")[0]
    return bool(parent) and any(source == meta.source and section.rpartition(" > ")[0] == parent
                                for source, section in sections)


def _ranked_first(chosen: list[Candidate], ranked) -> list[Candidate]:
    """Stage ranked-sections: the headings of the highest and lowest scored sections asked for lead, each
    quoted from its section's first window; the answer's points follow."""
    top = [Candidate(s.heading, Retrieved(s.chunk, chosen[0].hit.score), chosen[0].rank, lexical=1.0,
                     score=chosen[0].score, coverage=1.0) for s in ranked]
    said = {(c.hit.chunk.id, c.text) for c in top}
    return [*top, *(c for c in chosen if (c.hit.chunk.id, c.text) not in said)]


def _narrowest_asked(hits: list[Retrieved], asked: dict[str, bool], sections=frozenset()) -> None:
    """A section the question names whose subsection it names too ("the actors in Kubeflow Pipelines":
    "Actors" and "Actors > Kubeflow Pipelines (KFP)") is not what it asks for: the subsection is (stage
    aspects). A section filed under the template prompt it restates (``sections``) stays asked for.
    ``asked``: by chunk id, updated in place."""
    named = {(h.chunk.meta.source, h.chunk.meta.section_key or h.chunk.meta.section) for h in hits if asked[h.chunk.id]}
    for hit in hits:
        source, heading = hit.chunk.meta.source, hit.chunk.meta.section_key or hit.chunk.meta.section
        if asked[hit.chunk.id] and (source, hit.chunk.meta.section) not in sections \
                and any(s == source and h.startswith(heading + " > ") for s, h in named):
            asked[hit.chunk.id] = False


def _premise_lighter(weights: dict[str, float], only_premise: set[str], config: QAConfig) -> dict[str, float]:
    """Stage premise-terms: a term only the statements setting the question up hold (``only_premise``: "Ada
    Logics says the Katib and Notebooks backends treat a request as authenticated ... What do the docs tell
    operators to do so that the header cannot be spoofed?") weighs ``premise_weight`` of its own: the premise
    tells what the reader knows, the question what they want; a sentence restating the premise answers
    nothing. (The question's expansions, "role-based access control" for "RBAC", keep their weight.)"""
    return {t: w * config.premise_weight if t in only_premise else w for t, w in weights.items()}
