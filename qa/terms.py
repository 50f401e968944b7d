"""The question's specific terms, weighted by the store's own statistics (``kfqa.termstats``).

A question term is *specific* (a focus term the evidence should hold) when the store knows it
(a word no chunk has says nothing about which chunk answers: filler, a typo, or a topic the
sources never mention, which ``unknown_names`` reports) and it is not near-ubiquitous in the
store. Stop words are NLTK's standard list plus the general words that frame a question
(``DISCOURSE``); the rest is statistics, so the same rule holds on a one-file store and on a
100-file store of another project.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from kfqa.model_files import model_path
from kfqa.qa.stages import QAConfig
from kfqa.termstats import HEDGE_ADVERBS, TermStats, stem, stop_words, terms
from kfqa.text import camel_words, split_sentences

__all__ = ["TermWeights", "coverage"]

# Words that frame a question rather than name its topic: asking verbs, hedges, and the words a
# reader uses for the sources themselves (which kind of source they point at is the source prior's
# job, qa.retrieval.Preference), and light verbs. General English of questions, not drawn from any eval question.
DISCOURSE = frozenset(
    """ask asks asked asking answer answers answered say says said tell tells told describe describes
    described explain explains explained mention mentions mentioned mean means meant happen happens
    happened please anything something
    thing things way kind sort document documents doc docs documentation assessment self-assessment
    page section write written project projects corpus literature whether
    make makes made making get gets got getting take takes took taking give gives gave given go goes went
    let lets letting""".split()
)  # (the last lines: English's light verbs, which carry the sentence, not its topic: "what does X make", "does X let me")
DISCOURSE = DISCOURSE | HEDGE_ADVERBS
DISCOURSE_TERMS = frozenset(stem(w) for w in DISCOURSE)

# A name-like token: an acronym or product name (FedRAMP, SOC2, ISO-27001), not an ordinary word.
_NAME_RE = re.compile(r"\b(?=[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z0-9])[A-Za-z][A-Za-z0-9-]+\b|\b[A-Z][a-z]+[A-Z]\w*\b")
# A number standing alone (not part of a version "1.10.2", an identifier "ADA-KUBEFL-13", a path or a size "4Gi")
_LONG_NUMBER_RE = re.compile(r"(?<![\w.,/:#-])\d{3,}(?![\w/-]|[.,]\d)", re.ASCII)
MAX_NUMBERS = 8  # numbers of one question looked up (a question made of numbers names none in particular)
# A lower-case word of five letters or more (shorter unknown words are mostly abbreviations and slang: "ok").
_WORD_RE = re.compile(r"\b[a-z]{5,}\b")
# a single lower-case word of four letters or more, no hyphen (a hyphenated compound of words the sources
# hold, "security-sensitive", is composed of what they discuss)
_COMMON_WORD_RE = re.compile(r"(?<![\w-])[a-z]{4,}(?![\w-])")
# a code identifier: lowerCamelCase ("hostPath") or words joined by underscores ("REGISTRY_ONLY"), not part of
# a path, an address, a query string or a dotted name ("values_file.yaml", "securityContext.runAsUser")
_IDENTIFIER_RE = re.compile(r"(?<![\w./@?&=:-])(?:[a-z]{2,}(?:[A-Z][a-z0-9]+)+|[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+)"
                            r"(?![\w/@=-]|\.\w)")
MAX_IDENTIFIERS = 8  # identifiers of one question looked up (a pasted block of settings names none in particular)
# a short lower-case word of two to four letters or digits, two of them letters ("mfa", "2fa", "cvss"; not "24h")
_SHORT_LOWER_RE = re.compile(r"(?<![\w-])(?=[a-z0-9]*[a-z][a-z0-9]*[a-z])[a-z0-9]{2,4}(?![\w-])")
# a reader's shorthand and chat's interjections, no acronym of anything the sources discuss (general English
# of chat and mail: "whats the default login lol")
SHORTHAND = frozenset("""eg ie imo imho tbh wrt fwiw btw iirc afaik plz pls thx fyi tldr asap ofc idk pov faq
    ptal lgtm tbd wip nit nits eta sev0 sev1 sev2 sev3 p0 p1 p2 ppl abt bc rn tho thru msg msgs sth smth ur ok ty
    np tmrw lol lmao rofl haha hehe omg ngl nvm jk smh ikr tia ugh hmm meh welp oops yikes""".split())
_HOW_RE = re.compile(r"\bhow\s+(often|long|many|much|soon|far|frequently|quickly|fast|big|large|old)\b")
# General security and Kubernetes acronyms a reviewer types (none particular to one project);
# a store's own definitions ("Kubeflow Pipelines (KFP)", see kfqa.termstats) are added to these.
GENERAL_ABBREVIATIONS: dict[str, str] = {
    "rbac": "RBAC role-based access control",
    "pss": "Pod Security Standards",
    "psa": "Pod Security Admission",
    "sa": "service account",
    "authn": "authentication",
    "authz": "authorization",
    "netpol": "NetworkPolicy network policy",
    "netpols": "NetworkPolicy network policies",
    "k8s": "Kubernetes",
    "ns": "namespace",
    "gw": "gateway",
    "crd": "CRD custom resource",
    "crds": "CRDs custom resources",
    "ssrf": "SSRF server-side request forgery",
    "xss": "cross-site scripting",
    "csrf": "cross-site request forgery",
    "rce": "remote code execution",
    "sbom": "SBOM software bill of materials",
    "sboms": "SBOMs software bill of materials",
    "cve": "CVE vulnerability",
    "vuln": "vulnerability",
    "vulns": "vulnerabilities",
    "oidc": "OIDC OpenID Connect",
    "sso": "single sign-on",
    "mtls": "mTLS mutual TLS",
    "tls": "TLS transport layer security",
    "jwt": "JWT JSON web token",
    "ui": "UI web interface",
    "repo": "repository",
    "pr": "pull request",
    "pw": "password",
    "pwd": "password",
}

# Stage synonyms: words a reader asks with for what documentation names in other words, in general English
# (not this corpus's): a login is a username and a password ("If you have not changed the default username and
# password, you may log in with: ..."). ("Credentials" alone are as often tokens, keys and certificates.)
GENERAL_SYNONYMS: dict[str, str] = {word: "username password" for word in ("login", "logins", "creds")}

CLIPPED_MIN = 4  # letters of a clipped word's stem that must begin a word of the sources


@lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary (all-MiniLM-L6-v2's, from BERT:
    built on English Wikipedia and books). A word there is common English ("criticism"); a word
    that isn't ("payout", "fedramp") is rare or a name."""
    vocab = Path(model_path()) / "vocab.txt"
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())


