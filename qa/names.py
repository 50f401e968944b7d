"""What a question calls things by: the store's projects, components and people, the section headings
it names, and "the project" of the template's wording.

The names come from the store itself (its projects, the component folders of its documentation, the
logins of its review threads, the abbreviations it defines); nothing here is Kubeflow's but the home
project's name, ``kfqa.config.HOME_PROJECT``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

from kfqa.config import HOME_PROJECT
from kfqa.qa.terms import DISCOURSE_TERMS, is_common
from kfqa.termstats import stop_words, terms
from kfqa.text import CAMEL_SPLIT_RE

# words reaching beyond the projects a question names ("other projects", "projects besides Flux")
_BEYOND_NAMED = (r"\bother (cncf )?projects?\b|\bsimilar projects?\b|\bacross projects\b|\bcncf projects\b"
                 r"|\bprojects? (?:besides|other than|apart from|except)\b")
_OTHER_PROJECTS_RE = re.compile(_BEYOND_NAMED + r"|\bcompar\w*", re.I)


def asks_about_other_projects(question: str) -> bool:
    return bool(_OTHER_PROJECTS_RE.search(question))


# ... in words that reach beyond the projects it names ("compared with other projects", not "compare X and Y")
_BEYOND_NAMED_RE = re.compile(_BEYOND_NAMED, re.I)


def asks_beyond_named_projects(question: str) -> bool:
    return bool(_BEYOND_NAMED_RE.search(question))


# "the project" in the template's words is the project under assessment ("What security guarantees is
# the project meant to provide?"); "a project", "projects" and "the projects" are any
_THE_PROJECT_RE = re.compile(r"\b(?:the|this|your|our) project\b(?!s)", re.I)


def project_aliases(projects: Iterable[str], abbreviations: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each project with the other names the store gives it: a phrase an abbreviation stands for that opens
    with the project's name, and that abbreviation ("External Secrets Operator (ESO)": external-secrets)."""
    aliases: dict[str, list[str]] = {p: [] for p in projects}
    for short, phrase in abbreviations.items():
        words = re.findall(r"[a-z0-9]+", phrase.lower())
        for project in aliases:
            name = project.split("-")
            if len(short) > 2 and words[:len(name)] == name:
                aliases[project] += [short.lower(), " ".join(words)]
    return {p: tuple(dict.fromkeys(a)) for p, a in aliases.items()}


def project_pattern(project: str, aliases: Iterable[str] = ()) -> str:
    """How a question names ``project``: its folder name with any separator or none ("open-telemetry":
    "OpenTelemetry", "Open Telemetry"), or one of its ``aliases``."""
    forms = [_name_pattern(name, r"[\s/_-]?") for name in (project, *aliases)]
    return r"\b(?:" + "|".join(forms) + r")\b"


def _projects_in(question: str, projects: Collection[str]) -> list[str]:
    """The ``projects`` the question names (names of three letters or more), sorted. A mapping gives each
    project's aliases (``project_aliases``)."""
    low = question.lower()
    aliases = projects if isinstance(projects, Mapping) else {}
    return sorted(p for p in projects if len(p) > 2 and re.search(project_pattern(p, aliases.get(p, ())), low))


def home_named(question: str, projects: Collection[str]) -> bool:
    """The question speaks of the project under assessment as "the project" and names no project."""
    return bool(_THE_PROJECT_RE.search(question)) and not _projects_in(question, projects)


# words that set the projects a question names side by side ("X vs Y", "does Y say the same?", "what do
# Knative committers sign instead?"), not one project's use of another ("cert-manager in Kubeflow 1.9")
_COMPARES_RE = re.compile(r"\bvs\.?(?!\w)|\bversus\b|\bcompar\w*|\bdiffer\w*|\bsame\b|\bboth\b|\bunlike\b"
                          r"|\beach\s+(?:project|one|of|self-assessment|assessment|side)"
                          r"|\bwhereas\b|\bsimilar\w*|\balike\b|\binstead\b", re.I)


def compares(question: str) -> bool:
    """The question sets the projects it names side by side."""
    return bool(_COMPARES_RE.search(question))


