"""The issue's example questions (in no eval set), on the whole bundled corpus: which passage
leads, that the lead states an answer (never a question), and that nothing off-topic is quoted."""

from __future__ import annotations

import re

import pytest
from conftest import ask_without

from kfqa.qa import Assistant
from kfqa.qa.answerability import ABSTAIN_TEXT
from kfqa.types import Chunk, ChunkMeta, Retrieved

SELF_ASSESSMENT = "assessments/kubeflow/self-assessment.md"
REVIEW_2201 = "reviews/cncf-toc-pr-2201.json"


@pytest.fixture(scope="module")
def assistant(corpus_store):
    return Assistant.open(corpus_store)


def _lead(answer) -> str:
    return answer.answer.splitlines()[0]


def _lead_source(answer) -> str:
    [n] = [c.n for c in answer.citations if f"[{c.n}]" in _lead(answer)][:1]
    return next(c.chunk.meta.source for c in answer.citations if c.n == n)


def test_katib_controller_compromise(assistant):
    answer = assistant.ask("What happens if one of the Katib controllers is compromised?")
    assert not answer.abstained
    assert not _lead(answer).rstrip(".").endswith("]?")  # the lead is no question
    assert _lead_source(answer) in {REVIEW_2201, SELF_ASSESSMENT}
    assert "compromise" in answer.answer
    # the Katib config parameters share the question's nouns but say nothing about a compromise
    for off_topic in ("metricsAddr", "webhookPort", "enableLeaderElection"):
        assert off_topic not in answer.answer


def test_spark_submission_runner_trust(assistant):
    answer = assistant.ask("Is the Spark Operator's submission runner validated / trusted?")
    assert not answer.abstained
    lead = _lead(answer)
    assert not lead.startswith("JustinCappos")  # never the reviewer's own question
    assert not lead.rstrip(".").endswith("]?")
    assert SELF_ASSESSMENT in {c.chunk.meta.source for c in answer.citations}
    assert "The controller is a trusted component" in answer.answer
    assert "ScheduledSparkApplication" not in answer.answer


def test_platform_operator_duties(assistant):
    answer = assistant.ask("What must the platform operator do to keep Kubeflow secure?")
    assert not answer.abstained
    assert "The operator is responsible for" in answer.answer
    assert "hardening, and protecting the control-plane components" in answer.answer
    assert ".github/workflows" not in answer.answer  # a list of CI links is navigation, not an answer
    # the lead is the operator's part in the trust model, not a product page's promise
    assert _lead_source(answer) == SELF_ASSESSMENT
    assert "platform administrator (operator)" in _lead(answer)


def test_a_reply_leads_attributed_with_its_date(assistant):
    answer = assistant.ask("Is the Spark submission runner validated or trusted, according to the PR 2201 review?")
    assert not answer.abstained
    lead = _lead(answer)
    assert lead.startswith("andreyvelich (review_comment, 2026-")  # who replied, and when
    assert "trusted" in lead


@pytest.mark.parametrize("question", [
    "What was Justin's main complaint about the first draft of the Kubeflow self-assessment on the TOC PR?",
    "What was JustinCappos's main overall criticism of the first Kubeflow SA draft (cncf/toc#2201)?",
])
def test_what_a_reviewer_said_leads_with_their_own_words(assistant, question):
    answer = assistant.ask(question)
    assert not answer.abstained
    assert _lead(answer).startswith("JustinCappos ("), answer.answer  # his words, not a reply or a thanks
    assert "security focus" in answer.answer or "marketing speak" in answer.answer, answer.answer
    assert "Thanks to @brandtkeller" not in answer.answer  # a comment naming him says nothing he said


def test_a_section_the_best_passage_links_to_on_its_page_joins(assistant):
    # "Pipeline definitions are not isolated right now ... see [Current Limitations](#current-limitations)":
    # the section it defers to lists what else is shared, in words the question doesn't use
    question = "In multi-user Kubeflow Pipelines, which resources are not isolated between namespaces?"
    sections = [h.chunk.meta.section for h in assistant.retrieve(question, k=5)[1]]
    assert any(s.endswith("Resources without isolation") for s in sections), sections