class TermWeights:
    def __init__(self, stats: TermStats, config: QAConfig | None = None):
        self.stats = stats
        self.config = config or QAConfig()

    def ubiquitous(self, term: str) -> bool:
        """In so many chunks that holding it says little (and only once the store is big enough for
        that to mean anything: in a one-file store every term is in every chunk)."""
        c = self.config
        df = self.stats.df.get(term, 0)
        return df > max(c.ubiquity_share * self.stats.n, c.ubiquity_min_df)

    def focus(self, question: str) -> dict[str, float]:
        """The question's specific terms with their IDF weights."""
        return {
            t: self.stats.idf(t)
            for t in set(terms(question))
            if self.stats.known(t) and not self.ubiquitous(t) and t not in DISCOURSE_TERMS
        }

    def weights(self, question: str) -> dict[str, float]:
        """Every known question term with its IDF (sentence scoring weighs common terms in lightly)."""
        return {t: self.stats.idf(t) for t in set(terms(question)) if self.stats.known(t) and t not in DISCOURSE_TERMS}

    def unknown_names(self, question: str, scope=None, meaningful=None) -> list[str]:
        """Names in the question that the sources never hold: acronyms and product names
        ("FedRAMP"), and rare words ("payout": not common English nor a form of it, no typo of a
        store word, not part of a longer one such as a login, no noun derived from a word the sources hold: "leakage",
        nor two words they hold apart run together: "plaintext"). ``scope``: the sources in scope
        (``qa.answerability.Scope``; default: every chunk of the store). ``meaningful``: given the rare words, those
        that carry the question's meaning (stage rare-word-meaning: "payout" does, "gotcha" or "vouch" doesn't)."""
        mentions = scope.mentions if scope is not None else None

        def unmentioned(word: str) -> bool:  # a word of the question the sources in scope never hold
            parts = terms(word)
            return bool(parts) and not any(self._mentioned(p, mentions) for p in parts)

        out = [token for token in dict.fromkeys(_NAME_RE.findall(question))  # each once
               if (not _compound_held(token, scope) if _compound(token) and scope is not None
                   else (unmentioned(token) and not _hyphenated_head(token, scope)) or (scope is not None and not _name_held(token, scope)))]
        # "HashiCorp Vault": a common word written as a name is one
        out += [word for word in proper_nouns(question)
                if word not in out and unmentioned(word) and not self._inside_a_word(word.lower(), scope)]
        # "CVE Numbering Authority": capitalised words in a run are one name, whatever each word alone is
        if scope is not None:
            out += [phrase for phrase in name_phrases(question)
                    if not any(word in out for word in phrase.split()) and not _held_as_name(phrase, question, scope)]
            # "mfa", "cvss", "2fa": an acronym typed in lower case, no English word, is a name all the same
            found = {t.lower() for t in out}
            out += [word for word in dict.fromkeys(_SHORT_LOWER_RE.findall(question))
                    if word not in found and _lowercase_acronym(word, scope)]
            # "the driver UI (4040)": a number of three digits or more names one thing (a port, a year, an
            # amount), which sources that never write it don't discuss
            out += [n for n in list(dict.fromkeys(_LONG_NUMBER_RE.findall(question)))[:MAX_NUMBERS]
                    if not (scope.holds_token(n) or (len(n) <= 15 and scope.holds_token(f"{int(n):,}")))]
            # "outboundTrafficPolicy", "REGISTRY_ONLY": a setting or function named as code writes it, which the
            # sources never write (whole, nor as its words together), is a setting they never discuss
            found = {t.lower() for t in out}
            identifiers = list(dict.fromkeys(_IDENTIFIER_RE.findall(question)))[:MAX_IDENTIFIERS]
            out += [ident for ident in identifiers if ident.lower() not in found and not _identifier_held(ident, scope)]
        else:
            identifiers = []
        # (a name judged above, held or not, is not judged again as a rare word: "NetworkPolicy" held as
        # "network policies" is no unknown "networkpolicy")
        named = {t.lower() for t in [*out, *_NAME_RE.findall(question), *identifiers]}
        rare = []
        for word in dict.fromkeys(_WORD_RE.findall(question.lower())):
            if word in named or word in stop_words() or word in DISCOURSE or is_common(word) \
                    or _common_compound(word, question):
                continue
            if unmentioned(word) and not self._inside_a_word(word, scope) and not self._hyphenated(word, mentions) \
                    and not (scope is not None and (scope.clipped_pair(word) or _held_apart(word, scope)
                                                    or _derived_from_held(word, scope))):
                rare.append(word)
        out += meaningful(rare) if meaningful is not None and rare else rare

        def said(word: str) -> bool:  # the sources in scope hold it (not merely the store)
            return _all_mentioned(word, mentions, self.stats.known)

        # (an abbreviation kfqa expands, "gw", names what its expansion does: "gateway"; chat's shorthand, typed
        # in any case, "lol", "LOL", names nothing)
        return [name for name in out if name.lower() not in SHORTHAND and not _has_mentioned_alternative(question, name, said)
                and not _said_run_together(question, name, said)
                and not (scope is not None and _expansion_said(name, said, scope))]

    def absent_words(self, question: str, scope, named: list[str] = ()) -> list[str]:
        """Common English words of the question (single words, not names) that the sources in scope never
        hold in any form, nor inside a longer word, while another word of the question offers no mentioned
        alternative: candidates for stage absent-words, which keeps those that carry the question's meaning.
        ``named``: the question's unknown names (``unknown_names``), reported as such already."""
        if scope is None:
            return []
        named = {t.lower() for t in named}
        # the word after "how" says what kind of answer is asked ("how often", "how long"), not its topic
        framing = {m.group(1) for m in _HOW_RE.finditer(question.lower())}
        out = []
        for word in dict.fromkeys(_COMMON_WORD_RE.findall(question.lower())):
            if word in named or word in framing or word in stop_words() or word in DISCOURSE \
                    or not (is_common(word) or _common_compound(word, question)):
                continue
            parts = terms(word)
            if parts and not any(scope.mentions(p) for p in parts) and not scope.holds(word) \
                    and not self._hyphenated(word, scope.mentions):
                out.append(word)
        return [w for w in out if not _has_mentioned_alternative(question, w, lambda o: _all_mentioned(o, scope.mentions))]

    def _hyphenated(self, word: str, mentions) -> bool:
        """Written with hyphens in the sources ("multitenancy" / "multi-tenancy")."""
        return any(mentions is None or mentions(form) for form in self.stats.hyphenated.get(word, ()))

    def _mentioned(self, term: str, mentions) -> bool:
        """Held by the sources in scope; a term they lack counts as mentioned unless the other sources
        discuss it in at least ``scope_elsewhere_df`` chunks (one stray use elsewhere tells nothing)."""
        if not self.stats.known(term):
            # a clipped word ("perms", "creds") begins a word the sources in scope hold: they discuss it; a
            # compound of two common words ("tabletop") is no clipping of its first ("table")
            if mentions is None or len(term) < CLIPPED_MIN:
                return False
            return mentions(term) and not (joins_two_words(term) and not mentions(term, whole=True))
        return mentions is None or mentions(term) or self.stats.df.get(term, 0) < self.config.scope_elsewhere_df

    def _inside_a_word(self, word: str, scope) -> bool:
        """Part of a longer word of the sources (a login "justincappos", a compound): they know it."""
        if scope is not None:
            return scope.holds(word)
        return any(word in known for known in self.stats.vocabulary if len(known) > len(word))


