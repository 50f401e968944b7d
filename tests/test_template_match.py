"""Stage template-sections on a synthetic folder: a question in the words of a template's prompt is
answered from the section the project's assessment files under that prompt's label, not from a
page that shares the prompt's words (real ingest, real embedding model, real Chroma)."""

from __future__ import annotations

import pytest
from conftest import write_files

from kfqa.qa import Assistant
from kfqa.qa.template_match import LabelIndex, as_any_project, label_key, match_template, prompt_labels
from kfqa.types import Chunk, ChunkMeta

TEMPLATE = """# Self-assessment template

## Metadata

| | |
| -- | -- |
| Security Provider | Yes or No. Is the primary function of the project to support the security of an integrating system? |

## Secure development practices

* Development Pipeline. A description of the testing and assessment processes that
  the software undergoes as it is developed and built.
* Communication Channels. Reference where you document how to reach your team.
  * Internal. How do team members communicate with each other?
  * Inbound. How do users or prospective users communicate with the team?
  * Outbound. How do you communicate with your users?

## Security issue resolution

* Incident Response. A description of the defined procedures for triage, confirmation and
  notification of a vulnerability or security incident.
"""

ASSESSMENT = """# Widget Security Self-Assessment

# Metadata

| Name | Information |
| --- | --- |
| Security Provider? | No. Widget is not a security provider and guards nothing of its callers. |

# Secure Development Practices

## Development pipeline

Every change to Widget passes two approving reviews and the fuzzing suite before it merges.

## Communication Channels

### Internal

Widget maintainers talk in the widget-dev Slack room and meet on a weekly video call.

### Inbound

Users file GitHub issues or write to the widget-users mailing list.

### Outbound

Release notes and advisories go out on the widget-announce list and the project blog.

# Security Issue Resolution

## Incident Response

The widget response crew triages a report within two days and ships a fixed release.
"""

DECOY = """# Gardening club handbook

How team members communicate with each other: the club's team members write letters to each
other every week, and members communicate with the team at the monthly meeting.
"""


KEYS = """# Widget signing keys

When a Widget signing key leaks, the release crew revokes it and rotates every signing key within a day.
"""


def _chunk(text: str, section: str, source: str = "guides/t.md", kind: str = "guide", n: int = 0) -> Chunk:
    return Chunk(f"{source}::0123456789ab::{n}", text, ChunkMeta(source=source, kind=kind, section=section))


def test_a_prompt_is_filed_under_its_item_its_parent_items_and_its_headings():
    chunk = _chunk(TEMPLATE.split("## Secure development practices")[1], "Self-assessment template > Secure development practices")
    assert as_any_project("How does Widget talk to widget-users?", {"widget", ""}) == "How does the project talk to widget-users?"
    assert prompt_labels(chunk, "How do team members communicate with each other?") == [
        "Internal", "Communication Channels", "Secure development practices"]
    row = _chunk(TEMPLATE.split("## Metadata")[1].split("##")[0], "Self-assessment template > Metadata")
    assert prompt_labels(row, "Is the primary function of the project to support the security of an integrating system?") \
        == ["Security Provider", "Metadata"]
    assert label_key("Security Provider?") == label_key("security  providers") == "security provider"
    assert label_key("Goals") == label_key("Goal") and label_key("Incident Responses") == label_key("incident response")


def test_only_files_written_to_the_template_answer_and_the_innermost_label_held_wins():
    guide = _chunk(TEMPLATE, "Self-assessment template > Secure development practices")
    internal = _chunk("Widget maintainers talk in Slack.", "Secure Development Practices > Communication Channels > Internal",
                      "assessments/w.md", "assessment")
    channels = _chunk("How to reach us.", "Secure Development Practices > Communication Channels", "assessments/w.md", "assessment")
    metadata = _chunk("| Security Provider? | No. |", "Metadata", "assessments/w.md", "assessment")
    # a page that happens to have an "Internal" heading is not written to the template
    stray = _chunk("Internal notes.", "Handbook > Internal", "docs/h.md", "docs")
    index = LabelIndex([guide, internal, channels, metadata, stray])
    labels = ["Internal", "Communication Channels", "Secure development practices"]
    assert index.answering(labels, guide.meta.source, lambda c: True) == ("Internal", {internal.id})
    assert index.answering(["Security Provider", "Metadata"], guide.meta.source, lambda c: True) == (
        "Security Provider", {metadata.id})
    # nothing admitted (the reader filtered to docs): no section
    assert index.answering(labels, guide.meta.source, lambda c: c.meta.kind == "docs") == ("", set())