# what a project's own documents say: "Per Volcano's self-assessment", "in the Knative security assessment",
# "according to Harbor's threat model"
_OWN_DOCUMENT = (r"(?:'s|’s)?\s+(?:own\s+)?(?:(?:security|joint|self)[\s-]+)?(?:self-assessment|assessment|review|"
                 r"threat[\s-]model|security\s+policy|documentation|docs)\b")


def asks_own_document(question: str, project: str, aliases: Iterable[str] = ()) -> bool:
    """The question asks what ``project``'s own document says (its assessment, threat model, docs), naming
    it as ``project_pattern`` does."""
    return bool(re.search(project_pattern(project, aliases) + _OWN_DOCUMENT, question, re.I))


def named_projects(question: str, projects: Collection[str]) -> list[str]:
    """Projects the question names: others than Kubeflow (naming Kubeflow alone changes nothing), and
    Kubeflow too when it is named beside them ("How does Kubeflow's SBOM compare with Volcano's?")."""
    named = _projects_in(question, projects)
    others = [p for p in named if p != HOME_PROJECT]
    return named if others else []


def named_people(question: str, people: set[str], by_part: list[str] | None = None) -> list[str]:
    """GitHub logins the question names, whole ("kfaseela", "JustinCappos's") or by a part ("Justin";
    ``by_part``: those ``name_expansions`` found already)."""
    lowered = question.lower()
    whole = [login for login in people if re.search(rf"(?<![\w-]){re.escape(login.lower())}(?![\w-])", lowered)]
    return sorted(set(whole) | set(name_expansions(question, people) if by_part is None else by_part))


_BOT_RE = re.compile(r"bot(?:\[bot\])?$|\[bot\]", re.I)


def login_parts(login: str) -> set[str]:
    """The parts of a GitHub login that name its owner ("JustinCappos": justin, cappos), lower-cased."""
    return {p.lower() for p in re.split(r"[-_]|" + CAMEL_SPLIT_RE.pattern, login) if len(p) >= 4}


def person_terms(login: str, asked=()) -> set[str]:
    """The terms by which a question names a person: the login whole and its parts ("JustinCappos":
    justincappo, justin, cappo), and of the question's terms ``asked``, those that begin the login as
    ``name_expansions`` reads a name ("Andrey" names andreyvelich)."""
    low = login.lower()
    prefixes = {t for t in asked if len(t) >= 5 and low.startswith(t)}
    return set(terms(login)) | {t for part in login_parts(login) for t in terms(part)} | prefixes


def name_expansions(question: str, people: set[str]) -> list[str]:
    """GitHub logins a question names by a part ("Justin" -> JustinCappos, "Rishabh" -> RobuRishabh),
    capitalised or, as reviewers type, not ("cappos's complaint"): a lower-case word names someone only
    when it is no common English ("brand" is no part of brandtkeller's name)."""
    found = []
    names = {w.lower() for w in re.findall(r"\b[A-Z][a-z]{3,}\b", question)}
    names |= {w for w in re.findall(r"\b[a-z]{4,}\b", question) if w not in stop_words() and not is_common(w)}
    for login in people:
        if _BOT_RE.search(login):
            continue  # a bot ("kubeflow-bot", "dependabot[bot]") is named whole or not at all: "kubeflow" names no one
        parts = login_parts(login)
        if names & parts or any(login.lower().startswith(n) for n in names if len(n) >= 5):
            found.append(login)
    return sorted(found)


_COMPONENT_PATH_RE = re.compile(r"/components/([a-z0-9][\w-]*)/")


def store_names(sources: set[str], projects: set[str], abbreviations: dict[str, str] | None = None) -> set[str]:
    """The names a question may call things by, from the store itself: its projects, the components
    its documentation is filed under (``docs/.../components/katib/...``) and the abbreviations it
    defines for them ("Kubeflow Pipelines (KFP)")."""
    names = {p for p in projects if p}
    for source in sources:
        if m := _COMPONENT_PATH_RE.search(source):
            names.add(m.group(1))
    parts = {part for name in names for part in name.split("-")}
    for short, phrase in (abbreviations or {}).items():
        words = re.findall(r"[a-z0-9]+", phrase.lower())
        if words and all(w in parts for w in words):
            names.add(short.lower())
    return names


_ABBREVIATED_RE = re.compile(r"\s*\([A-Z][A-Za-z0-9-]{1,9}\)$")  # "Kubeflow Pipelines (KFP)" is named "Kubeflow Pipelines"


