"""The shared text rules: sentence splitting (answers and the eval split alike) and support."""

from kfqa.text import bm25_text, is_supported, normalize, split_sentences


def test_abbreviations_do_not_end_sentences():
    text = "Standards (PCI-DSS, ISO, GDPR, etc.) [2]. Use e.g. Istio. Done."
    assert split_sentences(text) == ["Standards (PCI-DSS, ISO, GDPR, etc.) [2].", "Use e.g. Istio.", "Done."]


def test_list_items_and_table_rows_stay_whole():
    text = "Intro line\ncontinues here.\n\n- item one\n- item two\n| a | b |\n| c | d |"
    assert split_sentences(text) == ["Intro line continues here.", "- item one", "- item two", "| a | b |", "| c | d |"]


def test_a_pdf_table_of_findings_is_a_row_per_identifier_and_prose_naming_one_is_not():
    # the text a PDF gives of a table of findings: one line per finding, no sentence marks; a row whose
    # title wraps goes on into the next line
    table = ("Found issues\nID Name Severity Status\n"
             "ADA-KUBEFL-09 Command injection can lead to RCE in Pipelines CI Critical Reported\n"
             "ADA-KUBEFL-04 Kubeflow Pipelines: MinioObjectStore.GetFile - Reliability and\nSecurity Issues Moderate Reported\n"
             "CVE-2024-1234: Stack overflow in a parser Low Reported")
    assert split_sentences(table) == [
        "Found issues ID Name Severity Status",
        "ADA-KUBEFL-09 Command injection can lead to RCE in Pipelines CI Critical Reported",
        "ADA-KUBEFL-04 Kubeflow Pipelines: MinioObjectStore.GetFile - Reliability and Security Issues Moderate Reported",
        "CVE-2024-1234: Stack overflow in a parser Low Reported",
    ]
    # one wrapped line of prose opening with an identifier is no table, nor are two going on in lower case
    assert split_sentences("The maintainers fixed\nADA-KUBEFL-09 in the next release.") == [
        "The maintainers fixed ADA-KUBEFL-09 in the next release."]
    assert split_sentences("The audit found two issues,\nCVE-2024-1234 in the parser and\nCVE-2024-5678 in the "
                           "loader, both fixed.") == [
        "The audit found two issues, CVE-2024-1234 in the parser and CVE-2024-5678 in the loader, both fixed."]
    # a sentence after the last row is none of its title
    assert split_sentences(table + "\nThe table above lists every finding.")[-1] == "The table above lists every finding."


def test_a_pdf_code_listing_and_a_link_line_are_no_part_of_the_prose_around_them():
    page = ("Pipelines CI has a script injection vulnerability.\n"
            "https://github.com/example/pipelines/blob/main/.github/workflows/presu\n"
            "bmit-backend.yml#L31\n31 - name: Run Backend Tests\n32 run: |\n"
            "33 export GIT_BRANCH=${{ github.head_ref }}\nThe workflow interpolates untrusted context into a shell.")
    assert split_sentences(page, pdf=True) == [
        "Pipelines CI has a script injection vulnerability.",
        "https://github.com/example/pipelines/blob/main/.github/workflows/presu bmit-backend.yml#L31",
        "31 - name: Run Backend Tests", "32 run: |", "33 export GIT_BRANCH=${{ github.head_ref }}",
        "The workflow interpolates untrusted context into a shell.",
    ]
    # a numbered table's rows hold no code, a score table's don't count up: neither is a listing; the
    # numbered table's rows stand apart, one sentence each
    rows = "we found these missing a policy:\n1 dex Deployment auth\n2 webhook Deployment auth\n3 proxy Pod auth"
    assert split_sentences(rows, pdf=True) == rows.split("\n")
    scores = "Scorecard checks\n10 / 10 CI-Tests Low\n0 / 10 Fuzzing Medium\n1 / 10 SAST Medium"
    assert split_sentences(scores, pdf=True) == [" ".join(scores.split())]
    # Markdown's wrapped prose goes on past a link that opens a line, as does a PDF's when the line holds more
    wrapped = "For example, if you host Kubeflow at\nhttps://kubeflow.example.com, the API is at /pipeline."
    assert split_sentences(wrapped) == split_sentences(wrapped, pdf=True) == [" ".join(wrapped.split())]
    # (Markdown: the listing and link rules don't apply)
    assert "31 - name: Run Backend Tests" not in split_sentences(page)


def test_normalize_drops_emphasis_and_folds_space():
    assert normalize("**Tenant  isolation**:\n `RBAC`") == "tenant isolation: rbac"
    assert bm25_text("_OpenSSF Best Practices_").split() == ["OpenSSF", "Best", "Practices"]


def test_support_needs_every_content_word():
    passage = "The blast radius is bounded by its service account."
    assert is_supported("The blast radius is bounded by the service account [1].", [passage])
    assert not is_supported("The blast radius is unbounded [1].", [passage])


def test_bm25_text_adds_the_words_of_camel_case_identifiers():
    from kfqa.text import bm25_text

    assert bm25_text("the ValidatingWebhook for _NetworkPolicy_") == \
        "the ValidatingWebhook Validating Webhook for  NetworkPolicy Network Policy "
    assert bm25_text("plain words, OpenSSF and RBAC stay") == "plain words, OpenSSF and RBAC stay"


def test_phrasal_compounds_are_held_only_when_asked():
    from kfqa.termstats import OpenCompounds, held_terms, terms

    text = "If you have not changed the default password, you may log in with it; roll back and set\nup again."
    asked = OpenCompounds({"login", "rollback", "setup", "default", "isolation"})
    assert {"login", "rollback", "setup"} <= asked.asked and "default" not in asked.asked
    assert asked.held(text) == {"login", "rollback", "setup"}  # (a wrapped line is one sentence still)
    assert "login" not in terms(text)  # (term statistics never count "basedon")
    assert "login" in held_terms(text, OpenCompounds({"login"})) and "setup" not in held_terms(text, OpenCompounds({"login"}))
    assert "login" not in held_terms(text)
    # the verb in any form; not across a sentence's end or a list's next item, nor after a stop word
    assert asked.held("Users who logged in, or who are setting up a profile, sign in.") == {"login", "setup"}
    assert not asked.held("Rotate the log. In production ...") and not asked.held("- the audit log\n- In short")
    assert not asked.held("## Log\nIn production ...") and asked.held("you may log\r\nin with") == {"login"}
    assert not OpenCompounds({"goon"}).held("go on, it's up to us") and not OpenCompounds(set()).held(text)
