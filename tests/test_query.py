"""Question preparation: abbreviations, typos, history intent, follow-ups; question limits."""

import pytest

from kfqa.config import MAX_QUESTION_CHARS
from kfqa.qa.answer_type import asked_value
from kfqa.qa.assistant import check_question
from kfqa.qa.names import compares, generalized, named_people, names_in, store_names
from kfqa.qa.query import (
    Identifiers,
    abbreviations_for,
    asked_about,
    asked_kinds,
    asking_part,
    expansion_terms,
    from_first_question,
    is_follow_up,
    kind_hints,
    lead_kinds,
    premise_part,
    prepare,
    quoted_phrases,
    wants_history,
    without_revision_words,
    without_setting,
)
from kfqa.qa.stages import QAConfig
from kfqa.qa.terms import GENERAL_SYNONYMS, TermWeights
from kfqa.qa.typos import apply_corrections, correct_typos, restore_apostrophes, unclipped
from kfqa.termstats import TermStats, find_definitions, find_identifiers, stem, terms
from kfqa.types import Chunk, ChunkMeta, KfqaError

VOCAB = {"dependency", "supplied", "user-supplied", "assessment", "controller", "sandbox", "kubeflow", "see",
         "seeking", "spark-operator"}


def test_abbreviations_expand_to_general_and_corpus_defined_phrases():
    # PSS is a general Kubernetes acronym; KFP expands only where the store defines it
    alone = prepare("Which PSS level does KFP enforce?", None, VOCAB)
    assert "Pod Security Standards" in alone.text and "Kubeflow Pipelines" not in alone.text
    defined = TermStats.build([_chunk("Run it with Kubeflow Pipelines (KFP) on any cluster.")]).abbreviations
    assert defined == {"kfp": "Kubeflow Pipelines"}
    q = prepare("Which PSS level does KFP enforce?", None, VOCAB, abbreviations=abbreviations_for(defined))
    assert "Pod Security Standards" in q.text
    assert "Kubeflow Pipelines" in q.text
    assert q.original == "Which PSS level does KFP enforce?"


def test_a_word_for_a_login_is_searched_with_the_words_sources_use():
    asked = "What are the default login creds?"
    prepared = prepare(asked, None, VOCAB, synonyms=GENERAL_SYNONYMS)
    assert prepared.searched_with == ["username password"]
    assert "username" not in prepared.text  # (searched for, never a term of the question its answer is scored by)
    assert prepare(asked, None, VOCAB).searched_with == []
    assert prepare(asked, None, VOCAB, synonyms=GENERAL_SYNONYMS, expand=False).searched_with == []
    # (not again when the reader wrote them; "credentials" alone are as often tokens and keys)
    said = prepare("Is the default username and password login documented?", None, VOCAB, synonyms=GENERAL_SYNONYMS)
    assert said.searched_with == []
    assert prepare("Are credentials rotated?", None, VOCAB, synonyms=GENERAL_SYNONYMS).searched_with == []


def test_definitions_found_in_text():
    text = ("Pods follow the Pod Security Standards (PSS). Role Based Access Control (RBAC) and the "
            "Kubeflow Community Distribution (KCD) apply; see the docs (here) and SBOMs (Software Bill of Materials).")
    assert find_definitions(text) == [("pss", "Pod Security Standards"), ("rbac", "Role Based Access Control"),
                                      ("kcd", "Kubeflow Community Distribution")]


def test_identifiers_are_read_from_the_lines_that_open_with_them():
    text = ("Found issues\nADA-KUBEFL-03 Path Traversal in KServe GCS Downloader Moderate Reported\n"
            "| CVE-2023-2975 | Affects libssl3 and libcrypto3 |\n- GHSA-1 is tracked\n"
            "SHA-512 checksums are published\nADA-KUBEFL-05 Low\nSee ADA-KUBEFL-03 for the fix.")
    assert find_identifiers(text) == [("ADA-KUBEFL-03", "Path Traversal in KServe GCS Downloader Moderate Reported"),
                                      ("CVE-2023-2975", "Affects libssl3 and libcrypto3")]


def test_a_question_describing_a_titled_identifier_searches_for_it():
    # the audit titles its findings; the thread that settles one names only its identifier
    chunks = [_chunk("ADA-X-03 Path traversal in the GCS downloader Moderate", 0),
              _chunk("ADA-X-05 Weak image reference validation Low", 1),
              _chunk("ADA-X-03 is out of scope for graduation: the downloader is another project's.", 2),
              *(_chunk(f"Filler passage {i} about namespaces and profiles.", i) for i in range(3, 12))]
    stats = TermStats.build(chunks)
    # (the thread's line going on in lower case is prose about the finding, not its title)
    assert stats.identifiers == {"ADA-X-03": ["Path traversal in the GCS downloader Moderate"],
                                 "ADA-X-05": ["Weak image reference validation Low"]}
    weights = TermWeights(stats, QAConfig())
    index = Identifiers({i: [weights.focus(t) for t in titles] for i, titles in stats.identifiers.items()}, 0.5)
    described = prepare("What became of the GCS downloader path traversal the audit found?", None, set(),
                        identifiers=index)
    # the identifier finds passages; it is no word of the question's text, which scores sentences
    assert described.identifiers == ["ADA-X-03"] and "ADA-X-03" not in described.text
    # a question naming the identifier searches for it too (BM25 reads "ADA-X-03" as three common tokens);
    # one naming another identifier of the scheme, or holding one word of a title, searches for nothing more
    assert prepare("Is ADA-X-03 fixed?", None, set(), identifiers=index).identifiers == ["ADA-X-03"]
    assert prepare("Is ADA-X-030 fixed?", None, set(), identifiers=index).identifiers == []
    assert prepare("Which images does Katib validate?", None, set(), identifiers=index).identifiers == []