# English's noun-forming suffixes: "leakage" is the act of a leak, "enforcement" of enforcing. (Spelling
# changes, "readiness" of "ready", go unmatched: the word then stays unknown, as before.)
_NOUN_SUFFIXES = ("ation", "ment", "ness", "ance", "ence", "age", "ity", "ion")
_BASE_MIN = 4  # letters of the base a suffix leaves ("leak"); shorter ones meet too many words ("us-age")
_INFLECTED = "(?:s|es|e?d|ing)?"  # a held word's inflections: "leaks", "leaked", "leaking"


def _derived_from_held(word: str, scope) -> bool:
    """``word`` is a noun derived from an English word the sources hold as a word ("leakage": they say
    "leaks"), which discusses the same thing in another form; a word they hold only as the start of a
    longer one ("milestone") is not that ("mileage")."""
    common = common_english()
    for suffix in _NOUN_SUFFIXES:
        base = word.removesuffix(suffix)
        if base != word and len(base) >= _BASE_MIN and any(
                # (a word of the sources opening with it, found by bisection, before a scan for it whole)
                b in common and scope.mentions(b, whole=True) and scope.holds_whole(re.escape(b) + _INFLECTED)
                for b in (base, base + "e")):
            return True
    return False


def _held_apart(word: str, scope) -> bool:
    """``word`` runs two English words together that the sources write apart, spaced or hyphenated, as
    whole words ("plaintext": "plain text"; not inside "explain texture")."""
    # (a plain substring test first: the scan for the pair as whole words only where it may be)
    return any((scope.holds(f"{a} {b}") or scope.holds(f"{a}-{b}")) and scope.holds_whole(rf"{re.escape(a)}[ -]{re.escape(b)}s?")
               for a, b in _two_words(word))


