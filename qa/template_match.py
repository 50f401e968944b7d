"""Stage template-sections: a question in the words of TAG Security's assessment template asks for
the section of the project's own assessment that answers that prompt.

Reviewers ask what the template asks of every project ("How do team members communicate with each
other?"). The template files that prompt under labels ("Communication Channels" > "Internal"), and
an assessment written to the template answers it under the same headings, in other words than the
prompt's. So the prompt the question restates is found among the guides' sentences (by similarity
to the question), its labels are read off the template (the list item's own label, its parent
items' labels, the section's headings, or a table row's first cell), and the project's passages
filed under the innermost label that any of them holds become candidates and move up.

Nothing here is Kubeflow's: the labels come from whatever guides the store holds, the sections
from whatever assessments follow them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from math import inf

from kfqa.qa.names import replace_names
from kfqa.qa.sentences import answerable_sentences, occurrences
from kfqa.termstats import stem, terms
from kfqa.text import ITEM_MARK, ITEM_START_RE, normalize
from kfqa.types import Chunk, Retrieved

# "* Communication Channels. Reference where ..." / "1. **Internal**: How do ..." -> the label
_ITEM_LABEL_RE = re.compile(rf"^\s*{ITEM_MARK}\s+\**([A-Z][\w /&'’-]{{1,48}}?)\**\s*[.:?](?:\s|$)")
_ROW_LABEL_RE = re.compile(r"^\s*\|\s*\**([^|*]{2,48}?)\**\s*\|")
# a prompt's worked example ("(e.g., Flibble only allows ...)") is the template's, not the question's
_EXAMPLE_RE = re.compile(r"\s*\((e\.g\.|for example|such as)[^()]*\)", re.I)
MAX_LABEL_WORDS = 5  # "Responsible Disclosures Process"; a longer lead is a sentence, not a label
MIN_SHARED_LABELS = 3  # labels a file shares with a template to count as written to it
PROMPT_CANDIDATES = 6  # guide sentences embedded per question, at most
PROMPT_MIN_SHARE = 0.5  # of the question's words a guide sentence shares to be compared
# "Predisposing conditions: ...", "Goals — ...": a short capitalised label opening the question
_LEADING_LABEL_RE = re.compile(r"^\s*([A-Z][\w /&'’-]{1,48}?)\s*(?::|\s[—–-])\s+")
MIN_COPIED_WORDS = 4  # a piece of a template sentence between placeholders that counts as copied text
_PLACEHOLDER_RE = re.compile(r"\[[^\]]{1,40}\]")  # "[project]", "[Project Name]"
GUIDE_PASSAGES = 5  # the guides' best passages (BM25) whose sentences may be compared with the question


@dataclass(frozen=True)
class TemplateMatch:
    prompt: str  # the template's sentence the question restates
    similarity: float
    labels: tuple[str, ...]  # innermost first
    label: str  # the one the project's answering passages hold (their heading, a table row's first cell)
    sections: frozenset[tuple[str, str]]  # (source, section) of the project's passages that answer it


def as_any_project(question: str, projects) -> str:
    """The question as the template words it, of no project in particular: each of ``projects`` (the
    one it is about, those it names) it holds is "the project"."""
    return replace_names(question, [p for p in projects if len(p) > 2], "the project", possessive=False)


def label_key(label: str) -> str:
    """Labels compare by their words' stems: "Security Provider?" == "security providers", "Goal" ==
    "Goals"."""
    return " ".join(stem(w) for w in re.findall(r"[a-z0-9]+", label.lower()))


def prompt_labels(chunk: Chunk, sentence: str) -> list[str]:
    """The labels the template files ``sentence`` under, innermost first: the list item's own label,
    each enclosing item's, or the table row's first cell; then the section's headings (not the
    document's title)."""
    lines = chunk.text.splitlines()
    at = _line_of(chunk.text, sentence)
    labels: list[str] = []
    if at is not None:
        row = _ROW_LABEL_RE.match(lines[at])
        if row:
            labels.append(row.group(1))
        indent = inf
        for line in reversed(lines[: at + 1]):
            depth = len(line) - len(line.lstrip())
            if line.strip() and ITEM_START_RE.match(line) and depth < indent:
                label = _ITEM_LABEL_RE.match(line)
                if label:
                    labels.append(label.group(1))
                indent = depth
                if depth == 0:
                    break
    labels += reversed(chunk.meta.section.split(" > ")[1:])
    return [label for label in dict.fromkeys(labels) if 0 < len(label_key(label).split()) <= MAX_LABEL_WORDS]


@lru_cache(maxsize=8192)
def _section_keys(section: str) -> frozenset[str]:
    return frozenset(label_key(h) for h in section.split(" > ")) - {""}


def _held_labels(chunk: Chunk) -> set[str]:
    """The labels a passage is filed under (its section path) or holds (table rows' and list items'
    labels), as keys."""
    keys = set(_section_keys(chunk.meta.section))
    for line in chunk.text.splitlines():
        found = _ROW_LABEL_RE.match(line) or _ITEM_LABEL_RE.match(line)
        if found:
            keys.add(label_key(found.group(1)))
    return keys - {""}


