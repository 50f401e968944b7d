"""Understanding the question before retrieval: abbreviations, typos, history intent, follow-ups.

Abbreviations expand to the phrase the store itself defines them by ("Kubeflow Community
Distribution (KCD)"), or to a short list of general security acronyms.
Typos are corrected against the corpus vocabulary (the BM25 index's words; ``qa.typos``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from math import fsum

from kfqa.config import HOME_PROJECT
from kfqa.qa.names import (
    generalized,
    home_named,
    login_parts,
    name_expansions,
    named_people,
    named_projects,
)
from kfqa.qa.terms import DISCOURSE_TERMS, GENERAL_ABBREVIATIONS, is_common
from kfqa.qa.typos import (
    apply_corrections,
    correct_typos,
    restore_apostrophes,
    shortened_identifiers,
    unclipped,
)
from kfqa.termstats import stem, stop_words, terms
from kfqa.text import CAMEL_SPLIT_RE, camel_words, normalize, split_sentences


def abbreviations_for(defined: dict[str, str]) -> dict[str, str]:
    """The general list joined with a store's own definitions (the general phrasing wins a clash)."""
    return {**{a: phrase for a, phrase in defined.items() if len(a) >= 2}, **GENERAL_ABBREVIATIONS}


# Phrases that say the question is about the document's history, so superseded revisions count: an
# earlier revision named ("the first draft", "the initial self-assessment"), or two compared.
_REVISION = r"(revision|draft|submission|self-assessment|document)s?"
_HISTORY_RE = re.compile(
    r"\b(first ((submitted|reviewed|proposed|posted) )?(revision|draft|version)|original (draft|version)|initial (draft|version|revision)|"
    r"earlier (draft|version|revision)|previous (draft|version|revision)|before (the )?review|"
    r"what changed|how (did|has|have) .{0,80}\b(change|evolve)|changed (during|after|in) (the )?review|"
    r"(version|draft|revision) (first )?submitted|submitted for review|"
    rf"(original|initial|earlier|previous|prior|older) (submitted |reviewed )?{_REVISION}|"
    rf"between (the )?(two |both )?{_REVISION}|"
    r"during review|in the first|(draft|revision) history|was .{0,60} there (in|before))",
    re.IGNORECASE,
)
# ... and, in a question that names the document or a part of it, a change asked about: tied to the
# review in either order ("Did the authors section change after the reviewer asked ...?", "After the
# reviewer asked ..., was anything added to the document?"), or an earlier state ("originally", "used to")
_DOCUMENT_RE = re.compile(r"\b(self-assessment|assessment|draft|revision|document|section|overview|wording)\b", re.I)
_CHANGE = r"(change[sd]?|changing|evolved?|revised|updated|rewritten|reworded|added|removed|dropped|deleted|taken out)"
_REVIEW = r"(review(er|ers)?|feedback|comments?)"
_DOCUMENT_CHANGE_RE = re.compile(
    rf"\b{_CHANGE}\b.{{0,80}}\b(during|after|since|following|in response to|through)\b.{{0,40}}\b{_REVIEW}\b|"
    rf"\b(after|since|following|in response to)\b.{{0,40}}\b{_REVIEW}\b.{{0,80}}\b{_CHANGE}\b|"
    rf"\b{_CHANGE} (from|in|to|of|out of)\b.{{0,40}}\b{_REVISION}|"
    r"\bused to (?:\w+ )?(say|be|list|describe|claim|include|mention|have)\b|\boriginally\b|\bno longer (in|there|says?|mentions?|lists?)\b",
    re.IGNORECASE,
)