def _common_compound(word: str, question: str) -> bool:
    """Two common English words of four letters or more run together, typed in lower case ("guardrails",
    "timeframes", "firewall"): English, as its words are, so judged as a common word is (stage absent-words),
    not as a rare name. Not a setting's camelCase name read in lower case ("hostUsers", "renewBefore")."""
    return any(len(a) >= 4 and len(b) >= 4 for a, b in _two_words(word)) \
        and re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", question) is not None


def _two_words(word: str):
    """Each way of reading ``word`` as two common English words run together, each of three letters or more."""
    common = common_english()
    return ((word[:i], word[i:]) for i in range(3, len(word) - 2) if word[:i] in common and word[i:] in common)


def _lowercase_acronym(word: str, scope) -> bool:
    """A short lower-case word that is no English word, no reader's shorthand ("imo", "ptal") and that no word
    of the sources begins (less a plural's s: "deps" begins "dependencies", so it is a clipping) nor clips
    two words of theirs ("netpol"): an acronym they never mention."""
    head = word[:-1] if word.endswith("s") and len(word) > 3 else word
    return word not in stop_words() and word not in DISCOURSE and word not in SHORTHAND and not is_common(word) \
        and not scope.mentions(head) and not scope.clipped_pair(word)


def _expansion_said(name: str, said, scope) -> bool:
    """``name`` is an abbreviation kfqa expands ("gw") and the sources in scope say what it stands for: each
    word of the expansion (``said``), and a phrase of several words as a phrase ("single sign-on", not "single"
    here and "sign" there)."""
    expansion = [w for w in GENERAL_ABBREVIATIONS.get(name.lower(), "").split() if w.lower() != name.lower()]
    return bool(expansion) and all(map(said, expansion)) and (len(expansion) == 1 or _held_together(expansion, scope))


