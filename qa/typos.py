"""How people type: words typed without their apostrophe ("isnt", "Harbors") and slips of the
fingers ("raidus", "critcism") mapped to the words they are, against the corpus vocabulary (the BM25
index's words) and common English. Names, acronyms and clipped words ("perms") are left as typed."""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

from kfqa.qa.terms import CLIPPED_MIN, common_english, is_common
from kfqa.termstats import stem, stop_words


def restore_apostrophes(question: str, projects: set[str] = frozenset(), persons: set[str] = frozenset(),
                        vocabulary: set[str] = frozenset()) -> dict[str, str]:
    """Words typed without their apostrophe, mapped to what they are: a contraction ("isnt": "isn't",
    "cant": "can't"; one whose bare form is an English word, "its" or "were", is left alone) or a name's
    possessive: a capitalised project's or person's name ("Harbors": "Harbor's"; ``projects``, ``persons``:
    the store's project names and the parts of its people's names, lower-cased), or a person's in lower
    case when the word is no corpus word ("capposs": "cappos's"; in lower case "custodians" and "harbors"
    are the words they are)."""
    fixes = {}
    for m in _standalone_tokens(question):
        token, word = m.group(), m.group().lower()
        if word in (contractions := _contractions()):
            fixes[token] = contractions[word]
        elif word.endswith("s") and word not in projects | persons and (
                token[0].isupper() and word[:-1] in projects | persons
                or word[:-1] in persons and word not in vocabulary and not is_common(word)):
            fixes[token] = f"{token[:-1]}'s"
    return fixes


@lru_cache(maxsize=1)
def _contractions() -> dict[str, str]:
    """English contractions without their apostrophe ("isnt"), from the stop-word list's ("isn't"),
    less those that are English words bare ("its", "were", "well"), bar "cant" and "wont", which in a
    question are all but always "can't" and "won't"."""
    forms = {w.replace("'", ""): w for w in stop_words() if "'" in w} | {"cant": "can't", "wont": "won't"}
    return {bare: w for bare, w in forms.items() if bare in ("cant", "wont") or not is_common(bare)}


def correct_typos(question: str, vocabulary: set[str], known=frozenset()) -> dict[str, str]:
    """Words not in the corpus vocabulary nor common English, mapped to the word they misspell: the word
    one slip away (``_slipped``: "raidus", "critcism", "revviewers"), else the closest corpus word of the
    same first letter if close enough (a wrong letter in a long word: "dependancy"). Names are left as
    typed: an acronym or a word capitalised inside a sentence ("ReDoS", "VPCs", "Seldon"), and so are
    ``known`` words (the abbreviations kfqa expands: "netpol")."""
    fixes: dict[str, str] = {}
    if not vocabulary:
        return fixes
    for m in _standalone_tokens(question):
        token, word = m.group(), m.group().lower()
        # (a hyphenated word is checked whole: "user-suplied" -> "user-supplied"; an inflection of a
        # corpus word, "seeing" beside "see", is not a typo)
        if token in fixes or not MIN_TYPO_LETTERS <= len(word) <= MAX_TYPO_LETTERS or word in vocabulary \
                or word in known or word.count("-") > 1 or is_common(word) \
                or sum(c.isupper() for c in token) > 1 or _capitalised_inside(question, m):
            continue
        if len(word) == MIN_TYPO_LETTERS:  # (two letters swapped into an English word only, "waht"; more guesses)
            found = _nearest(_swaps(word), (common_english(),), least=MIN_TYPO_LETTERS)
            match = found if found and len(found) == 1 else []
        elif _root(word) in vocabulary or _root(word) + "e" in vocabulary:
            continue
        else:
            slipped = _slipped(word, vocabulary)
            # (several words a slip away: the one most alike; none: the closest corpus word, if close enough)
            match = difflib.get_close_matches(word, slipped, n=1, cutoff=0.0) if slipped is not None else \
                difflib.get_close_matches(word, _candidates(word, vocabulary), n=1, cutoff=0.84)
        # Another form of a corpus word ("reopened" / "reopen", "operates" / "operated") is not a typo,
        # nor is a clipped one ("perms")
        if match and _root(match[0]) != _root(word) and not (word.startswith(match[0]) or match[0].startswith(word)) \
                and not _clipping(word, vocabulary):
            fixes[token] = match[0]
    return fixes


