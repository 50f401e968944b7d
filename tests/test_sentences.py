"""Sentence selection details on synthetic passages: HTML table rows as sentences, a quoted phrase
leading, table rows rendered as their cells, what counts as a repeat."""

from __future__ import annotations

from kfqa.qa.answer_lines import render
from kfqa.qa.compose import Composer
from kfqa.qa.merging import Windows
from kfqa.qa.score_moves import about_others, lift_quoted
from kfqa.qa.selection import Candidate, _overlap, dangling
from kfqa.qa.sentences import (
    answerable_sentences,
    html_table_rows,
    listed_after,
    points_forward,
    setting_keys,
    setting_lines,
)
from kfqa.qa.stages import QAConfig
from kfqa.termstats import TermStats, terms
from kfqa.types import Chunk, ChunkMeta, Retrieved

METADATA = """# Metadata

<table>
  <thead><tr><th>Name</th><th>Information</th></tr></thead>
  <tbody>
    <tr>
      <td>Security Provider?</td>
      <td>No. Kubeflow projects are not security providers</td>
    </tr>
    <tr><td>Languages</td><td><a href="https://go.dev">Go</a>, Python, TypeScript and more</td></tr>
  </tbody>
</table>
"""


def _chunk(text: str, source: str = "a.md") -> Chunk:
    return Chunk(f"{source}::0123456789ab::0", text, ChunkMeta(source=source, kind="assessment"))


def test_html_table_rows_are_sentences_and_header_rows_go():
    rows = html_table_rows(METADATA)
    assert "| Security Provider? | No. Kubeflow projects are not security providers |" in rows
    assert "| Languages | Go , Python, TypeScript and more |" in rows
    assert "Name" not in rows and "<t" not in rows
    assert answerable_sentences(_chunk(METADATA)) == [
        "| Security Provider? | No. Kubeflow projects are not security providers |",
        "| Languages | Go , Python, TypeScript and more |",
    ]
    assert html_table_rows("plain text, no table") == "plain text, no table"


def test_a_table_row_reads_as_its_cells_in_the_answer():
    hit = Retrieved(_chunk(METADATA), 1.0)
    row = Candidate("| Security Provider? | No. Kubeflow projects are not security providers |", hit, 0)
    assert render([row]).answer == "Security Provider? — No. Kubeflow projects are not security providers [1]."


def test_a_sentence_holding_the_quoted_phrase_leads_and_the_rest_keep_their_scores():
    hit = Retrieved(_chunk("x"), 1.0)
    a, b, c = (Candidate(t, hit, 0, score=s) for t, s in
               (("Reviewers declare conflicts.", 0.9), ("Security Provider: yes", 0.3), ("Not security providers.", 0.2)))
    lift_quoted([a, b, c], ["security provider"])
    assert b.score > c.score > a.score == 0.9  # both holders first, in their order; the others untouched
    lift_quoted([a], ["security provider"])
    assert a.score == 0.9


def test_a_short_sentence_sharing_few_terms_is_no_repeat():
    lead = set(terms("Security Provider: yes (e.g. Is the primary function of the project to support security?)"))
    row = set(terms("Security Provider? No. Kubeflow projects are not security providers"))
    assert _overlap(row, lead) == 0.0  # three shared terms: not a repeat, whatever their share
    same = set(terms("The submission runner is validated and trusted by the operator"))
    assert _overlap(same, same | {"extra"}) == 1.0


def test_the_quoted_row_answers_from_a_metadata_table():
    chunk = _chunk(METADATA, "assessments/x/self-assessment.md")
    stats = TermStats.build([chunk, _chunk("Other words about the reviewers and their conflicts.", "b.md")])
    evidence = Composer(stats).gather("Is it a 'security provider'?", [Retrieved(chunk, 1.0)])
    assert evidence.candidates[0].text.startswith("| Security Provider? | No.")


def test_the_marker_goes_inside_closing_marks_so_the_sentence_stays_whole():
    from kfqa.eval.metrics import answer_sentences

    hit = Retrieved(_chunk("x"), 1.0)
    text = "Security Provider: yes (e.g. Is the primary function to support security?)"
    answer = render([Candidate(text, hit, 0)]).answer
    assert answer == "Security Provider: yes (e.g. Is the primary function to support security [1]?)"
    assert answer_sentences(answer) == [answer]