def test_text_the_template_gives_to_copy_is_no_prompt():
    # the template's own paragraph, copied into the assessment with the project's name, answers itself:
    # a question restating it is no question for the section it stands in
    copy = "It is not intended to provide a security audit of [project], or function as an independent assessment."
    guide = _chunk(f"* Self-assessment use. {copy}\n* Communication Channels. Where to reach the team.\n"
                   "  * Internal. How do team members communicate with each other?",
                   "Self-assessment template > Self-assessment use")
    use = _chunk("It is not intended to provide a security audit of Widget, or function as an independent assessment.",
                 "Self-assessment Use", "assessments/w.md", "assessment")
    internal = _chunk("Widget maintainers talk in Slack.", "Secure Development Practices > Communication Channels > Internal",
                      "assessments/w.md", "assessment")
    index = LabelIndex([guide, use, internal, _chunk("x", "Metadata", "assessments/w.md", "assessment")])
    assert index.copied(copy, {"assessments/w.md"})
    assert not index.copied("How do team members communicate with each other?", {"assessments/w.md"})
    # a prompt a file keeps as it stands (no place for a name in it) is still a prompt
    kept = _chunk("How do team members communicate with each other? Widget maintainers talk in Slack.",
                  "Secure Development Practices > Communication Channels > Internal", "assessments/w.md", "assessment")
    assert not LabelIndex([guide, kept]).copied("How do team members communicate with each other?", {"assessments/w.md"})
    assert match_template("Have any security audits been performed?", (copy, guide, 0.7), index, lambda c: True) is None
    found = match_template("How do team members communicate?",
                           ("How do team members communicate with each other?", guide, 0.8), index, lambda c: True)
    assert found is not None and found.label == "Internal"


def test_an_outer_heading_answers_only_when_it_speaks_of_the_inner_label_and_an_acronym_label_is_spelled_out():
    audits_prompt = "If any audits already exist, link them here with the appropriate dates."
    sbom_prompt = "Software bill of materials. Link to the libraries, packages, versions used by the project."
    audits = _chunk(f"### Existing Audits\n{audits_prompt}", "Joint assessment > Project Compliance > Existing Audits")
    metadata = _chunk(f"| SBOM | {sbom_prompt} |", "Joint assessment > Metadata", n=1)
    practices = _chunk("Describe the development pipeline.", "Joint assessment > Secure Development Practices", n=2)
    compliance = _chunk("Widget claims no compliance with PCI-DSS.", "Project Compliance", "assessments/w.md", "assessment")
    sbom = _chunk("Each Widget release attaches its SBOM.", "Secure Development Practices > Software Bill of Materials",
                  "assessments/w.md", "assessment", n=1)
    widget_metadata = _chunk("| Website | widget.dev |", "Metadata", "assessments/w.md", "assessment", n=2)
    index = LabelIndex([audits, metadata, practices, compliance, sbom, widget_metadata])
    # "Project Compliance" holds the prompt filed under "Existing Audits" but says nothing of audits: no section
    assert match_template("Which audits exist?", (audits_prompt, audits, 0.8), index, lambda c: True) is None
    said = _chunk("Widget claims no compliance; its 2024 audit is linked below.", "Project Compliance", "assessments/w.md", "assessment")
    found = match_template("Which audits exist?", (audits_prompt, audits, 0.8),
                           LabelIndex([audits, metadata, practices, said, sbom, widget_metadata]), lambda c: True)
    assert found is not None and found.sections == {("assessments/w.md", "Project Compliance")}
    # the row labelled "SBOM" is answered under the heading that spells it out, not by the Metadata table
    found = match_template("Where is the SBOM?", (sbom_prompt, metadata, 0.8), index, lambda c: True,
                           {"sbom": "SBOM software bill of materials"})
    assert found is not None and found.sections == {("assessments/w.md", "Secure Development Practices > Software Bill of Materials")}


def test_a_templates_label_opening_a_question_is_no_name_it_asks_about():
    guide = _chunk("### Predisposing Conditions\nList the conditions that make an attack more likely.",
                   "Joint assessment > Predisposing Conditions")
    index = LabelIndex([guide, _chunk("x", "Metadata", "assessments/w.md", "assessment")])
    question = "Predisposing conditions: which limits of multi-user mode make exposure more likely?"
    assert index.leading_label(question) == "Predisposing conditions: "
    assert index.leading_label("Predisposing Conditions — which limits?") == "Predisposing Conditions — "
    # a label no guide files prompts under, or one not opening the question, is the question's own
    assert index.leading_label("FedRAMP: is Widget authorized?") == ""
    assert index.leading_label("Which predisposing conditions: limits?") == ""