MIN_TYPO_LETTERS = 4
MAX_TYPO_LETTERS = 30  # (a longer token is a hash, a key or a path pasted in, not a misspelt word)
# a token standing alone: not inside a word of other letters ("Sécurité"), a snake_case name or a path
_STANDALONE_TOKEN_RE = re.compile(r"(?<![\w./-])[A-Za-z][A-Za-z0-9-]*(?![\w/-]|\.\w)")


# two words typed as alternatives ("usrname/pw", "session/cookie"): each side is a token (so is each part
# of a two-part path, "docs/componets": a slip there is one too), while a longer path or a file ("a/b.md",
# "x/y/z") is none
_STANDALONE_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_SLASH_PAIR_RE = re.compile(r"(?<![\w./-])([A-Za-z][A-Za-z0-9-]*)/([A-Za-z][A-Za-z0-9-]*)(?![\w/-]|\.\w)")


def _token_matches(text: str) -> list[re.Match]:
    """The standalone tokens of ``text`` and the sides of its word/word pairs, in order."""
    found = [*_STANDALONE_TOKEN_RE.finditer(text)]
    for pair in _SLASH_PAIR_RE.finditer(text):
        found += [m for m in _STANDALONE_WORD_RE.finditer(text, pair.start(), pair.end())]
    return sorted(found, key=lambda m: m.start())


def _standalone_tokens(question: str):
    seen = set()
    for m in _token_matches(question):
        if m.group() not in seen:
            seen.add(m.group())
            yield m


_SHORT_ID_RE = re.compile(r"([A-Za-z]{2,})-0*(\d{1,5})")


def shortened_identifiers(question: str, identifiers: Iterable[str]) -> dict[str, str]:
    """The store's identifiers the question writes without their middle part ("ADA-04", "ada-4": ADA-KUBEFL-04),
    each standing for the one identifier of that prefix and number (none when two could be meant)."""
    by_short: dict[tuple[str, int], list[str]] = {}
    for ident in identifiers:
        parts = ident.split("-")
        if len(parts) == 3 and parts[1].isalpha() and parts[2].isdigit():  # (not a CVE's year)
            by_short.setdefault((parts[0].lower(), int(parts[2])), []).append(ident)
    fixes = {}
    for m in _token_matches(question):
        short = _SHORT_ID_RE.fullmatch(m.group())
        meant = by_short.get((short.group(1).lower(), int(short.group(2))), []) if short else []
        if len(meant) == 1:
            fixes[m.group()] = meant[0]
    return fixes


def apply_corrections(text: str, fixes: dict[str, str]) -> str:
    """``text`` with each standalone token ``fixes`` maps replaced (the tokens found as they were found:
    never inside a word, a path or another correction's output)."""
    if not fixes:
        return text
    out, at = [], 0
    for m in _token_matches(text):
        out += [text[at:m.start()], fixes.get(m.group(), m.group())]
        at = m.end()
    return "".join(out) + text[at:]


def _capitalised_inside(question: str, m: re.Match) -> bool:
    """The token ``m`` is capitalised and doesn't open a sentence: a name ("Seldon", "Harbors")."""
    if not m.group()[:1].isupper():
        return False
    before = question[: m.start()].rstrip(" \"'“‘(")
    return bool(before) and before[-1] not in ".?!:;\n"