def test_a_dotted_code_name_in_a_title_is_described_by_its_last_part():
    # "MinioObjectStore.GetFile" is one term of the finding's title; a reader names the method alone
    title = {"minioobjectstore.getfil": 6.0, "minio": 6.0, "object": 3.0, "file": 2.5, "reliability": 5.0, "issu": 2.0}
    index = Identifiers({"ADA-X-04": [title]}, 0.5)
    assert index.described_by("that kfp minio GetFile issue - how big of an object?") == ["ADA-X-04"]
    assert index.described_by("that kfp minio issue - how big of an object?") == []  # (11 of 24.5: under half)


def test_a_value_several_titles_share_names_a_group_of_identifiers():
    # an audit's table: a severity several findings share, a status all of them share; a matrix in a thread
    # lists some findings again with a status note ("needs tracking") the audit's own titles lack
    rows = ["ADA-X-01 Command injection in the CI Critical Reported", "ADA-X-02 Secret leak in the CI Critical Reported",
            "ADA-X-03 Authentication skipped by the backend Critical Reported",
            "ADA-X-04 Path traversal in the downloader Moderate Reported", "ADA-X-05 SSRF in the provider Moderate Reported",
            *(f"ADA-X-{i:02d} Weak validation of field {i} Low Reported" for i in range(6, 17)),
            "ADA-X-04 Moderate Needs public tracking before graduation", "ADA-X-05 Moderate Needs public tracking too"]
    chunks = [_chunk(row, i) for i, row in enumerate(rows)] + [_chunk(f"Filler {i} on profiles.", 30 + i) for i in range(8)]
    stats = TermStats.build(chunks)
    weights = TermWeights(stats, QAConfig())
    titles = {i: [weights.focus(t) for t in found] for i, found in stats.identifiers.items()}
    index = Identifiers(titles, 0.5, group_share=0.25)

    def group(question: str) -> list[str]:
        return prepare(question, None, set(), identifiers=index).identifier_group

    assert group("Which findings were rated Critical?") == ["ADA-X-01", "ADA-X-02", "ADA-X-03"]
    # every finding is "Reported": that names no group; a note in one of a finding's titles is no shared value
    assert group("Which findings were reported?") == []
    assert group("Which findings need tracking?") == []
    # a question describing one finding by its title asks about that one, not its group
    assert group("How critical was the command injection the audit found in the CI?") == []
    # a question asking about no kind of source names no finding ("the critical security components")
    assert group("Which components are critical?") == []
    # the stage switched off (no share): no groups; an identifier without titles is in none
    assert Identifiers(titles, 0.5).grouped_by("Which findings were rated Critical?", []) == []
    assert Identifiers({**titles, "ADA-X-99": []}, 0.5, 0.25).grouped_by("Which findings were Critical?", []) \
        == ["ADA-X-01", "ADA-X-02", "ADA-X-03"]


def _chunk(text: str, i: int = 0) -> Chunk:
    return Chunk(f"a.md::0123456789ab::{i}", text, ChunkMeta(source="a.md", kind="docs", window=i))


def test_typos_are_corrected_against_the_vocabulary():
    assert correct_typos("where are the dependncy lists", VOCAB) == {"dependncy": "dependency"}
    # a hyphenated word is corrected whole, against the corpus's hyphenated words
    assert correct_typos("user-suplied code", VOCAB) == {"user-suplied": "user-supplied"}
    assert correct_typos("the sprk-operator", VOCAB) == {"sprk-operator": "spark-operator"}
    # an inflection of a corpus word is not a typo ("seeing" is not "seeking")
    assert correct_typos("stop one user seeing another's runs", VOCAB) == {}
    assert correct_typos("Does kubeflow sandbox user suplied code", VOCAB) == {"suplied": "supplied"}
    # A word of the corpus is never "corrected".
    assert correct_typos("controller assessment", VOCAB) == {}
    # either side of two words typed as alternatives is a word ("usrname/pw"); a path's parts are not
    assert correct_typos("default usrname/pw for the dashboard", VOCAB | {"username"}) == {"usrname": "username"}
    assert correct_typos("see docs/usrname/x.md", VOCAB | {"username"}) == {}
    assert apply_corrections("usrname/pw, not docs/a/usrname", {"usrname": "username"}) \
        == "username/pw, not docs/a/usrname"


