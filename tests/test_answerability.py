"""Stage "answerability" on synthetic chunks: which words of a question the sources never mention
(names, rare words, in the scope of the project asked about), and the notice that says so."""

from __future__ import annotations

from kfqa.qa.answerability import Decision, Scope, SentenceEncoder, decide
from kfqa.qa.stages import QAConfig
from kfqa.qa.terms import _IDENTIFIER_RE, TermWeights, is_common
from kfqa.termstats import TermStats
from kfqa.types import Chunk, ChunkMeta

KUBEFLOW = [
    "The Katib controller runs under a scoped service account in the kubeflow namespace.",
    "Reviewer JustinCappos asked who runs the controllers.",
    "Pipelines store run metadata in a MySQL database.",
]
OTHERS = [  # other projects' assessments: three discuss encryption and payouts, one has an assessor
    "Harbor encrypts registry credentials at rest and runs a bug bounty with payout tiers.",
    "Flux keeps secrets encrypted at rest; bounty payout rules are public.",
    "Rook volumes are encrypted at rest and the payout table is in the policy. The assessor agreed.",
]


def _stats(texts: list[str]) -> TermStats:
    return TermStats.build(
        Chunk(f"{i}.md::0123456789ab::0", text, ChunkMeta(source=f"{i}.md", kind="docs")) for i, text in enumerate(texts)
    )


def test_a_rare_word_no_source_holds_is_unknown_but_common_english_is_not():
    weights = TermWeights(_stats(KUBEFLOW))
    assert weights.unknown_names("Does the Katib controller have a payout schedule?") == ["payout"]
    # common English the sources lack says nothing of a topic they never discuss
    assert weights.unknown_names("What was the criticism of the Katib controller?") == []
    # nor does a form of a common word ("concretely", "squaring"), or part of a longer source word (a login)
    assert weights.unknown_names("What concretely runs the controllers, squaring the account?") == []
    assert weights.unknown_names("What did cappos ask about the controllers?") == []
    assert weights.unknown_names("Is Katib FedRAMP authorized?") == ["FedRAMP"]


def test_two_common_words_run_together_are_english_not_a_name():
    # "guardrails", "plaintext" typed in lower case are English, as their words are: stage absent-words judges
    # them (by how much they carry the question), not the rare-name rule ("What guardrails does the MCP server
    # put on an agent?" was declined for never mentioning 'guardrails'); "payout" joins a three-letter word
    weights = TermWeights(_stats(KUBEFLOW))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    question = "What guardrails keep the Katib controller safe, and is its traffic plaintext?"
    assert weights.unknown_names(question, kubeflow) == []
    assert {"guardrails", "plaintext"} <= set(weights.absent_words(question, kubeflow))
    assert weights.unknown_names("Does the Katib controller have a payout?", kubeflow) == ["payout"]
    # a setting's camelCase name is no English compound: it is named as typed
    assert weights.unknown_names("Does the Katib controller set hostUsers?", kubeflow) == ["hostUsers"]


def test_a_name_only_other_projects_hold_is_out_of_scope():
    weights = TermWeights(_stats(KUBEFLOW + OTHERS))
    question = "Is the MySQL database encrypted at rest, and is there a payout?"
    assert weights.unknown_names(question) == []  # the store knows both words: Harbor's assessment has them
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    assert weights.unknown_names(question, kubeflow) == ["encrypted", "payout"]
    harbor = Scope("Harbor", [t.lower() for t in OTHERS[:1]])
    assert weights.unknown_names("Does Harbor encrypt credentials?", harbor) == []
    # one stray use elsewhere ("assessor") says nothing of what the project's sources lack
    assert weights.unknown_names("What did the assessor say about the Katib controller?", kubeflow) == []