def test_under_the_heading_the_question_names_every_point_answers():
    text = ("## Incident Response\n\nUpon receiving a vulnerability report, the maintainers triage the issue and "
            "release a patch. Users are notified via release notes and community channels.")
    chunk = Chunk("a.md::0123456789ab::0", text, ChunkMeta(source="a.md", kind="assessment",
                                                          section="Security Issue Resolution > Incident Response"))
    other = _chunk("Incident handling of other kinds: a response team, a process, a pager rota.", "b.md")
    stats = TermStats.build([chunk, other])
    evidence = Composer(stats).gather("What is the incident response process?", [Retrieved(chunk, 1.0)])
    assert [c.text for c in evidence.candidates][:2] == [
        "Upon receiving a vulnerability report, the maintainers triage the issue and release a patch.",
        "Users are notified via release notes and community channels.",
    ]


def test_a_questionnaire_prompt_is_no_point_but_a_reviewers_question_is():
    from kfqa.qa.selection import stated_question

    doc = Retrieved(_chunk("x"), 1.0)
    review = Retrieved(Chunk("r.json::0123456789ab::0", "x", ChunkMeta(source="r.json", kind="review")), 1.0)
    assert stated_question(Candidate("How are notices for all dependencies obtained?", doc, 0))
    assert not stated_question(Candidate("Is the submission runner validated / trusted?", review, 0))
    assert not stated_question(Candidate("Notices are obtained at build time.", doc, 0))


# A PDF page as pypdf extracts it: printed lines, wrapped by the typesetter, bullets as "•".
AUDIT_PAGE = """Scorecard
Each check maps to common weak points attackers have exploited in real-world incidents. Some examples of the Scorecard
checks are:
1. Branch Protection: Ensures important branches like main cannot be directly overwritten. Weak protections can allow
unnoticed malicious changes.
2. Code Review: Confirms pull requests are reviewed before merging.
Across all six projects, strong practices in code review, contributors, and CI testing provide a solid foundation for
the projects in scope.
• Reliability risks: Bugs in workload handling could cause controllers to crash or to stop serving requests of
other users.
"""


def test_a_pdf_list_keeps_its_wrapped_items_whole_and_stops_where_the_prose_goes_on():
    chunk = _chunk(AUDIT_PAGE, source="audit.pdf")
    assert listed_after(chunk, "Some examples of the Scorecard checks are:") == [
        "Branch Protection: Ensures important branches like main cannot be directly overwritten.",
        "Code Review: Confirms pull requests are reviewed before merging.",
    ]
    sentences = answerable_sentences(chunk)
    assert "Weak protections can allow unnoticed malicious changes." in sentences
    assert "unnoticed malicious changes." not in sentences
    # a bullet starts its own sentence (the answer drops the mark, as any list mark: LIST_MARK_RE)
    assert any(s.startswith("• Reliability risks: Bugs in workload") and s.endswith("of other users.") for s in sentences)


def _in_section(text: str, section: str, source: str = "a.pdf") -> Chunk:
    return Chunk(f"{source}::0123456789ab::0", text, ChunkMeta(source=source, kind="audit", section=section))