def test_one_slip_of_the_fingers_is_read_as_the_word_meant():
    """Two letters swapped, one left out or one doubled: the typos a reviewer makes most. (A swap in a
    six-letter word was beyond the closeness rule: "raidus" is 0.83 like "radius", and the unknown word
    then declined the question as naming something the sources never mention.)"""
    vocab = {"radius", "criticism", "reviewers", "runner", "run", "fuzzer", "closes", "clones",
             "permissions", "prems", "layout", "commits"}
    assert correct_typos("what's the blast raidus", vocab) == {"raidus": "radius"}
    assert correct_typos("Justin's main critcism", vocab) == {"critcism": "criticism"}
    assert correct_typos("how many revviewers", vocab) == {"revviewers": "reviewers"}
    # a word reading as an inflection of a corpus word is left alone ("previewer" is no "reviewer")
    assert correct_typos("can the artifact previewer read it", vocab | {"preview"}) == {}
    # names are left as typed: an acronym, a word capitalised inside a sentence; a slip never hits the
    # first letter ("kdump" is no "dump"); a path or a word of other letters is nobody's typo
    names = vocab | {"reds", "pvcs", "sheldon", "dump"}
    assert correct_typos("Is it vulnerable to ReDoS in separate VPCs, as with Seldon?", names) == {}
    assert correct_typos("do we collect crash dumps with kdump", names) == {}
    assert correct_typos("the blast raidus? see docs/raidus-notes.md or APP_SECUER", vocab | {"secure"}) == {
        "raidus": "radius"}
    assert correct_typos("What did the Sécurité team say?", vocab | {"curt"}) == {}
    # a plural of a word the corpus holds in the singular only
    assert correct_typos("did the fuzers find anything", vocab) == {"fuzers": "fuzzers"}
    # a common English word the corpus lacks is a slip's target too ("hnadle": handle)
    assert correct_typos("how does the project hnadle reports", vocab) == {"hnadle": "handle"}
    # a corpus word by any slip before an English one by a swap ("theat": threat, not theta)
    assert correct_typos("the Ada Logics theat model", vocab | {"threat"}) == {"theat": "threat"}
    # several words a slip away: the one most alike ("exect": expect, not exec)
    assert correct_typos("what does TAG exect", vocab | {"expect", "exec"}) == {"exect": "expect"}
    # an abbreviation kfqa expands is read as typed, not as the corpus word it is a slip away from
    assert correct_typos("any netpols here", vocab | {"netpoll"}) == {"netpols": "netpolls"}
    assert correct_typos("any netpols here", vocab | {"netpoll"}, {"netpols"}) == {}
    # a clipped word is no typo ("perms" begins "permissions"; swapped it would be "prems")
    assert correct_typos("which perms does it need", vocab) == {}
    # a four-letter word: two letters swapped only ("waht"); an acronym is none ("cvss")
    assert correct_typos("if so waht does it inject", vocab) == {"waht": "what"}
    assert correct_typos("which cvss score", vocab | {"csvs"}) == {}
    # a wrong letter in a short word makes another word: "payout" is no "paycut"
    assert correct_typos("is there a bug bounty payout", vocab | {"paycut"}) == {}


def test_apostrophes_left_out_are_restored_in_contractions_and_names_possessives():
    """Typed without apostrophes, "isnt" and "Harbors" read as words the sources never mention."""
    projects, persons = {"harbor", "kubeflow", "custodian"}, {"cappos", "justin"}
    assert restore_apostrophes("what cant they do, and isnt it scoped") == {"cant": "can't", "isnt": "isn't"}
    assert restore_apostrophes("How does Harbors self-assessment compare to Kubeflows", projects, persons) == {
        "Harbors": "Harbor's", "Kubeflows": "Kubeflow's"}
    assert restore_apostrophes("whats capposs complaint", projects, persons) == {"capposs": "cappos's"}
    # a bare form that is an English word is that word; a plural of no name is a plural; in lower case a
    # project's name with an s is the word it is ("custodians", "harbors")
    assert restore_apostrophes("its tenants were well isolated; the fuzzers ran", projects, persons) == {}
    assert restore_apostrophes("who are the custodians of the keys; which one harbors it", projects, persons) == {}
    prepared = prepare("what isnt isolated in Kubeflows pipelines", None, {"isolated"}, projects={"kubeflow"})
    assert prepared.read == "what isn't isolated in Kubeflow's pipelines"


def test_the_rules_reading_the_question_read_it_with_its_typos_corrected():
    prepared = prepare("How many reivewers must approve a PR?", None, {"reviewers", "approve"})
    assert prepared.corrected == "How many reviewers must approve a PR?" == prepared.read
    assert asked_value(prepared.read).counted == frozenset({"reviewer"})
    assert prepare("How many reviewers?", None, set(), expand=False).read == "How many reviewers?"


def test_a_history_questions_words_naming_revisions_weigh_nothing():
    """"first revision", "current", "compare" say which versions a history question compares, not what in
    them: a passage ("compare results") is no nearer for holding them. All of them stay when nothing else is asked."""
    focus = {stem(w): 1.0 for w in ("compare", "overview", "first", "revision", "current", "differences")}
    assert without_revision_words(focus) == {"overview": 1.0}
    assert without_revision_words({"compar": 1.0, "chang": 1.0}) == {"compar": 1.0, "chang": 1.0}


def test_so_that_points_back_at_nothing():
    """"so that" joins a clause of purpose: the question after a premise doesn't point back at it."""
    premise = "Ada Logics says the Katib backend trusts a user header. "
    asks = "What do the docs tell operators to do so that the header cannot be spoofed?"
    assert asking_part(premise + asks) == asks
    assert asking_part(premise + "Is the header checked such that nobody can spoof the header?") == \
        "Is the header checked such that nobody can spoof the header?"
    assert premise_part(premise + asks) == premise.strip()
    # "that" pointing back keeps the premise with the question
    assert asking_part(premise + "What do the docs say about that?") == premise + "What do the docs say about that?"