def _all_mentioned(word: str, mentions, known=lambda term: True) -> bool:
    """Each term of ``word`` is ``known`` and mentioned (``mentions`` None: by any source)."""
    parts = terms(word)
    return bool(parts) and all(known(p) and (mentions is None or mentions(p)) for p in parts)


def _held_together(words: list[str], scope) -> bool:
    """The sources in scope hold each pair of neighbouring ``words`` together (spaced, hyphenated or run
    together, either of them in the plural): "SECURITY-INSIGHTS" is held only as "security insights",
    "Katib Suggestion Service" as "katib suggestion" and "suggestion service"."""
    words = [w.lower() for w in words]
    for a, b in zip(words, words[1:], strict=False):
        a, b = a.removesuffix("s") if len(a) > 3 else a, b.removesuffix("s") if len(b) > 3 else b
        # (a word ending in s, "access", is no plural: "SubjectAccessReview" is held as "subjectaccessreview")
        if not any(scope.holds(form) for form in (f"{a} {b}", f"{a}-{b}", f"{a}{b}", f"{a}s {b}", f"{a}s-{b}", f"{a}s{b}")):
            return False
    return True


_ACRONYM_RE = re.compile(r"[A-Z]{2,6}s?")


def _name_held(name: str, scope) -> bool:
    """An acronym ("CEL") or a name of capitalised words run together ("ValidatingAdmissionPolicy") is
    held by the sources in scope only as a whole word, or as its words together ("validating admission
    policy"), in the singular or the plural ("NetworkPolicies": "network policy"): that each of its words, or
    a longer word it begins ("cell"), is held says nothing. Other names ("OAuth2", "K8s") are left to their terms."""
    if _ACRONYM_RE.fullmatch(name):  # (a plural's lower-case s only: "TLS" is no plural of "TL")
        return scope.holds_whole(re.escape(name.removesuffix("s").lower()) + "s?")
    parts = camel_words(name)
    if len(parts) < 2 or not all(p[:1].isupper() and p[1:].islower() for p in parts):
        return True
    last = parts[-1].lower()
    forms = {last, stem(last), last[:-1] + "ies" if last.endswith("y") else last}
    return any(_held_together([*parts[:-1], form], scope) for form in forms)


def _identifier_held(ident: str, scope) -> bool:
    """A code identifier ("hostPath", "INSECURE_SKIP_VERIFY") is held by the sources in scope whole, in camelCase or
    with underscores (Markdown may escape them), or as its words, each neighbouring pair together ("outbound
    traffic" and "traffic policy")."""
    words = [w.lower() for w in (ident.split("_") if "_" in ident else camel_words(ident)) if w]
    forms = {"".join(words), "_".join(words), "\\_".join(words)}
    # (a substring test first: the scan for a whole word, which tries every place in the sources, only where it may be)
    return any(scope.holds(form) and scope.holds_whole(re.escape(form)) for form in forms) \
        or _held_together(words, scope)


