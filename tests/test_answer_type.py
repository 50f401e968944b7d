"""Stage answer-type on its own: which questions ask for a value, and which sentences state one."""

from __future__ import annotations

import pytest

from kfqa.qa.answer_type import AskedValue, asked_value
from kfqa.qa.answerability import Decision


@pytest.mark.parametrize(("question", "kind", "scheme"), [
    ("How many maintainers can read the reports?", "count", ""),
    ("Within how many days is a patch released?", "duration", ""),
    ("How long are audit logs kept?", "duration", ""),
    ("What's the default session cookie lifetime?", "duration", ""),
    # four words saying whose and which, typed in a chat box
    ("whats the default oauth2-proxy session cookie lifetime in KCD?", "duration", ""),
    ("On what date did the TOC vote?", "date", ""),
    ("Which TLS version does the API server require?", "version", ""),
    ("How much did the audit cost?", "money", ""),
    ("How much does the work cost?", "money", ""),  # (the work's cost, not the time or effort spent)
    ("Which CVE identifiers were assigned to the findings?", "identifier", "CVE"),
    ("What GHSA ID did the advisory get?", "identifier", "GHSA"),
    # typed in lower case: a scheme all the same, as no English word is one
    ("what cve id was assigned to the kfp ssrf finding?", "identifier", "CVE"),
    ("What's the SLA for acknowledging a report?", "duration", ""),
    ("The docs say a limited number of maintainers. What's the actual number?", "count", ""),
    ("What percentage of the code do the fuzzers cover?", "percentage", ""),
    ("Which release was the first to enforce the restricted profile?", "version", ""),
    ("Which KFP release has the fix for the path traversal?", "version", ""),
    ("Which release fixed it?", "version", ""),
    ("What is the SHA-256 checksum of the audit PDF?", "digest", ""),
    ("which image digest is pinned for the controller?", "digest", ""),
    # a question word after a comma still asks ("When TLS is on, what minimum version ...", "... which TLS version")
    ("If pod-to-pod TLS is on, which TLS version is enforced?", "version", ""),
    ("When pod-to-pod TLS is turned on, what minimum TLS version does the API server enforce?", "version", ""),
    # after "what did/does" the value is still asked when "what" is it: a cost, a default, a version one needs
    ("What did the audit cost?", "money", ""),
    ("What does the default timeout default to?", "duration", ""),
    ("Which version do I need?", "version", ""),
    ("What release did the fix ship in?", "version", ""),
    ("How big must an archive be to exhaust a node's memory?", "size", ""),
    ("What's the turnaround for a fix - is there a fixed number of days?", "duration", ""),
    # a possessive among the words before the value word, a bare "turnaround", a "%" sign
    ("What's Kubeflow's committed turnaround for a critical vulnerability?", "duration", ""),
    ("What’s Kubeflow’s default cookie lifetime?", "duration", ""),
    ("What % of the code do the fuzzers cover?", "percentage", ""),
    # "when" of an event asks a date
    ("When is the next third-party audit scheduled?", "date", ""),
    ("When did the maintainers publish the self-assessment?", "date", ""),
    ("What key size do the webhook certificates use?", "size", ""),
    ("Is there a deadline for fixing it, and if so what is it?", "time", ""),
    # typed without the apostrophe; an event of a codebase or a vote, however long the subject before it
    ("whats the default session lifetime before users sign in again?", "duration", ""),
    ("When was the header check in the v1beta1 UI's authorization code (the audit's issue) first introduced?", "date", ""),
    ("When did the TOC vote on the graduation?", "date", ""),
    ("Within what time frame do maintainers commit to acknowledging a report?", "duration", ""),
    ("In what time frame was the security audit conducted?", "time", ""),
    # "the time to <verb>" is a length of time, hyphenated or not
    ("What's Kubeflow's committed time-to-acknowledge / time-to-fix for a critical vuln?", "duration", ""),
    ("What is the time to patch a reported vulnerability?", "duration", ""),
    # ... with what kind of time it is, and whose, between: still a length of time
    ("What is the project's committed time to acknowledge a report?", "duration", ""),
    ("What's the expected time to fix a critical bug?", "duration", ""),
    # the scheme as written and "id" in lower case; a tally is a count; a score on a scale
    ("which CVE id got assigned to the pipelines ci command injection?", "identifier", "CVE"),
    ("how did the TOC vote - what was the tally?", "count", ""),
    ("What counts did the audit's scorecard report for unpinned references?", "count", ""),
    ("What exposure and impact sub-scores did the auditors assign to the finding?", "score", ""),
    ("Which OpenSSF Scorecard score did Katib get?", "score", ""),
    # a size asked in a unit of data
    ("The spec is capped at MaxFileLength. What is that maximum size in bytes?", "data size", ""),
    ("How many megabytes may an uploaded pipeline be?", "data size", ""),
    ("How many TB can the artifact store hold?", "data size", ""),
])
def test_a_value_question_says_what_kind_of_value_answers_it(question, kind, scheme):
    asked = asked_value(question)
    assert (asked.kind, asked.scheme) == (kind, scheme)