def test_the_expansions_of_the_asked_words_are_asked_too():
    """Stage premise-terms lightens the premise's words, not what the question's own abbreviations stand for."""
    known = {"rbac": "Role-Based Access Control", "toc": "Technical Oversight Committee"}
    assert expansion_terms("How is RBAC configured?", known) == set(terms("Role-Based Access Control"))
    assert expansion_terms("Who voted?", known) == set()


def test_history_intent():
    assert wants_history("How did the Overview change between the first submitted draft and now?")
    assert wants_history("Was the blast radius discussion there in the first revision?")
    assert wants_history("What changed during review?")
    # the first revision as reviewed or submitted ("first reviewed revision"), not a product's first release
    assert wants_history("Which sections were added between the first reviewed revision and the current version?")
    assert not wants_history("Which is the first patched version of Kubeflow Pipelines for the path traversal finding?")
    # an earlier revision named, a change tied to the review (either order), revisions compared
    for asked in ("What did the initial self-assessment say about Katib?", "How has the Overview evolved?",
                  "Was the Goals section reworded after the reviewer's comments?",
                  "Following the reviewer's request for contacts, was a security contact added to the document?",
                  "Which claim was taken out of the self-assessment?", "What is different between the two drafts?",
                  "What did the document originally say about Notebooks?",
                  # an earlier state, with a word between ("used to just say")
                  "The authors section used to just say 'Kubeflow Community', right? Who is listed now?"):
        assert wants_history(asked), asked
    for current in ("Who runs the Katib controllers?", "What is the default version of Istio?",
                    "Was the profiling endpoint removed after the audit?", "What was removed from the docs?",
                    "Which reviewers signed off on the assessment?",
                    # a product's or a process's change, not the document's
                    "Which features were added in version 1.8?", "Does Kubeflow support older versions of Kubernetes?",
                    "Is the admission webhook initially disabled?", "Is the data originally stored encrypted?",
                    "Which components are no longer part of the default install?", "Is the API compatible between versions?",
                    "Who approves changes after review?", "Must a PR pass CI before code review?",
                    "What is the history of the Katib project?", "What is removed from the copy of the secret?",
                    "We used to deploy the section's manifests by hand; is there a Helm chart?"):
        assert not wants_history(current), current


def test_follow_up_carries_the_previous_question():
    assert is_follow_up("and who runs it?")
    assert not is_follow_up("Which PSS level is enforced for workloads in the community distribution?")
    q = prepare("and who runs it?", ["What does the Katib controller do?"], VOCAB)
    assert q.text.startswith("What does the Katib controller do?")
    fresh = prepare("Who runs the Katib controllers?", ["What does the audit say?"], VOCAB)
    assert "audit" not in fresh.text


def test_empty_question_is_refused():
    with pytest.raises(KfqaError, match="empty"):
        check_question("   \n ")


def test_huge_question_is_cut_with_a_notice():
    question, notices = check_question("why " * 25_000)  # 100 kB
    assert len(question) == MAX_QUESTION_CHARS
    assert notices and f"{MAX_QUESTION_CHARS:,}" in notices[0]


def test_generalized_question_drops_the_store_names():
    names = store_names({"docs/kubeflow/components/katib/overview.md", "docs/kubeflow/components/spark-operator/a.md",
                         "guides/x.md"}, {"kubeflow", ""}, {"kfp": "Kubeflow Pipelines", "pss": "Pod Security Standards"})
    assert names == {"katib", "spark-operator", "kubeflow"}  # "KFP" names no component here
    assert generalized("What happens if one of the Katib controllers is compromised?", names) == \
        "What happens if one of the controllers is compromised?"
    assert generalized("Is the Spark Operator's submission runner trusted?", names) == "Is the submission runner trusted?"
    assert generalized("who runs the katib controllers?", names) == "who runs the controllers?"
    assert generalized("What does the audit say about ingress?", names) == ""  # no name: nothing to add
    assert generalized("What is Katib?", names) == ""  # too little left to search for
    with_kfp = store_names({"docs/kubeflow/components/pipelines/a.md"}, {"kubeflow"}, {"kfp": "Kubeflow Pipelines"})
    assert "kfp" in with_kfp


def test_prepare_fills_general_only_with_names():
    question = "Who runs the Katib controllers?"
    assert prepare(question, None, VOCAB).general == ""
    assert prepare(question, None, VOCAB, names={"katib"}).general == "Who runs the controllers?"


def test_quoted_phrases_are_found_but_apostrophes_open_none():
    assert quoted_phrases("Is Kubeflow a 'security provider'? I've seen conflicting answers") == ["security provider"]
    assert quoted_phrases("the template's impact ('Security  Degradation') write-up") == ["security degradation"]
    assert quoted_phrases('He said "no hard security guarantee" for KFP') == ["no hard security guarantee"]
    assert quoted_phrases("Is the Spark Operator's runner's spec 'x'?") == []  # possessives; one word is no phrase


def test_only_a_named_review_chooses_the_lead():
    # "asked" and "comment" boost reviews in retrieval, but only naming one lets a review lead (stage kind-lead)
    assert lead_kinds(["review"], "What is a user asked for on first login to the dashboard?") == []
    assert lead_kinds(["review"], "Can pipeline parameters hold comments?") == []
    assert lead_kinds(["review", "assessment"], "What did the reviewer ask, and what does the self-assessment say?") == [
        "review", "assessment"]