def _held_as_name(phrase: str, question: str, scope) -> bool:
    """A run of capitalised words is held together, or is a held name before a common noun ("the Ada
    Logics Audit": "Ada Logics" and an audit), or two names side by side (``_names_side_by_side``)."""
    words = phrase.split()
    return _held_together(words, scope) or (len(words) > 2 and is_common(words[-1].lower())
                                            and _held_together(words[:-1], scope)) \
        or _names_side_by_side(phrase, question, scope)


def _names_side_by_side(phrase: str, question: str, scope) -> bool:
    """A run of capitalised words that is two names side by side: a held name (or one capitalised word) and a
    name the sources hold together with the question's next word ("the Notebooks Go modules link": Kubeflow
    Notebooks' "Go modules"), wherever the question writes the run."""
    words = phrase.split()
    followers = [m.group(1) for m in re.finditer(rf"{re.escape(phrase)}(?:\s+([a-z][\w'’-]*))?", question)]
    return bool(followers) and all(
        after is not None and any(_held_together(words[:i], scope) and _held_together([*words[i:], after], scope)
                                  for i in range(1, len(words)))
        for after in followers)


def _compound_held(name: str, scope) -> bool:
    """Hyphenated words held together ("SECURITY-INSIGHTS"), or a held name and a past participle saying what
    it did ("TOC-reviewed": reviewed by the TOC, "GitHub-hosted"), which names nothing new."""
    parts = name.split("-")
    head, last = parts[:-1], parts[-1]
    if _held_together(parts, scope):
        return True
    # (a past participle the sources hold in some form: "reviewed", not "red" nor "certified" they never write)
    participle = last.islower() and len(last) > 4 and last.endswith("ed") and is_common(last) and scope.mentions(stem(last))
    return participle and (scope.holds_whole(re.escape(head[0].lower()) + "s?") and _name_held(head[0], scope)
                           if len(head) == 1 else _held_together(head, scope))


def _hyphenated_head(acronym: str, scope) -> bool:
    """An acronym the sources in scope write only as the head of a hyphenated identifier ("CWE" of "CWE-200"),
    which term statistics keep whole."""
    return scope is not None and _ACRONYM_RE.fullmatch(acronym) is not None \
        and scope.holds_whole(re.escape(acronym.lower()) + "-[a-z0-9]+")


def _compound(name: str) -> bool:
    """Words joined by hyphens (an identifier with digits, "ADA-KUBEFL-04", is matched as it stands)."""
    parts = name.split("-")
    return len(parts) > 1 and all(p.isalpha() and len(p) > 1 for p in parts)


def proper_nouns(question: str) -> list[str]:
    """Words capitalised inside a sentence ("pull secrets from HashiCorp Vault"): names, even when the
    word is common English. A sentence's (or a clause's, after a colon) first word, and every word of a
    title-cased one ("What Is The Default Login?"), says nothing by its capital."""
    found = [t for _, content in _cased_clauses(question) for t in content if t[0].isupper() and t[1:].islower()]
    return list(dict.fromkeys(found))


def name_phrases(question: str) -> list[str]:
    """Runs of two or more capitalised words inside a sentence ("the CVE Numbering Authority", "the CIS
    Kubernetes Benchmark"): one name, held by the sources only when they hold the run whole. A clause's
    first word, and a title-cased clause, say nothing by their capitals (as for ``proper_nouns``)."""
    found: list[str] = []
    stops = stop_words()
    for clause, _ in _cased_clauses(question):
        first = re.match(r"\s*\S+", clause)
        for run in _TITLE_RUN_RE.finditer(clause):
            words = run.group(0).split()
            if first and run.start() < first.end():
                words = words[1:]  # the clause's first word is capitalised by position
            if len(words) >= 2 and not any(w.lower() in stops for w in words):
                found.append(" ".join(words))
    return list(dict.fromkeys(found))


def _cased_clauses(question: str):
    """Each clause of the question (a word after a colon opens one) that is not title-cased, with its
    content words after the first: where a capital says a word is a name. In a title-cased clause
    ("What Is The Default Login?") every word is capitalised, which says nothing."""
    stops = stop_words()
    for sentence in split_sentences(question):
        for clause in re.split(r"[:;\u2013\u2014]\s*|\s-\s", sentence):
            tokens = _CAPITAL_WORD_RE.findall(clause)
            content = [t for t in tokens[1:] if len(t) >= 3 and t.lower() not in stops]
            if not (content and all(t[0].isupper() for t in content)):
                yield clause, content