def test_an_acronym_or_run_together_name_is_held_only_whole_or_as_its_words():
    others = OTHERS + ["Flux moved its checks to ValidatingAdmissionPolicy rules written in CEL."]
    weights = TermWeights(_stats(KUBEFLOW + ["Each cell of the table has an admission webhook validating a policy."] + others))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW] + ["each cell of the table has an admission webhook validating a policy."])
    question = "Did Katib replace its webhooks with ValidatingAdmissionPolicy (CEL) rules?"
    # another project's one use, "validating" and "policy" held apart, "cell" beginning with "cel": none of
    # these is the sources in scope discussing the name
    assert weights.unknown_names(question, kubeflow) == ["ValidatingAdmissionPolicy", "CEL"]
    # held as a whole word (a plural too), or as its words together, a name is known
    held = Scope("Kubeflow", [t.lower() for t in KUBEFLOW] + ["katib uses cels and validating admission policy rules."])
    assert weights.unknown_names(question, held) == []
    # ... in the singular or the plural, whichever the question writes ("policy" / "policies")
    plural = Scope("Kubeflow", [t.lower() for t in KUBEFLOW] + ["each profile gets network policies."])
    singular = Scope("Kubeflow", [t.lower() for t in KUBEFLOW] + ["each profile gets a networkpolicy."])
    assert weights.unknown_names("Does Katib ship a NetworkPolicy per profile?", plural) == []
    assert weights.unknown_names("Does Katib ship NetworkPolicies per profile?", singular) == []
    # a word ending in s is no plural: "SubjectAccessReview" is held run together as it stands
    run_together = Scope("Kubeflow", [t.lower() for t in KUBEFLOW] + ["it creates a subjectaccessreview per request."])
    assert weights.unknown_names("Does Katib create a SubjectAccessReview?", run_together) == []
    # an acronym's plural is its lower-case s: "TLS" is no plural of "TL"
    assert weights.unknown_names("Does the Katib controller use TLS?", Scope("Kubeflow", ["the katib controller tl"])) == ["TLS"]


def test_a_code_identifier_is_held_only_whole_or_as_its_words_together():
    texts = KUBEFLOW + ["Istio routes outbound traffic through the gateway.", "Each policy lists registry hosts only."]
    weights = TermWeights(_stats(texts + OTHERS))
    scope = Scope("Kubeflow", [t.lower() for t in texts])
    # each word of "outboundTrafficPolicy" and of "REGISTRY_ONLY" is held, apart: a setting the sources never name
    question = "Does Katib set outboundTrafficPolicy to REGISTRY_ONLY?"
    assert weights.unknown_names(question, scope) == ["outboundTrafficPolicy", "REGISTRY_ONLY"]
    # written whole (Markdown escaping its underscores), or as its words together, it is held
    held = Scope("Kubeflow", [t.lower() for t in texts + ["Set `outboundTrafficPolicy` to REGISTRY\\_ONLY.",
                                                           "the outbound traffic policy is strict."]])
    assert weights.unknown_names(question, held) == []
    assert weights.unknown_names("Does Katib set an outbound_traffic_policy?", held) == []
    # a path, a dotted name, a file, an address or a query string holds no identifier typed as code
    assert _IDENTIFIER_RE.findall("securityContext.runAsUser my_values.yaml a_b@c.io ?page_id=3") == []
    for question, name in (("Is kubeflow.org/outboundTrafficPolicy set?", "outboundTrafficPolicy"),
                           ("Does my_values.yaml work?", "my_values"), ("Should I mail john_doe@example.com?", "john_doe"),
                           ("Is https://example.com/docs?page_id=3 right?", "page_id")):
        assert name not in weights.unknown_names(question, scope), question
    # camelCase and underscores are one identifier's two spellings; held, it is not judged again in lower case
    spelled = Scope("Kubeflow", [t.lower() for t in texts + ["Pods set run_as_user and hostPath."]])
    assert weights.unknown_names("Do pods set runAsUser?", spelled) == []
    assert weights.unknown_names("Do pods set host_path?", spelled) == []
    apart = Scope("Kubeflow", [t.lower() for t in texts + ["Pods mount host paths."]])
    assert weights.unknown_names("Does Katib set hostPaths?", apart) == []