def test_a_pr_or_a_reviewer_named_makes_a_review_question():
    people = {"JustinCappos", "andreyvelich"}
    asked = prepare("What was Justin's main complaint about the draft, and how did Andrey respond?", None, VOCAB,
                    people=people)
    assert "review" in asked.kinds and "review" in asked.named_kinds
    assert {"JustinCappos", "andreyvelich"} <= set(asked.expansions)
    assert "review" in prepare("What changed in the doc after the TOC PR?", None, VOCAB).kinds
    assert lead_kinds(["review"], "What did the PR change?") == ["review"]
    # no person of the threads named, no PR: no review
    assert "review" not in prepare("Who maintains Katib?", None, VOCAB, people=people).kinds
    assert "review" not in prepare("How do I print a PDF of the profile page?", None, VOCAB).kinds


def test_the_home_project_counts_as_named_only_beside_another():
    projects = {"kubeflow", "knative", "volcano"}
    assert prepare("How does Kubeflow's SBOM compare with Volcano's?", None, VOCAB, projects).projects == ["kubeflow", "volcano"]
    assert prepare("What does Volcano say about SBOMs?", None, VOCAB, projects).projects == ["volcano"]
    assert prepare("Does Kubeflow ship an SBOM?", None, VOCAB, projects).projects == []


def test_the_parts_a_question_asks_are_counted_on_its_own_words():
    abbreviations = abbreviations_for({})
    # the expansion "(SBOM software bill of materials)" and an earlier question are no parts of it
    assert prepare("Does Kubeflow publish an SBOM?", None, VOCAB, abbreviations=abbreviations).asks == 1
    two = "Which controllers run in the kubeflow namespace, and what service accounts do they use?"
    assert prepare(two, None, VOCAB).asks == 2
    assert prepare("And what about the Katib controller?", [two], VOCAB).asks == 1
    # counted whether or not stage parts searches them
    assert prepare(two, None, VOCAB, parts=False).asks == 2


@pytest.mark.parametrize(("question", "points_at_guides"), [
    ("What does the TAG template ask under Actors?", True),
    ("What does the assessment outline ask for under Actors?", True),
    ("Where is the outline of the incident response plan?", False),
    ("Which sections does the self-assessment's guide require?", True),
    # "Outline ..." asks for an outline of the project's own practice: the guides are not what it asks
    ("Outline the project's responsible disclosure process. How is a vulnerability reported?", False),
    ("Is there an outline of the incident response process?", False),
])
def test_only_a_question_naming_the_guides_asks_them(question, points_at_guides):
    assert ("guide" in kind_hints(question)) is points_at_guides


def test_people_are_named_whole_or_by_a_part_but_not_by_a_mention_inside_a_word():
    people = {"JustinCappos", "RobuRishabh", "kfaseela", "andreyvelich"}
    assert named_people("What was JustinCappos's main criticism?", people) == ["JustinCappos"]
    assert named_people("what did kfaseela and Rishabh raise?", people) == ["RobuRishabh", "kfaseela"]
    assert named_people("What did Justin say?", people) == ["JustinCappos"]
    assert named_people("Who reviewed the kfaseelas-fork branch?", people) == []
    assert named_people("What did @kfaseela ask for?", people) == ["kfaseela"]
    # typed in lower case, as reviewers do; a common word that opens a login names nobody
    assert named_people("whats cappos's top-level complaint?", people) == ["JustinCappos"]
    assert named_people("robu rishabh flagged the webhooks", people) == ["RobuRishabh"]
    assert named_people("the brand new dashboard", people | {"brandtkeller"}) == []
    bots = {"kubeflow-bot", "dependabot[bot]"}
    assert named_people("how does kubeflow sign releases? does dependabot run?", people | bots) == []
    assert named_people("what did kubeflow-bot post?", people | bots) == ["kubeflow-bot"]


@pytest.mark.parametrize(("question", "searched_as_home"), [
    ("What security guarantees is the project meant to provide?", True),  # the template's "the project"
    ("How does this project handle vulnerability reports?", True),
    ("What does the project's SBOM hold?", True),
    ("How does the project compare with Flux?", False),  # a project named: its own passages answer
    ("How much effort does TAG Security expect from the project team?", False),  # any project, per the guides
    ("Which projects publish an SBOM?", False),
])
def test_the_project_is_searched_as_the_home_project(question, searched_as_home):
    prepared = prepare(question, None, set(), projects={"kubeflow", "flux"})
    assert ("kubeflow" in prepared.expansions) is searched_as_home
    assert prepared.text.endswith("kubeflow)") is searched_as_home
    assert prepare(question, None, set(), projects={"flux"}).expansions.count("kubeflow") == 0  # another store


def test_the_project_is_not_the_home_one_after_a_question_naming_another_or_when_the_reader_chose_others():
    projects = {"kubeflow", "cert-manager"}
    follow_up = prepare("What about the project's SBOM?", ["Does cert-manager publish an SBOM?"], set(), projects)
    assert "kubeflow" not in follow_up.expansions
    chosen = prepare("What is the project's disclosure process?", None, set(), projects, home=False)
    assert "kubeflow" not in chosen.expansions