def _declined(assistant, question: str, notice: str) -> None:
    """Declined, with ``notice`` saying why and the closest material shown."""
    answer = assistant.ask(question)
    assert answer.abstained and answer.answer == ABSTAIN_TEXT
    assert notice in answer.notices, answer.notices
    assert answer.closest


def test_unknown_name_is_declined_with_a_notice(assistant):
    _declined(assistant, "Is Kubeflow FedRAMP authorized?", "The indexed Kubeflow sources never mention 'FedRAMP'.")


def test_a_topic_only_other_projects_discuss_is_declined_for_kubeflow(assistant):
    # Other projects' assessments discuss encryption at rest; no Kubeflow source does.
    _declined(assistant, "Is the KFP / MLMD MySQL database encrypted at rest by default?",
              "The indexed Kubeflow sources never mention 'encrypted'.")
    # ... while a question about a project whose sources do discuss it is answered from them
    harbor = assistant.ask("How does Harbor protect the credentials it stores in its database?")
    assert not harbor.abstained
    assert {c.chunk.meta.project for c in harbor.citations} == {"harbor"}


def test_a_quoted_phrase_finds_the_passage_that_holds_it(assistant):
    question = "Where does Kubeflow say whether it counts as a 'security provider'?"
    _, quoted = assistant.retrieve(question)
    _, unquoted = assistant.retrieve(question.replace("'", ""))
    def rank(hits):
        return next(i for i, h in enumerate(hits + [None]) if h is None or "not security providers" in h.chunk.text)
    assert rank(quoted) < 3
    assert rank(quoted) <= rank(unquoted)


def test_a_template_worded_question_is_answered_from_kubeflow_not_from_the_template(assistant):
    # TAG Security's template shares the question's wording; it says how to write the section,
    # Kubeflow's own self-assessment says what the section holds. A table-of-contents link is no answer.
    answer = assistant.ask("What are the security functions and features of Kubeflow?")
    assert _lead_source(answer) == SELF_ASSESSMENT
    assert " — Critical — " in _lead(answer) or " — Relevant — " in _lead(answer)  # a row of its table
    assert "(#security-functions-and-features)" not in answer.answer
    assert "guide" not in {c.chunk.meta.kind for c in answer.citations}


def test_subsections_named_with_their_parent_each_answer(assistant):
    """"Outbound" alone heads too many sections to name one; with its parent, "Communication channels,
    outbound", it is the section asked for, and its points lead. Asked for the internal, inbound and outbound
    channels, each named subsection gives a point, though their sentences share most words."""
    answer = assistant.ask("Communication channels, outbound: how does Kubeflow communicate with its users?")
    assert _lead(answer).startswith("Kubeflow users this Slack channel for announcements")
    assert "kubeflow-discuss@googlegroups.com" in answer.answer
    answer = assistant.ask("Describe the project's internal, inbound and outbound communication channels.")
    for channel in ("kubeflow-contributors", "#kubeflow-pipelines", "#kubeflow-announcements"):
        assert channel in answer.answer, channel


def test_a_template_prompt_filed_under_another_section_gets_the_nearest_statement_too(assistant):
    """The template files "what security guarantees is the project meant to provide?" under Goals; Kubeflow's
    Goals are what it is for, and its Overview says "Kubeflow aims to provide the following security
    properties:". Stage template-nearest adds that statement, with its list, beside the Goals section (read
    back to its lead-in by stage lead-in-windows)."""
    question = "Goals: what security guarantees is Kubeflow meant to provide?"
    answer = assistant.ask(question)
    sections = {c.chunk.meta.section for c in answer.citations}
    assert "Overview > Goals" in sections and "Overview" in sections
    for guarantee in ("Authenticated and authorized access", "Tenant isolation", "Least-privilege control plane"):
        assert guarantee in answer.answer, guarantee
    prepared, retrieved = assistant.retrieve(question)

    def says_tenant_isolation(evidence) -> bool:
        return any("Tenant isolation" in " ".join([c.text, *c.items]) for c in evidence.candidates)

    assert says_tenant_isolation(assistant.gather(prepared, retrieved))
    assert not says_tenant_isolation(assistant.gather(prepared, retrieved, config=assistant.config.without("template-nearest")))