# Follow-ups lean on the previous turn: pronouns with no subject of their own, or "and ...?" openers.
_FOLLOW_UP_RE = re.compile(
    r"^\s*(and|also|what about|how about|then|so|but)\b|\b(it|its|it's|they|them|their|this|that|these|those|he|she)\b",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


# Words that name a review itself (a question saying "asked" or "comment" may mean something else)
_NAMES_REVIEW = r"\breview(er|ers)?\b|\bthread\b|\bprs?\b|\bpr\s*#?\d+|pull request|\bissue\s*#?\d+"
# Words that say which kind of source a question is about: boosts, never filters
# (cross-source questions need the other kinds too).
KIND_HINTS: dict[str, re.Pattern] = {
    "audit": re.compile(r"\baudit(or|ors|ed)?s?\b|ada[ -]logics|ada-kubefl|\bfindings?\b|scorecard", re.I),
    "review": re.compile(_NAMES_REVIEW + r"|comment|\basked\b|\banswered\b|graduation|due diligence|\bdd\b", re.I),
    "docs": re.compile(r"kubeflow\.org|\bdocs?\b|documentation|website|\bpage\b", re.I),
    # ("Outline the project's disclosure process" asks for an outline; "the assessment outline" names one)
    "guide": re.compile(r"\btag\b|tag security|template|\bguide|\bassessment['’]?s?\s+outline\b", re.I),
    "assessment": re.compile(r"self-assessment|assessment", re.I),
}


@dataclass
class PreparedQuery:
    original: str  # what the user typed (possibly cut)
    text: str  # what retrieval searches for: context + corrections + expansions
    wants_history: bool
    corrections: dict[str, str]
    expansions: list[str]
    # the words sources say a word of the question in (stage synonyms, "login": "username password"): searched for
    # with ``text``, never scored as terms of the question (a sentence about passwords answers no question about
    # rotating registry logins)
    searched_with: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # kinds of source the question asks about (boosted)
    # every kind it names, context too ("The audit found X. How does the assessment ..."): each gets a point
    named_kinds: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # projects the question names
    parts: list[str] = field(default_factory=list)  # a many-part question's parts, searched for too
    general: str = ""  # the question without the names it holds (stage "generalize"), searched for too
    people: list[str] = field(default_factory=list)  # logins of the review threads' people it names (stage speaker)
    # (source, section) of the passages answering the template prompt it restates (stage template-sections)
    template_sections: frozenset = frozenset()
    identifiers: list[str] = field(default_factory=list)  # titled identifiers it describes (stage identifiers)
    # ... or names by a value their titles share, "rated Critical" (stage identifier-groups)
    identifier_group: list[str] = field(default_factory=list)
    # how many things the question asks (its parts, whether or not stage parts searches them; stage part-points)
    asks: int = 1
    # the reader's own words (context + corrections, no expansions): what answerability reads, since an
    # expansion kfqa added ("TOC" -> "Technical Oversight Committee") is nothing the question names
    own_words: str = ""
    # the question as typed, its typos corrected (no context, no expansions): what the rules reading the
    # question's own wording read ("how many reivewers" counts reviewers)
    corrected: str = ""

    @property
    def read(self) -> str:
        return self.corrected or self.original

    @property
    def speakers(self) -> list[str]:
        """Of ``people``, those it asks what they said (``asked_about``): read once for stages speaker-prior
        and speaker-words."""
        return asked_about(self.own_words or self.read, self.people)


def kind_hints(question: str) -> list[str]:
    return [kind for kind, pattern in KIND_HINTS.items() if pattern.search(question)]


# A sentence that asks: it ends with a question mark (before closing quotes, and before the expansions
# query preparation appends in parentheses); a "?" inside a URL or a quote doesn't make one.
_ASKS_RE = re.compile(r"\?[\"')\]]*(?:\s*\([^()]*\))?\s*$")
# words that point back at what an earlier sentence named ("We keep keys in Vault. Can X read from it?")
_POINTERS = "it|its|this|these|those|them|there"
# ("so that", "such that" join a clause of purpose or result, pointing at nothing)
_BACK_REFERENCE_RE = re.compile(rf"\b(?:{_POINTERS}|(?<!\bso )(?<!\bsuch )that)\b", re.I)
# ... pointing back at a statement naming nothing but documents (``without_setting``): not "that", which
# joins a clause far more often ("in scope that actually isn't")
_POINTS_AT_DOCUMENT_RE = re.compile(rf"\b(?:{_POINTERS})\b", re.I)


def asking_sentences(question: str) -> list[str]:
    return [s for s in split_sentences(question) if _ASKS_RE.search(s)]


def _set_up(question: str, points_back: re.Pattern) -> tuple[list[str], int] | None:
    """The question's sentences and where its first question starts, when statements come before its
    questions and no question points back at them (``points_back``); None otherwise."""
    sentences = split_sentences(question)
    asking = [i for i, s in enumerate(sentences) if _ASKS_RE.search(s)]
    if not asking or asking[0] == 0 or any(points_back.search(sentences[i]) for i in asking):
        return None
    return sentences, asking[0]


def asking_part(question: str) -> str:
    """The question without the statements that set it up: "We offboard people by pulling their
    RoleBindings. If someone ... does the cron job stop?" asks the second sentence; the first tells
    what the reader does. Kept whole when it has no question mark, when nothing comes before its
    questions, or when they point back at what the statements named ("... Can X read from it?")."""
    return premise_and_asking(question)[1]


def expansion_terms(text: str, abbreviations: dict[str, str]) -> set[str]:
    """Terms of the phrases the abbreviations ``text`` holds stand for ("RBAC": role-based, access, control),
    as query preparation appends them."""
    return {t for token in _TOKEN_RE.findall(text) for t in terms(abbreviations.get(token.lower(), ""))}


def premise_part(question: str) -> str:
    """The statements that set the question up, which ``asking_part`` leaves out ("" for none)."""
    return premise_and_asking(question)[0]


def premise_and_asking(question: str) -> tuple[str, str]:
    """The statements that set the question up ("" for none) and the rest, which asks (``asking_part``)."""
    found = _set_up(question, _BACK_REFERENCE_RE)
    if found is None:
        return "", question
    sentences, first = found
    setting = [i < first and s.rstrip().endswith(".") for i, s in enumerate(sentences)]
    return (" ".join(s for s, out in zip(sentences, setting, strict=True) if out),
            " ".join(s for s, out in zip(sentences, setting, strict=True) if not out))


_QUESTION_WORDS = "what|whats|how|who|whom|whose|why|when|where|which|did|does|do|is|are|was|were|can|could"
_LOWER_QUESTION_START_RE = re.compile(rf"(?<=[.!?])(?<!\.[a-z]\.)\s+(?=(?:{_QUESTION_WORDS})\b)")
_QUESTION_WORD_RE = re.compile(rf"(?:{_QUESTION_WORDS})\b", re.I)


def from_first_question(question: str) -> str:
    """The sentences that ask, without any before them (whatever they point back at): "Justin asked
    whether ... What did the project answer?" asks the second; without a question mark, the first opening
    with a question word does ("cappos asked if ... what did the maintainer answer"), else the whole."""
    return before_and_from_first_question(question)[1]


def before_and_from_first_question(question: str) -> tuple[str, str]:
    """The sentences before the question's first question ("" for none) and ``from_first_question``."""
    # (a reviewer types the question after a full stop in lower case: "... controllers. what did ...")
    sentences = [p for s in split_sentences(question) or [question] for p in _LOWER_QUESTION_START_RE.split(s)]
    asking = [i for i, s in enumerate(sentences) if _ASKS_RE.search(s)] \
        or [i for i, s in enumerate(sentences) if _QUESTION_WORD_RE.match(s)] or [0]
    return " ".join(sentences[: asking[0]]), " ".join(sentences[asking[0]:])


def asked_about(question: str, people) -> list[str]:
    """Of ``people`` (logins), those the question asks what they said: named from its first question on,
    not only in a statement before it ("Justin asked whether ... What did the project answer?"), and not as
    the one asked to do something ("what did andreyvelich ask franciscojavierarceo to change": the asker spoke)."""
    asking = from_first_question(question)
    named = named_people(asking, set(people))
    return [login for login in named if not _addressed(asking, login)]


# a person asked or told to do something: "ask franciscojavierarceo to change", "told Andrey to"
_ADDRESSED_RE = re.compile(r"\b(?:ask|asks|asked|asking|tell|tells|told|telling|want|wants|wanted|request|requests|"
                           r"requested)\s+@?([\w-]+)\s+to\b", re.I)


def _addressed(question: str, login: str) -> bool:
    return any(word.lower() == login.lower() or name_expansions(word, {login})
               for word in (m.group(1) for m in _ADDRESSED_RE.finditer(question)))


# the reader speaking of themselves ("I'm going through ...", "our platform team"), capitalised or not
# ("i.e." is no "I")
_FIRST_PERSON_RE = re.compile(r"(?<![\w.])(?:i|i'm|i've|i'd|we|we're|we've|our|my|me|us)(?![\w.'-])", re.I)


def without_setting(question: str, projects: Collection[str], ubiquitous: Callable[[str], bool]) -> str:
    """The question without the statements before it in which the reader only says what they are doing
    ("I'm going through the Kubeflow security self-assessment for the TAG review. Who runs the Katib
    controllers?"): in the first person, naming kinds of source, every other word a stop word, the home
    project's name, a word whose terms are in nearly every passage (``ubiquitous``: "security") or an activity in
    common English ("going", "reviewing"). Such a statement names no topic, and the kinds it names are
    where the reader is, not what they ask about. Kept when a question points back at it ("I'm reading
    the audit. What did it find?"), when it names another project ("I'm going through the Knative
    self-assessment."), says something ("We're worried about the audit's finding on leaked secrets.") or
    names no source ("I'm putting a custom app behind the dashboard.": a setup, in common words)."""
    found = _set_up(question, _POINTS_AT_DOCUMENT_RE)
    if found is None:
        return question
    sentences, first = found
    lead = 0
    while lead < first and _only_setting(sentences[lead], projects, ubiquitous):
        lead += 1
    return " ".join(sentences[lead:]) if lead else question


def _only_setting(sentence: str, projects: Collection[str], ubiquitous: Callable[[str], bool]) -> bool:
    sentence = sentence.replace("’", "'")
    # (``named_projects`` names none when the home project is the only one)
    if not _FIRST_PERSON_RE.search(sentence) or not kind_hints(sentence) or named_projects(sentence, projects):
        return False
    words = [w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", sentence)]
    return all(w in stop_words() or w == HOME_PROJECT or kind_hints(w) or (w.endswith("ing") and is_common(w))
               or (terms(w) and all(map(ubiquitous, terms(w)))) for w in words)


def asked_kinds(question: str) -> list[str]:
    """The kinds of source the question asks about. A question of several sentences asks the kinds its
    asking sentences name ("Ada Logics worries that ... How does the self-assessment deal with that
    risk?" asks the assessment; the audit is what it was told); naming none, those ``asking_part`` keeps
    name: every sentence when a question points back at the statements ("... How does Kubeflow's document
    handle that?") or comes first, else the questions and any statement not ending in a full stop
    (a full-stop statement no question points back at tells what the reader is doing). A question of one
    sentence, or without a question mark, asks every kind it names."""
    sentences = split_sentences(question)
    asking = asking_sentences(question)
    if len(sentences) > 1 and asking:
        named = kind_hints(" ".join(asking))
        if named:
            return named
        # (a statement the question doesn't point back at tells what the reader is doing, "I'm going
        # through the self-assessment for the TAG review.": the kinds it names are not where the answer is)
        return kind_hints(asking_part(question))
    return kind_hints(question)


def lead_kinds(kinds: list[str], question: str) -> list[str]:
    """The kinds a question asks about that may choose its lead (stage kind-lead): a review only when
    the question names one ("the reviewer", "the thread"), not when it merely says "asked" or "comment"."""
    return [k for k in kinds if k != "review" or re.search(_NAMES_REVIEW, question, re.I)]


# English words by which a question names revisions of a document and their change
_REVISION_TERMS = frozenset(stem(w) for w in (
    "revision revisions draft drafts version versions submitted submission first original initial earlier previous "
    "prior older current latest final change changed changes changing evolve evolved "
    # (and the words asking how two revisions differ, or that their structure did)
    "compare compared comparing comparison differ differs difference differences "
    "reorganise reorganize reorganised reorganized reorganisation reorganization restructure restructured "
    "restructuring rearrange rearranged rearrangement").split())


def names_revisions(word: str) -> bool:
    """Each term of ``word`` names revisions or how they differ ("reorganised"): what a history question
    compares, not a name its sources must hold."""
    found = terms(word)
    return bool(found) and all(t in _REVISION_TERMS for t in found)


def without_revision_words(focus: dict[str, float]) -> dict[str, float]:
    """A history question's terms less its words naming revisions ("the first submitted draft", "current",
    "changed", "compare"): they say which versions it compares, not what: every section of both holds them
    alike. (All of them, when it has no other.)"""
    return {t: w for t, w in focus.items() if t not in _REVISION_TERMS} or focus


def wants_history(question: str) -> bool:
    return bool(_HISTORY_RE.search(question)) or bool(
        _DOCUMENT_RE.search(question) and _DOCUMENT_CHANGE_RE.search(question))


def is_follow_up(question: str) -> bool:
    return len(question.split()) <= 12 and bool(_FOLLOW_UP_RE.search(question))


def prepare(
    question: str,
    history: list[str] | None,
    vocabulary: set[str],
    projects: Collection[str] = frozenset(),
    people: set[str] = frozenset(),
    expand: bool = True,
    abbreviations: dict[str, str] | None = None,
    parts: bool = True,
    names: set[str] | None = None,
    identifiers: Identifiers | None = None,
    home: bool = True,
    ubiquitous: Callable[[str], bool] | None = None,
    frequency: Callable[[str], int] | None = None,
    known_identifiers: Collection[str] = (),
    synonyms: dict[str, str] | None = None,
) -> PreparedQuery:
    """The retrieval query for ``question``: follow-ups carry the previous question along.

    ``expand=False`` skips typo correction and abbreviation/name expansion, ``parts=False`` the
    search for a many-part question's parts (stages "expand" and "parts"). ``abbreviations``:
    abbreviation -> phrase (default: the general list only). ``names``: the store's component and
    project names; with them the question is also searched without its names (stage "generalize").
    ``identifiers``: the store's titled identifiers; those whose title the question describes go in
    ``PreparedQuery.identifiers`` (stage "identifiers": the passages naming them join the candidates).
    ``projects``: the store's projects; a mapping gives each the other names it goes by (``project_aliases``).
    ``home=False``: the reader chose other projects than the home one, so "the project" is none of its.
    ``ubiquitous``: whether a term is in nearly every passage of the store (``TermWeights.ubiquitous``); with
    it, a statement in which the reader only says what they are doing is left out (stage
    "setting-statements", ``without_setting``).
    ``frequency``: how many passages hold a corpus word; with it, a clipped word ("perms") is searched with
    the word it clips ("permission").
    ``known_identifiers``: the store's identifiers ("ADA-KUBEFL-04"); one written without its middle part
    ("ADA-04") is read as the identifier it stands for, a correction like a typo's.
    ``synonyms``: word -> the words sources say it in ("creds": "username password"; stage "synonyms", with
    ``expand`` only), in ``PreparedQuery.searched_with``.
    """
    known = abbreviations if abbreviations is not None else GENERAL_ABBREVIATIONS
    context = ""
    if history and is_follow_up(question):
        context = history[-1].strip() + " "
    persons = {part for login in people for part in login_parts(login)}
    corrections = restore_apostrophes(question, {p.lower() for p in projects}, persons, vocabulary) if expand else {}
    if expand:
        corrections |= shortened_identifiers(question, known_identifiers)
    text = apply_corrections(question, corrections)
    if expand:
        typos = correct_typos(text, vocabulary, known)
        text = apply_corrections(text, typos)
        corrections |= typos
    # (what the reader says they are doing is no part of what they ask: searched, it found the TAG guides)
    if ubiquitous is not None:
        text = without_setting(text, projects, ubiquitous)
    expansions = []
    searched_with: list[str] = []  # (stage synonyms: searched for, but no words of what is asked)
    for token in set(_TOKEN_RE.findall(text)) if expand else ():
        # (a common word of four letters or more, in lower case, is that word, not an abbreviation: "what kind
        # of bug" asks nothing of KinD; "db", "sa" and "ui" typed in lower case are abbreviations all the same)
        phrase = known.get(token.lower()) if not (token.islower() and len(token) >= 4 and is_common(token)) else None
        if phrase and phrase.lower() not in text.lower():
            expansions.append(phrase)
        elif CAMEL_SPLIT_RE.search(token) and not token.isupper():  # NetworkPolicy -> network policy
            expansions.append(" ".join(camel_words(token)).lower())
        elif frequency is not None and (whole := unclipped(token, vocabulary, frequency)):
            expansions.append(whole)  # "perms" -> permission: the word the sources write
        if synonyms and (said := synonyms.get(token.lower())) and said not in searched_with \
                and not all(w in text.lower() for w in said.split()):
            searched_with.append(said)
    asked = asked_kinds(text)
    # (the project's name, not "the project", is what its passages say: searched with it, the Overview's
    # "Kubeflow aims to provide the following security properties" answers the template's Goals prompt)
    # (not in a question about the guides: "the project team" there is any project's)
    # (nor when the question or the one it follows names a project: "What about the project's SBOM?")
    if expand and home and HOME_PROJECT in projects and home_named(context + text, projects) \
            and "guide" not in asked:
        expansions.append(HOME_PROJECT)
    split = question_parts(text)  # the question alone: no earlier question, no expansions
    by_part = name_expansions(text, people) if people else []  # (read once: expansions and stage speaker)
    people_named = by_part if expand else []
    expansions += people_named
    scope = context + text
    # a question naming a person who wrote in the review threads asks what they said there
    said_by = ["review"] if people_named else []
    full = (context + text + (" (" + "; ".join(sorted(expansions)) + ")" if expansions else "")).strip()
    kinds = list(dict.fromkeys(kind_hints(context) + asked + said_by))
    described = identifiers.described_by(text) if identifiers else []
    return PreparedQuery(
        original=question,
        text=full,
        wants_history=wants_history(text) or (bool(context) and wants_history(context)),
        corrections=corrections,
        expansions=sorted(expansions),
        searched_with=sorted(searched_with),
        kinds=kinds,
        named_kinds=list(dict.fromkeys(kind_hints(scope) + said_by)),
        projects=named_projects(scope, projects),
        parts=split if parts else [],
        asks=max(1, len(split)),
        general=generalized(text, names) if names is not None else "",
        people=named_people(text, people, by_part) if people else [],
        identifiers=described,
        # (a group only of the kinds of source asked about: "Which security functions does the self-assessment
        # mark as Critical?" is not about the audit's Critical findings, nor is a question naming no kind)
        identifier_group=identifiers.grouped_by(text, described) if identifiers and kinds else [],
        own_words=(context + text).strip(),
        corrected=text,
    )


_HYPHENATED_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")


@dataclass
class Identifiers:
    """Identifiers the sources give a title ("ADA-KUBEFL-02 SSRF in Kserve HTTPSProvider Moderate
    Reported", ``TermStats.identifiers``), each title as its specific terms with their weights. A
    reviewer describes a finding by what it is ("the KServe GCS path traversal"), while the thread
    that settles it names only its identifier ("ADA-KUBEFL-03 is out of scope ..."): a question
    holding ``share`` or more of a title's terms searches for its identifier too. Not in the query text:
    the identifier finds passages, it doesn't make a sentence naming it a better answer."""

    titles: dict[str, list[dict[str, float]]]  # (titles of fewer than two terms describe nothing: left out)
    share: float
    # stage identifier-groups: a term held by at most this share of a family's identifiers names a group
    group_share: float = 0.0

    def described_by(self, question: str) -> list[str]:
        """The identifiers the question names, or describes by a title."""
        low, asked = question.lower(), set(terms(question))  # the question read once, however many titles
        # (named: BM25 reads "ADA-KUBEFL-10" as three common tokens, and missed the finding's own page)
        named = set(_HYPHENATED_RE.findall(low))
        return [ident for ident, titles in self.titles.items() if ident.lower() in named or (ident.lower() not in low and any(
            fsum(w for t, w in title.items() if _title_term_asked(t, asked)) >= self.share * fsum(title.values())
            for title in titles))]

    def grouped_by(self, question: str, described: list[str]) -> list[str]:
        """The identifiers a question names by a value their titles share ("Which findings were rated
        Critical?": the three whose titles say "Critical"), when it names or describes none alone
        (``described``, from ``described_by``). A shared value is a term every title of each of them holds
        (a severity, a component: repeated wherever the identifier is listed, where a status note is not)
        and at most ``group_share`` of the family's identifiers hold (not "Reported", which all do)."""
        if not self.group_share or described:
            return []
        asked = set(terms(question))
        return sorted({ident for term, group in self._groups.items() if term in asked for ident in group})

    @cached_property
    def _groups(self) -> dict[str, frozenset[str]]:
        """Each title term that names a group: the identifiers of one family holding it in every title."""
        families: dict[str, list[str]] = {}
        for ident, titles in self.titles.items():
            if titles:
                families.setdefault(ident.split("-", 1)[0].upper(), []).append(ident)  # "ADA", "CVE", "GHSA"
        groups: dict[str, set[str]] = {}
        for members in families.values():
            holders: dict[str, set[str]] = {}
            for ident in members:
                for term in set.intersection(*(set(title) for title in self.titles[ident])):
                    holders.setdefault(term, set()).add(ident)
            for term, held in holders.items():
                if 2 <= len(held) <= self.group_share * len(members):
                    groups.setdefault(term, set()).update(held)
        return {term: frozenset(held) for term, held in groups.items()}


def _title_term_asked(term: str, asked: set[str]) -> bool:
    """A title's term the question holds; a dotted code name, "MinioObjectStore.GetFile", is held by any of its
    parts ("the GetFile issue": a method is named without its type)."""
    return term in asked or ("." in term and any(part in asked for part in term.split(".") if part))


# A phrase the reader put in quotes ("the 'security provider' answer"): opening quote after a space or
# the start, closing quote before a space, punctuation or the end (so "Kubeflow's" opens nothing).
_QUOTED_RE = re.compile(r"""(?:^|(?<=[\s(]))['"‘“]([^'"’”]{3,80}?)['"’”](?=[\s.,;:?!)]|$)""")


def quoted_phrases(question: str) -> list[str]:
    """Phrases the question quotes, normalised: the passage should hold them as they stand."""
    return [normalize(p) for p in _QUOTED_RE.findall(question) if len(p.split()) >= 2]


_PART_SPLIT_RE = re.compile(r"(?<=[.?!])\s+|[;:]\s+|,\s+(?:and|but|or)\s+(?=\w)|\s+and\s+(?=(?:what|who|how|was|were|is|are|did|does|do|which|why|where|when)\b)", re.I)
MIN_PART_WORDS = 4


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("The assessment says X. Do the docs add
    caveats?", "did the audit agree, and was it closed out?"): each is searched for on its own too,
    so the passage answering the second part isn't crowded out by the first. [] for a one-part question."""
    parts = [p.strip(" ,") for p in _PART_SPLIT_RE.split(question) if p and p.strip(" ,")]
    # a part with fewer than two topic words ("what did they say?") would only add noise
    parts = [p for p in parts if len(p.split()) >= MIN_PART_WORDS and len(set(terms(p)) - DISCOURSE_TERMS) >= 2]
    return parts if len(parts) > 1 else []