def test_component_names_are_found_in_either_form():
    names = {"spark-operator", "notebooks", "katib", "kfp"}
    assert names_in("Notebook pods run user code", names) == {"notebooks"}
    assert names_in("Overview > Actions > Kubeflow Spark Operator", names) == {"spark-operator"}
    assert names_in("docs/kubeflow/components/katib/overview.md", names) == {"katib"}
    assert names_in("Which notebookish thing? A katibx?", names) == set()


@pytest.mark.parametrize(("question", "side_by_side"), [
    ("Kubeflow vs Flux: does each project's self-assessment call itself a security provider?", True),
    ("Knative and Kubeflow both restrict who sees reports. How does each self-assessment describe that?", True),
    ("cert-manager's self-assessment says it is a security provider. does kubeflow's say the same?", True),
    ("Kubeflow uses DCO sign-off; what do Knative committers have to sign instead?", True),
    ("Which cert-manager version does each Kubeflow release install?", False),
    ("Does Kubeflow use Knative Serving for inference?", False),
])
def test_a_question_compares_projects_only_in_words_that_set_them_side_by_side(question, side_by_side):
    assert compares(question) is side_by_side


def test_a_statement_of_what_the_reader_is_doing_names_no_kind_asked():
    # the reader says what they are doing; the question asks something else, and points back at nothing
    assert asked_kinds("I'm going through the Kubeflow security self-assessment for the TAG review. "
                       "Who runs the Katib controllers?") == []
    # a question pointing back at the statement asks about what it names
    assert set(asked_kinds("The TAG Security self-assessment template asks projects to describe how actors are "
                           "isolated. How does Kubeflow handle that for the Spark Operator?")) == {"guide", "assessment"}
    # the asking sentence names a kind: that one, whatever the statement named
    assert asked_kinds("Ada Logics worries about Spark job specs. How does the self-assessment deal with the risk?") \
        == ["assessment"]
    assert asked_kinds("Which findings did the audit rate Critical?") == ["audit"]


def test_a_statement_of_what_the_reader_is_doing_is_no_part_of_the_question():
    projects, ubiquitous = {"kubeflow", "knative"}, set(terms("security")).__contains__
    doing = "I'm going through the Kubeflow security self-assessment for the TAG review. "

    def read(question: str) -> str:
        return without_setting(question, projects, ubiquitous)

    assert read(doing + "Who runs the Katib controllers?") == "Who runs the Katib controllers?"
    # typed in lower case, with a typographic apostrophe
    assert read(doing.lower().replace("'", "’") + "Who runs the Katib controllers?") == "Who runs the Katib controllers?"
    # ... however its question is worded ("that" joins a clause: it points back at nothing)
    assert read(doing + "Non-goals: what might a reader believe is in scope that isn't?") \
        == "Non-goals: what might a reader believe is in scope that isn't?"
    prepared = prepare(doing + "Who runs the Katib controllers?", None, set(), projects, ubiquitous=ubiquitous)
    assert prepared.kinds == [] and "TAG" not in prepared.text and prepared.original.startswith("I'm going")
    # kept: a question pointing back at it, another project named, a statement saying something, one
    # naming no source, a word the store doesn't hold nearly everywhere
    for kept in ("I'm reading the audit. What did it find about SSRF?",
                 "I'm comparing the Kubeflow and Knative self-assessments. How do their threat models differ?",
                 "I'm going through the Knative self-assessment. Who maintains the security contacts?",
                 "We're worried about the audit's finding on leaked secrets. What should we do?",
                 "We offboard people by pulling their RoleBindings. Does the cron job stop?",
                 "I'm putting a custom app behind the Kubeflow dashboard. Can I trust the userid header?",
                 "The TAG template asks how actors are isolated. How does Kubeflow's document answer?"):
        assert read(kept) == kept
    # ("security" in few passages: the statement says something)
    assert without_setting(doing + "Who runs the Katib controllers?", projects, lambda term: False) \
        == doing + "Who runs the Katib controllers?"


def test_what_a_question_asks_starts_at_its_first_question():
    # a statement before the question names who asked, not whom the question asks about
    assert from_first_question("Justin asked whether parties share controllers. What did the project answer?") \
        == "What did the project answer?"
    # typed in lower case after a full stop, without a question mark: the last sentence asks
    assert from_first_question("cappos asked if parties share controllers. what did the maintainer answer") \
        == "what did the maintainer answer"
    # an abbreviation's full stop ends no sentence
    assert from_first_question("Which controls, e.g. what RBAC, apply") == "Which controls, e.g. what RBAC, apply"
    assert from_first_question("What was Justin's overall criticism?") == "What was Justin's overall criticism?"


def test_the_people_a_question_asks_about_are_named_from_its_question_on():
    people = {"andreyvelich", "JustinCappos", "kfaseela"}
    assert asked_about("What did Andrey say about the assessment stage?", people) == ["andreyvelich"]  # a prefix
    assert asked_about("whats cappos top-level complaint about the draft", people) == ["JustinCappos"]
    assert asked_about("What was Justin's main complaint about the draft. Thanks", people) == ["JustinCappos"]
    assert asked_about("Justin asked whether tenants share controllers. What did the project answer?", people) == []
    # the one asked to do something is not who spoke: the asker is
    assert asked_about("What did andreyvelich ask kfaseela to change in the PR?", people) == ["andreyvelich"]
    assert asked_about("What did Justin tell Andrey to fix?", people) == ["JustinCappos"]
    assert sorted(asked_about("What did Andrey ask Justin about the draft?", people)) == ["JustinCappos", "andreyvelich"]