def test_a_question_about_the_template_is_answered_from_it(assistant):
    answer = assistant.ask("What does the TAG Security self-assessment template ask projects to write under non-goals?")
    assert "guide" in {c.chunk.meta.kind for c in answer.citations}


def test_a_value_no_source_states_is_declined_and_one_a_source_states_is_answered(assistant):
    # the sources say "a limited number of maintainers", never how many
    _declined(assistant, "Exactly how many maintainers have access to incoming vulnerability reports?",
              "No passage of the indexed Kubeflow sources close to this question states a number.")
    # an image's tag is no version of the toolchain asked about
    _declined(assistant, "Which Go version are the Kubeflow controllers compiled with?",
              "No passage of the indexed Kubeflow sources close to this question states a version.")
    assert not assistant.ask("Which Kubernetes versions does Kubeflow support?").abstained
    # the Spark Operator's webhooks are counted by listing them: answered
    counted = assistant.ask("How many admission webhooks does the Spark Operator register?")
    assert not counted.abstained, counted.notices
    assert "Spark Operator" in counted.citations[0].chunk.meta.section
    # without the stage the count question gets an answer that states no count
    assert not ask_without(assistant, "Exactly how many maintainers have access to incoming vulnerability reports?",
                           "answer-type").abstained


def test_a_practice_the_sources_never_mention_is_declined_by_the_word_that_names_it(assistant):
    # "bounty" is common English, never in Kubeflow's sources; without it the question asks something else
    question = "Does Kubeflow run a bug bounty program for people who report vulnerabilities?"
    answer = assistant.ask(question)
    assert answer.abstained and answer.answer.startswith(ABSTAIN_TEXT)
    assert any("'bounty'" in notice for notice in answer.notices), answer.notices
    # the stage is what declines it: off, the disclosure passages answer
    assert not ask_without(assistant, question, "absent-words").abstained
    # a word the sources never hold that carries little of the question's meaning declines nothing
    assert not assistant.ask("How are Kubeflow's dependencies kept up to date?").abstained


def test_a_comparison_quotes_only_the_projects_it_names(assistant):
    answer = assistant.ask("Kubeflow vs Flux: does each project's self-assessment call itself a security provider?")
    assert not answer.abstained
    projects = {c.chunk.meta.project for c in answer.citations}
    assert projects <= {"kubeflow", "flux", ""}, projects  # OpenFGA's assessment shares the words, not the subject
    assert "flux" in projects
    # "compare" reaches no further than the projects named
    answer = assistant.ask("Compare what Volcano and Kubeflow list as Critical security functions in their self-assessments.")
    assert {c.chunk.meta.project for c in answer.citations} <= {"volcano", "kubeflow", ""}
    # a Kubeflow component named beside another project keeps Kubeflow's sources in
    answer = assistant.ask("How does OpenKruise's self-assessment describe what happens when its admission webhook "
                           "call fails, and is the Spark Operator's default the same?")
    assert not answer.abstained
    assert {"openkruise", "kubeflow"} <= {c.chunk.meta.project for c in answer.citations}
    # each project a comparison names gets its own point, however much better one of them matches the words
    answer = assistant.ask("Kubeflow's metadata table answers the 'Security Provider?' field one way — does "
                           "cert-manager's self-assessment answer it the same way?")
    assert {"cert-manager", "kubeflow"} <= {c.chunk.meta.project for c in answer.citations}
    assert "not security providers" in answer.answer and "primary function of cert-manager" in answer.answer
    # another project named alone, no Kubeflow component beside it, is what is asked about: Kubeflow's own
    # disclosure section, sharing every word, answers nothing of Volcano's
    answer = assistant.ask("Per Volcano's self-assessment, what timeline does its Product Security Team target "
                           "when handling a vulnerability disclosure, and where should reports be sent?")
    assert {c.chunk.meta.project for c in answer.citations} == {"volcano"}
    assert "volcano-security@googlegroups.com" in answer.answer
    # ... named by the abbreviation its assessment defines ("External Secrets Operator (ESO)")
    answer = assistant.ask("According to the ESO self-assessment, how should security vulnerabilities be reported?")
    assert {c.chunk.meta.project for c in answer.citations} == {"external-secrets"}