def heading_name(heading: str) -> str:
    """A heading without the abbreviation it ends on ("Kubeflow Pipelines (KFP)" -> "Kubeflow Pipelines");
    any other parenthesis stays ("Notebooks (5.6/10)" is no section named "Notebooks")."""
    return _ABBREVIATED_RE.sub("", heading.strip()) or heading.strip()


_TRAILING_PARENTHESIS_RE = re.compile(r"\s*\([^()]*\)$")
_PAGE_RE = re.compile(r"^Page \d+(?: > |$)")


def heading_anchor(heading: str) -> str:
    """The anchor Markdown renderers give a heading: lower case, punctuation dropped, each space a hyphen."""
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower()))


def heading_path(section: str) -> list[str]:
    """A section's headings, outermost first, without a PDF's "Page N" ("Page 12 > Scorecard > Katib")."""
    return [h for h in _PAGE_RE.sub("", section).split(" > ") if h]


def subject_key(heading: str) -> str:
    """What a heading is about, for telling headings repeated in a document: without any closing
    parenthesis ("Model Registry (7.7/10)", "Kubeflow Pipelines (KFP)") and case."""
    return " ".join(_TRAILING_PARENTHESIS_RE.sub("", heading.strip()).split()).casefold()


def aspect_headings(sections: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """(source, subject key) of the headings a document treats aspect by aspect: several subjects, each
    under the same parents, more subjects than parents ("Actors > Kubeflow Katib" and "Actions >
    Kubeflow Katib", and so for five other components; "Scorecard > Katib (6.5/10)" and "Threat model >
    Katib"). A heading merely repeated ("Actors" under two overviews, a release's "Component versions"
    under 1.9.0 and 1.9.1) is a section's name as before. ``sections``: (source, section) pairs."""
    parents: dict[tuple[str, str], set[str]] = {}
    for source, section in sections:
        path = heading_path(section)
        if len(path) >= 2:
            parents.setdefault((source, subject_key(path[-1])), set()).add(subject_key(path[-2]))
    subjects: dict[tuple[str, frozenset[str]], list[tuple[str, str]]] = {}
    for (source, subject), under in parents.items():
        if len(under) >= 2:
            subjects.setdefault((source, frozenset(under)), []).append((source, subject))
    return frozenset(key for (_, under), keys in subjects.items() if len(keys) > len(under) for key in keys)


def names_section(question: str, source: str, section: str, skip: tuple[str, ...],
                  aspects: frozenset[tuple[str, str]]) -> bool:
    """Whether the question names the section by its heading (``names_heading``). A subject its
    document treats aspect by aspect (``aspect_headings``) names none of its sections alone: "How does
    Katib ...?" names none of Katib's actors, actions or threat model, "What are the actors in Kubeflow
    Katib?" names one, by its parent's heading too, and "the scorecard of Model Registry" names
    "Scorecard > Model Registry (7.7/10)" (a subject is named without what its heading adds in
    parentheses)."""
    path = heading_path(section)
    if not path:  # a PDF page without a heading: "Page 5"
        return names_heading(question, section, skip)
    if (source, subject_key(path[-1])) not in aspects:
        return names_heading(question, path[-1], skip)
    return len(path) >= 2 and names_subject(question, path[-1], skip) and names_heading(question, path[-2], skip)


SHORTEST_SUBJECT = 4  # characters of a subject named with its parent ("Katib"): the pair is no accident


def names_subject(question: str, heading: str, skip: tuple[str, ...]) -> bool:
    """The question names the subject of a subsection, its heading without what it adds in parentheses
    ("Katib (6.5/10)": "Katib"); asked with the parent's heading ("Katib's scorecard"), a short name will do."""
    return names_heading(question, _TRAILING_PARENTHESIS_RE.sub("", heading), skip, shortest=SHORTEST_SUBJECT)


def names_heading(question: str, heading: str, skip: tuple[str, ...] = (), shortest: int = 6) -> bool:
    """Whether the question names a section by its heading ("the Incident Response process",
    "the Overview"): the heading (without the abbreviation it ends on), ``shortest`` characters or more and
    not one of ``skip``, as a phrase."""
    heading = heading_name(heading)
    if len(heading) < shortest or heading.lower() in skip:
        return False
    return bool(re.search(rf"(?<!\w){re.escape(heading)}(?!\w)", question, re.IGNORECASE))


def names_in(text: str, names) -> set[str]:
    """Which of ``names`` ``text`` holds ("spark-operator" also as "Spark Operator", "notebooks" also as
    "Notebook")."""
    found = set()
    for name in names:
        single = name[:-1] if name.endswith("s") and len(name) > 4 else name
        if re.search(rf"(?<![\w-]){_name_pattern(single)}s?(?![\w-])", text, re.IGNORECASE):
            found.add(name)
    return found


def _name_pattern(name: str, separator: str = r"[\s-]") -> str:
    """A hyphenated name as a pattern that also meets it spaced ("spark-operator", "Spark Operator"), its
    parts joined by ``separator``."""
    return separator.join(re.escape(part) for part in name.split("-"))


def replace_names(text: str, names, replacement: str, possessive: bool = True) -> str:
    """``text`` with each of ``names`` (longest first; "spark-operator" also as "Spark Operator",
    with its "'s" when ``possessive``) replaced by ``replacement``."""
    for name in sorted(names, key=len, reverse=True):
        suffix = "(?:'s)?" if possessive else ""
        text = re.sub(rf"(?<![\w-]){_name_pattern(name)}{suffix}(?![\w-])", replacement, text, flags=re.IGNORECASE)
    return text


def generalized(question: str, names: set[str]) -> str:
    """The question without the names of the things it is about: "What happens if one of the Katib
    controllers is compromised?" -> "What happens if one of the controllers is compromised?".

    The passage that answers a question about one component is often a general one ("if a
    control-plane component is compromised, ...") that loses, on the specific search, to every
    passage sharing the component's name; searched for too, it becomes a candidate, and the
    reranking decides. ``names``: the store's own component and project names (``store_names``),
    and abbreviations it defines for them; "Spark Operator" matches ``spark-operator``.
    "" when nothing is dropped or fewer than two topic words remain."""
    text = " ".join(replace_names(question, names, " ").split())
    if text == " ".join(question.split()) or len(set(terms(text)) - DISCOURSE_TERMS) < 2:
        return ""
    return text


# a release as a question or a page names it: "26.03", "1.9.1", "v1.10" (not "v2", a date "12.08.2025" or a
# score "5.6/10")
_RELEASE_RE = re.compile(r"(?<![\w.])v?(\d{1,3}\.\d{1,3}(?:\.\d{1,3})?)(?![\w./]|\.\d)", re.ASCII)


def releases_in(text: str) -> set[str]:
    """The releases ``text`` names ("Kubeflow Community Distribution 26.03": 26.03; "1.11.0" as "1.11")."""
    return {re.sub(r"(?:\.0)+$", "", r) if r.count(".") > 1 else r for r in _RELEASE_RE.findall(text)}


def filed_releases(chunk) -> set[str]:
    """The releases a passage's section and page name ("releases/kubeflow-26.03.md": 26.03)."""
    return releases_in(f"{chunk.meta.section} {re.sub(r'[.][a-z]+$', '', chunk.meta.source)}")


def _within(release: str, asked: str) -> bool:
    """``release`` is the ``asked`` one or one of its patch releases ("1.9" holds "1.9.1")."""
    return release == asked or release.startswith(asked + ".")


def filed_under(chunk, releases: set[str]) -> bool:
    """The passage's page or section names one of ``releases``."""
    return any(_within(n, a) for n in filed_releases(chunk) for a in releases)


def filed_under_another_release(chunk, asked: set[str]) -> bool:
    """The passage's page or section names a release, none of those ``asked``."""
    return bool(filed_releases(chunk)) and not filed_under(chunk, asked)


def asked_releases(question: str, filed: set[str]) -> set[str]:
    """The releases a question names that pages of the store are filed under (``filed``): "TLS 1.2" or
    "Go 1.22" names no release of the store's."""
    return {r for r in releases_in(question) if any(_within(f, r) for f in filed)}


# a review thread's address on GitHub: (owner/repository, number)
_THREAD_URL_RE = re.compile(r"github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)")
# a thread as a reader refers to it: its address, "PR 996", "PR#996", "issue #992", "cncf/toc#2201", "toc#2201",
# "#2201" (the word naming a thread first: "PR#996" is no repository "PR"; a repository's name starts after no
# other name character, so a long run of dots or hyphens is read once)
_THREAD_KINDS = r"prs?|pull requests?|pulls?|issues?|threads?"  # what readers call a review thread
_THREAD_REF_RE = re.compile(
    rf"(?:github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/|\b(?:{_THREAD_KINDS})[\s#-]*|"
    r"(?<![\w./-])([\w.-]+(?:/[\w.-]+)?)#|(?<![\w&#])#)(\d+)\b", re.I)


def thread_key(url: str) -> tuple[str, str] | None:
    """(owner/repository, number) of a review thread's address, the repository in lower case."""
    m = _THREAD_URL_RE.search(url)
    return (m.group(1).lower(), m.group(2)) if m else None


def _thread_references(question: str, threads: dict[tuple[str, str], set[str]]):
    """Each reference to a review thread in the question (the words making it) with the sources it names
    (``threads``: (owner/repository, number) -> sources). A repository written with the number ("toc#2201") must
    be the thread's, as owner/repository or as its name alone. Numbers listed after one ("PRs 975, 980 and 994")
    refer alike."""
    for m in _THREAD_REF_RE.finditer(question):
        repo = (m.group(1) or m.group(2) or "").lower()
        found = _thread_sources(threads, repo, m.group(3))
        said, end = [m.group(0)] if found else [], m.end()
        while more := _MORE_NUMBERS_RE.match(question, end):
            if listed := _thread_sources(threads, repo, more.group(1)):
                found |= listed
                said.append(more.group(1))
            end = more.end()
        if found:
            yield " ".join(said), found


def _thread_sources(threads: dict[tuple[str, str], set[str]], repo: str, number: str) -> set[str]:
    """The sources of thread ``number`` (of repository ``repo``, as owner/repository or its name, when given)."""
    return set().union(*(sources for (owner_repo, n), sources in threads.items()
                         if n == number and (not repo or repo in (owner_repo, owner_repo.split("/")[-1]))))


# a number listed after a thread's ("PRs 975, 980 and 994", "#980/#994")
_MORE_NUMBERS_RE = re.compile(r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+|\s*/\s*)#?(\d+)\b", re.I)


# a kind of review thread: what a question names when it names one by its repository and title
_THREAD_KIND_RE = re.compile(rf"\b(?:{_THREAD_KINDS})\b", re.I)
TITLE_COVERAGE = 0.8  # of a thread title's specific terms a question holds to name that thread by it


def titled_threads(question: str, titles: Mapping[tuple[str, str], str], threads: Mapping[tuple[str, str], set[str]],
                   specific) -> tuple[set[str], str]:
    """The sources of the one review thread the question names by its repository and title, without its number
    ("the kubeflow self assessment PR on cncf/toc": cncf/toc#2201, "Kubeflow Security Self Assessment"), and the
    words naming it; nothing when several of that repository's threads fit. ``specific(term)``: the term says
    which (a word every passage holds, "security", doesn't)."""
    if not _THREAD_KIND_RE.search(question):
        return set(), ""
    low, asked = question.lower(), set(terms(question))
    asked |= {part for term in asked if "-" in term for part in term.split("-")}  # "self-assessment": self, assessment
    written = {repo for repo, _ in titles if re.search(rf"(?<![\w/-]){re.escape(repo)}(?![\w/-])", low)} or \
        {repo for repo, _ in titles if re.search(rf"(?<![\w/-]){re.escape(repo.split('/')[-1])}(?![\w/-])", low)}
    fits = []
    for (repo, number), title in titles.items():
        wanted = {t for t in terms(title) if specific(t)}
        if repo in written and wanted and len(wanted & asked) >= TITLE_COVERAGE * len(wanted):
            fits.append(((repo, number), wanted & asked))
    if len(fits) != 1:
        return set(), ""
    key, said = fits[0]
    return set(threads.get(key, ())), " ".join(sorted(said))


def named_threads(question: str, threads: dict[tuple[str, str], set[str]]) -> tuple[set[str], str]:
    """The sources of the review threads the question refers to by number ("cncf/toc#2201", "the TOC PR
    2201", "#992"), and the words referring to them, which name where an answer is, not what it says (the
    thread's own passages never write them)."""
    found = list(_thread_references(question, threads))
    return set().union(*(sources for _, sources in found)), " ".join(said for said, _ in found)