@pytest.mark.parametrize("question", [
    # a moment or a setting, not a length of time
    "What's the best time to upgrade Kubeflow?",
    "What is the project's best time to upgrade?",
    "What is the next time to rotate the keys?", "What is the ideal time to patch?", "What was the first time to deploy?",
    "What happens when the token lifetime expires?",
    "What is a good time to report a vulnerability?",
    "What time to set for the nightly build?",
    "Which time to use, UTC or local, in the audit logs?",
    "What happens if the time to fix runs long?",
])
def test_a_time_to_do_something_is_no_length_of_time_unless_it_is_the_time_it_takes(question):
    assert asked_value(question) is None


@pytest.mark.parametrize(("question", "counted"), [
    ("How many CVEs were assigned to Katib in 2024?", {"cve"}),
    ("how many Ada Logics findings were still unresolved?", {"find"}),
    ("The docs say a limited number of maintainers. What's the actual number?", {"maintainer"}),
    ("What was the vote count?", set()),  # nothing named: any number answers
    # a name's words don't use up the words read: its head noun is still what is counted
    ("how many Spark Operator admission webhooks does the final version list?", {"admission", "webhook"}),
    # ... and the plural ends it: what follows says what is asked of them
    ("How many Ada Logics findings remain unresolved?", {"find"}),
    ("How many CVEs affected Katib?", {"cve"}),
    ("how many aws accounts were tested?", {"aws", "account"}),  # (a plural modifier goes on to its noun)
])
def test_a_count_question_names_what_it_counts(question, counted):
    assert asked_value(question).counted == counted


def test_a_number_answers_a_count_only_when_it_counts_what_is_asked():
    cves = asked_value("How many CVEs were assigned to Katib in 2024?")
    assert cves.stated_in("Katib was assigned two CVEs in 2024.")
    assert not cves.stated_in("Two researchers from Ada Logics worked on the audit for 4 weeks.")
    issues = asked_value("How many security issues did Ada Logics find in total?")
    assert issues.stated_in("We found a total of 14 security issues during the audit.")
    reviewers = asked_value("What's the minimum number of reviewers a pull request needs?")
    assert reviewers.stated_in("- At least one reviewer is required for a pull request to be approved.")
    assert not reviewers.stated_in("Pull requests are merged after 2 days.")
    assert asked_value("What was the vote count?").stated_in("The vote closed with 9 in favour.")
    # the counted word may come just before the number; a name among the counted words only says whose
    maintainers = asked_value("How many Kubeflow maintainers can read the reports?")
    assert maintainers.counted == {"maintainer"}
    assert maintainers.stated_in("Maintainers: 12.") and maintainers.stated_in("The maintainer count is 12.")
    assert not maintainers.stated_in("There were 2 Kubeflow releases this year.")


