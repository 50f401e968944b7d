"""Sentence selection: which candidate sentences make the answer, in what order.

The lead states the answer: the best-scored sentence that is neither a question nor a lead-in
without its list; when that best sentence is a reviewer's question in a review thread, the reply
that follows it leads instead (stage "replies"). Supporting points are each relevant to the
question themselves (they hold one of its specific terms), score at least ``support_floor`` of
the lead and come from a passage retrieved at least ``passage_floor`` as strongly as the best.
Each kind of source the question names gets a sentence when a relevant one exists (stage "facets").
When the question asks about one kind of source ("what did the reviewer ask ..."), the lead comes
from it if a relevant sentence of it scores close to the best (stage "kind-lead").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import fsum

from kfqa.qa.sentences import LIST_MARK_RE, MIN_WORDS, occurrences
from kfqa.qa.stages import QAConfig
from kfqa.text import IDENTIFIER_ROW_RE, ITEM_START_RE, naming_re, split_sentences
from kfqa.types import Retrieved

REPLY_WORDS = 60  # of a reply quoted after the question it answers
QUOTE_MIN_WORDS = 4  # words a later comment repeats of the reply to count as quoting it
_WORD_RE = re.compile(r"[a-z0-9']+")
REDUNDANT = 0.6  # share of shared terms that makes a sentence a repeat of a chosen one
REPEAT_MIN_TERMS = 4


@dataclass
class Candidate:
    text: str  # the sentence as it stands in the passage (whitespace folded)
    hit: Retrieved
    rank: int  # rank of its passage in the retrieved list (0 = best)
    lexical: float = 0.0  # IDF-weighted share of the question's terms the sentence holds
    score: float = 0.0
    terms: set[str] = field(default_factory=set)
    position: int = 0  # index of the sentence in its passage
    items: list[str] = field(default_factory=list)  # what a lead-in ("... the following resources:") introduces
    # its whole list as quoted, also when not relevant enough to quote alone
    listed: list[str] = field(default_factory=list)
    introduces: bool = False  # it introduces what follows it: ends on a colon, or says "below" (forward-lead-ins)
    coverage: float = 0.0  # share of the question's specific terms the sentence (and its list) holds
    relevant: bool = True  # holds at least one of the question's specific terms
    under_asked_heading: bool = False  # in the section the question names (or asks for in a template's words)
    answer_score: float = 0.0  # answerability (coverage mixed with similarity to the question)
    on_item_page: bool = False  # its passage is the own page of an item the question asks about (identifier-pages)
    comment: str = ""  # review threads: the author of the comment the sentence belongs to
    comment_no: int = 0  # ... and which comment of the passage it is (0 = the one the window starts in)
    said_by: str = ""  # stage attribution: the author the answer names before it (its own header doesn't)
    opening: str = ""  # ... and the comment's short opening said before it ("Thanks. This is much improved!")
    # the question's terms the sentence (and the list it introduces, when quoted) holds, each with its share
    # of the question's weight
    asked_terms: dict[str, float] = field(default_factory=dict)


def dangling(cand: Candidate) -> bool:
    """A lead-in whose list isn't there (or was left out as irrelevant, or lies past the passage's end) says
    nothing on its own; nor does a sentence pointing at what follows it ("... in the table below.", "...
    explained in the following sections.", stage forward-lead-ins) without a list of it to quote."""
    return not cand.items and (cand.text.endswith(":") or cand.introduces)


def bare_header(cand: Candidate) -> bool:
    """A review comment's header line alone ("andreyvelich (issue description, ...) (continued):")
    names who wrote what follows; it states nothing, so it neither leads nor makes a point."""
    return bool(cand.comment) and not without_header(cand.text).strip(" :")


def is_question(cand: Candidate) -> bool:
    return cand.text.rstrip().endswith("?")


def is_statement(cand: Candidate) -> bool:
    """Says something on its own: no question, no lead-in without its list, no bare comment header."""
    return not dangling(cand) and not is_question(cand) and not bare_header(cand)


def stated_question(cand: Candidate) -> bool:
    """A question a document asks (a questionnaire's prompt) states nothing; a reviewer's question in
    a thread is kept as a point, since the reply that answers it comes along (``with_continuations``)."""
    return is_question(cand) and cand.hit.chunk.meta.kind != "review"


def select(candidates: list[Candidate], facets=(), config: QAConfig | None = None, kinds=(),
           parts: int = 1, identifiers=(), speakers=(), voices=()) -> list[Candidate]:
    """The lead and up to ``max_points``-1 supporting sentences (``points_per_part`` more for each of a
    many-part question's ``parts`` beyond the first), then a sentence per uncovered facet.
    ``kinds``: the kinds of source the question asks about (stage kind-lead). ``identifiers``: those the
    question names or describes ("ADA-KUBEFL-13"): a facet's sentence naming one is about what it asks.
    ``speakers``: logins of the people the question asks what they said (stage speaker-words: their words lead).
    ``voices``: a sentence per kind of source, each added when no chosen sentence is of its kind (identifier-voices)."""
    config = config or QAConfig()
    points = config.max_points + (config.points_per_part * (parts - 1) if config.on("part-points") and parts > 1 else 0)
    if not candidates:
        return []
    by_passage = _by_passage(candidates)
    if candidates[0].listed and not candidates[0].items and config.on("lead-in-lists"):
        # the sentence that best matches the question introduces a list ("... the following non-blocking
        # cleanup items:"): what it introduces is what the question asks about, whatever words the items use
        candidates = [replace(candidates[0], items=candidates[0].listed), *candidates[1:]]
    asked = _speaker_lead(candidates, by_passage, speakers, config) if speakers else None
    if asked is None and config.on("kind-lead") and kinds:
        asked = _kind_lead(candidates, by_passage, kinds, config)
    lead, opening = asked or _lead(candidates, by_passage, config)
    # the questions a reviewer asks beside the lead are its point; when kind-lead puts the reply first,
    # those beside the reviewer's words it answers too
    beside = opening if asked else [lead]
    chosen = [*opening]
    top = max(c.hit.score for c in candidates)
    # a point scores at least support_floor of the lead; the questions a reviewer asks beside the lead are
    # its point, whatever their own words score
    pool = [
        c for c in candidates
        if c not in chosen and ((c.relevant and not stated_question(c)) or _asked_beside(c, beside))
        and c.hit.score >= config.passage_floor * top and not dangling(c) and not bare_header(c)
        and (c.score >= config.support_floor * lead.score or _asked_beside(c, beside))
    ]
    novelty = config.novelty_weight if config.on("novelty") else 0.0
    while pool and len(chosen) < points + len(opening) - 1:
        # (stage novelty) a sentence holding question terms no chosen sentence holds yet gains on one
        # repeating them: a many-part question ("best, worst and common gaps") gets each part answered
        covered = {t for c in chosen for t in c.asked_terms}
        best = max(pool, key=lambda c: (_asked_beside(c, beside), c.score + novelty * _new_weight(c, covered)))
        pool.remove(best)
        if best.text in quoted_items(chosen):
            continue
        if not any(repeats(best, c) for c in chosen):
            chosen.append(best)
    if config.on("section-lists"):
        chosen += _rest_of_asked_list(lead, chosen, pool, config.section_list_points + len(opening) - 1)
    if config.on("facets"):
        chosen += covering(chosen, candidates, facets, lead.score * config.facet_floor, identifiers)
    for voice in voices:
        if all(c.hit.chunk.meta.kind != voice.hit.chunk.meta.kind and not repeats(voice, c) for c in chosen):
            chosen.append(voice)
    return without_repeats(with_continuations(chosen, by_passage, config.on("replies"), config.continuation_words))


def _rest_of_asked_list(lead: Candidate, chosen: list[Candidate], pool: list[Candidate], most: int) -> list[Candidate]:
    """Stage section-lists: a lead that is an item of a list filed under the heading the question asks
    for ("Describe how the project is following ... supply chain best practices" over "- **Dependency
    management:** ...", "- **DCO Check:** ...") brings the list's other items too, as a lead-in brings its
    list: the heading introduces them, whatever words each item uses. Of the ``pool`` (the sentences that
    score enough to be points: an item far below the lead, with gathering from every candidate, cost citation
    precision), the best up to ``most`` points in all, given in the order the section gives them, an item
    read in two overlapping windows once."""
    if not lead.under_asked_heading or not ITEM_START_RE.match(lead.text):
        return []
    meta = lead.hit.chunk.meta
    said = {c.text for c in chosen}
    rest: dict[str, Candidate] = {}
    for c in pool:
        if c.under_asked_heading and c.text not in said and c.text not in rest and ITEM_START_RE.match(c.text) \
                and (c.hit.chunk.meta.source, c.hit.chunk.meta.section) == (meta.source, meta.section):
            rest[c.text] = c
    best = list(rest.values())[: max(0, most - len(chosen))]  # (the pool's order: the best first)
    return sorted(best, key=lambda c: (c.hit.chunk.meta.line_start, c.hit.chunk.meta.page, c.position))


def _lead(candidates: list[Candidate], by_passage, config: QAConfig) -> tuple[Candidate, list[Candidate]]:
    """The lead sentence, and what opens the answer: the best sentence that is neither a question nor
    a dangling lead-in; when the best is a reviewer's question, the reply that answers it (another
    author's next comment, attributed by its header line with the comment's date) leads, the
    question follows."""
    best = candidates[0]
    statements = [c for c in candidates if is_statement(c)]
    if not (is_question(best) and best.hit.chunk.meta.kind == "review"):
        lead = statements[0] if statements else best
        return lead, [lead]
    # the best match is a reviewer's question: the reply that answers it leads, unless it holds none
    # of the question's terms ("Good point, I refactored the overview": it answers the reviewer, not
    # the question) while a relevant statement elsewhere does; then the best relevant statement leads
    relevant = [c for c in statements if c.relevant] if config.on("point-relevance") else statements
    reply = reply_to(best, by_passage[best.hit.chunk.id]) if config.on("replies") else []
    elsewhere = any(c.hit.chunk.id != best.hit.chunk.id for c in relevant)
    if reply and (any(c.relevant for c in reply) or not elsewhere or not config.on("point-relevance")):
        return reply[0], [*reply, best]
    lead = (relevant or statements or [best])[0]
    return lead, [lead]


def _kind_lead(candidates: list[Candidate], by_passage, kinds, config: QAConfig) -> tuple[Candidate, list[Candidate]] | None:
    """Stage kind-lead: the lead comes from the kind of source the question asks about ("what did the
    reviewer ask ...", "how does the self-assessment deal with ..."), when a relevant sentence of it
    scores at least ``kind_lead_floor`` of the best. From a review, the reviewer's words are the answer:
    when their comment asks something and another author replies, the reply leads (attributed), the
    reviewer's words follow; otherwise the reviewer's sentence leads, a question too. None: the usual lead."""
    best = candidates[0]
    floor = config.kind_lead_floor * best.score
    anchor = next((c for c in candidates if c.hit.chunk.meta.kind in kinds and c.relevant and c.score >= floor
                   and (is_statement(c) or (is_question(c) and c.hit.chunk.meta.kind == "review"))), None)
    if anchor is None:
        return None
    if anchor.hit.chunk.meta.kind == "review":
        reply = _reply_if_asking(anchor, by_passage, config)
        return (reply[0], [*reply, anchor]) if reply else (anchor, [anchor])
    if best.hit.chunk.meta.kind in kinds:
        return None  # the best sentence is of an asked kind already: the usual lead rules hold
    return anchor, [anchor]


def _speaker_lead(candidates: list[Candidate], by_passage, speakers, config: QAConfig) -> tuple[Candidate, list[Candidate]] | None:
    """Stage speaker-words: asked what someone said ("What was Justin's main complaint?"), their own best
    relevant sentence leads when it scores at least ``kind_lead_floor`` of the best; a reply to it follows,
    since what they said is the answer and the reply what became of it. None: the usual lead."""
    spoke = {s.lower() for s in speakers}
    floor = config.kind_lead_floor * candidates[0].score
    own = next((c for c in candidates if c.comment.lower() in spoke and c.relevant and c.score >= floor
                and not dangling(c) and not bare_header(c)), None)
    if own is None:
        return None
    return own, [own, *_reply_if_asking(own, by_passage, config)]


def _reply_if_asking(cand: Candidate, by_passage, config: QAConfig) -> list[Candidate]:
    """The reply to ``cand``'s review comment, when that comment asks something (stage replies)."""
    siblings = by_passage[cand.hit.chunk.id]
    asks = any(is_question(s) and s.comment_no == cand.comment_no for s in siblings)
    return reply_to(cand, siblings) if asks and config.on("replies") else []


def _new_weight(cand: Candidate, covered: set[str]) -> float:
    """Share of the question's weight in the terms ``cand`` holds that no chosen sentence does."""
    return fsum(w for t, w in cand.asked_terms.items() if t not in covered)  # fsum: no tie hangs on set order


def _asked_beside(cand: Candidate, anchors: list[Candidate]) -> bool:
    """A question in one of ``anchors``' review comments (the lead's, or the reviewer's the reply answers)."""
    return is_question(cand) and any(_same_comment(cand, a) for a in anchors)


def _same_comment(cand: Candidate, lead: Candidate) -> bool:
    """In the lead's own review comment: the questions a reviewer asks beside the lead are its point."""
    return bool(lead.comment) and cand.hit.chunk.id == lead.hit.chunk.id and cand.comment_no == lead.comment_no


# ("It is also possible to configure the following:" opens on a dummy "it": no pointing back)
# (and examples of what it said: "Some examples include:", "For example:", "For instance:")
_ANAPHOR_RE = re.compile(r"^(?:this|these|that|those|such|(?:some |a few )?examples?|for (?:example|instance))\b", re.I)


def _refers_back(cand: Candidate) -> bool:
    """Opens on a word pointing back at the sentence before ("This could be achieved by:"): its subject
    is that sentence's, whatever words it holds itself."""
    return bool(_ANAPHOR_RE.match(without_header(cand.text)))


def _is_item(cand: Candidate) -> bool:
    """A list item or table row (a PDF's row of findings too: "ADA-KUBEFL-04 ... Moderate Reported") is a
    point of its own, never a continuation of the sentence before."""
    return bool(LIST_MARK_RE.match(cand.text).group(0)) or cand.text.startswith("|") or bool(IDENTIFIER_ROW_RE.match(cand.text))


def _by_passage(candidates: list[Candidate]) -> dict[str, list[Candidate]]:
    out: dict[str, list[Candidate]] = {}
    for cand in candidates:
        out.setdefault(cand.hit.chunk.id, []).append(cand)
    for siblings in out.values():
        siblings.sort(key=lambda c: c.position)
    return out


def without_repeats(chosen: list[Candidate]) -> list[Candidate]:
    """Each sentence once: not again on its own when a lead-in already lists it, nor twice; nor a point when
    an item is quoted on with it (stage item-sentences: "... leader election. The default value is
    `false`"), unless it leads: the lead answers, the item around it is context. (Dropped here, after
    selection, rather than skipped in it: the point is said already, so nothing takes its place.)"""
    listed = quoted_items(chosen)
    within = {sentence for item in listed if len(parts := split_sentences(item)) > 1 for sentence in parts}
    seen: set[str] = set()
    out = []
    for cand in chosen:
        text = LIST_MARK_RE.sub("", cand.text)
        if text in seen or (not cand.items and (text in listed or (cand is not chosen[0] and text in within))):
            continue
        seen.add(text)
        out.append(cand)
    return out


def covering(chosen: list[Candidate], candidates: list[Candidate], facets, floor: float,
             identifiers=()) -> list[Candidate]:
    """For each facet the question names (a kind of source, a revision) that no chosen sentence
    comes from, the best relevant sentence that does, if it scores at least ``floor`` or names one of
    the ``identifiers`` the question asks about (how the DD thread settled "ADA-KUBEFL-13" shares few
    words with a question in the audit's)."""
    named = naming_re(identifiers)

    def passes(c: Candidate) -> bool:
        return c.score >= floor or (named is not None and named.search(c.text) is not None)

    added: list[Candidate] = []
    for facet in facets:
        if any(facet(c.hit.chunk) for c in chosen + added):
            continue
        best = next(
            (c for c in candidates if facet(c.hit.chunk) and c.relevant and passes(c) and is_statement(c)),
            None,
        )
        if best and not any(repeats(best, c) for c in chosen + added):
            added.append(best)
    return added


def quoted_items(chosen: list[Candidate]) -> set[str]:
    return {LIST_MARK_RE.sub("", item) for c in chosen for item in c.items}


def with_continuations(chosen: list[Candidate], by_passage: dict[str, list[Candidate]], replies: bool,
                       continuation_words: int) -> list[Candidate]:
    """A short sentence that follows a chosen one in its passage comes along (same comment only);
    a reviewer's question brings the start of the reply that follows it."""
    out: list[Candidate] = []
    for cand in chosen:
        if cand in out:
            continue
        out.append(cand)
        siblings = by_passage[cand.hit.chunk.id]
        nxt = _following(cand, siblings)
        if nxt and nxt.listed and not nxt.items and (nxt.relevant or _refers_back(nxt)) and nxt not in chosen and nxt not in out:
            # a chosen sentence followed by a lead-in on its subject ("The operator is responsible for:",
            # or one pointing back at it: "This could be achieved by:") goes on into that list: the list is
            # the rest of the point
            nxt.items = nxt.listed
        short = nxt and len(nxt.text.split()) <= continuation_words and not dangling(nxt) and not _is_item(nxt)
        if short and nxt.comment_no == cand.comment_no and nxt not in chosen and nxt not in out:
            out.append(nxt)
            # (a continuation followed by a lead-in pointing back at it, "... interfere with others. Some
            # examples include:", goes on into that list as well)
            after = _following(nxt, siblings)
            if after and after.listed and _refers_back(after) and after not in chosen and after not in out \
                    and after.comment_no == nxt.comment_no:
                after.items = after.items or after.listed
                out.append(after)
        if replies and is_question(cand) and cand.hit.chunk.meta.kind == "review":
            out += [c for c in reply_to(cand, siblings) if c not in chosen and c not in out]
    return out


def _following(cand: Candidate, siblings: list[Candidate]) -> Candidate | None:
    """The sentence after ``cand`` in its passage."""
    return next((c for c in siblings if c.position == cand.position + 1), None)


# "login (review_comment, 2026-06-18) on self-assessment.md line 253: ..." opens a comment in a thread:
# the header the review loader writes before each comment's body (the window's first comment is
# also in ChunkMeta.author/date; later comments of a window only in their header).
COMMENT_RE = re.compile(
    r"^([\w.-]+) \((?:review_comment|issue_comment|review|comment|pull request description|issue description)\b")
_HEADER_RE = re.compile(COMMENT_RE.pattern + r"[^)]*\)[^:\n]*:\s*")
_HEADER_RE_LINE = re.compile(COMMENT_RE.pattern + r"[^)]*\)[^:\n]*:[ \t]*", re.M)  # a header where a line starts


def attributed(chosen: list[Candidate]) -> list[Candidate]:
    """Stage attribution: a review comment's sentence that doesn't open it (so carries no header naming
    who wrote it) is said by its author, the first time the answer quotes that comment: "who added the
    audit PDF?" is answered by "franciscojavierarceo: Added the Ada Logics ... PDF", whose name the
    cited passage holds in the comment's header."""
    seen: set[tuple[str, int]] = set()
    out = []
    for cand in chosen:
        key = (cand.hit.chunk.id, cand.comment_no)
        if cand.comment and key not in seen and not COMMENT_RE.match(cand.text):
            cand = replace(cand, said_by=cand.comment,
                           opening=short_opening(cand.hit.chunk.text, cand.text, cand.comment_no))
        seen.add(key)
        out.append(cand)
    return out


MAX_OPENING_WORDS = 12  # a comment's short opening said with its point; a longer one is a point of its own
# an opening said as words: not a heading, a quote, a list, a form's bold field, a bot command, a mention
# or a link ("### Status", "> Who runs these?", "**Project Name:**", "/hold", "@bob", "Fixes: https://...")
_SAID_OPENING_RE = re.compile(r"^[A-Za-z][^\n]*[.!?]$")


def short_opening(text: str, sentence: str, comment_no: int = 0) -> str:
    """The paragraph that opens the comment ``sentence`` belongs to (``comment_no``-th of the window, as
    ``comment_authors`` counts), when it is the paragraph just before ``sentence``'s and none of its
    sentences is long enough to stand alone: a reviewer's verdict or a reply's assent, said before the
    point ("Thanks.  This is much improved!" before "I think this would be a moderate amount of work ...").
    "" for none, and for a window that starts inside its comment ("(continued)")."""
    headers = list(_HEADER_RE_LINE.finditer(text))
    # (the window's first comment has a header only when the window starts with it)
    at = comment_no - (0 if headers and not text[: headers[0].start()].strip() else 1)
    if not 0 <= at < len(headers) or "(continued)" in headers[at].group(0):
        return ""
    body = text[headers[at].end(): headers[at + 1].start() if at + 1 < len(headers) else len(text)]
    found = occurrences(body, sentence, lambda words: words[:6])
    paragraphs = [p for p in re.split(r"\n\s*\n", body[: found[0].start()]) if p.strip()] if found else []
    if len(paragraphs) != 1:
        return ""
    paragraph = " ".join(paragraphs[0].split())
    if len(paragraph.split()) > MAX_OPENING_WORDS or "://" in paragraph or not _SAID_OPENING_RE.match(paragraph) \
            or any(len(s.split()) >= MIN_WORDS for s in split_sentences(paragraph)):
        return ""
    return paragraph


def without_header(sentence: str) -> str:
    """A review sentence without the comment header it starts with (its words are no content)."""
    return _HEADER_RE.sub("", sentence, count=1)


def comment_authors(sentences: list[str], first_author: str) -> list[tuple[int, str]]:
    """(comment number, author) of the comment each sentence of a review window belongs to."""
    out, number, author = [], 0, first_author
    for i, sentence in enumerate(sentences):
        if m := COMMENT_RE.match(sentence):
            number, author = number + (i > 0), m.group(1)
        out.append((number, author))
    return out


def reply_to(cand: Candidate, siblings: list[Candidate]) -> list[Candidate]:
    """The start of the reply (another author's next comment) that follows a reviewer's question."""
    later = [c for c in siblings if c.position > cand.position]
    start = next((i for i, c in enumerate(later) if c.comment != cand.comment and COMMENT_RE.match(c.text)), None)
    if start is None:
        return []
    reply, words = [], 0
    asking = {c.comment_no for c in later if is_question(c)}  # comments that ask something, whole
    for c in later[start:]:
        # the replies run on into the next comments ("Yes, the runner should be trusted. @maintainers to
        # confirm" - "Yes, the submitter is the operator itself.") until the asker speaks again or a later
        # comment asks something itself (a new turn of the conversation)
        later_comment = bool(reply) and c.comment_no != reply[0].comment_no
        if c.comment == cand.comment or words > REPLY_WORDS or dangling(c) or (later_comment and (
                c.comment_no in asking or _quotes(c, reply))):
            break
        reply.append(c)
        words += len(c.text.split())
    return reply


def _quotes(cand: Candidate, earlier: list[Candidate]) -> bool:
    """Repeats words of an earlier comment, QUOTE_MIN_WORDS or more of them (a reply quoting the reply
    it answers: the asker again, whatever author the thread kept for it; "Yes." quotes nothing)."""
    def words(text: str) -> list[str]:
        return _WORD_RE.findall(without_header(text).lower())

    own = words(cand.text)
    said = " ".join(w for c in earlier for w in words(c.text))
    return len(own) >= QUOTE_MIN_WORDS and f" {' '.join(own)} " in f" {said} "


def repeats(cand: Candidate, chosen: Candidate) -> bool:
    """``cand`` says what ``chosen`` says: most of its terms are the other's. Not when each is under its own
    section the question names ("Internal" and "Inbound" channels are both asked, however alike their words)."""
    if cand.under_asked_heading and chosen.under_asked_heading and _section(cand) != _section(chosen):
        return False
    return _overlap(cand.terms, chosen.terms) > REDUNDANT


def _section(cand: Candidate) -> tuple[str, str]:
    return cand.hit.chunk.meta.source, cand.hit.chunk.meta.section_key or cand.hit.chunk.meta.section


def _overlap(a: set[str], b: set[str]) -> float:
    """Share of the shorter sentence's terms the other holds; a sentence sharing fewer than
    REPEAT_MIN_TERMS terms repeats nothing ("Security Provider? No. ..." after "Security Provider: yes")."""
    shared = len(a & b)
    return shared / (min(len(a), len(b)) or 1) if shared >= REPEAT_MIN_TERMS else 0.0