def test_a_table_of_contents_is_navigation_not_an_answer():
    from kfqa.qa.sentences import is_contents

    # a PDF's contents page, windowed: its first and last lines cut, filed under the heading seen last
    window = ("22\nFound issues 24\nCommand injection can lead to RCE in Pipelines's CI 25\n"
              "Code intends to authenticate but does not do so . . . . . . . . 27\nResources missing network policies 42\n"
              "Model-Registry enables profiling endpoints by default . . . . .")
    assert is_contents(_in_section(window, "Page 5 > Katib uses weak image reference validation 44"))
    # a Markdown table of contents is filed under its heading
    toc = "## Table of Contents\n\n* [Metadata](#metadata)\n* [Overview](#overview)"
    assert is_contents(_in_section(toc, "Self-assessment > Table of Contents", "a.md"))
    # a list of the things a page describes, linked to their sections, is content; so is prose with numbers
    algorithms = ("Katib supports these algorithms:\n\n- [Grid search](#grid-search)\n- [Random search](#random-search)\n"
                  "- [Bayesian optimization](#bayesian-optimization)\n- [Hyperband](#hyperband)")
    assert not is_contents(_in_section(algorithms, "HP Tuning Algorithms", "a.md"))
    # lines closing with numbers that don't rise page by page are a table of counts or scores, not contents
    severities = "Severity Count\nCritical 3\nHigh 5\nModerate 7\nLow 2\nInformational 1"
    assert not is_contents(_in_section(severities, "Page 6 > Found issues"))
    scores = "Katib 65\nTrainer 61\nSpark Operator 69\nNotebooks 56\nModel Registry 77"
    assert not is_contents(_in_section(scores, "Page 8 > Scorecard"))
    # nor is a Markdown file's table or config, whose lines end in numbers (no pages there)
    config = "timeout: 10\nretries: 12\nworkers: 14\nport: 15\nreplicas: 18"
    assert not is_contents(_in_section(config, "Configuration", "a.md"))
    # "TOC" is the Technical Oversight Committee in CNCF documents
    assert not is_contents(_in_section("The TOC voted on the graduation.\n" * 4, "Governance > TOC", "a.md"))


def test_the_last_item_a_long_list_quotes_is_read_to_its_end():
    # three wrapped items past the quoting cap: the third is quoted whole, not cut after its first line
    long = " ".join(["shared, trusted services operated by the platform administrator"] * 15)
    text = ("Kubeflow aims to provide the following security properties:\n\n"
            "- **Authenticated access**: access to APIs is mediated by Kubernetes RBAC, and\n"
            "  web interfaces are authenticated at the ingress gateway.\n"
            f"- **Tenant isolation**: control-plane components are {long}.\n"
            "- **Least-privilege control plane**: controllers run under scoped service accounts, and\n"
            "  admission webhooks validate user-submitted resources before they are admitted.\n"
            "- **A fourth property** past the cap.\n")
    items = listed_after(_chunk(text), "Kubeflow aims to provide the following security properties:")
    assert items[-1] == ("**Least-privilege control plane**: controllers run under scoped service accounts, and "
                         "admission webhooks validate user-submitted resources before they are admitted.")
    assert len(items) == 3


def test_a_pdf_sentence_opening_with_a_number_is_prose():
    page = _chunk("The audit found fourteen issues in total. 3 of them were rated Critical (ADA-KUBEFL-09, -10 and "
                  "-13). 2 of Kubeflow's projects were integrated into OSS-Fuzz.", "audits/a.pdf")
    assert len(answerable_sentences(page)) == 3, answerable_sentences(page)


def test_a_list_item_is_quoted_on_with_its_sentence_stating_what_the_question_asks():
    text = ("## Controller Parameters\n\nThe following parameters configure the Widget controller:\n\n"
            "- `leaderElection` - whether to enable leader election. Only one Pod is then active.\n\n"
            "  The default value is `false`\n\n"
            "- `webhookPort` - a port number for the admission webhooks.\n\n"
            "  The default value is `8443`\n")
    chunk = Chunk("a.md::0123456789ab::0", text, ChunkMeta(source="a.md", kind="docs", section="Controller Parameters"))
    others = [_chunk(f"Other text {i} about pods, ports and clusters.", f"b{i}.md") for i in range(3)]
    stats = TermStats.build([chunk, *others])
    question = "Is leader election enabled by default in the Widget controller?"
    lead = Composer(stats).gather(question, [Retrieved(chunk, 1.0)]).candidates[0]
    assert lead.text == "The following parameters configure the Widget controller:"
    # each item's sentence saying its default comes along (not "Only one Pod is then active.": nothing asked)
    assert lead.items == ["`leaderElection` - whether to enable leader election. The default value is `false`",
                          "`webhookPort` - a port number for the admission webhooks. The default value is `8443`"]
    # ... and a sentence quoted with its item is no point of its own again
    answer = render(Composer(stats).gather("What is the default value of leaderElection?", [Retrieved(chunk, 1.0)]).candidates)
    assert answer.answer.count("The default value is `false`") == 1, answer.answer
    plain = Composer(stats).gather(question, [Retrieved(chunk, 1.0)], config=QAConfig().without("item-sentences"))
    assert plain.candidates[0].items == ["`leaderElection` - whether to enable leader election.",
                                         "`webhookPort` - a port number for the admission webhooks."]