def test_a_checksum_is_stated_only_by_one_written_out():
    digest = asked_value("What is the SHA-256 checksum of the audit PDF?")
    assert digest.stated_in("sha256:" + "0f" * 32) and digest.stated_in("The PDF's digest is " + "a1" * 32 + ".")
    assert not digest.stated_in("Verified the copied PDF SHA-256 matches the original downloaded PDF.")
    assert digest.what == "a checksum"


def test_a_version_answers_only_next_to_what_is_versioned():
    go = asked_value("which go version are the kf controllers built with rn?")
    assert go.counted == {"go"}
    assert go.stated_in("The controllers are built with Go 1.22.") and go.stated_in("| go | 1.22.4 |")
    # an image's tag is a version of the image, not of the toolchain it was built with
    assert not go.stated_in("`docker sbom ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.0.0-rc.0`")
    tls = asked_value("What minimum TLS version does the gateway enforce?")
    assert tls.stated_in("The gateway accepts TLS 1.2 or later.") and not tls.stated_in("Istio 1.29.0 ships with it.")
    # a word saying which version, not of what, names nothing: any version answers
    assert asked_value("What is the minimum supported version?").counted == set()
    assert asked_value("What is the latest release?").stated_in("Kubeflow 1.10 was released in March.")
    # naming nothing, any version answers
    first = asked_value("Which release was the first to enforce the restricted profile?")
    assert first.counted == set() and first.stated_in("Since v1.9 the restricted profile is enforced.")


def test_a_number_answers_a_score_only_next_to_what_is_scored_and_a_ratio_anywhere():
    scores = asked_value("What exposure and impact scores did Ada Logics assign to the finding?")
    assert scores.stated_in("Exposure 5, Impact 3.") and scores.stated_in("It scored 8 in total.")
    assert not scores.stated_in("Kubeflow Pipelines will send an HTTP request to pipelineUrl on line 180.")
    katib = asked_value("Which Scorecard score did Katib get?")
    assert katib.stated_in("Katib (6.5/10)") and katib.stated_in("10 / 10 Binary-Artifacts High")
    assert not katib.stated_in("Katib was released in 2018 by 3 companies.")
    # a date, versions or hours of the day are no ratio; a name only says whose score
    kubeflow = asked_value("What is Kubeflow's OpenSSF Scorecard score?")
    assert kubeflow.counted == {"scor"}
    for text in ("Published on 12/08/2025.", "It supports TLS 1.2/1.3.", "Maintainers are on call 24/7.",
                 "Kubeflow has 14 working groups."):
        assert not kubeflow.stated_in(text), text