def test_a_number_the_sources_in_scope_never_write_is_unknown():
    texts = KUBEFLOW + ["The dashboard listens on tcp port 8080 since the 2025 release 1.10.2; see issue #992."]
    weights = TermWeights(_stats(texts + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("Is port 4040 of the Katib controller exposed?", kubeflow) == ["4040"]
    assert weights.unknown_names("Is port 8080 of the Katib controller exposed, as in 2025?", kubeflow) == []
    # a number inside a version, an issue's number or a port and protocol is no number standing alone
    for question in ("Was 1.100.3 of the Katib controller released?", "Does issue #1234 cover the Katib controller?",
                     "Does the Katib controller use 8443/tcp?"):
        assert weights.unknown_names(question, kubeflow) == [], question
    # a number the sources write with thousands separators is the same number
    grouped = Scope("Kubeflow", [t.lower() for t in texts] + ["the katib controller handles 1,000 trials."])
    assert weights.unknown_names("Can the Katib controller handle 1000 trials?", grouped) == []
    # a question made of numbers: the first few are looked up
    many = " ".join(str(5000 + i) for i in range(40))
    assert len(weights.unknown_names(f"Does the Katib controller use ports {many}?", kubeflow)) == 8
    # a number longer than Python will convert is still just a number the sources never write
    assert weights.unknown_names(f"Is {'9' * 5000} the Katib controller's port?", kubeflow) == ["9" * 5000]


def test_the_notice_names_the_scope_and_the_words():
    config = QAConfig()
    declined = decide([0.9], ["encrypted"], config, "Kubeflow")
    assert not declined.answerable
    assert declined.notice == "The indexed Kubeflow sources never mention 'encrypted'."
    assert decide([0.9], ["FedRAMP"], config).notice == "The indexed sources never mention 'FedRAMP'."
    many = decide([0.9], [f"word{i}" for i in range(8)], config).notice
    assert many.endswith("'word4' (or 3 more of its words).") and "word5" not in many
    assert decide([0.9], [], config) == Decision(True, 0.9, [], "")
    # with the stage off, unknown words decline nothing
    assert decide([0.9], ["encrypted"], config.without("answerability")).answerable


def test_common_english_comes_from_the_model_vocabulary():
    assert is_common("criticism") and is_common("concretely") and is_common("squaring") and is_common("bounties")
    assert is_common("vetting") and is_common("scanned")
    assert not is_common("payout") and not is_common("fedramp")


def test_an_adverb_counts_as_its_adjective_and_a_word_merely_ending_in_ly_as_itself():
    from kfqa.termstats import stem, terms

    assert set(terms("report it privately")) >= set(terms("private reporting"))
    for adverb, adjective in [("securely", "secure"), ("manually", "manual"), ("automatically", "automatic"),
                              ("typically", "typical"), ("temporarily", "temporary")]:
        assert stem(adverb) == stem(adjective), adverb
    assert stem("repeatedly") == stem("repeated") == stem("repeat")
    for word in ["apply", "supply", "family", "assembly", "anomaly", "early", "rely", "only", "daily", "fully",
                 "butterfly", "monopoly"]:
        assert stem(word) == word, word
    # a question's hedges stay apart from the adjectives they come from ("what exactly" names no topic,
    # "explicit token permissions" does)
    from kfqa.qa.terms import DISCOURSE_TERMS
    assert stem("explicitly") == "explicitly" and "explicitly" in DISCOURSE_TERMS and stem("explicit") not in DISCOURSE_TERMS


def test_an_irregular_past_form_counts_as_its_verb():
    from kfqa.termstats import stem, terms

    assert set(terms("How many issues did the audit find?")) & set(terms("We found a total of 14 security issues"))\
        >= {"find", "issu"}
    assert stem("written") == stem("wrote") == stem("write") and stem("built") == stem("building")
    assert stem("founded") != stem("find")  # (a company founded in 2018 finds nothing)
    assert stem("went") == "went" and stem("gone") == "gone"  # ("go" is Go's name too)


def test_camel_case_identifiers_count_as_their_words():
    from kfqa.termstats import terms

    found = terms("ValidatingWebhook for SparkApplication; failurePolicy: Fail")
    assert {"webhook", "validat", "validatingwebhook", "sparkapplication", "failur", "policy"} <= set(found)
    # so a list of identifiers answers a question in plain words
    stats = _stats(["- ValidatingWebhook for SparkConnect", "- MutatingWebhook for Pods"])
    assert stats.known("webhook") and stats.df["webhook"] == 2


def test_a_hyphenated_form_or_a_mentioned_alternative_keeps_a_question_answerable():
    stats = _stats(KUBEFLOW + ["Kubeflow supports multi-tenancy through profiles; dependabot updates go.mod."] + OTHERS
                   + ["Renovate bumps Flux images.", "Renovate and Dependabot both run in Rook.", "Harbor uses renovate."])
    weights = TermWeights(stats)
    scope = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + ["Kubeflow supports multi-tenancy through profiles; "
                                                             "dependabot updates go.mod."]])
    assert weights.unknown_names("Does Kubeflow support multitenancy?", scope) == []
    assert weights.unknown_names("Does Kubeflow use renovate?", scope) == ["renovate"]
    # one of two alternatives the sources hold: the question is answerable for it
    assert weights.unknown_names("Does Kubeflow use dependabot or renovate?", scope) == []
    assert weights.unknown_names("Is it encrypted/hashed at rest?", scope) == ["encrypted"]