def test_a_code_line_or_table_row_is_not_quoted_on():
    chunk = _chunk("Set these options:\n\n```yaml\nleaderElection: true # Enables it. Default is false\n```\n\n"
                   "Options:\n\n| leaderElection | Optional. The default value is false |\n")
    adds = lambda later, so_far: "default" in later.lower()  # noqa: E731
    # (cut at its first sentence, as every item is; never joined with the sentence saying the default)
    assert listed_after(chunk, "Set these options:", adds=adds) == ["`leaderElection: true # Enables it."]
    assert listed_after(chunk, "Options:", adds=adds) == ["| leaderElection | Optional."]


def test_each_sentence_of_a_quoted_item_is_cited_and_a_code_line_whole():
    from kfqa.eval.metrics import answer_sentences

    hit = Retrieved(_chunk("x"), 1.0)
    items = ["`leaderElection` - whether to enable leader election. The default value is `false`",
             "Spark jobs may include arbitrary input. They run as the tenant", "`kubectl apply -k example --now`"]
    answer = render([Candidate("The following parameters configure it:", hit, 0, items=items)]).answer
    assert "- `leaderElection` - whether to enable leader election [1]. The default value is `false` [1]." in answer
    assert "- `kubectl apply -k example --now` [1]" in answer
    assert all("[1]" in sentence for sentence in answer_sentences(answer)), answer_sentences(answer)


def test_a_sentence_pointing_at_what_follows_introduces_it():
    pdf = _chunk("Each actor can affect the deployment in some way.\nWe summarize the threat actors in the table below "
                 "sorted by privilege.\n# Name Level of trust\n1 Cluster admin High\n2 Cluster user Low\n",
                 "audits/a.pdf")
    lead = "We summarize the threat actors in the table below sorted by privilege."
    assert points_forward(pdf, lead)
    others = [_chunk(f"Other text {i} about pods and clusters.", f"b{i}.md") for i in range(3)]
    answer = render(Composer(TermStats.build([pdf, *others])).gather(
        "Which threat actors are summarized, by level of trust?", [Retrieved(pdf, 1.0)]).candidates).answer
    assert "1 Cluster admin High [1]." in answer and "2 Cluster user Low [1]." in answer, answer
    off = Composer(TermStats.build([pdf, *others])).gather(
        "Which threat actors are summarized, by level of trust?", [Retrieved(pdf, 1.0)],
        config=QAConfig().without("forward-lead-ins")).candidates
    assert not any(c.items for c in off)
    # not a sentence going on in its paragraph, nor prose lines after a PDF's sentence naming no table
    assert not points_forward(_chunk("The steps below matter. They are listed next.\n- one\n- two\n"),
                              "The steps below matter.")
    assert not points_forward(_chunk("The risks are described below.\nAttackers can reach the API server.\n",
                                     "audits/a.pdf"), "The risks are described below.")
    assert points_forward(_chunk("The steps are as follows.\n\n- one step\n- two steps\n"), "The steps are as follows.")
    # not "stable", a link's text pointing elsewhere, nor "below" a version
    assert not points_forward(_chunk("Releases below version one are not considered stable.\nThey may change.\n",
                                     "audits/a.pdf"), "Releases below version one are not considered stable.")
    assert not points_forward(_chunk("See more about names [below](#names).\n\n- one\n"), "See more about names [below](#names).")
    assert not points_forward(_chunk("Clusters below 1.29 are not supported.\n\n- one\n"), "Clusters below 1.29 are not supported.")
    # a sentence said twice: continuing its line at one place, ending it before a list at the other
    twice = _chunk("Run the steps described below to install it. Then check the pods.\n\n"
                   "Run the steps described below to install it.\n\n- apply the manifests\n- wait for the pods\n")
    seen: dict[str, int] = {}
    said = [Composer._listed(Retrieved(twice, 1.0), "Run the steps described below to install it.", seen, QAConfig())
            for _ in range(2)]
    assert said == [([], [], False), (["apply the manifests", "wait for the pods"],) * 2 + (True,)]