@pytest.mark.parametrize("question", [
    "Who runs the Katib controllers?",
    "What happens if a controller is compromised?",
    "How does Kubeflow handle vulnerability reports?",
    "When is a Profile created automatically?",  # "when" asks for a condition as often as a date
    "When does the controller rotate its certificates?",
    "What does the batch size setting do?",
    # "when" of a condition, or inside the question; a size or an SLA named, not asked for
    "What happens when a pipeline run is completed?", "When is a PR merged without review?",
    "When is access denied due to missing RBAC?", "When does the webhook perform validation?",
    "What is the size of the blast radius if the controller is compromised?", "Is there a formal SLA?",
    "What must the platform operator do to keep Kubeflow secure?",
    "How much of the isolation relies on Istio?",  # "how much" without a price is a degree
    # time or effort spent is no money: hours, weeks answer it
    "How much effort is a reviewer expected to spend on one assessment?",
    "How much of their time do reviewers spend on an assessment?",
    # the value word mentioned, not asked for
    "What does Kubeflow do about old versions of its components?",
    "What day-to-day security tasks do Kubeflow maintainers do?",
    "How often are Kubeflow's dependencies scanned for vulnerabilities?",
    "How does Kubeflow request CVE IDs?",
    "What does the timeout setting of the Katib trial do?",
    "What is the cost model of the audit program?",
    "What is the release process?",
    "Which release notes mention Pod Security Standards?",
    "Does Kubeflow let admins configure the number of days a profile stays around?",
    "Is there a limit on the number of days a pipeline run is kept?",
    # a possessive among the words, or "turnaround" as a modifier, asks no value either
    "What's the cluster admin's number one concern?",
    "What is the turnaround process for reported CVEs?",
    # lower case: an English word before "ids" is no scheme
    "what user ids can log in to the dashboard?",
    "what namespace ids does the profile controller assign?",
    "Which Namespace IDs are reserved?",
    "what github ids are listed as security contacts?",
    # what a score means or how it is reached, or the Scorecard tool itself
    "What does the exposure score mean?", "What scoring system does the audit use?",
    "What is the combined score based on?", "What checks does the OpenSSF Scorecard run?",
    "Which project scores highest on the OpenSSF Scorecard?", "What does an exposure score of 5 mean?",
    "What is the score for?",
    # a PR or UI "id" is no scheme of numbered identifiers
    "Which PR id fixed the dead link in the self-assessment?", "which pr id fixed it?",
    # what a version or a release says, holds or does is asked of it ("what" is the object, the version the subject)
    "The first draft described the controller as watching one CRD. What does the current version say about CRDs?",
    "What does the latest release include?", "What did the new version change in the webhooks?",
    # a unit of data as written, not a word that looks like one ("KB articles")
    "What is stored in KB articles?",
    # the kind of hash, not a hash; what a checksum does; a commit's hash
    "What hash algorithm does Dex use for static passwords?", "Which hashing function is used?",
    "What hash does Dex use for passwords?", "What does the checksum verify?", "Which commit hash fixed ADA-KUBEFL-02?",
    # ", which" opens a relative clause, not a question ("... and which version" would be one)
    "Who receives reports, and how does that compare with Knative's self-assessment, which states a response time?",
    # "counts" as a verb; "numbers" of things ("port numbers") that name them
    "What counts as a conflict of interest for a TAG reviewer?", "What counts toward a binding vote?",
    "What port numbers does the webhook use?",
])
def test_other_questions_ask_for_no_value(question):
    assert asked_value(question) is None