def test_an_expansion_kfqa_adds_is_no_name_the_question_asks_about(assistant):
    """"TOC" is searched as "Technical Oversight Committee" too, which no Kubeflow source spells out:
    the question still names only what the reader typed, and is answered."""
    answer = assistant.ask("Rishabh flagged the spark webhook description in the toc PR — what was wrong and was it fixed?")
    assert not answer.abstained
    assert any(c.chunk.meta.source == "reviews/cncf-toc-pr-2201.json" for c in answer.citations)


def test_an_adverb_in_the_question_meets_its_adjective_in_the_answer(assistant):
    # "privately" asks what "private vulnerability reporting" says; the audit's "should not be disclosed"
    # only shares "find" and "report"
    answer = assistant.ask("If we find a security bug in Kubeflow during our evaluation, how do we report it privately?")
    assert answer.answer.startswith("Vulnerability reports are accepted via GitHub's private vulnerability reporting")


def test_a_finding_named_without_its_middle_part_is_answered_with_a_notice(assistant):
    answer = assistant.ask("How were ADA-02 and ADA-03 handled in the graduation due diligence?")
    assert not answer.abstained
    assert "Read 'ADA-02' as 'ADA-KUBEFL-02', 'ADA-03' as 'ADA-KUBEFL-03'." in answer.notices
    assert "out of scope for Kubeflow graduation DD" in answer.answer


def test_a_question_naming_a_release_is_answered_from_that_release(assistant):
    question = "What Dex version does Kubeflow Community Distribution 26.03 depend on?"
    answer = assistant.ask(question)
    assert "2.45.0" in answer.answer
    assert {c.chunk.meta.source.rsplit("/", 1)[-1] for c in answer.citations} == {"kubeflow-26.03.md"}
    # without the stage, another release's table row is quoted
    off = ask_without(assistant, question, "release-focus")
    assert {c.chunk.meta.source.rsplit("/", 1)[-1] for c in off.citations} != {"kubeflow-26.03.md"}


def test_a_compound_of_english_words_is_weighed_as_english_not_as_an_unknown_name(assistant):
    # "guardrails" is in no source, nor in BERT's vocabulary; it carries little here and the MCP server's page
    # answers. "firewall" carries the other question, which the sources don't answer: still declined.
    answer = assistant.ask("What guardrails does the Kubeflow MCP server give an agent before it submits a TrainJob?")
    assert not answer.abstained and answer.citations[0].chunk.meta.source.endswith("mcp-server/overview.md")
    declined = assistant.ask("Does the Kubeflow Pipelines UI have a built-in firewall against bots?")
    assert declined.abstained and "'firewall'" in " ".join(declined.notices)


def test_a_question_asking_which_scored_lowest_retrieves_the_lowest_scored_section(assistant):
    # no passage compares the audit's scorecards: the lowest one's own section must be among those read
    question = "Which project scored lowest in the Ada Logics scorecard checks?"

    def sections():
        return [h.chunk.meta.section.rpartition(" > ")[2] for h in assistant.retrieve(question, k=5)[1]]

    assert "Notebooks (5.6/10)" in sections()
    saved = assistant.config
    assistant.config = saved.without("ranked-join")
    try:  # without the stage, its words lose to the report's introduction
        assert "Notebooks (5.6/10)" not in sections()
    finally:
        assistant.config = saved