def test_a_sentence_pointing_at_a_list_past_the_passage_end_is_not_quoted_alone():
    """The passage (a window) ends where the table it points at begins: the sentence says nothing alone."""
    cut = _chunk("Kubeflow threat actors differ in privilege. The threat actors are summarized in the table below.\n")
    whole = _chunk("The threat actors are summarized in the table below.\n\n| Actor | Trust |\n| -- | -- |\n| Admin | High |\n")
    question = "Which threat actors are summarized, by trust?"
    cut_read = Composer(TermStats.build([cut, whole])).gather(question, [Retrieved(cut, 1.0)])
    assert "table below" not in render(cut_read.candidates).answer
    pointing = next(c for c in cut_read.scored if c.text.endswith("table below."))
    assert pointing.introduces and dangling(pointing)
    whole_read = Composer(TermStats.build([cut, whole])).gather(question, [Retrieved(whole, 1.0)])
    listing = next(c for c in whole_read.candidates if c.text.endswith("table below."))
    assert listing.items and not dangling(listing)


def test_a_table_is_listed_without_its_rule():
    chunk = _chunk("The following table lists the versions.\n\n| Runtime | SDK |\n| -- | :--: |\n| 2.0 | 2.1 |\n")
    assert listed_after(chunk, "The following table lists the versions.") == ["| Runtime | SDK |", "| 2.0 | 2.1 |"]


def test_a_sentence_naming_only_other_items_of_the_asked_scheme_is_not_relevant():
    hit = Retrieved(_chunk("x", "audits/a.pdf"), 1.0)
    row = Candidate("ADA-KUBEFL-09 Command injection can lead to RCE Critical Reported", hit, 0)
    asked = Candidate("ADA-KUBEFL-12 Model-Registry enables profiling endpoints Moderate Reported", hit, 0)
    both = Candidate("ADA-KUBEFL-12 and ADA-KUBEFL-09 were found by the same tool.", hit, 0)
    cve = Candidate("Kubernetes CVE-2019-11248: profiling endpoints were left open.", hit, 0)
    lead_in = Candidate("The main deltas are:", hit, 0, listed=["ADA-KUBEFL-12 is now fixed.", "ADA-KUBEFL-04 is tracked."])
    own_page = Candidate("It is like ADA-KUBEFL-09 in kind.", hit, 0, on_item_page=True)
    other_scheme = Candidate("TOB-K8S-001 is a finding of another audit.", hit, 0)
    about_others([row, asked, both, cve, lead_in, own_page, other_scheme], ["ADA-KUBEFL-12", "TOB-K9S-002"])
    assert [c.relevant for c in (row, asked, both, cve, lead_in, own_page, other_scheme)] == [False, True, True, True,
                                                                                             True, True, True]


def test_a_forward_lead_in_without_its_list_says_nothing():
    hit = Retrieved(_chunk("x"), 1.0)
    assert dangling(Candidate("The versions are listed in the table below.", hit, 0, listed=["| 2.0 | 2.1 |"],
                              introduces=True))
    assert not dangling(Candidate("The versions are listed in the table below.", hit, 0, listed=["| 2.0 | 2.1 |"],
                                  items=["| 2.0 | 2.1 |"], introduces=True))
    assert not dangling(Candidate("The table below was removed.", hit, 0))


def test_a_list_running_past_its_window_is_read_on_into_the_next_windows():
    """Stage list-windows: a window holding a lead-in and only the first of its items is read on into the
    section's next windows while they go on with the list, and no further: the last window opens with the
    list's last item, and prose follows."""
    # (windows overlap by a unit, as ingest cuts them: each opens with the item the one before ends on)
    access = "- **Authenticated access**: RBAC mediates every API call."
    isolation = "- **Tenant isolation**: namespaces isolate tenants from each other.\n  Shared controllers are run by the administrator."
    least = "- **Least privilege**: controllers run under scoped service accounts."
    texts = [f"Kubeflow aims to provide the following security properties:\n\n{access}", f"{access}\n{isolation}",
             f"{isolation}\n{least}", f"{least}\n\nThese properties rely on trust assumptions about the cluster."]
    windows = [Chunk(f"sa.md::0123456789ab::{i}", text, ChunkMeta(source="sa.md", kind="assessment", section="Overview",
                                                                    file_hash="0123456789ab", window=i))
               for i, text in enumerate(texts)]
    composer = Composer(TermStats.build(windows), Windows({w.id: w for w in windows}))
    question = "Which security properties does Kubeflow aim to provide, such as tenant isolation?"

    def lead_in(config: QAConfig) -> Candidate:
        scored = composer.gather(question, [Retrieved(windows[0], 1.0)], config=config).scored
        return next(c for c in scored if c.text.endswith("security properties:"))

    assert [item.split("**")[1] for item in lead_in(QAConfig()).listed] == \
        ["Authenticated access", "Tenant isolation", "Least privilege"]
    assert not any("trust assumptions" in c.text for c in composer.gather(question, [Retrieved(windows[0], 1.0)]).scored)
    assert len(lead_in(QAConfig().without("list-windows")).listed) == 1