def test_a_name_typed_apart_from_a_word_the_sources_run_it_together_with_is_known():
    said = ["Kubeflow holds the OpenSSF Best Practices passing badge."]
    stats = _stats(KUBEFLOW + said + OTHERS)
    scope = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + said])
    weights = TermWeights(stats)
    assert weights.unknown_names("Which Open SSF badge does Kubeflow hold?", scope) == []
    assert weights.unknown_names("Which SSF badge does Kubeflow hold?", scope) == ["SSF"]


def test_a_clipped_word_the_scope_holds_in_full_is_known():
    # "perms" is no word of the store, but begins one the project's sources hold ("permissions")
    texts = KUBEFLOW + ["Suggestion pods need extra permissions for early stopping."]
    weights = TermWeights(_stats(texts + OTHERS))
    scope = Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("Does early stopping need extra perms?", scope) == []
    # a rare word beginning no word of the sources is still unknown
    assert weights.unknown_names("Does early stopping need extra quokkas?", scope) == ["quokkas"]


def test_a_compound_of_two_common_words_is_no_clipping_of_its_first():
    # "tabletop" begins like "table", which the sources hold, but it is "table" + "top": a word of its own
    texts = KUBEFLOW + ["The incident table lists each response step."]
    weights = TermWeights(_stats(texts + OTHERS))
    scope = Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("Has the team run a tabletop exercise?", scope) == ["tabletop"]
    # the sources holding the compound itself know it
    held = Scope("Kubeflow", [t.lower() for t in texts + ["A tabletop exercise is run yearly."]])
    assert weights.unknown_names("Has the team run a tabletop exercise?", held) == []


def test_a_noun_derived_from_a_held_word_or_a_closed_compound_held_apart_is_known():
    # "leakage" and "plaintext" are no words of BERT's vocabulary, but the sources say "leak" and "plain text"
    texts = KUBEFLOW + ["A workflow can leak the token; traffic between pods is plain text unless a mesh adds TLS."]
    weights = TermWeights(_stats(texts + OTHERS))
    scope = Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("What made the workflow vulnerable to token leakage?", scope) == []
    assert weights.unknown_names("Is traffic between pods plaintext?", scope) == []
    # sources that hold neither form know neither word (a compound of two English words is English: stage
    # absent-words weighs it, as a common word)
    bare = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    assert weights.unknown_names("What made the workflow vulnerable to token leakage?", bare) == ["leakage"]
    assert "plaintext" in weights.absent_words("Is traffic between pods plaintext?", bare)
    # a base or a pair held only inside longer words is no word of theirs ("milestone", "explain texture")
    inside = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + ["Each milestone is dated; we explain texture packs."]])
    assert weights.unknown_names("What mileage does the Katib controller claim?", inside) == ["mileage"]
    assert "plaintext" in weights.absent_words("Is traffic between pods plaintext?", inside)