def test_a_clipped_word_is_searched_with_the_word_it_clips():
    vocabulary = {"permission", "permissions", "permit", "permanent", "infrastructure", "notebook"}
    frequency = {"permission": 40, "permissions": 30, "permit": 2, "permanent": 1, "infrastructure": 9}.get
    # of the corpus words it begins, the one the sources use most
    assert unclipped("perms", vocabulary, lambda w: frequency(w, 0)) == "permission"
    assert unclipped("infra", vocabulary, lambda w: frequency(w, 0)) == "infrastructure"
    # a corpus word, an English word, or a head shorter than a clipping's is no clipping
    assert unclipped("notebook", vocabulary, lambda w: 1) is None
    assert unclipped("perhaps", vocabulary, lambda w: 1) is None
    assert unclipped("pers", vocabulary | {"persona"}, lambda w: 1) is None
    prepared = prepare("what perms does a notebook get?", None, vocabulary, frequency=lambda w: frequency(w, 0))
    assert "permission" in prepared.expansions and "(permission)" in prepared.text
    assert "permission" not in prepare("what perms does a notebook get?", None, vocabulary).expansions


def test_a_question_asks_what_a_projects_own_document_says():
    from kfqa.qa.names import asks_own_document
    assert asks_own_document("Per Volcano's self-assessment, where should reports be sent?", "volcano")
    assert asks_own_document("In the Knative security assessment, who triages reports?", "knative")
    # how another project is used (with Kubeflow) is no question about its own documents
    assert not asks_own_document("How does KServe use Knative?", "knative")
    assert not asks_own_document("Does the Training Operator integrate with Volcano gang scheduling?", "volcano")


def test_a_project_is_named_by_any_spelling_of_its_folder_or_an_abbreviation_the_store_defines():
    from kfqa.qa.names import asks_own_document, project_aliases
    abbreviations = {"ESO": "External Secrets Operator", "CoCo": "Confidential Containers", "OPA": "Open Policy Agent",
                     "KFP": "Kubeflow Pipelines"}
    projects = {"kubeflow", "external-secrets", "confidential-containers", "open-telemetry", "opa"}
    aliases = project_aliases(projects, abbreviations)
    assert aliases["external-secrets"] == ("eso", "external secrets operator")
    assert aliases["opa"] == ()  # an abbreviation's phrase must open with the project's name
    named = prepare("Per ESO's self-assessment, how are reports handled?", None, VOCAB, aliases).projects
    assert named == ["external-secrets"]
    assert prepare("Does the Confidential Containers assessment list its actors?", None, VOCAB, aliases).projects \
        == ["confidential-containers"]
    assert prepare("Which exporters does OpenTelemetry ship?", None, VOCAB, aliases).projects == ["open-telemetry"]
    # a set of names alone, as before: the folder's spelling, with any separator
    assert prepare("Is Open Telemetry a security provider?", None, VOCAB, projects).projects == ["open-telemetry"]
    assert prepare("Does KFP store secrets?", None, VOCAB, aliases).projects == []  # Kubeflow's alone: none
    assert asks_own_document("According to the ESO self-assessment, who triages?", "external-secrets", aliases["external-secrets"])
    assert not asks_own_document("According to the ESO self-assessment, who triages?", "external-secrets")


def test_an_identifier_written_without_its_middle_part_is_read_as_the_one_it_stands_for():
    from kfqa.qa.typos import shortened_identifiers
    known = ["ADA-KUBEFL-04", "ADA-KUBEFL-14", "CVE-2024-1234", "GHSA-abcd-1234"]
    assert shortened_identifiers("what's the status of ADA-04 and ada-14?", known) == \
        {"ADA-04": "ADA-KUBEFL-04", "ada-14": "ADA-KUBEFL-14"}
    assert shortened_identifiers("ADA-5 and ADA-KUBEFL-04", known) == {}  # no such finding; written whole
    assert shortened_identifiers("Which CVE-2024 advisories apply?", ["CVE-2023-2024"]) == {}  # a year, no middle part
    # two identifiers of one prefix and number: none is meant
    assert shortened_identifiers("ADA-04?", [*known, "ADA-OTHER-04"]) == {}
    prepared = prepare("minio GetFile DoS (ADA-04): root cause?", None, VOCAB, known_identifiers=known)
    assert "ADA-KUBEFL-04" in prepared.read and prepared.corrections == {"ADA-04": "ADA-KUBEFL-04"}
    assert "ADA-04" in prepare("ADA-04?", None, VOCAB, expand=False, known_identifiers=known).read