def unclipped(token: str, vocabulary: set[str], frequency) -> str | None:
    """The corpus word a clipped one stands for ("perms": "permission", "infra": "infrastructure"): of the
    longer corpus words it begins (``_clipped_by``), those of the stem the sources use most (``frequency(word)``:
    how many of the store's passages hold it), when it clearly wins (CLEAR_WIN times the next stem: "orig" is
    "origin" as much as "original"). None for a name (capitalised: "Kubes"), a corpus or English word, a
    plural of a corpus word ("diffs"), or one that clips none."""
    word = token.lower()
    if word != token or word in vocabulary or is_common(word) or not word.isalpha() \
            or (word.endswith("s") and word[:-1] in vocabulary):
        return None
    by_stem: dict[str, list[str]] = {}
    for longer in _clipped_by(word, vocabulary):
        if longer.isalpha():
            by_stem.setdefault(stem(longer), []).append(longer)
    ranked = sorted(by_stem.values(), key=lambda forms: frequency(forms[0]), reverse=True)
    if not ranked or (len(ranked) > 1 and frequency(ranked[0][0]) < CLEAR_WIN * frequency(ranked[1][0])):
        return None
    return min(ranked[0], key=len)


CLEAR_WIN = 2  # times as frequent as the next word a clipping may stand for


def _clipping(word: str, vocabulary: set[str]) -> bool:
    """A clipped corpus word ("perms": permissions, "creds": credentials), not a misspelt one."""
    return bool(_clipped_by(word.lower(), vocabulary))


def _clipped_by(word: str, vocabulary) -> list[str]:
    """The longer corpus words ``word`` (less a plural's s; CLIPPED_MIN letters or more) begins."""
    head = word[:-1] if word.endswith("s") else word
    if len(head) < CLIPPED_MIN:
        return []
    ordered = _sorted_words(vocabulary) if isinstance(vocabulary, frozenset) else sorted(vocabulary)
    found = []
    for v in ordered[bisect.bisect_left(ordered, head):]:  # (a sorted run, not a scan of 15,000 words)
        if not v.startswith(head):
            break
        if len(v) > len(word):
            found.append(v)
    return found


@lru_cache(maxsize=4)
def _sorted_words(vocabulary: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(vocabulary))


def _slipped(word: str, vocabulary: set[str]) -> list[str] | None:
    """The words ``word`` may misspell by one slip of the fingers (two neighbouring letters swapped, a
    letter left out or one added, never the first: "kdump" is no "dump"): corpus words before common
    English ones, swaps before the rest, words of five letters or more; None when there are none. A
    wrong letter is left to the closeness rule: in a short word it often makes another word ("payout",
    "layout")."""
    swaps = _swaps(word)
    drops = {word[:i] + word[i + 1:] for i in range(1, len(word))}
    adds = {word[:i] + c + word[i:] for i in range(1, len(word) + 1) for c in _LETTERS}
    # (a corpus word by any slip before an English one: "theat" is the corpus's "threat", not "theta")
    found = _nearest(swaps, (vocabulary,)) or _nearest(drops | adds, (vocabulary,)) \
        or _nearest(swaps, (common_english(),)) or _nearest(drops | adds, (common_english(),))
    if found is None and word.endswith("s") and not word.endswith("ss"):
        # a plural of a corpus word the sources use in the singular only ("fuzers": "fuzzer")
        singular = _slipped(word[:-1], vocabulary)
        found = [f + "s" for f in singular if f in vocabulary] if singular else None
    return found or None


def _nearest(edits: set[str], lexicons, least: int = 5) -> list[str] | None:
    """The edits of ``least`` letters or more found in the first of ``lexicons`` holding any; None if none does."""
    for known in lexicons:
        found = sorted(w for w in edits if w in known and len(w) >= least)
        if found:
            return found
    return None


def _swaps(word: str) -> set[str]:
    """``word`` with two neighbouring letters swapped, the first letter kept."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(1, len(word) - 1)}


_LETTERS = "abcdefghijklmnopqrstuvwxyz-"


def _root(word: str) -> str:
    return re.sub(r"(ing|ed|es|s|ly|er|ers)$", "", word)


def _candidates(word: str, vocabulary: set[str]) -> list[str]:
    # Only words of similar length sharing the first letter: keeps difflib fast on a 20k-word vocabulary.
    return [v for v in vocabulary if v[:1] == word[:1] and abs(len(v) - len(word)) <= 2]