def test_a_question_naming_a_review_thread_by_number_is_answered_from_that_thread(assistant):
    question = "In cncf/tag-security#1079, who signed off on conflicts of interest?"
    answer = assistant.ask(question)
    assert {c.chunk.meta.source for c in answer.citations} == {"reviews/cncf-tag-security-issue-1079.json"}
    assert "Sign off by 2 chairs on reviewer conflicts" in answer.answer
    # without the stage, TAG Security's guides on conflicts of interest answer first
    off = ask_without(assistant, question, "thread-references")
    assert not off.abstained and off.citations[0].chunk.meta.source != "reviews/cncf-tag-security-issue-1079.json"


def test_a_template_prompt_and_a_heading_named_beside_it_are_both_answered(assistant):
    # the prompt restated is filed under "Internal"; "outbound" names its sibling heading, asked alike
    answer = assistant.ask("Communication channels: how do Kubeflow team members communicate internally, "
                           "and how does Kubeflow communicate outbound with users?")
    assert "kubeflow-contributors" in answer.answer and "kubeflow-announcements" in answer.answer
    # without the stage the prompt's own section fills the answer
    assert "kubeflow-announcements" not in ask_without(
        assistant, "Communication channels: how do Kubeflow team members communicate internally, and how does "
        "Kubeflow communicate outbound with users?", "template-siblings").answer


def test_a_list_quoted_as_a_continuation_keeps_its_items_later_sentences(assistant):
    # the audit's list of OSS-Fuzz projects is not relevant enough to quote with its lead-in alone (no item's
    # first sentence names a pull request); quoted as a point's continuation, each item still comes with
    # its "Integration PR: ..." sentence (stage item-sentences)
    answer = assistant.ask("How many audited projects were integrated into OSS-Fuzz, and what is the Pipelines "
                           "integration PR?")
    assert not answer.abstained
    assert "Integration PR: https://github.com/google/oss-fuzz/pull/13963" in answer.answer, answer.answer


def test_a_question_naming_a_finding_hears_nothing_of_the_others(assistant):
    # stage other-identifiers: the audit matrix's and the findings table's rows of other findings share the
    # question's words ("status", "audit") but answer for another finding
    answer = assistant.ask("What did the audit report say about ADA-KUBEFL-06, and what's its status?")
    assert not answer.abstained
    assert set(re.findall(r"ADA-KUBEFL-\d+", answer.answer)) == {"ADA-KUBEFL-06"}, answer.answer


def test_a_default_login_is_found_where_the_docs_say_username_and_password(assistant):
    # stage synonyms: the access page says "the default username and password, you may log in with", never "login"
    answer = assistant.ask("Is there a default login for the Kubeflow dashboard that operators should change?")
    assert not answer.abstained
    assert "12341234" in answer.answer, answer.answer
    # ... and the words searched for score no sentence: a question about rotating secrets hears nothing of it
    # (nor does the page's "you may log in" make it a point for "logins" alone, stage phrasal-compounds)
    assert "12341234" not in assistant.ask("Are the registry logins and credentials rotated?").answer


def test_a_closed_compound_in_the_question_meets_the_docs_open_one(assistant):
    # stage phrasal-compounds: the question's "login" is the access page's "you may log in with:"; without it
    # the installation page's sentences naming the Community Distribution led and no credential was quoted
    question = "What are the default login credentials on a fresh Kubeflow Community Distribution install?"
    answer = assistant.ask(question)
    assert not answer.abstained
    assert "user@example.com" in answer.answer and "12341234" in answer.answer, answer.answer
    assert answer.citations[0].chunk.meta.source == "docs/kubeflow/components/central-dash/access.md", answer.answer