def test_a_value_counts_only_when_the_sentence_states_it_and_not_in_a_link_or_a_comments_date():
    count, date, cve = AskedValue("count"), AskedValue("date"), AskedValue("identifier", "CVE")
    assert count.stated_in("The Spark Operator registers seven webhooks.")
    assert count.stated_in("It has 12 unresolved findings.")
    assert not count.stated_in("Only a limited number of maintainers have access to the reports.")
    assert not count.stated_in("See [the policy](https://github.com/kubeflow/katib/blob/v0.17/SECURITY.md).")
    assert not date.stated_in("andreyvelich (issue_comment, 2026-06-23): Thanks for the review!")
    assert date.stated_in("The audit ran in August and September 2025.")
    assert cve.stated_in("It was fixed as CVE-2025-1234.") and not cve.stated_in("We address known CVEs quickly.")
    assert AskedValue("duration").stated_in("Reports are triaged within 2 days.")
    assert not AskedValue("duration").stated_in("Reports are triaged quickly by 2 maintainers.")
    assert AskedValue("version").stated_in("TLS 1.2 or later is required.")
    # ... not a path's segment nor code's package name ("/v1beta1/", "*v1.Pod"); "v2" standing alone is one
    assert not AskedValue("version").stated_in("See webhook/v1beta1/pod/utils.go: func f(pod *v1.Pod) error")
    assert AskedValue("version").stated_in("Kubeflow Pipelines v2 compiles to IR YAML.")
    assert AskedValue("version").stated_in("It was fixed in Harbor v1.10.") and AskedValue("version").stated_in("Use the kubeflow.org/v1 API.")
    # a size in bytes is a number with a unit of data, not any number ("HTTP 200")
    data = AskedValue("data size")
    assert data.stated_in("Specs are capped at 32 MiB.") and data.stated_in("at most 4096 bytes")
    assert not data.stated_in("The only checks are URL syntax, HTTP 200 status and a max size.")
    assert data.stated_in("up to two megabytes") and data.stated_in("memory: 1G") and not data.stated_in("within 100 mi")
    assert AskedValue("duration").stated_in("Tokens expire after 24h.")
    # a day counted a way is still a length of time ("3 working days", "two business days")
    assert AskedValue("duration").stated_in("We'll respond to valid reports within 3 working days.")
    assert AskedValue("duration").stated_in("Fixes ship within two business days.")
    assert not AskedValue("duration").stated_in("Reports reach 3 working maintainers.")
    assert not date.stated_in("Reviewers may ask for more.") and date.stated_in("It shipped in March 2025.")
    assert AskedValue("percentage").stated_in("Fuzzers cover 42% of it.") and not AskedValue("percentage").stated_in("Fuzzers cover most of it.")
    # a count can be stated by listing what is counted, not by a list of links
    assert count.enumerated_by(["ValidatingWebhook for `SparkApplication`.", "MutatingWebhook for Pods."])
    assert not count.enumerated_by(["https://github.com/kubeflow/a/security/advisories", "[b](https://b.example)"])
    assert not date.enumerated_by(["one item", "another item"])
    # a question naming what it counts is answered by a list introduced as a list of that
    webhooks = asked_value("How many admission webhooks does the Spark Operator register?")
    items = ["ValidatingWebhook for `SparkApplication`.", "MutatingWebhook for Pods."]
    assert webhooks.enumerated_by(items, "The Spark Operator registers these webhooks:")
    assert not webhooks.enumerated_by(items, "Spark Operator manages three custom resources:")


def test_a_run_of_digits_is_one_number_so_long_runs_stay_linear():
    # a number never starts inside a run ("1,2,3,..."): one match per run, so a sentence of 8,000
    # characters of digits and commas is read once (quadratic backtracking took seconds here)
    from kfqa.qa.answer_type import VALUE_RES

    run = "1," * 4000 + "1"
    assert len(VALUE_RES["count"].findall(run)) == 1
    assert len(VALUE_RES["count"].findall("12 of 1,200 or 7.7")) == 3
    assert not AskedValue("money").stated_in(run + " x") and AskedValue("money").stated_in(run + " USD")
    assert asked_value("what is the " * 160) is None


def test_the_notice_names_the_kind_of_value_no_sentence_states():
    decision = Decision(False, 0.5, scope="Kubeflow", unstated=AskedValue("identifier", "CVE").what)
    assert decision.notice == "No passage of the indexed Kubeflow sources close to this question states a CVE identifier."


def test_a_future_event_is_dated_only_by_a_sentence_speaking_of_the_future():
    asked = asked_value("When is Kubeflow's next third-party security audit scheduled?")
    assert asked.kind == "date" and asked.future
    assert not asked.stated_in("Ada Logics carried out the audit in August and September 2025.")
    assert asked.stated_in("The next audit is planned for March 2027.")
    past = asked_value("When was the audit carried out?")
    assert past.kind == "date" and not past.future and past.stated_in("It ran in September 2025.")


def test_a_past_change_is_dated_by_any_date_whatever_word_of_plans_the_question_holds():
    for question in ("When was the planned SBOM support introduced?", "When was the next-gen dashboard released?"):
        asked = asked_value(question)
        assert (asked.kind, asked.future) == ("date", False)
        assert asked.stated_in("The new dashboard was released in October 2023.")
    assert asked_value("When is the next audit scheduled?").future