def _line_of(text: str, sentence: str) -> int | None:
    """The line of ``text`` the ``sentence`` starts on (by its first words when markup was taken out of it)."""
    found = occurrences(text, sentence, lambda words: words[:4])
    return text.count("\n", 0, found[0].start()) if found else None


class LabelIndex:
    """Which passages hold a label, and which labels each guide uses; built once per opened store.
    Section headings are indexed for every file (they are in the metadata); table rows' and list
    items' labels only for the files written to a template, when one is first asked for (reading
    every passage's lines would cost a cold ``kfqa ask`` a quarter of a second)."""

    def __init__(self, chunks):
        self.holders: dict[str, set[str]] = {}  # label -> ids of passages filed under it
        self.headings: dict[str, set[str]] = {}  # source -> its section headings, as keys
        self.template: dict[str, set[str]] = {}  # guide source -> every label it files prompts under
        self.chunks: dict[str, Chunk] = {}
        self._by_source: dict[str, list[Chunk]] = {}
        self._read: set[str] = set()  # sources whose rows and items are indexed
        self._plain: dict[str, list[str]] = {}  # source -> its passages' text as ``copied`` reads it
        # (the UI answers on several threads: one reads a source's rows into ``holders`` while another looks up)
        self._lock = threading.Lock()
        for chunk in chunks:
            if chunk.meta.kind == "guide":
                self.template.setdefault(chunk.meta.source, set()).update(_held_labels(chunk))
                continue
            self.chunks[chunk.id] = chunk
            self._by_source.setdefault(chunk.meta.source, []).append(chunk)
            keys = _section_keys(chunk.meta.section)
            self.headings.setdefault(chunk.meta.source, set()).update(keys)
            for key in keys:
                self.holders.setdefault(key, set()).add(chunk.id)

    def leading_label(self, question: str) -> str:
        """The label a question opens with, "Predisposing conditions: which limitations ...?", when a guide
        files prompts under it: the template's word for where the answer goes, not what the question asks
        about, so no name of it is one the project's sources must hold. "" for none."""
        found = _LEADING_LABEL_RE.match(question)
        if not found or len(found.group(1).split()) > MAX_LABEL_WORDS:
            return ""
        key = label_key(found.group(1))
        return found.group(0) if any(key in labels for labels in self.template.values()) else ""

    def following(self, guide: str, admitted_sources: set[str]) -> set[str]:
        """The admitted files written to ``guide``'s template: those whose headings use the most of
        its labels (an assessment files its answers under the template's headings; a page of docs
        shares one or two by chance)."""
        template = self.template.get(guide, set())
        shared = {s: len(self.headings.get(s, set()) & template) for s in admitted_sources}
        most = max(shared.values(), default=0)
        return {s for s, n in shared.items() if n == most and n >= MIN_SHARED_LABELS}

    def named_headings(self, question: str, sources) -> set[str]:
        """Headings of two words or more of ``sources`` that the question names ("its security
        functions and features table"), as keys."""
        said = f" {label_key(question)} "
        return {h for s in sources for h in self.headings.get(s, ()) if len(h.split()) > 1 and f" {h} " in said}

    def answering(self, labels: list[str], guide: str, admitted) -> tuple[str, set[str]]:
        """Ids of the admitted passages of the files written to ``guide`` under the innermost label any
        of them holds, narrowed to those that also hold a label further out when some do ("Internal"
        under "Communication Channels")."""
        keys = [label_key(label) for label in labels]
        sources = self.following(guide, {c.meta.source for c in self.chunks.values() if admitted(c)})
        with self._lock:
            return self._innermost(labels, keys, sources)

    def _innermost(self, labels: list[str], keys: list[str], sources: set[str]) -> tuple[str, set[str]]:
        for source in sources - self._read:
            self._read_rows(source)
        for i, key in enumerate(keys):
            ids = {cid for cid in self.holders.get(key, ()) if self.chunks[cid].meta.source in sources}
            if not ids:
                continue
            for outer in keys[i + 1:]:
                narrowed = ids & self.holders.get(outer, set())
                if narrowed:
                    return labels[i], narrowed
            return labels[i], ids
        return "", set()

    def copied(self, sentence: str, sources: set[str]) -> bool:
        """Whether one of ``sources`` holds the template's ``sentence`` as it stands, its placeholders
        ("[project]") aside: text the template gives to copy ("It is not intended to provide a security
        audit of [project] ..."), which answers itself, not a prompt filed under a label."""
        # (only text with a place for the project's name is given to copy: a prompt kept in a file as it
        # stands, "What is the reporting process?", is still a prompt to answer)
        if not _PLACEHOLDER_RE.search(sentence):
            return False
        parts = [p.strip() for p in _PLACEHOLDER_RE.split(_plain(sentence))]
        parts = [p for p in parts if len(p.split()) >= MIN_COPIED_WORDS]
        return bool(parts) and any(all(p in text for p in parts) for s in sources for text in self._plain_texts(s))

    def _plain_texts(self, source: str) -> list[str]:
        """The source's passages as ``copied`` compares them (normalised once per source)."""
        texts = self._plain.get(source)
        if texts is None:
            texts = self._plain[source] = [_plain(c.text) for c in self._by_source.get(source, ())]
        return texts

    def _read_rows(self, source: str) -> None:
        for chunk in self._by_source.get(source, []):
            for key in _held_labels(chunk):
                self.holders.setdefault(key, set()).add(chunk.id)
        self._read.add(source)


