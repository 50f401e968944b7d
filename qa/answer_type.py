"""Stage answer-type: a question that asks for a value (a count, a duration, a date, a version, an
amount of money, an identifier of a named scheme) is answered only when a sentence the answer
could draw on states a value of that kind.

Why: a reviewer asking "How many maintainers see the reports?" gets nothing from "a limited number
of maintainers have access", however well it matches the words; the sources don't say, and the
reader should hear so (with the closest material shown). The kind of value asked for is read from
English's closed class of value questions ("how many", "how long", "which version", "what date",
"how much ... cost", "<SCHEME> ID"); whether the sources answer is read from the evidence, never
from the wording alone: "How many webhooks does the Spark Operator register?" is answered, because
a sentence says "seven".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kfqa.qa.selection import without_header
from kfqa.qa.terms import is_common
from kfqa.termstats import stem, stop_words
from kfqa.text import without_link_targets

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million dozen single"
).split()
# 12, 1,200, 7.7: possessive, and never starting inside a run ("1,2,3,..."), so long runs stay linear
_DIGITS = r"(?<![\w.,#/-])\d++(?:[,.]\d++)*+"
_NUMBER = rf"(?:{_DIGITS}(?![\w/-])|\b(?:{'|'.join(_NUMBER_WORDS)})\b)"
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b"
_MONTHS = "january february march april may june july august september october november december".split()

# What each kind of value looks like in a sentence.
VALUE_RES: dict[str, re.Pattern] = {
    "count": re.compile(_NUMBER, re.I),
    # ("3 working days", "two business days": a day counted a way)
    "duration": re.compile(rf"{_NUMBER}\s?-?\s?(?:(?:working|business|calendar|consecutive)\s+)?{_UNIT}|(?<![\w.])\d+\s?[smhd]\b|\b(?:hourly|daily|weekly|monthly|yearly|annually)\b",
                           re.I),
    # a year, an ISO date, a quarter, or a month named with a day or a year ("May" alone is a verb)
    "date": re.compile(rf"\b(?:19|20)\d\d\b|\bQ[1-4]\b|\b(?:{'|'.join(_MONTHS)})\s+\d", re.I),
    # ("1.9." ending a sentence, "v2", "kubeflow.org/v1"; not code's "*v1.Pod")
    "version": re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?!\w|\.\w)|(?<![\w.])v\d+\b(?!\.[a-z])", re.I),
    "percentage": re.compile(rf"{_DIGITS}\s?(?:%|percent\b|per cent\b)", re.I),
    "size": re.compile(_NUMBER, re.I),  # "how big": bytes, people, replicas - any stated number
    # "what is the maximum size in bytes": a number with a unit of data ("10 MiB", "4096 bytes", "2Gi", "1G",
    # "two megabytes"; not "100 mi")
    "data size": re.compile(rf"(?:{_DIGITS}|\b(?i:{'|'.join(_NUMBER_WORDS)})\b)\s?"
                            r"(?:(?i:bytes?|kilobytes?|megabytes?|gigabytes?|terabytes?)\b|[KMGTP]i?B\b|[KMGTP]i?\b)"),
    # a checksum as written: 32 hex digits or more ("sha256:" prefixed or not)
    "digest": re.compile(r"(?<![\w-])(?:sha\d+:)?[0-9a-f]{32,}(?![\w-])", re.I),
    "money": re.compile(rf"[$€£]\s?\d|{_DIGITS}\s?(?:k|m)?\s?(?:usd|eur|gbp|dollars?|euros?)\b|\bfree of charge\b", re.I),
}
# "is there a deadline" (kind "time"): a date or a length of time answers it
_STATED_AS = {"time": ("duration", "date")}

# The closed class of English value questions: the value word must be what is asked for ("What is the
# minimum TLS version ...", "What's the default cookie lifetime?"), not a word the question mentions
# ("What does Kubeflow do about old versions ...", "What does the timeout setting do?").
_WHAT_IS = (r"\b(?:what|(?<!, )which|which(?!\s+(?:states?|says|is|was|are|were|has|have|had|lists?|describes?|mentions?|notes?|gives?|includes?)\b))(?:['’]?s|\s+(?:is|are|was|were))?(?:\s+(?:the|a|an|its|their))?"
            r"(?:\s+[\w-]+['’]s?)?(?:\s+(?!(?:when|if|after|before|once|while|happens?|happened)\b)[\w/-]+){0,4}?\s+")
# (not a relative clause: "Knative's self-assessment, which states a response time" asks none; "If TLS is on,
# which version ..." still asks)
# (one possessive, first: "What's Kubeflow's committed ..."; then up to four words saying whose and which:
# "the default oauth2-proxy session cookie lifetime", but not a clause: "What happens when the token lifetime ...")
# words that make "the ... time to <verb>" a length of time, not a moment
_LENGTH_OF_TIME = ("(?:committed|expected|target|average|mean|median|typical|usual|maximum|minimum|guaranteed|"
                   "required|estimated|promised|agreed|stated|documented)")
_NOT_DO_SUPPORT = r"(?!\b(?:what|which)\s+(?:do|does|did)\b)"
_EVENTS = ("scheduled|planned|published|conducted|performed|carried out|announced|publish|conduct|perform|"
           "carry out|announce")
_CHANGES = "introduced|introduce|added|add|released|release|merged|merge|voted|vote|founded|launched|started|began|begin"
# "When was the planned SBOM support introduced?": the date of a past change, whatever word of plans it holds
_PAST_CHANGE = rf"(?:^|[.?!]\s+)when (?:was|were|did)\b(?=[^?]{{0,120}}\b(?:{_CHANGES})\b)"
_PAST_CHANGE_RE = re.compile(_PAST_CHANGE, re.I)
# "what exposure and impact scores": the words between the question word and "scores" say what is scored.
# Not the verb ("Which project scores highest?" asks a name), nor what a score means or how it is reached
# ("What does an exposure score of 5 mean?", "What is the combined score based on?")
_SCORE_RE = re.compile(r"\b(?:what|which)\b([^?.]{0,60}?)\b(?:sub-?)?scores?\b"
                       r"(?!\s+(?:(?:is|are|was|were)\s+)?(?:means?|measures?|system|based|calculated|computed|worked|derived|determined|for)\b)"
                       r"(?!\s+(?:highest|lowest|best|worst|well|better|worse|poorly|higher|lower)\b)"
                       r"(?![^?]{0,30}\bmean\b)", re.I)
_ASKS: list[tuple[str, re.Pattern]] = [
    # (not the time or effort one spends: "How much effort do reviewers spend?", "how much of their time")
    ("money", re.compile(r"\bhow much\b(?!\s+(?:of\s+(?:\w+\s+)?)?(?:time|effort|work|labou?r)\b)[^?]{0,80}?\b(?:cost|costs|pay|paid|spend|spent|charge|charged|fund|funded)\b"
                         rf"|{_WHAT_IS}(?:cost|price|budget|fee)s?\b(?!\s+\w)", re.I)),
    # "is there a deadline / timeline": a date or a length of time answers it
    # ("In what time frame was the audit conducted?" is answered by dates as well)
    ("time", re.compile(r"\bis there an? (?:\w+ )?(?:deadline|timeline|time ?frame|time limit)\b"
                        r"|\b(?:in|on|over) what (?:time ?frame|timescale|period of time)\b", re.I)),
    ("duration", re.compile(r"\bhow long\b|\b(?:how many|is there an? (?:\w+ )?number of) (?:seconds|minutes|hours|days|weeks|months|years)\b"
                            r"|\bwithin what (?:time ?frame|timescale|period of time)\b"
                            rf"|{_WHAT_IS}(?:lifetime|duration|timeout|ttl|expiry|retention period|deadline|sla|"
                            r"(?:response|turnaround|resolution) time|turnaround(?=\s*\?|\s+(?:for|on|of|to)\b))s?\b(?!\s+(?:setting|option|flag|field|parameter)s?\b)"
                            # a metric named "time-to-<verb>" ("time-to-fix"), or "what is the time to <verb>": a
                            # length of time ("the best time to upgrade" asks a moment, "What time to set?" a setting)
                            # ("the committed time to acknowledge": a word saying it is a length of time promised,
                            # expected or measured; "the best / next / ideal time to upgrade" asks a moment)
                            rf"|{_WHAT_IS}time-to-[a-z]+\b|\b(?:what|which)(?:['’]?s|\s+(?:is|was))\s+(?:the|its|their)\s+(?:[\w-]+['’]s?\s+)?"
                            rf"(?:{_LENGTH_OF_TIME}\s+)?time\s+to\s+[a-z]+\b",
                            re.I)),
    # a question opening with "when" asks a date of a dated event ("When was the audit conducted?", "When is
    # the next audit scheduled?"), not of a condition ("When is a profile created?", "What happens when ...");
    # in the past tense, of a change too ("When was the check first introduced?"; "When is a PR merged
    # without review?" asks a condition)
    ("date", re.compile(r"\b(?:what|which|on what)\s+(?:date|day|year|month)(?![\w-])"
                        rf"|(?:^|[.?!]\s+)when (?:is|was|were|will|did)\b(?=[^?]{{0,120}}\b(?:{_EVENTS})\b)"
                        rf"|{_PAST_CHANGE}", re.I)),
    # (after "what do/does/did" a version or release is the subject, "what" the object: "What does the current
    # version say?", "What did the latest release change?" ask no version; "What did the audit cost?" keeps its value)
    ("version", re.compile(rf"{_NOT_DO_SUPPORT}{_WHAT_IS}versions?\b(?!\s+of\b)"
                           rf"|{_NOT_DO_SUPPORT}{_WHAT_IS}releases?\b(?=\s+(?:is|was|were|did|does|first|introduced|added|shipped|ships|has|had|have|contains?|contained|includes?|included|fixe[sd])\b|\s*\?)", re.I)),
    # "What is the SHA-256 checksum of the PDF?", "which image digest" (not "what hash algorithm", "which hash function")
    # ("What does the checksum verify?" asks no checksum; a bare "hash" is as often an algorithm or a commit's)
    ("digest", re.compile(rf"{_NOT_DO_SUPPORT}{_WHAT_IS}(?:sha-?\d+\s+)?(?:checksums?|digests?|hash\s+(?:values?|sums?))\b", re.I)),
    ("percentage", re.compile(rf"{_WHAT_IS}(?:percentage|percent|proportion)\b|\b(?:what|which)\s+%", re.I)),
    # (the units as written: "KB articles" is no size)
    ("data size", re.compile(r"\b(?i:in|how many|number of)\s+(?:(?i:bytes|kilobytes|megabytes|gigabytes|terabytes)|"
                             r"KiB|MB|MiB|GB|GiB|TB|TiB)\b")),
    ("size", re.compile(r"\bhow (?:big|large|small)\b|\bwhat size\b|\b(?:what|which) (?:key|bit) (?:size|length)\b", re.I)),
    # ("What counts did the audit report ...?" asks numbers: "counts" as a noun, a verb after it; "What counts
    # as / toward ..." asks none)
    ("count", re.compile(rf"\bhow many\b|{_WHAT_IS}(?:number|count|total|tally|counts(?=\s+(?:did|do|does|were|was|are|is|has|have|had)\b))\b"
                         r"(?!\s+of\s+(?:ways|reasons)\b)", re.I)),
    # "What exposure and impact sub-scores did ... assign?", "Which score did Katib get?" (not "Scorecard",
    # nor what a score means or how it is worked out)
    ("score", _SCORE_RE),
]
# "Which CVE ID ...", "What GHSA identifiers ...": an identifier of a named scheme, asked for
# (the scheme as it is written, "id" however typed: "which CVE id"; three letters or more: a "PR ID" or
# "UI ID" is no scheme of numbered identifiers)
_SCHEME_RE = re.compile(r"\b(?i:which|what)(?:\s+[\w-]+){0,2}?\s+([A-Z][A-Z0-9]{2,9})[- ](?i:IDs?|identifiers?)\b")
# ... typed in lower case ("what cve id ..."): a scheme when as short as an acronym and no English word
# ("what user ids", "what github ids", "what namespace ids" ask for no scheme's identifiers)
_SCHEME_LOWER_RE = re.compile(r"\b(?i:which|what)(?:\s+[\w-]+){0,2}?\s+([a-z][a-z0-9]{2,3})[- ](?:ids?|identifiers?)\b")

# a score on a scale, stated as one: "6.5/10", "10 / 10", "4/5" (not a date "12/08/2025", "TLS 1.2/1.3", "24/7")
_RATIO_RE = re.compile(r"(?<![\w./])\d+(?:\.\d+)?\s?/\s?(?:5|10|100)\b(?![./]\d)")

# the future, as a question asks about it and as a sentence speaks of it
_FUTURE_RE = re.compile(r"\b(?:next|upcoming|will|plans?|planned|planning|scheduled|future|expected|targeted)\b", re.I)


# "how many CVEs were ...", "the number of reviewers": the words naming what is counted
_COUNTED_RE = re.compile(r"\b(?:how many|number of|count of)\s+([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,5})", re.I)
COUNTED_WORDS = 3  # common words of what is counted read after "how many" (a name's words aside), up to the
# first stop word or the plural that ends the phrase
_PLURAL_RE = re.compile(r"^[a-z][\w-]*[a-z](?<![su])s$|^[A-Z]{2,}s$")  # "findings", "CVEs"; not "access", "status", "Logics"
COUNTED_REACH = 4  # a number counts them when one of those words follows within this many words
COUNTED_BEFORE = 3  # ... or comes within this many words before it
_WORD_RE = re.compile(r"[A-Za-z][\w-]*")


@dataclass(frozen=True)
class AskedValue:
    kind: str  # count, duration, date, version, money, percentage, size, data size, digest, time, score or identifier
    scheme: str = ""  # for an identifier: its scheme ("CVE")
    # for a count: stems of the words naming what is counted ("how many CVEs" -> cve); a number answers
    # only when it counts one of them ("two researchers" doesn't say how many CVEs). Empty: any number.
    # For a score: what is scored ("exposure and impact scores" -> exposur, impact, score); a number
    # answers next to one of them ("Exposure 5", not "on line 180"), a ratio ("6.5/10") anywhere. For a
    # version: what is versioned ("which Go version" -> go), next to which a version answers ("Go 1.22").
    counted: frozenset[str] = frozenset()
    # for a date or time: the question asks about a future event ("When is the next audit scheduled?"),
    # which a date answers only in a sentence speaking of the future (a past audit's dates don't)
    future: bool = False

    @property
    def what(self) -> str:
        """How the notice names it: "a CVE identifier", "a number"."""
        return f"a {self.scheme} identifier" if self.scheme else _WHAT[self.kind]

    def enumerated_by(self, items: list[str], lead_in: str = "") -> bool:
        """A count stated by listing what is counted: a lead-in's list of two items or more (not of
        links: a list of where to look counts nothing), introduced as a list of what is counted when the
        question names it ("The validating and mutating webhooks:" lists webhooks, not SparkApplications)."""
        named = [i for i in items if without_link_targets(i).strip(" .,:;()[]<>`*-")]
        if self.kind != "count" or len(named) < 2:
            return False
        return not self.counted or any(stem(w.lower()) in self.counted for w in _WORD_RE.findall(lead_in))

    def stated_in(self, sentence: str) -> bool:
        """``sentence`` states a value of this kind (links and a review comment's header line left out:
        its date answers no question)."""
        text = without_link_targets(without_header(sentence))
        if self.scheme:
            return re.search(rf"\b{re.escape(self.scheme)}-\d", text, re.I) is not None
        if self.kind == "score" and _RATIO_RE.search(text):
            return True
        if self.kind in ("count", "score", "version") and self.counted:  # (a score's always holds "score")
            found = VALUE_RES["version" if self.kind == "version" else "count"].finditer(text)
            return any(self._counts(text, m.start(), m.end()) for m in found)
        if self.future and not _FUTURE_RE.search(text):
            return False
        return any(VALUE_RES[kind].search(text) for kind in _STATED_AS.get(self.kind, (self.kind,)))

    def _counts(self, text: str, start: int, end: int) -> bool:
        """The number at ``start:end`` counts what is asked: one of its words follows within reach ("14
        security issues", "at least one reviewer") or comes just before it ("Maintainers: 12", "the
        maintainer count is 12")."""
        following = _WORD_RE.findall(text[end:end + 80])[:COUNTED_REACH]
        preceding = _WORD_RE.findall(text[max(0, start - 60):start])[-COUNTED_BEFORE:]
        return any(stem(w.lower()) in self.counted for w in following + preceding)


_WHAT = {"digest": "a checksum", "count": "a number", "duration": "a length of time", "date": "a date", "version": "a version",
         "money": "an amount of money", "percentage": "a percentage", "size": "a size", "data size": "a size in bytes",
         "time": "a date or a length of time", "score": "a score"}


def asked_value(question: str) -> AskedValue | None:
    """The kind of value the question asks for, if it asks for one."""
    scheme = _SCHEME_RE.search(question) or _SCHEME_LOWER_RE.search(question)
    if scheme and (scheme.group(1).isupper() or not is_common(scheme.group(1).lower())):
        return AskedValue("identifier", scheme.group(1).upper())
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return AskedValue(kind, counted=counted_words(question) if kind == "count" else
                              scored_words(question) if kind == "score" else
                              versioned_words(question) if kind == "version" else frozenset(),
                              future=kind in ("date", "time") and bool(_FUTURE_RE.search(question))
                              and not _PAST_CHANGE_RE.search(question))
    return None


# "which Go version", "what minimum TLS version", "which KFP release": the word naming what is versioned
_VERSIONED_RE = re.compile(r"(?<![\w-])([A-Za-z][\w-]*+)\s+(?:versions?|releases?)\b", re.I)
# words saying which version, not of what ("the minimum supported version", "the latest release"): any version
_VERSION_MODIFIERS = frozenset(stem(w) for w in (
    "latest current minimum maximum min max supported recommended required new newer newest first last oldest "
    "earliest stable default exact specific particular same different next previous fixed patched affected "
    "released validated tested compatible").split())


def versioned_words(question: str) -> frozenset[str]:
    """The stem of the word naming what a version question asks the version of ("which Go version are the
    controllers built with?" -> go): a version answers it only next to that word ("Go 1.22", "| dex | 2.45.0 |"),
    not a container image's tag. Empty (any version) when the question names none ("Which release was ...")."""
    found = _VERSIONED_RE.search(question)
    word = found.group(1).lower() if found else ""
    if not word or word in stop_words() or word in ("what", "which") or stem(word) in _VERSION_MODIFIERS:
        return frozenset()
    return frozenset({stem(word)})


def counted_words(question: str) -> frozenset[str]:
    """Stems of the words naming what a count question counts: those after "how many" (or "number
    of") up to the first stop word or the plural ending the phrase, less the names among them ("how
    many Ada Logics findings were ..." -> find; "how many CVEs" -> cve)."""
    found = _COUNTED_RE.search(question)
    words: list[str] = []
    read = _WORD_RE.findall(found.group(1)) if found else []
    for i, word in enumerate(read):
        if word.lower() in stop_words() or sum(not w[0].isupper() for w in words) == COUNTED_WORDS:
            break
        words.append(word)  # (a name's words count for none: "how many Spark Operator admission webhooks")
        following = read[i + 1] if i + 1 < len(read) else ""
        if _PLURAL_RE.search(word) and not _PLURAL_RE.search(following):
            # the plural ends what is counted ("how many Ada Logics findings remain unresolved" counts findings),
            # unless another follows it ("how many aws accounts", "kubernetes clusters")
            break
    # a name among them only says whose ("how many Kubeflow maintainers"): the common words say what
    common = [w for w in words if not w[0].isupper()]
    return frozenset(stem(w.lower()) for w in common or words)


def scored_words(question: str) -> frozenset[str]:
    """Stems of what a score question scores: "score" and the words naming the scores ("What exposure
    and impact sub-scores ..." -> score, exposur, impact), less stop words and names (as for a count, a
    name only says whose: "Kubeflow's Scorecard score" is not stated by "Kubeflow has 14 working groups")."""
    found = _SCORE_RE.search(question)
    words = [w for w in (_WORD_RE.findall(found.group(1)) if found else []) if w.lower() not in stop_words()]
    return frozenset({stem("score")} | {stem(w.lower()) for w in words if not w[0].isupper()})