def test_a_section_that_moved_between_revisions_is_placed_by_each_revisions_table_of_contents(assistant):
    # stage outline-moves: where a section went shows in no sentence of either revision, only in their
    # outlines; before it, the question was declined ("reorganised": no word of the sources) or answered
    # with the SBOM command alone
    first = "assessments/kubeflow/history/self-assessment.first-revision.md"
    question = "Between the first revision and now, how were the security links and the SBOM reorganised?"
    answer = assistant.ask(question)
    assert not answer.abstained, answer.notices
    cited = {(c.chunk.meta.source, c.chunk.meta.section) for c in answer.citations}
    assert {(first, "Table of Contents"), (SELF_ASSESSMENT, "Table of Contents")} <= cited, answer.answer
    assert "[Security links](#security-links)" in answer.answer
    # the current revision's line for the SBOM under the entry it now nests in
    lines = answer.answer.splitlines()
    at = lines.index(next(line for line in lines if "[Secure Development Practices]" in line))
    assert "[Software Bill of Materials]" in lines[at + 1] and lines[at + 1].startswith("  - ")
    # a history question about sections that stayed in place hears no outline
    for stayed_question in ("How did the Goals section change between the first revision and now?",
                            "How did the overview sections change between the first revision and now?"):
        stayed = assistant.ask(stayed_question)
        assert "Table of Contents" not in {c.chunk.meta.section for c in stayed.citations}, stayed.answer
    # one asking which sections moved, which no sentence answers, is answered by the outlines alone
    which = assistant.ask("Which sections of the Kubeflow self-assessment were moved or removed between the first "
                          "revision and now?")
    assert not which.abstained and "[Security links](#security-links)" in which.answer
    # and with the stage off, neither does this one
    off = ask_without(assistant, question, "outline-moves")
    assert not off.abstained and "Table of Contents" not in {c.chunk.meta.section for c in off.citations}


def test_another_kind_of_source_naming_the_asked_identifier_has_its_say(assistant):
    # stage identifier-voices: the audit describes ADA-KUBEFL-04, the DD thread says what became of it; a
    # question in the audit's words ranks only the audit
    question = "ADA-KUBEFL-04 (GetFile reads whole objects into memory): did anything get done about it?"
    thread = "reviews/kubeflow-community-issue-992.json"
    answer = assistant.ask(question)
    assert thread in {c.chunk.meta.source for c in answer.citations}, answer.answer
    assert "kubeflow/pipelines#12394" in answer.answer
    off = ask_without(assistant, question, "identifier-voices")
    assert thread not in {c.chunk.meta.source for c in off.citations}, off.answer


def test_a_subsection_named_by_its_subject_and_its_parent_joins(assistant):
    # "Katib's scorecard" names "Scorecard > Katib (6.5/10)": a five-letter subject, with its parent named too
    question = "Katib's scorecard in the audit: what pulled it down?"
    asked = "Page 9 > Scorecard > Katib (6.5/10)"
    answer = assistant.ask(question)
    assert asked in {c.chunk.meta.section for c in answer.citations}, answer.answer
    assert asked not in {c.chunk.meta.section for c in ask_without(assistant, question, "section-join").citations}


def test_a_prompt_asked_under_its_parent_heading_as_a_label_is_the_section_asked_for(assistant):
    # the label's words are the parent heading's ("Cloud Native Threat Modeling"), the rest the prompt's: each
    # point under the prompt answers, though few share the question's words
    question = ("Cloud Native Threat Modeling - explain the least minimal privileges the project requires, and the "
                "reasons for additional privileges.")
    answer = assistant.ask(question)
    assert "rootless containers" in answer.answer, answer.answer
    assert all(c.chunk.meta.section.endswith("reasons for additional privileges") for c in answer.citations)


def test_a_sentence_sending_the_reader_to_a_section_of_its_page_is_followed_by_that_section(assistant):
    # stage see-links: "... shared across all namespaces, see [Current Limitations](#current-limitations)": what
    # else is shared is only there, in words the question doesn't use
    question = "In multi-user KFP, are pipeline definitions shared between namespaces?"
    answer = assistant.ask(question)
    lines = answer.answer.splitlines()
    at = next(i for i, line in enumerate(lines) if "(#current-limitations)" in line)
    assert "do not currently support isolation" in " ".join(lines[at:at + 4]), answer.answer
    assert "Machine Learning Metadata (MLMD)" in answer.answer
    assert "Machine Learning Metadata (MLMD)" not in ask_without(assistant, question, "see-links").answer