_TITLE_RUN_RE = re.compile(r"\b[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)+\b")
_CAPITAL_WORD_RE = re.compile(r"\b[A-Za-z][a-z]*\b")
_TOKEN_RE = re.compile(r"[\w.-]+|[/,()]")
_EXAMPLES_RE = re.compile(r"\b(?:e\.g\.?|eg|such as|including|for example|like)\b")
_OR = frozenset({"/", "or", "vs", "vs."})


def _has_mentioned_alternative(question: str, name: str, said) -> bool:
    """``name`` is one of alternatives ("dependabot or renovate", "session/cookie", a list of examples
    "PCI-DSS, COBIT, ISO, GDPR, etc.") and another of them is a word the sources hold (``said``): the
    question can be answered for that one, so ``name`` alone declines nothing. ("X and Y" asks about
    both: no alternative.) One pass over the question's tokens, each list walked from the name outwards."""
    tokens = [t.lower() for t in _TOKEN_RE.findall(question)]
    skip = stop_words() | DISCOURSE
    for i, token in enumerate(tokens):
        if token != name.lower():
            continue
        # a comma joins alternatives only in a list marked as examples ("(PCI-DSS, COBIT, ISO, GDPR, etc.)",
        # "e.g. X, Y"); elsewhere it joins clauses or items all asked about ("FedRAMP, MySQL and HIPAA")
        joiners = _OR | {","} if _in_examples(tokens, i) else _OR
        for step in (1, -1):
            j = i
            while 0 <= j + 2 * step < len(tokens) and tokens[j + step] in joiners and tokens[j + 2 * step] not in skip:
                j += 2 * step
                if said(tokens[j]):
                    return True
    return False


def _said_run_together(question: str, name: str, said) -> bool:
    """``name`` typed apart from the word before or after it (a space between), which the sources write as one
    ("Open SSF": OpenSSF, "Git Hub": GitHub): the question names what they hold."""
    word = re.escape(name)
    joined = [a + b for a, b in re.findall(rf"(?i)\b([a-z0-9]+) ({word})\b", question)] + \
             [a + b for a, b in re.findall(rf"(?i)\b({word}) ([a-z0-9]+)\b", question)]
    return any(said(w.lower()) for w in joined)


def _in_examples(tokens: list[str], i: int) -> bool:
    """Token ``i`` stands in parentheses, after "e.g."/"such as"/"including", or in a list ending "etc."."""
    opened = sum(t == "(" for t in tokens[:i]) > sum(t == ")" for t in tokens[:i])
    before = " ".join(tokens[max(0, i - 12):i])
    after = tokens[i + 1:i + 12]
    return opened or bool(_EXAMPLES_RE.search(before)) or any(t.startswith("etc") for t in after)


_DERIVED = (("ly", ""), ("ness", ""), ("ies", "y"), ("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))


def is_common(word: str) -> bool:
    """Common English, or a form of it ("concretely", "squaring", "vetting": a doubled last consonant)."""
    common = common_english()
    doubled = _DOUBLED_RE.match(word)
    return word in common or any(
        word.endswith(suffix) and word[: -len(suffix)] + repl in common for suffix, repl in _DERIVED
    ) or (doubled is not None and doubled.group(1) in common)


_DOUBLED_RE = re.compile(r"^(\w*([b-df-hj-np-tv-z]))\2(?:ing|ed|er|ers)$")


def joins_two_words(word: str) -> bool:
    """Two common English words run together ("tabletop", "runbook"), each of three letters or more."""
    return any(True for _ in _two_words(word))


def coverage(focus: dict[str, float], text: str | set[str]) -> float:
    """IDF-weighted share of ``focus`` terms found in ``text`` (its terms, or a set of them already
    read) (1.0 when there is no focus)."""
    if not focus:
        return 1.0
    present = text if isinstance(text, set) else set(terms(text))
    return math.fsum(w for t, w in focus.items() if t in present) / math.fsum(focus.values())