def test_a_name_in_the_statement_setting_a_question_up_is_not_what_it_asks():
    from kfqa.qa.query import asking_part

    question = "We offboard people by pulling their RoleBindings. Does the cron job stop once RBAC is revoked?"
    assert asking_part(question) == "Does the cron job stop once RBAC is revoked?"
    weights = TermWeights(_stats(KUBEFLOW))
    assert "offboard" in weights.unknown_names(question)
    assert "offboard" not in weights.unknown_names(asking_part(question))
    # what follows the last question mark, and a question with none, stay whole
    assert asking_part("Is Katib FedRAMP authorized? (Katib)") == "Is Katib FedRAMP authorized? (Katib)"
    assert asking_part("Describe FedRAMP support. Include controls.") == "Describe FedRAMP support. Include controls."
    assert asking_part("Is it FedRAMP? We run Katib.") == "Is it FedRAMP? We run Katib."
    # a question pointing back at what the statement named asks about it
    pointing = "We keep secrets in HashiCorp Vault. Can Kubeflow Notebooks read from it?"
    assert asking_part(pointing) == pointing
    # a "?" inside a link asks nothing; expansions after the question mark stay with it
    assert asking_part("See https://example.org/?page=2 for our setup. Who runs Katib? (Katib)") == \
        "Who runs Katib? (Katib)"



def test_a_common_word_written_as_a_name_is_a_name():
    # three other projects' assessments keep secrets in Vault; Kubeflow's sources never say it
    vaults = ["Harbor reads its secrets from Vault.", "Flux can decrypt with a Vault token.", "Rook stores keys in Vault."]
    weights = TermWeights(_stats(KUBEFLOW + vaults))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    assert weights.unknown_names("Can the Katib controller read secrets from Hashi Vault?", kubeflow) == ["Hashi", "Vault"]
    # in lower case it is the common word: no name, nothing declined by it
    assert weights.unknown_names("Is there a vault for the controller's secrets?", kubeflow) == []
    # a sentence's first word, and a title-cased question, say nothing by their capitals
    assert weights.unknown_names("Vault secrets: does the Katib controller read them?", kubeflow) == []
    assert weights.unknown_names("Does The Katib Controller Read Secrets From Vault?", kubeflow) == []
    # a short question is no title-cased one; after a colon a word opens a clause
    assert weights.unknown_names("Does Katib support Vault?", kubeflow) == ["Vault"]
    assert weights.unknown_names("Question two: Explain how the Katib controller reads secrets.", kubeflow) == []
    # a capitalised part of a login the sources hold ("Cappos" in JustinCappos) is known
    assert weights.unknown_names("What did Justin Cappos ask about the controllers?", kubeflow) == []