def test_a_rare_word_declines_only_when_it_carries_the_meaning(assistant):
    # stage rare-word-meaning: "gotcha" is in no source nor in the model's vocabulary, and says nothing the
    # question doesn't say without it; "payout" is what the other question asks about
    question = "any gotcha with giving the KFP API server IRSA instead of static object store keys?"
    answer = assistant.ask(question)
    assert not answer.abstained, answer.notices
    assert "omit any Static credential configuration" in answer.answer
    assert ask_without(assistant, question, "rare-word-meaning").abstained
    declined = assistant.ask("What payout does Kubeflow offer for a critical bug?")
    assert declined.abstained and "'payout'" in " ".join(declined.notices)


def test_a_parent_heading_named_alone_makes_none_of_its_prompts_asked(assistant):
    # the label rule: the parent's heading names the parent; the rest of the question must be the prompt's own
    from kfqa.qa.compose import Composer
    from kfqa.qa.terms import TermWeights
    parent = "General Technical Review > Day 0 - Planning Phase > Security > Cloud Native Threat Modeling"
    prompt = "Explain the least minimal privileges required by the project and reasons for additional privileges"
    sibling = "Describe how the project is handling certificate rotation and mitigates any issues with certificates"
    weights = TermWeights(assistant.retriever.stats, assistant.config)

    def asked(question: str, leaf: str) -> bool:
        meta = ChunkMeta(source="gtr.md", kind="assessment", section=f"{parent} > {leaf}")
        hit = Retrieved(Chunk(id="gtr.md::0123456789ab::0", text="", meta=meta), 1.0)
        return Composer._asked_section(question, hit, weights.focus(question), frozenset(), False, frozenset())

    labelled = "Cloud native threat modeling: explain the least minimal privileges the project requires, and why more."
    assert asked(labelled, prompt) and not asked(labelled, sibling)
    about = "What does the Cloud Native Threat Modeling section say about containers?"
    assert not asked(about, prompt) and not asked(about, sibling)


def test_a_setting_the_question_names_is_answered_from_its_code_block(assistant):
    # the KFP docs give the projected token's expiry and audience in YAML only (stage setting-lines)
    answer = assistant.ask("in-cluster kfp sdk auth w/ the projected SA token - what audience + expirationSeconds do the docs use?")
    assert not answer.abstained
    assert "`expirationSeconds: 7200`" in answer.answer and "`audience: pipelines.kubeflow.org`" in answer.answer
    assert all(c.chunk.meta.source.endswith("connect-api.md") for c in answer.citations)
    assert "7200" not in ask_without(assistant, answer.question, "setting-lines").answer


def test_a_finding_described_by_its_method_name_is_answered_from_its_page(assistant):
    # "GetFile" names "MinioObjectStore.GetFile" (its finding's title); every sentence of the finding's page is
    # about it, so the page's "50 TiB" answers "how big" though only the title shares the question's words
    answer = assistant.ask("that kfp minio GetFile issue — how big of an object are we talking, and who can actually trigger it?")
    assert "50 TiB" in answer.answer and "write permissions" in answer.answer, answer.answer


def test_the_person_asked_to_do_something_is_not_the_speaker(assistant):
    # "what did andreyvelich ask franciscojavierarceo to change": andreyvelich's request leads, not the PR author's notes
    answer = assistant.ask("In kubeflow/community PR #994, what did andreyvelich ask franciscojavierarceo to change "
                           "besides adding the audit PDF?")
    assert answer.answer.startswith("andreyvelich") and "Assessment Stage" in answer.answer.splitlines()[0], answer.answer


def test_a_review_thread_named_by_its_repository_and_title_is_read_first(assistant):
    # "the kubeflow self-assessment pr" on the TOC's repository is cncf/toc#2201 (its title), though no number is given
    question = "who did the toc review on the kubeflow self-assessment pr, and what was his first big complaint?"

    def from_2201(config) -> int:
        assistant.config = config
        return sum(h.chunk.meta.source == "reviews/cncf-toc-pr-2201.json" for h in assistant.retrieve(question, k=5)[1])

    on = assistant.config
    try:
        named, unnamed = from_2201(on), from_2201(on.without("thread-references"))
    finally:
        assistant.config = on
    assert named >= 3 and named > unnamed, (named, unnamed)
