"""Term statistics of a store's chunks: document frequencies and the vocabulary.

Derivable from the chunks alone, so ingest saves them beside the store when it writes its
indexes (``termstats.json``) and qa loads them instead of rebuilding at every start; a file
that doesn't match the store's chunks (another chunk set, another version) is ignored and
the statistics are rebuilt. Below ingest and qa, which both use it.

Terms are words less stop words (kfqa's own list joined with NLTK's standard English list),
lightly stemmed, so "controllers" meets "controller" and "policies" meets "policy".
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.util import find_spec
from pathlib import Path

from kfqa.manifest import write_atomic
from kfqa.text import CAMEL_TOKEN_RE, IDENTIFIER, STOP_WORDS, camel_words, words
from kfqa.types import Chunk

TERMSTATS_FILE = "termstats.json"
TERMSTATS_VERSION = "9"  # 2: -ing/-ed/-e stemming; 3: slash compounds split; 4: CamelCase words; 5: identifiers; 6: adverbs; 7: hedges kept; 8: irregular verbs; 9: -edly / -ingly
_VOCABULARY_RE = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")
# "Pod Security Standards (PSS)": up to six words, then an abbreviation in parentheses
# "ADA-KUBEFL-02 SSRF in Kserve HTTPSProvider Moderate Reported", "| CVE-2023-2975 | Affects v1.15.3 ...":
# a line (or list item, table row) opening with an identifier of two parts or more and a number, then its title
_IDENTIFIER_LINE_RE = re.compile(rf"^(?:[-*+\u2022|]\s*)*({IDENTIFIER})\b[\s:|\u2013\u2014-]+(.+)$")
IDENTIFIER_TITLE_WORDS = 12
_DEFINITION_RE = re.compile(r"((?:[A-Za-z][\w'-]*[ -]+){1,6})\(([A-Z][A-Za-z0-9]{1,7})\)")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """kfqa's stop words joined with NLTK's English list (shipped inside llama-index-core, read
    from its package folder without importing llama-index)."""
    extra: set[str] = set()
    spec = find_spec("llama_index.core")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "_static" / "nltk_cache" / "corpora" / "stopwords" / "english"
        if path.is_file():
            extra = {w.strip() for w in path.read_text(encoding="utf-8").split() if w.strip()}
            break
    return frozenset(STOP_WORDS | extra)


# adverbs a question hedges with ("what exactly", "actually"): kept as they are, so the adjectives they
# come from still name a topic ("explicit token permissions", "the actual number")
HEDGE_ADVERBS = frozenset("actually exactly really specifically basically explicitly clearly officially".split())


def _adjective(word: str) -> str:
    """An adverb's adjective ("privately": private, "manually": manual, "temporarily": temporary), and
    "-ical" as "-ic" ("automatically", "automatic"; "typically", "typical"), so a question's "report it
    privately" meets "private vulnerability reporting". Not a word merely ending in -ly: "apply", "supply",
    "family", "assembly", "anomaly", "early", "rely"."""
    if word in HEDGE_ADVERBS:
        return word
    if word.endswith("ically") and len(word) >= 9:
        return word[:-4]
    if word.endswith("ical") and len(word) >= 7:
        return word[:-2]
    if word.endswith("ily") and len(word) >= 8:
        return word[:-3] + "y"
    if word.endswith("ly") and len(word) >= 6 and word[-3].isalpha() and word[-3] not in "aibpfo":
        return word[:-2]
    return word


# English's irregular past forms, as their verbs ("We found 14 issues" answers "how many did it find?");
# not those that are other words too ("left", "bound", "fed", "led", "saw", "lost", "gone": "go" is Go's name)
_IRREGULAR = {form: verb for verb, forms in {
    "find": "found", "write": "wrote written", "run": "ran", "take": "took taken", "give": "gave given",
    "make": "made", "hold": "held", "choose": "chose chosen", "know": "knew known", "see": "seen",
    "begin": "began begun", "break": "broke broken", "keep": "kept", "send": "sent", "build": "built",
    "bring": "brought", "think": "thought", "tell": "told", "say": "said", "pay": "paid", "mean": "meant",
    "steal": "stole stolen", "speak": "spoke spoken", "show": "shown", "hide": "hid hidden",
    "freeze": "froze frozen",
}.items() for form in forms.split()}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stemmer: plurals, then -ing / -ed and a final e, so 'controllers' meets 'controller',
    'policies' 'policy' and 'compromised' 'compromise' (never cutting a word below four letters); an
    irregular past form as its verb ('found': find)."""
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("'s", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    word = _adjective(word)  # ("repeatedly": repeated, then repeat)
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word[-len(suffix) - 1].isalpha():
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) >= 5 and word[-2].isalpha():
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Stemmed words less stop words; "best/worst" and "katib/notebooks" count as their parts, and
    a CamelCase identifier as itself and its words ("ValidatingWebhook": validat, webhook)."""
    stops = stop_words()
    out = [stem(part.lower()) for token in CAMEL_TOKEN_RE.findall(text) for part in camel_words(token)
           if part.lower() not in stops and len(part) > 1]
    for word in words(text):
        for part in word.split("/") if "/" in word and "://" not in word else (word,):
            if part not in stops and len(part) > 1:
                out.append(stem(part))
    return out


# The particles of English phrasal verbs, whose closed compounds name the act: "log in" / "login", "set up" /
# "setup", "roll out" / "rollout", "clean up" / "cleanup", "roll back" / "rollback".
PARTICLES = ("in", "up", "out", "on", "off", "down", "over", "back")
# a verb and its particle, apart only by spaces or one line break (a wrapped line; not "log. In", nor a list's
# next item); the verb in any form ("logged in", "sets up")
_OPEN_RE = re.compile(rf"\b([A-Za-z]{{3,}})([ \t]+|[ \t]*\r?\n[ \t]*)({'|'.join(PARTICLES)})\b", re.I)
_DOUBLED_END_RE = re.compile(r"([b-df-hj-np-tv-z])\1$")


class OpenCompounds:
    """Stage phrasal-compounds: of a question's terms, the closed compounds of a verb and its particle
    ("login", "setup", "rollback"), and which of them a text writes open ("you may log in with:", "logged
    in"). Not among a text's ``terms``: term statistics would fill with "basedon". (Any term ending in a
    particle is asked about, "version" too; only a text writing it open, "versi on", would hold it.)"""

    def __init__(self, asked):
        self.asked = frozenset(t for t in asked if any(t.endswith(p) and len(t) - len(p) >= 3 for p in PARTICLES))

    def held(self, text: str) -> set[str]:
        """The asked compounds ``text`` writes open."""
        if not self.asked:
            return set()
        stops = stop_words()
        found: set[str] = set()
        for verb, between, particle in _OPEN_RE.findall(text):
            if "\n" in between and not particle.islower():
                continue  # (a heading "Log" and a line "In production ..." are no "log in")
            verb, particle = verb.lower(), particle.lower()
            if verb in stops:
                continue
            base = stem(verb)  # ("logged": logg, then log)
            for form in {verb, base, _DOUBLED_END_RE.sub(r"\1", base)}:
                if (compound := stem(form + particle)) in self.asked:
                    found.add(compound)
        return found


def held_terms(text: str, compounds: OpenCompounds | None = None) -> set[str]:
    """``text``'s terms, and the question's compounds it writes open (``compounds``: stage phrasal-compounds)."""
    held = set(terms(text))
    return held | compounds.held(text) if compounds else held


def passage_words(chunk: Chunk) -> str:
    """What a passage offers to term matching: its text plus its section path and title."""
    return f"{chunk.text} {chunk.meta.section} {chunk.meta.title}"


def abbreviates(abbreviation: str, phrase: list[str]) -> bool:
    """Whether ``abbreviation`` is made of ``phrase``'s words: each word gives its first letter and
    maybe more of its letters in order ("Kubeflow Pipelines" -> KFP, "Role Based Access Control" -> RBAC)."""
    abbr = abbreviation.lower()

    def match(i: int, w: int) -> bool:
        if w == len(phrase):
            return i == len(abbr)
        word = phrase[w].lower()
        if i >= len(abbr) or word[0] != abbr[i]:
            return False
        j, pos = i + 1, 1
        while True:  # this word may supply abbr[i+1:j] from its later letters
            if match(j, w + 1):
                return True
            if j >= len(abbr):
                return False
            pos = word.find(abbr[j], pos) + 1
            if pos == 0:
                return False
            j += 1

    return match(0, 0)


def find_definitions(text: str) -> list[tuple[str, str]]:
    """(abbreviation, phrase) pairs a text defines: "Kubeflow Community Distribution (KCD)"."""
    out = []
    for m in _DEFINITION_RE.finditer(text):
        abbr = m.group(2)
        core = abbr[:-1] if abbr.endswith("s") and sum(c.isupper() for c in abbr) >= 2 else abbr
        words_before = m.group(1).split()
        for k in range(1, len(words_before) + 1):
            phrase = words_before[-k:]
            if abbreviates(core, phrase):
                out.append((core.lower(), " ".join(phrase)))
                break
    return out


def find_identifiers(text: str) -> list[tuple[str, str]]:
    """(identifier, title) pairs a text's lines open with: an audit's table of findings ("ADA-KUBEFL-02 SSRF
    in Kserve HTTPSProvider ..."), a list of CVEs. A thread that refers to a finding by identifier alone
    is then found from its title's words (``qa.query``)."""
    out = []
    for line in text.splitlines():
        if m := _IDENTIFIER_LINE_RE.match(" ".join(line.split())):
            title = " ".join(m.group(2).replace("|", " ").split()[:IDENTIFIER_TITLE_WORDS])
            # (a line going on in lower case is prose about the identifier: "ADA-KUBEFL-12 - was found with Gosec")
            if len(title.split()) >= 2 and not title[0].islower():
                out.append((m.group(1), title))
    return out


def chunk_set_key(chunk_ids: Iterable[str]) -> str:
    """Identity of a set of chunks: statistics saved for one set are never read for another."""
    digest = hashlib.sha256(TERMSTATS_VERSION.encode())
    for cid in sorted(chunk_ids):
        digest.update(cid.encode() + b"\n")
    return digest.hexdigest()


@dataclass
class TermStats:
    """Document frequency of every term over ``n`` chunks, and the corpus vocabulary (lower-cased
    words of three letters or more, for typo correction)."""

    n: int = 0
    df: dict[str, int] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    abbreviations: dict[str, str] = field(default_factory=dict)  # "kcd" -> "Kubeflow Community Distribution"
    # "ADA-KUBEFL-02" -> the titles lines opening with it give it
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    key: str = ""

    @classmethod
    def build(cls, chunks: Iterable[Chunk]) -> TermStats:
        df: Counter[str] = Counter()
        vocabulary: set[str] = set()
        definitions: dict[str, Counter[str]] = {}
        identifiers: dict[str, list[str]] = {}
        ids = []
        for chunk in chunks:
            ids.append(chunk.id)
            df.update(set(terms(passage_words(chunk))))
            vocabulary.update(w.lower() for w in _VOCABULARY_RE.findall(chunk.text))
            for abbr, phrase in find_definitions(chunk.text):
                definitions.setdefault(abbr, Counter())[phrase] += 1
            for ident, title in find_identifiers(chunk.text):
                titles = identifiers.setdefault(ident, [])
                if title not in titles:
                    titles.append(title)
        # each abbreviation's most frequent definition (ties: the first in order, so builds agree)
        abbreviations = {a: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for a, c in sorted(definitions.items())}
        return cls(n=len(ids), df=dict(df), vocabulary=frozenset(vocabulary), abbreviations=abbreviations,
                   identifiers={i: sorted(t) for i, t in sorted(identifiers.items())}, key=chunk_set_key(ids))

    @cached_property
    def hyphenated(self) -> dict[str, list[str]]:
        """Vocabulary words written with hyphens, by their letters alone ("multitenancy" ->
        ["multi-tenancy"]): computed once, where a scan of the vocabulary per word cost ~1 ms."""
        forms: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            if "-" in word:
                forms.setdefault(word.replace("-", ""), []).append(word)
        return forms

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency, positive even in a one-chunk store (log(1 + n/df))."""
        return math.log(1 + max(self.n, 1) / (self.df.get(term, 0) + 0.5))

    def known(self, term: str) -> bool:
        return term in self.df

    # --- persistence beside a store ----------------------------------------------------------
    def save(self, store_dir: Path) -> Path:
        path = Path(store_dir) / TERMSTATS_FILE
        payload = {"version": TERMSTATS_VERSION, "key": self.key, "n": self.n, "df": self.df,
                   "vocabulary": sorted(self.vocabulary), "abbreviations": self.abbreviations, "identifiers": self.identifiers}
        write_atomic(path, json.dumps(payload, separators=(",", ":")))  # readers see old or new, never half
        return path

    @classmethod
    def load(cls, store_dir: Path, key: str) -> TermStats | None:
        """The saved statistics if they were built from the chunk set ``key``; None otherwise."""
        path = Path(store_dir) / TERMSTATS_FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(payload, dict) or payload.get("version") != TERMSTATS_VERSION or payload.get("key") != key:
            return None
        return cls(n=int(payload["n"]), df=dict(payload["df"]), vocabulary=frozenset(payload["vocabulary"]),
                   abbreviations=dict(payload.get("abbreviations") or {}),
                   identifiers=dict(payload.get("identifiers") or {}), key=key)

    @classmethod
    def for_store(cls, store_dir: Path | None, chunks: list[Chunk]) -> TermStats:
        """Loaded from ``store_dir`` when saved for exactly these chunks, else built (and not saved:
        readers never write into a store)."""
        if store_dir is not None:
            loaded = cls.load(store_dir, chunk_set_key(c.id for c in chunks))
            if loaded is not None:
                return loaded
        return cls.build(chunks)
