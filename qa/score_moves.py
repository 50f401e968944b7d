"""What moves the composer's scored candidate sentences between scoring and selection, each part of a named
stage of ``QAConfig``: lifts for what the question quotes or names, yields for passages filed under another
component or release or about other numbered items, the speakers and voices an answer must hear from, and
the test that a value of the kind asked for is stated at all (``value_stated``, which stage answer-type
declines on; ``states_value`` is what stage value-lift lifts). Not the retrieval priors, which move passages
(``qa.retrieval``)."""

from __future__ import annotations

import re

from kfqa.qa.answer_type import AskedValue
from kfqa.qa.selection import Candidate, is_statement, without_header
from kfqa.qa.stages import QAConfig
from kfqa.text import identifiers_in, naming_re, normalize


def heard_from(candidates: list[Candidate], people, config: QAConfig) -> list[Candidate]:
    """Stage speaker (after the answerability decision, which it never moves): sentences of the named
    people's own comments score ``speaker_boost`` times, so what they wrote comes before comments naming them."""
    spoke = {p.lower() for p in people}
    for cand in candidates:
        if cand.comment.lower() in spoke:
            cand.score *= config.speaker_boost
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def value_stated(asked: AskedValue, candidates: list[Candidate], config: QAConfig, identifiers=()) -> bool:
    """A sentence near the question's topic states the value it asks for: a relevant candidate about as
    close to the topic as the best of them ("close to 200 contributors" doesn't say how many maintainers
    see the reports), however it ranks, states or lists it. A question naming identifiers (stage
    identifier-values: "ADA-KUBEFL-08's exposure score") is answered only by a passage naming one, the
    floor set among those: the audit's scale ("5: The security issue exists in core components") scores
    no finding, and how close it is to the question's words says nothing of the finding's page."""
    near = [c for c in candidates if c.relevant]
    if named := naming_re(identifiers):
        passages = {c.hit.chunk.id: c.hit.chunk.text for c in near}  # (each passage searched once)
        naming = {pid for pid, text in passages.items() if named.search(text)}
        near = [c for c in near if c.hit.chunk.id in naming]
    floor = config.value_coverage * max((c.coverage for c in near), default=0.0)
    return any(states_value(asked, c) or asked.enumerated_by(c.listed, without_header(c.text)) for c in near if c.coverage >= floor)


def states_value(asked: AskedValue, candidate: Candidate) -> bool:
    """The sentence, or the list it brings, states a value of the kind asked for."""
    return any(asked.stated_in(piece) for piece in (candidate.text, *candidate.items))


def identifier_voices(candidates: list[Candidate], written, floor: float) -> list[Candidate]:
    """Stage identifier-voices: for each kind of source, its best relevant statement naming one of the identifiers
    the question writes, if it scores at least ``floor`` of the best (``select`` adds those of kinds it chose
    nothing from). Why: the audit describes "ADA-KUBEFL-13" and the DD thread settles it ("clarified as not a
    vulnerability"); a question in the audit's words ("is that actually a vuln?") ranks only the audit."""
    named = naming_re(written)
    best = max((c.score for c in candidates), default=0.0)
    voices: dict[str, Candidate] = {}
    for cand in sorted(candidates, key=lambda c: c.score, reverse=True):
        if cand.score < floor * best:
            break
        if cand.relevant and is_statement(cand) and named.search(cand.text):
            voices.setdefault(cand.hit.chunk.meta.kind, cand)
    return list(voices.values())


def lift_naming(candidates: list[Candidate], identifiers, boost: float) -> None:
    """Stage identifier-lift: a sentence naming one of the ``identifiers`` the question describes or names
    a group of scores ``boost`` times (the rows of a table of findings, the thread's ruling on one), and so
    does each sentence of an item's own page (stage identifier-pages: "The workflow should sanitize ...")."""
    named = naming_re(identifiers)
    for cand in candidates:
        if cand.on_item_page or (named is not None and named.search(cand.text)):
            cand.score *= boost


def about_others(candidates: list[Candidate], identifiers) -> None:
    """Stage other-identifiers: a question naming items of a numbered scheme ("ADA-KUBEFL-12") is not
    answered by a sentence naming only other items of that scheme (the findings table's row for
    ADA-KUBEFL-09), nor by a lead-in whose list names only such: it is about other items, however many of
    the question's words it shares."""
    if not identifiers:
        return
    asked = {i.upper() for i in identifiers}
    schemes = {_scheme(i) for i in asked}
    for cand in candidates:
        if cand.on_item_page:  # (an asked item's own page naming another is still about the asked one)
            continue
        named = set(identifiers_in(" ".join([cand.text, *cand.listed])))  # (a lead-in: with its list's)
        if named and not named & asked and {_scheme(i) for i in named} & schemes:
            cand.relevant = False


def _scheme(identifier: str) -> str:
    """The scheme an identifier is numbered in: "ADA-KUBEFL" of "ADA-KUBEFL-12", "CVE" of "CVE-2019-11248"."""
    return re.match(r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*", identifier.upper()).group(0)


def lift_quoted(candidates: list[Candidate], phrases: list[str]) -> None:
    """Sentences holding a phrase the reader quoted, as it stands, come first: the best of them leads,
    the others follow it before any other point. The rest keep their scores, so the support floor
    (a share of the lead's score) admits the same points as before."""
    holding = [c for c in candidates if any(p in normalize(" ".join([c.text, *c.items])) for p in phrases)]
    if not holding:
        return
    top = max(c.score for c in candidates)
    holding.sort(key=lambda c: c.score, reverse=True)
    for i, cand in enumerate(holding):
        cand.score = top * (1.0001 - 1e-6 * i)


def filed_elsewhere_yield(candidates: list[Candidate], factor: float, elsewhere) -> None:
    """Stages component-focus and release-focus: a question about one component or release ("Notebook pods
    ... what service account?", "Which dex version ships with Kubeflow Community Distribution 26.03?") is
    answered from passages about it, or general ones; a sentence whose passage is filed under another one
    (``elsewhere(chunk)``: its section or page names another: "Actions > Kubeflow Spark Operator", "... 1.9.1 >
    Dependency Versions") scores ``factor`` of its score."""
    filed: dict[str, bool] = {}  # chunk id -> filed elsewhere (read once)
    for cand in candidates:
        chunk = cand.hit.chunk
        if chunk.id not in filed:
            filed[chunk.id] = elsewhere(chunk)
        if filed[chunk.id]:
            cand.score *= factor