def test_a_hyphenated_name_is_one_name():
    # the sources hold "security" and "runs" apart, never the name they make together
    weights = TermWeights(_stats(KUBEFLOW + ["The security team runs insights reports."]))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + ["The security team runs insights reports."]])
    assert weights.unknown_names("Does Katib publish a SECURITY-INSIGHTS file?", kubeflow) == ["SECURITY-INSIGHTS"]
    # held whole, in any of its spellings, it is known; an identifier with digits is matched as it stands
    spaced = Scope("Kubeflow", [*kubeflow.texts, "each repository has a security insights file."])
    assert weights.unknown_names("Does Katib publish a SECURITY-INSIGHTS file?", spaced) == []
    assert weights.unknown_names("Does Katib use a Controller-Account?", kubeflow) == ["Controller-Account"]
    assert weights.unknown_names("Does Katib use a Katib-Controller?", kubeflow) == []
    # lower-case compounds are ordinary words ("user-supplied"), not names
    assert weights.unknown_names("Does the Katib controller run user-supplied code?", kubeflow) == []
    # a held name and a past participle saying what it did ("TOC-reviewed": reviewed by the TOC) names nothing new;
    # an unheld name so joined is still unknown, and so is a name before a word of another kind
    toc = Scope("Kubeflow", [*kubeflow.texts, "the toc approved it after review."])
    assert weights.unknown_names("Which Katib release matched the TOC-reviewed version?", toc) == []
    assert "FedRAMP-reviewed" in weights.unknown_names("Which Katib release matched the FedRAMP-reviewed version?", toc)
    assert weights.unknown_names("Which Katib release matched the TOC-style version?", toc) == ["TOC-style"]
    # ... and so is a participle the sources never write in any form: "certified" here
    assert weights.unknown_names("Which Katib release matched the TOC-certified version?", toc) == ["TOC-certified"]


def test_an_acronym_held_only_as_the_head_of_a_hyphenated_identifier_is_held():
    # the audit writes "CWE-200: Information Exposure", never "CWE" alone
    weights = TermWeights(_stats(KUBEFLOW + ["The finding maps to CWE-200: Information Exposure."]))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + ["The finding maps to CWE-200: Information Exposure."]])
    assert weights.unknown_names("What CWE did the audit cite for the Katib finding?", kubeflow) == []
    # inside a word it is no head: "cwex" holds no "CWE"; nor is a part of a code name ("scan_cwe_keys")
    for text in ("The cwex-200 tool ran.", "The job runs scan_cwe_keys nightly."):
        inside = Scope("Kubeflow", [t.lower() for t in KUBEFLOW + [text]])
        assert weights.unknown_names("What CWE did the audit cite for the Katib finding?", inside) == ["CWE"], text