@pytest.fixture(scope="module")
def widget(tmp_path_factory):
    from conftest import store_settings

    from kfqa.ingest import run_ingest

    root = tmp_path_factory.mktemp("widget")
    folder = write_files(root / "corpus", {
        "guides/tag/self-assessment.md": TEMPLATE,
        "assessments/cncf/widget/self-assessment.md": ASSESSMENT,
        "docs/gardening.md": DECOY,
        "docs/widget/keys.md": KEYS,
    })
    settings = store_settings(root / "store", folder)
    report = run_ingest([folder], settings)
    assert not report.failed, report.failed
    return Assistant.open(settings)


@pytest.mark.parametrize(("question", "lead"), [
    ("How do team members communicate with each other?", "Widget maintainers talk in the widget-dev Slack room"),
    ("Is the primary function of the project to support the security of an integrating system?",
     "Security Provider? — No. Widget is not a security provider"),
    # the template asks of "you"; a reviewer names the project
    ("How does Widget communicate with its users?", "Release notes and advisories go out on the widget-announce list"),
])
def test_a_template_prompt_is_answered_from_the_section_filed_under_its_label(widget, question, lead):
    answer = widget.ask(question)
    assert answer.answer.startswith(lead), answer.answer
    assert answer.citations[0].chunk.meta.source == "assessments/cncf/widget/self-assessment.md"
    assert "gardening" not in answer.answer.lower() and "Yes or No" not in answer.answer


def test_without_the_stage_the_page_sharing_the_prompts_words_leads(widget):
    saved = widget.config
    widget.config = saved.without("template-sections")
    try:
        answer = widget.ask("How do team members communicate with each other?")
    finally:
        widget.config = saved
    assert not answer.answer.startswith("Widget maintainers talk"), answer.answer


def test_a_question_pasting_several_prompts_gets_each_prompts_section(widget):
    # as a whole it restates no one prompt; each of its parts restates one
    question = ("Communication Channels. Internal: how do team members communicate with each other? "
                "Inbound: how do users or prospective users communicate with the team?")
    prepared, _ = widget.retrieve(question)
    assert {section for _, section in prepared.template_sections} == {
        "Secure Development Practices > Communication Channels > Internal",
        "Secure Development Practices > Communication Channels > Inbound",
    }
    answer = widget.ask(question)
    assert "widget-dev Slack room" in answer.answer and "widget-users mailing list" in answer.answer, answer.answer
    assert "gardening" not in answer.answer.lower()


def test_a_part_restating_a_prompt_does_not_override_a_heading_the_question_names(widget):
    # the question names the Incident Response section: the whole restates the Internal prompt, and the
    # heading it names vetoes that; its parts are not asked again
    question = "In the Incident Response section of the assessment: how do team members communicate with each other?"
    prepared, _ = widget.retrieve(question)
    assert not any(section.endswith("Internal") for _, section in prepared.template_sections)


def test_a_prompt_pasted_before_a_question_of_the_readers_own_files_nothing(widget):
    # the prompt says where the template files the topic; the question after it asks something else, whose
    # answer is filed elsewhere
    question = ("Incident Response. A description of the defined procedures for triage, confirmation and notification "
                "of a vulnerability or security incident. If a Widget signing key leaks, who rotates the keys?")
    prepared, _ = widget.retrieve(question)
    assert not prepared.template_sections
    answer = widget.ask(question)
    assert answer.answer.startswith("When a Widget signing key leaks"), answer.answer
    saved = widget.config
    widget.config = saved.without("own-question")
    try:
        prepared, _ = widget.retrieve(question)
    finally:
        widget.config = saved
    assert {section for _, section in prepared.template_sections} == {"Security Issue Resolution > Incident Response"}
    # wrapped over lines as pasted, alike
    prepared, _ = widget.retrieve(question.replace(" notification ", "\nnotification  ").replace(" If a ", "\n\nIf a "))
    assert not prepared.template_sections
    # a question restating the prompt in the reader's words keeps it
    question = ("Incident Response. A description of the defined procedures for triage, confirmation and notification "
                "of a vulnerability or security incident. How does Widget triage a reported vulnerability?")
    prepared, _ = widget.retrieve(question)
    assert {section for _, section in prepared.template_sections} == {"Security Issue Resolution > Incident Response"}