def test_a_sentence_holds_the_question_words_of_its_heading():
    """Stage heading-terms: "log in with the default username" under "Community Distribution Installer > Access"
    answers a question about the installer's default username, ahead of a sentence that names the distribution
    and "default" only, and ranks first."""
    def chunk(n: int, section: str, text: str) -> Chunk:
        return Chunk(f"d{n}.md::0123456789ab::0", text, ChunkMeta(source=f"d{n}.md", kind="docs", section=section))

    naming = chunk(1, "Overview", "The Community Distribution bundles the default manifests of every component.")
    access = chunk(2, "Community Distribution Installer > Access", "If you never changed it, log in with the default username.")
    others = [chunk(3 + i, "Other", f"Unrelated text {i} about pods, clusters and volumes.") for i in range(4)]
    composer = Composer(TermStats.build([naming, access, *others]))
    question = "What default username does the Community Distribution installer set?"
    hits = [Retrieved(naming, 1.0), Retrieved(access, 0.9)]
    assert composer.gather(question, hits).candidates[0].hit.chunk is access
    assert composer.gather(question, hits, config=QAConfig().without("heading-terms")).candidates[0].hit.chunk is naming


TOKEN_VOLUME = """## ServiceAccount Token Volume

Mount a ServiceAccount token volume in the Pod that runs the SDK client.

```yaml
volumes:
  - name: volume-kf-pipeline-token
    projected:
      sources:
        - serviceAccountToken:
            path: token
            expirationSeconds: 7200
            audience: pipelines.kubeflow.org
```
"""


def test_a_code_line_setting_a_key_the_question_writes_answers_it():
    """Stage setting-lines: a setting's value is said in its code block and nowhere in prose."""
    chunk = _chunk(TOKEN_VOLUME, "docs/connect-api.md")
    others = [_chunk(f"Passage {i} says the Pod mounts a volume for the client.", f"o{i}.md") for i in range(4)]
    assert setting_lines(chunk, {"audience", "expirationseconds", "projected"}) == [
        "`expirationSeconds: 7200`", "`audience: pipelines.kubeflow.org`"]  # ("projected:" opens a block)
    assert setting_lines(_chunk("audience: pipelines.kubeflow.org is the audience."), {"audience"}) == []  # (prose)
    # not a comparison, a block scalar, a value running past a sentence's end or holding a backtick; each key once
    odd = "```\naudience == expected\nscript: |\nmessage: Access denied. Ask the admin\ncmd: echo `date`\n" \
          "path: token\npath: other\n```\nAudience: everyone.\n"
    assert setting_lines(_chunk(odd), {"audience", "script", "message", "cmd", "path"}) == ["`path: token`"]
    # the keys are the reader's specific words of four letters or more, lower-cased
    assert setting_keys("Is the TTL or expirationSeconds kept?", lambda word: word != "kept") == {"expirationseconds"}
    composer = Composer(TermStats.build([chunk, *others]))
    question = "Which audience and expirationSeconds does the token volume use?"
    answer = render(composer.gather(question, [Retrieved(chunk, 1.0)]).candidates).answer
    assert "`expirationSeconds: 7200` [1]" in answer and "`audience: pipelines.kubeflow.org` [1]" in answer
    off = composer.gather(question, [Retrieved(chunk, 1.0)], config=QAConfig().without("setting-lines"))
    assert "7200" not in render(off.candidates).answer