def test_a_release_is_named_by_its_number_and_holds_its_patch_releases():
    from types import SimpleNamespace

    from kfqa.qa.names import filed_under, filed_under_another_release, releases_in
    assert releases_in("Which dex ships with Kubeflow Community Distribution 26.03, or v1.10?") == {"26.03", "1.10"}
    assert releases_in("Is KFP v2 on 12.08.2025 or 2.5x?") == set()  # no dotted release; a date is none

    def chunk(section, source):
        return SimpleNamespace(meta=SimpleNamespace(section=section, source=source))
    patch = chunk("Kubeflow Community Distribution 1.9.1 > Dependency Versions", "releases/kubeflow-1.9.md")
    assert filed_under(patch, {"1.9"}) and not filed_under_another_release(patch, {"1.9"})
    assert filed_under_another_release(patch, {"26.03"})
    assert not filed_under_another_release(chunk("Overview", "docs/kubeflow/overview.md"), {"26.03"})  # general
    from kfqa.qa.names import asked_releases, filed_releases
    assert filed_releases(chunk("", "releases/kubeflow-26.03.md")) == {"26.03"}  # the page's name, its extension aside
    assert filed_releases(chunk("Scorecard > Notebooks (5.6/10)", "audit.pdf")) == set()  # a score
    # a release the store files no page under is none ("TLS 1.2", "Go 1.22"); "1.11.0" is "1.11"
    assert asked_releases("Which KCD 1.11.0 page names TLS 1.2 or Go 1.22?", {"1.11", "26.03"}) == {"1.11"}


def test_a_review_thread_is_named_by_its_repository_and_title():
    from kfqa.qa.names import titled_threads
    titles = {("cncf/toc", "2201"): "Kubeflow Security Self Assessment", ("cncf/toc", "2237"): "Kubeflow: Graduation Due Diligence",
              ("kubeflow/community", "871"): "feat(docs): Kubeflow Security Self Assessment"}
    threads = {("cncf/toc", "2201"): {"toc-2201.json"}, ("cncf/toc", "2237"): {"toc-2237.json"},
               ("kubeflow/community", "871"): {"kf-871.json"}}
    specific = lambda term: term not in {"kubeflow", "security"}  # noqa: E731 - (words every passage holds)
    assert titled_threads("who reviewed the kubeflow self assessment PR on cncf/toc?", titles, threads, specific) == (
        {"toc-2201.json"}, "assessment self")
    assert titled_threads("who did the toc review on the self-assessment pr?", titles, threads, specific)[0] == {"toc-2201.json"}
    # two repositories' threads of that title fit, a thread kind unnamed, or a title not held: none
    assert titled_threads("who reviewed the self assessment PR?", titles, threads, specific) == (set(), "")
    assert titled_threads("what did the TOC say about the self assessment?", titles, threads, specific) == (set(), "")
    assert titled_threads("which toc PR covered the audit?", titles, threads, specific) == (set(), "")


def test_a_review_thread_is_named_by_its_number_as_readers_write_it():
    from kfqa.qa.names import named_threads, thread_key
    threads = {thread_key("https://github.com/cncf/toc/pull/2201"): {"reviews/toc-2201.json"},
               thread_key("https://github.com/kubeflow/community/issues/992"): {"reviews/kf-992.json"},
               thread_key("https://github.com/cncf/tag-security/issues/992"): {"reviews/tag-992.json"}}
    for question, words in (("In cncf/toc#2201, what was criticised?", "cncf/toc#2201"), ("what did toc PR 2201 ask for?", "PR 2201"),
                            ("what did PR#2201 change?", "PR#2201"), ("in the review (toc#2201) who answered?", "toc#2201"),
                            ("see https://github.com/cncf/toc/pull/2201 - what changed?", "github.com/cncf/toc/pull/2201"),
                            ("TOC PR-2201: who reviewed?", "PR-2201")):
        assert named_threads(question, threads) == ({"reviews/toc-2201.json"}, words), question
    # a number alone names each thread of that number; with its repository, that repository's only
    assert named_threads("What did issue #992 track?", threads)[0] == {"reviews/kf-992.json", "reviews/tag-992.json"}
    assert named_threads("What did kubeflow/community#992 track?", threads)[0] == {"reviews/kf-992.json"}
    assert named_threads("What did cncf/toc#992 track?", threads) == (set(), "")  # a repository none of them is
    # numbers listed after one refer alike; a listed number no thread has is no reference
    assert named_threads("How did PRs 2201, 992 and 7 change it?", threads) == (
        {"reviews/toc-2201.json", "reviews/kf-992.json", "reviews/tag-992.json"}, "PRs 2201 992")
    assert named_threads("What did kubeflow/community#992 and 2201 change?", threads)[0] == {"reviews/kf-992.json"}
    # numbers that are no thread's reference: a count, a finding, a port, a file's anchor, a heading's number
    assert named_threads("Did 2201 users see ADA-KUBEFL-992 on port 2201, as README.md#992 or #1 says?", threads) == (set(), "")


def test_a_long_run_of_punctuation_is_read_once_for_thread_references():
    from kfqa.qa.names import named_threads
    # (a repository's name could start after any dot or hyphen: each start re-read the run, quadratically)
    assert named_threads(".-" * 10_000 + " #1", {("a/b", "1"): {"t.json"}})[0] == {"t.json"}


def test_a_common_word_typed_in_lower_case_is_no_abbreviation():
    known = {"kind": "Kubernetes-in-Docker", "db": "database"}
    assert prepare("what kind of bug is it?", None, VOCAB, abbreviations=known).expansions == []
    assert "Kubernetes-in-Docker" in prepare("Which KinD version ran?", None, VOCAB, abbreviations=known).expansions
    assert "database" in prepare("which pods talk to the db?", None, VOCAB, abbreviations=known).expansions