def test_absent_words_are_the_common_words_the_scope_never_holds():
    weights = TermWeights(_stats(KUBEFLOW + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    # "bounty" is common English the Kubeflow sources never hold; "controller" they hold; "payout" is a rare
    # word, a name (unknown_names reports it), not a candidate here
    assert weights.absent_words("Does the Katib controller pay a bounty or a payout?", kubeflow) == ["bounty"]
    # a hyphenated compound of held words is no candidate, nor is a word offered as an alternative to a held one
    assert weights.absent_words("Is the controller's account security-sensitive?", kubeflow) == []
    assert weights.absent_words("Is the database encrypted or stored in MySQL?", kubeflow) == []
    assert weights.absent_words("Does the controller need a bounty?", None) == []
    # the word after "how" frames the question ("how often"): the kind of answer, not its topic
    assert weights.absent_words("How often does the Katib controller pay a bounty?", kubeflow) == ["bounty"]


def test_capitalised_words_in_a_run_are_one_name():
    texts = KUBEFLOW + ["Katib numbering follows the authority of the release team.", "The Central Dashboard shows runs."]
    weights = TermWeights(_stats(texts))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    # each word is held apart, the name they make together is not
    assert weights.unknown_names("Is Katib its own Numbering Authority, and who assigns ids?", kubeflow) == \
        ["Numbering Authority"]
    # held whole it is known; a clause's first word and a title-cased clause say nothing by their capitals
    assert weights.unknown_names("Which runs does the Central Dashboard show to users?", kubeflow) == []
    assert weights.unknown_names("Numbering Authority status: who assigns ids for Katib?", kubeflow) == []
    assert weights.unknown_names("Responsible Disclosures Process: how are reports handled?", kubeflow) == []


def test_a_clipped_pair_and_a_listed_example_decline_nothing():
    texts = KUBEFLOW + ["Each namespace gets a network policy.", "NetworkPolicy objects deny ingress by default.",
                        "Kubeflow documents GDPR duties for adopters."]
    weights = TermWeights(_stats(texts + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    # "netpol" clips "network policy", which the sources use twice: slang for what they discuss
    assert weights.unknown_names("Did the audit find netpol gaps in the namespaces?", kubeflow) == []
    assert kubeflow.clipped_pair("netpol") and not kubeflow.clipped_pair("payout")
    # and so is its plural, typed in lower case as an acronym would be
    assert weights.unknown_names("any netpols in the kubeflow namespace?", kubeflow) == []
    assert kubeflow.clipped_pair("netpols") and not kubeflow.clipped_pair("payouts")
    # a name among listed examples, another of which the sources hold, asks about the list
    assert weights.unknown_names("Which standards (FedRAMP, COBIT, GDPR, etc.) does Kubeflow meet?", kubeflow) == []
    assert weights.unknown_names("Which standards (FedRAMP, COBIT) does Kubeflow meet?", kubeflow) == ["FedRAMP", "COBIT"]


def test_an_abbreviation_kfqa_expands_names_what_its_expansion_does():
    texts = KUBEFLOW + ["Traffic enters through the Istio ingress gateway."]
    weights = TermWeights(_stats(texts + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    # "gw" is no word of the sources, but "gateway", which it is typed for, is
    assert weights.unknown_names("what does the istio gw check?", kubeflow) == []
    # an expansion the sources never hold ("mutual TLS") leaves the abbreviation unknown
    assert weights.unknown_names("does the istio gateway use mtls?", kubeflow) == ["mtls"]
    # ... and so does one whose words they hold apart only ("a single user", "sign the release"), not as
    # the phrase it is ("single sign-on")
    apart = Scope("Kubeflow", [t.lower() for t in texts + ["A single user may sign on the form.", "Sign-on pages."]])
    assert weights.unknown_names("does the dashboard support SSO?", apart) == ["SSO"]
    sso = texts + ["The dashboard offers single sign-on."]
    together = Scope("Kubeflow", [t.lower() for t in sso])
    assert TermWeights(_stats(sso + OTHERS)).unknown_names("does the dashboard support SSO?", together) == []


def test_a_comma_joins_alternatives_only_in_a_list_of_examples():
    texts = KUBEFLOW + ["Kubeflow documents GDPR duties for adopters."]
    weights = TermWeights(_stats(texts + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    # a clause comma, and a list that means "and", offer no alternative: the name still declines
    assert weights.unknown_names("With FedRAMP, does the Katib controller run?", kubeflow) == ["FedRAMP"]
    assert weights.unknown_names("Does Katib meet FedRAMP, GDPR and HIPAA?", kubeflow) == ["FedRAMP", "HIPAA"]
    # examples after "e.g." (or in parentheses, or ending "etc.") do
    assert weights.unknown_names("Does Katib meet a standard, e.g. FedRAMP, GDPR?", kubeflow) == []


def test_a_run_of_capitalised_words_is_held_pair_by_pair_or_as_a_name_before_a_common_noun():
    texts = KUBEFLOW + ["The Katib suggestion service proposes trials.", "Each suggestion service runs alone.",
                        "Ada Logics audited the code."]
    weights = TermWeights(_stats(texts))
    kubeflow = Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("Is the Katib Suggestion Service exposed to users?", kubeflow) == []
    assert weights.unknown_names("What did the Ada Logics Audit say about users?", kubeflow) == []
    # a held name beside another that goes on into the question's next word ("Go modules") is two names
    side = Scope("Kubeflow", [t.lower() for t in texts + ["Kubeflow Notebooks ships Go modules."]])
    assert weights.unknown_names("Where is the Katib Go modules link?", side) == []
    # ... a held name of several words too ("Ada Logics")
    assert weights.unknown_names("Where is the Ada Logics Go modules link?", side) == []
    # ... but not when that next phrase is one the sources never hold, wherever the run is written
    assert weights.unknown_names("Where is the Katib Go bindings link?", side) == ["Katib Go"]
    assert weights.unknown_names("Where are the Katib Go modules and what does Katib Go say?", side) == ["Katib Go"]
    # only the word after "how" that frames the question is left out of absent words, not any word
    assert weights.absent_words("How hidden is the Katib controller's account?", kubeflow) == ["hidden"]


def test_sentence_encoder_returns_every_vector_asked_for_even_past_its_cache_size():
    """A call asking for more texts than the cache holds, some cached long ago, still gets each vector
    (eviction used to drop a cached text of the same call before it was read: KeyError)."""
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]

    enc = SentenceEncoder(embed, size=3)
    enc.vectors(["a", "bb"])
    got = enc.vectors(["a", "bb", "ccc", "dddd", "eeeee"])
    assert [v[0] for v in got] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert calls[-1] == ["ccc", "dddd", "eeeee"]  # the cached two were not embedded again
    enc.vectors(["eeeee"])  # most recent: still cached
    assert len(calls) == 2


def test_an_acronym_typed_in_lower_case_is_a_name_but_shorthand_and_clippings_are_not():
    """Only capitals marked an acronym as a name: "does kubeflow require mfa/2fa ..." named nothing the
    sources never mention."""
    texts = KUBEFLOW + ["The dependency list is in go.mod; RBAC limits the service account."]
    weights, kubeflow = TermWeights(_stats(texts)), Scope("Kubeflow", [t.lower() for t in texts])
    assert weights.unknown_names("do the katib controllers use 2fa or a cvss score?", kubeflow) == ["2fa", "cvss"]
    # a reader's shorthand, a clipping of a word the sources hold, a duration: no names
    assert weights.unknown_names("imo the katib deps matter, wrt the controller: 24h? ptal, tbd", kubeflow) == []
    assert weights.unknown_names("can ppl still reach the katib controller rn? asking bc of rbac", kubeflow) == []
    # chat's interjections, short or long: "whats the default login ... lol" was declined for never mentioning 'lol'
    assert weights.unknown_names("who runs the katib controller lol", kubeflow) == []
    assert weights.unknown_names("yikes, who runs the katib controller?", kubeflow) == []
    assert weights.unknown_names("LOL who runs the katib controller", kubeflow) == []  # shouted, no acronym
    # an acronym the sources hold, in whatever case
    assert weights.unknown_names("does rbac scope the katib controller?", kubeflow) == []


def test_words_framing_a_question_are_no_specific_terms():
    """"whether" opens the clause a question asks about ("disagree about whether it is a security
    provider"): rare in the sources, it would outweigh the words naming the topic."""
    weights = TermWeights(_stats(KUBEFLOW + OTHERS + ["Check whether the controller is trusted."]))
    focus = weights.focus("Do the reviewers disagree about whether the Katib controller is trusted?")
    assert "whether" not in focus and {"katib", "controller"} <= set(focus)
    # a light verb carries the sentence, not its topic: "does the MCP server let an agent ... or is there a
    # confirm step" weighed "let" (rare in the sources) above "confirm"
    weights = TermWeights(_stats(KUBEFLOW + ["Let the controller retry.", "Each run needs a confirm step."]))
    focus = weights.focus("Does the Katib controller let a run skip the confirm step?")
    assert "let" not in focus and {"confirm", "katib"} <= set(focus)


def test_rare_words_go_through_the_meaning_check_and_names_do_not():
    # stage rare-word-meaning: ``meaningful`` judges the rare words only; an acronym or a name stays unknown
    weights = TermWeights(_stats(KUBEFLOW + OTHERS))
    kubeflow = Scope("Kubeflow", [t.lower() for t in KUBEFLOW])
    question = "Does the Katib controller pay a bounty payout under FedRAMP?"
    seen = []

    def nothing_carries(words):
        seen.extend(words)
        return []

    assert "payout" in weights.unknown_names(question, kubeflow)
    kept = weights.unknown_names(question, kubeflow, nothing_carries)
    assert "payout" not in kept and "FedRAMP" in kept
    assert seen == ["payout"]