def restated_prompt(question: str, guide_hits: list[Retrieved], similarities,
                    threshold: float) -> tuple[str, Chunk, float] | None:
    """The template prompt (sentence, its guide passage, similarity) the question restates: the guide
    sentence most similar to it, if at least ``threshold``. Only the PROMPT_CANDIDATES sentences
    sharing the most words with the question, and at least PROMPT_MIN_SHARE of its words, are
    compared: a restatement shares most of its words, and each sentence embedded costs a new
    question several milliseconds.
    ``similarities(texts)``: each text's similarity to the question."""
    words = set(terms(question))
    shared = [(len(words & set(terms(s))), s, hit.chunk) for hit in guide_hits for s in answerable_sentences(hit.chunk)]
    shared.sort(key=lambda t: -t[0])  # stable: ties keep the guides' order
    least = max(1, PROMPT_MIN_SHARE * len(words))
    sentences = [(s, chunk) for n, s, chunk in shared[:PROMPT_CANDIDATES] if n >= least]
    if not sentences:
        return None
    scores = similarities([_EXAMPLE_RE.sub("", s) for s, _ in sentences])
    best, (sentence, chunk) = max(zip(scores, sentences, strict=True), key=lambda pair: pair[0])
    return (sentence, chunk, best) if best >= threshold else None


def opens_with_label(question: str) -> bool:
    """The question opens with a short capitalised label ("Predisposing conditions: ...")."""
    return bool(_LEADING_LABEL_RE.match(question))


def _plain(text: str) -> str:
    return normalize(text).replace("’", "'")


def match_template(question: str, prompt: tuple[str, Chunk, float], index: LabelIndex, admitted,
                   abbreviations: dict[str, str] | None = None) -> TemplateMatch | None:
    """The project's sections that answer the restated ``prompt``: filed under the innermost of its
    labels that a file written to its template holds; None when no admitted passage holds one.
    ``abbreviations`` (abbreviation -> phrase): a label the template abbreviates ("SBOM") is also read as
    the phrase a project's heading may spell out ("Software Bill of Materials")."""
    sentence, chunk, similarity = prompt
    abbreviations = {key.lower(): phrase for key, phrase in (abbreviations or {}).items()}
    labels = spelled_out(prompt_labels(chunk, sentence), abbreviations)
    label, ids = index.answering(labels, chunk.meta.source, admitted)
    if not ids or index.copied(sentence, {index.chunks[i].meta.source for i in ids}):
        return None
    if not _covers_inner_labels(labels, label, [index.chunks[i] for i in ids], abbreviations):
        return None
    # a question naming another section of these files by its heading asks for that one
    named = index.named_headings(question, {index.chunks[i].meta.source for i in ids})
    if named and not named & {label_key(lab) for lab in labels}:
        return None
    sections = frozenset((index.chunks[i].meta.source, index.chunks[i].meta.section) for i in ids)
    return TemplateMatch(sentence, similarity, tuple(labels), label, sections)


def spelled_out(labels: list[str], abbreviations: dict[str, str]) -> list[str]:
    """Each label, followed by the phrase it abbreviates when it is an abbreviation ("SBOM", then "software
    bill of materials"), as innermost as the label itself."""
    out = []
    for label in labels:
        out.append(label)
        phrase = abbreviations.get(label.strip().lower(), "")
        words = [w for w in phrase.split() if w.lower() != label.strip().lower()]
        if words:
            out.append(" ".join(words))
    return list(dict.fromkeys(out))


def _covers_inner_labels(labels: list[str], label: str, chunks: list[Chunk], abbreviations: dict[str, str]) -> bool:
    """Sections filed under an outer label (a heading further out: "Project Compliance" for the prompt filed
    under "Existing Audits", which the project's file lacks) answer the prompt only when they speak of what the
    labels inside it name: a word of theirs ("audit"); else the project has no section for it. (A phrase a
    label spells out is that label: "Software Bill of Materials" is no label outside "SBOM".)"""
    inner = [lab for lab in labels[: labels.index(label)] if spelled_out([lab], abbreviations)[-1] != label]
    # (of an abbreviation spelled out, the abbreviation's words: "SBOM", not "software", which a Metadata table
    # may say; of "Responsible Disclosures Process", any: its head noun "process" is not what it names)
    phrases = {phrase for lab in inner if (phrase := spelled_out([lab], abbreviations)[-1]) != lab}
    wanted = {t for lab in inner if lab not in phrases for t in terms(lab)}
    if not wanted:
        return True
    return any(wanted & set(terms(c.text)) for c in chunks)
