"""Each loader fills the structural chunk metadata (kfqa.types.ChunkMeta) that qa reads as fields:
window, section_key, section_window, continued, lead_chars and, for review comments, author, date,
comment_type, comment_id and reply_to. Checked per format on real loaders, real tokenizer counts."""

from __future__ import annotations

import json
import re

import pytest
from pdf_helpers import make_pdf, with_outline

from kfqa.config import BUNDLED_CORPUS
from kfqa.ingest.chunks import build_chunks
from kfqa.ingest.loaders import load_file
from kfqa.ingest.markdown_blocks import markdown_blocks
from kfqa.ingest.markdown_loader import load_markdown
from kfqa.ingest.pdf_loader import load_pdf
from kfqa.ingest.review_loader import group_conversations, load_review
from kfqa.ingest.sources import SourceInfo

WORDS = "controller namespace profile webhook token secret pipeline notebook katib operator".split()


def sentence(n: int) -> str:
    """A distinct sentence of about 20 words (so a few dozen of them fill several windows)."""
    words = [WORDS[(n * 7 + k) % len(WORDS)] for k in range(16)]
    return f"Item {n} says the {' '.join(words)} stays isolated."


def markdown_doc() -> str:
    items = "\n".join(f"- {sentence(n)}" for n in range(30))
    rows = "\n".join(f"| row {n} | {sentence(100 + n)} |" for n in range(30))
    return (
        "---\ntitle: Structured\n---\n# Structured\n\nIntro paragraph. It has two sentences.\n\n"
        f"## Controls\n\nThe controls are:\n\n{items}\n\n## Matrix\n\n| name | what |\n| --- | --- |\n{rows}\n"
    )


def _sections(drafts):
    """Runs of consecutive drafts with one section key."""
    runs: list[list] = []
    for d in drafts:
        if runs and runs[-1][-1].section_key == d.section_key:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def test_markdown_windows_carry_section_position_and_continuation():
    text = markdown_doc()
    drafts = load_markdown(text, "structured.md").drafts
    runs = _sections(drafts)
    assert [r[0].section_key for r in runs] == ["Structured", "Structured > Controls", "Structured > Matrix"]
    for run in runs:
        assert [d.section_window for d in run] == list(range(len(run)))
        assert all(d.section_key == d.section for d in run)
    controls, matrix = runs[1], runs[2]
    assert len(controls) >= 3 and len(matrix) >= 3  # the list and the table each span windows
    assert not controls[0].continued and not matrix[0].continued  # they start at their heading
    for d in controls[1:]:  # every later window of the list starts at a later item of it
        assert d.continued and re.match(r"- Item ([1-9]|[12]\d) ", d.text), d.text[:40]
    for d in matrix[1:]:
        assert d.continued and d.text.startswith("| row ")
    for d in drafts:  # verbatim slices, true line numbers, no added lead
        assert d.lead_chars == 0 and not d.author
        start = text.index(d.text)
        assert text.count("\n", 0, start) + 1 == d.line_start
        assert text.count("\n", 0, start + len(d.text) - 1) + 1 == d.line_end


def test_plain_text_windows_have_an_empty_section_key():
    text = "\n\n".join(sentence(n) for n in range(40))
    drafts = load_file(text.encode(), "text", "notes.txt", "").drafts
    assert len(drafts) >= 3
    assert [d.section_window for d in drafts] == list(range(len(drafts)))
    assert {d.section_key for d in drafts} == {""}
    assert not any(d.continued for d in drafts)  # paragraphs are whole units: windows start at one


def test_build_chunks_copies_the_fields_and_numbers_the_windows():
    drafts = load_markdown(markdown_doc(), "structured.md").drafts
    info = SourceInfo(path="structured.md", kind="docs")
    pending = build_chunks("structured.md", info, "ab" * 32, "Structured", drafts, "")
    for i, (chunk, d) in enumerate(zip(pending.chunks, drafts, strict=True)):
        m = chunk.meta
        assert chunk.id.endswith(f"::{i}") and m.window == i
        assert (m.section_key, m.section_window, m.continued, m.lead_chars) == (
            d.section_key,
            d.section_window,
            d.continued,
            d.lead_chars,
        )


def review_thread() -> dict:
    long_body = "\n\n".join(sentence(200 + n) for n in range(30))
    return {
        "kind": "pull_request",
        "number": 7,
        "title": "Self-assessment",
        "author": "opener",
        "created_at": "2025-01-02T03:04:05Z",
        "body": "Please review the assessment.",
        "comments": [
            {"id": "11", "type": "review", "author": "alice", "created_at": "2025-01-03", "body": long_body},
            {
                "id": "12",
                "type": "review_comment",
                "author": "bob",
                "created_at": "2025-01-04",
                "body": "Which controller owns this?",
                "path": "doc.md",
                "line": 5,
                "diff_hunk": "@@ x",
            },
            {
                "id": "13",
                "type": "review_comment",
                "author": "carol",
                "created_at": "2025-01-05",
                "body": "The notebook controller does.",
                "in_reply_to": "12",
                "path": "doc.md",
                "line": 5,
            },
            {
                "id": "14",
                "type": "issue_comment",
                "author": "dave",
                "created_at": "2025-01-06",
                "body": "LGTM",
            },
        ],
    }


def test_review_windows_name_the_comment_they_start_with():
    thread = review_thread()
    drafts = load_review(json.dumps(thread), "reviews/pr-7.json", "").drafts
    runs = _sections(drafts)
    for run in runs:
        assert [d.section_window for d in run] == list(range(len(run)))
    desc = runs[0][0]
    assert desc.comment_type == "description" and desc.author == "opener"
    assert desc.date == "2025-01-02T03:04:05Z" and desc.comment_id == "" and desc.reply_to == ""
    alice = next(r for r in runs if r[0].author == "alice")
    assert len(alice) >= 3
    body = thread["comments"][0]["body"]
    for k, d in enumerate(alice):
        assert (d.comment_type, d.comment_id, d.date) == ("review", "11", "2025-01-03")
        assert d.continued == (k > 0)
        if k:  # the repeated header is ingest's, the rest is the comment's own text
            assert d.text[: d.lead_chars].endswith("(continued):\n")
            assert d.text[d.lead_chars :] in body
        else:
            assert d.lead_chars == 0 and d.text.startswith("alice (review, 2025-01-03):\n")
    conversation = next(r for r in runs if r[0].author == "bob")
    assert len(conversation) == 1  # the reply joins the conversation of the comment it answers
    only = conversation[0]
    assert (only.comment_id, only.reply_to, only.comment_type) == ("12", "", "review_comment")
    assert "carol (review_comment, 2025-01-05)" in only.text
    lone = next(r for r in runs if r[0].author == "dave")[0]
    assert (lone.comment_type, lone.comment_id, lone.continued) == ("issue_comment", "14", False)


def test_review_window_starting_at_a_reply_names_what_it_answers():
    thread = review_thread()
    thread["comments"][2]["body"] = "\n\n".join(sentence(300 + n) for n in range(30))
    drafts = load_review(json.dumps(thread), "reviews/pr-7.json", "").drafts
    replies = [d for d in drafts if d.comment_id == "13"]
    assert replies and all(d.reply_to == "12" and d.author == "carol" for d in replies)
    # the conversation opens with bob's question, so carol's windows start inside her reply
    assert drafts[drafts.index(replies[0]) - 1].comment_id == "12"
    assert all(d.continued and d.text[: d.lead_chars].startswith("carol (review_comment") for d in replies)


def test_pdf_finding_running_onto_the_next_page_is_one_section():
    body = [sentence(400 + n) for n in range(12)]
    pdf = make_pdf(
        [
            ["Finding 1: Weak tokens", *body[:6]],
            body[6:],  # no heading on this page: the finding goes on
            ["Finding 2: Open port", "The port is open to the world."],
        ],
        title="Audit",
    )
    drafts = load_pdf(pdf, "audit.pdf").drafts
    first = [d for d in drafts if d.section_key == "Finding 1: Weak tokens"]
    assert {d.page for d in first} == {1, 2}
    assert [d.section_window for d in first] == list(range(len(first)))
    assert drafts.index(first[-1]) - drafts.index(first[0]) == len(first) - 1  # one contiguous run
    assert first[-1].section == "Page 2 > Finding 1: Weak tokens"
    second = [d for d in drafts if d.section_key == "Finding 2: Open port"]
    assert [d.section_window for d in second] == [0] and second[0].page == 3
    assert all(d.lead_chars == 0 and not d.author for d in drafts)


@pytest.mark.parametrize("first_line", ["10 / 10 Dependency-Update-Tool High", "22 return username", ")"])
def test_a_page_going_on_with_a_table_row_or_code_keeps_the_heading_before_it(first_line):
    body = [sentence(500 + n) for n in range(4)]
    pdf = make_pdf([["Scorecard", *body[:2]], [first_line, *body[2:]], ["3.1 Open port", "The port is open."]])
    drafts = load_pdf(pdf, "audit.pdf").drafts
    assert [d.section for d in drafts if d.page == 2] == ["Page 2 > Scorecard"]
    assert drafts[-1].section == "Page 3 > 3.1 Open port"  # a numbered heading is one


def _pdf_sections(pdf: bytes) -> list[tuple[int, str]]:
    return [(d.page, d.section) for d in load_pdf(pdf, "audit.pdf").drafts]


def test_a_pdf_outline_gives_sections_mid_page_under_their_parents():
    body = [sentence(600 + n) for n in range(6)]
    pdf = make_pdf([
        ["Scorecard", body[0], "Katib (6.5/10)", body[1], "Model Registry", "(7.7/10)", body[2]],
        ["10 / 10 Fuzzing Medium", body[3], "Threat model", body[4]],
        ["A page whose bookmark title is not printed", body[5]],
    ])
    pdf = with_outline(pdf, [(0, "Scorecard", 0), (1, "Katib (6.5/10)", 0), (1, "Model Registry (7.7/10)", 0),
                             (0, "Threat model", 1), (1, "Unprinted", 2)])
    drafts = load_pdf(pdf, "audit.pdf").drafts
    assert [(d.page, d.section) for d in drafts] == [
        (1, "Page 1 > Scorecard"),
        (1, "Page 1 > Scorecard > Katib (6.5/10)"),
        (1, "Page 1 > Scorecard > Model Registry (7.7/10)"),  # its title wraps: found by its lines
        (2, "Page 2 > Scorecard > Model Registry (7.7/10)"),  # goes on over the page
        (2, "Page 2 > Threat model"),
        (3, "Page 3 > Threat model > Unprinted"),  # not printed: starts at the top of its page
    ]
    assert drafts[1].text.startswith("Katib (6.5/10)") and body[1] in drafts[1].text and body[2] not in drafts[1].text
    assert [d.section_window for d in drafts[2:4]] == [0, 1] and drafts[3].section_key == "Scorecard > Model Registry (7.7/10)"
    pages = [p.extract_text() for p in __import__("pypdf").PdfReader(__import__("io").BytesIO(pdf)).pages]
    for n in range(3):  # verbatim slices that together hold each page's text
        texts = [d.text for d in drafts if d.page == n + 1]
        assert all(t in pages[n] for t in texts) and " ".join(texts).split() == pages[n].split()


def test_outline_titles_are_found_whatever_order_the_outline_lists_them_in():
    body = [sentence(620 + n) for n in range(6)]
    page = ["Alpha", body[0], "Beta", body[1], "Finding 1", "Details", body[2], "Finding 2", "Details", body[3],
            "Threat model", body[4], "Threat model for Trainer", body[5]]
    marks = [(0, "Beta", 0), (0, "Alpha", 0),  # out of reading order
             (0, "Finding 1", 0), (1, "Details", 0), (0, "Finding 2", 0), (1, "Details", 0),  # the same title twice
             (0, "Threat model", 0), (1, "Threat model for Trainer", 0),  # a parent's line is no prefix of its child
             (0, "Not printed anywhere", 0)]  # passed over: other bookmarks start the page's sections
    assert [s for _, s in _pdf_sections(with_outline(make_pdf([page]), marks))] == [
        "Page 1 > Alpha", "Page 1 > Beta", "Page 1 > Finding 1", "Page 1 > Finding 1 > Details", "Page 1 > Finding 2",
        "Page 1 > Finding 2 > Details", "Page 1 > Threat model", "Page 1 > Threat model > Threat model for Trainer"]


def test_pages_no_bookmark_starts_keep_their_own_headings_under_the_outline():
    body = [sentence(640 + n) for n in range(4)]
    pdf = make_pdf([["Cover page", body[0]], ["Attack Surfaces", body[1]], [], ["Appendix", body[2]], ["Appendix B", body[3]]])
    # a sparse outline: a cover, and a bookmark on a page with no text, whose section the next page goes on with
    pdf = with_outline(pdf, [(0, "Cover page", 0), (0, "Appendix B", 2)])
    assert _pdf_sections(pdf) == [(1, "Page 1 > Cover page"), (2, "Page 2 > Cover page > Attack Surfaces"),
                              (4, "Page 4 > Appendix B > Appendix"), (5, "Page 5 > Appendix B > Appendix B")]


def test_bookmark_titles_are_cleaned_into_headings():
    pdf = with_outline(make_pdf([["Scope", sentence(660)], ["Notes", sentence(661)]]),
                       [(0, "Sc\x1b[8mope\u202e", 0), (0, "", 1), (1, "A > B", 1)])
    assert _pdf_sections(pdf) == [(1, "Page 1 > Scope"), (2, "Page 2 > A / B")]  # an untitled entry's children are its parent's


def test_a_broken_or_huge_outline_costs_only_its_headings(monkeypatch):
    from pypdf import PdfReader

    from kfqa.ingest import pdf_loader, pdf_outline

    pages = [["Finding 1: Weak tokens", sentence(700)], ["Finding 2: Open port", sentence(701)]]
    first_lines = ["Finding 1: Weak tokens", "Finding 2: Open port"]
    many = with_outline(make_pdf(pages), [(0, f"Entry {i}", i % 2) for i in range(50)])
    assert len(pdf_loader.read_pdf(many).bookmarks) == 50
    monkeypatch.setattr(pdf_outline, "MAX_BOOKMARKS", 49)  # more than it reads: not built at all
    monkeypatch.setattr(PdfReader, "outline", property(lambda self: pytest.fail("the outline was built")))
    assert pdf_loader.read_pdf(many).bookmarks == []
    assert [d.section_key for d in load_pdf(many, "audit.pdf").drafts] == first_lines  # pages' first lines instead

    class Broken:  # an outline pypdf cannot read
        def __iter__(self):
            raise ValueError("bad /Outlines")

    monkeypatch.setattr(pdf_outline, "MAX_BOOKMARKS", 2_000)
    monkeypatch.setattr(PdfReader, "outline", property(lambda self: Broken()))
    assert [d.section_key for d in load_pdf(many, "audit.pdf").drafts] == first_lines


def test_bundled_audit_sections_are_keyed_without_the_page():
    path = BUNDLED_CORPUS / "audits/kubeflow/ada-logics-security-audit-2025.pdf"
    drafts = load_pdf(path.read_bytes(), path.name).drafts
    spanning = 0
    for prev, d in zip(drafts, drafts[1:], strict=False):
        assert not d.section_key.startswith("Page ") or d.section_key == f"Page {d.page}"
        if d.section_key == prev.section_key:
            assert d.section_window == prev.section_window + 1
            spanning += d.page != prev.page
        else:
            assert d.section_window == 0
    assert spanning >= 3  # findings do run over pages in the audit
    # its outline files each project's scorecard and threat model under its own heading, mid-page too
    held = {d.section_key for d in drafts if "Model Registry was the highest scoring project" in d.text}
    assert held == {"Scorecard > Model Registry (7.7/10)"}
    assert "Threat model > Trainer" in {d.section_key for d in drafts if d.page == 23}


def reply_chain(n: int) -> bytes:
    """A thread whose n comments each answer the one before, listed newest first."""
    comments = [
        {
            "id": str(i),
            "type": "review_comment",
            "author": f"user{i % 7}",
            "created_at": "2025-01-01",
            "body": f"Reply {i}: the controller is fine.",
            **({"in_reply_to": str(i - 1)} if i else {}),
        }
        for i in range(n)
    ]
    return json.dumps({"kind": "pull_request", "number": 1, "title": "Chain", "comments": comments[::-1]}).encode()


def test_a_20000_reply_chain_loads_into_one_conversation():
    drafts = load_file(reply_chain(20_000), "review", "reviews/chain.json", "").drafts
    assert {d.section_key for d in drafts} == {drafts[0].section_key}
    assert drafts[0].comment_id == "19999"  # the thread lists the newest first; the group keeps that order
    texts = "".join(d.text for d in drafts)
    assert "Reply 0: the controller is fine." in texts and "Reply 19999:" in texts
    assert [d.section_window for d in drafts] == list(range(len(drafts)))


def test_reply_cycles_and_missing_parents_do_not_loop():
    comments = [
        {"id": "a", "body": "First.", "in_reply_to": "b"},
        {"id": "b", "body": "Second.", "in_reply_to": "a"},  # a cycle
        {"id": "c", "body": "Third.", "in_reply_to": "c"},  # answers itself
        {"id": "d", "body": "Fourth.", "in_reply_to": "gone"},  # its parent isn't in the capture
    ]
    groups, missing = group_conversations(comments)
    assert [[c["id"] for c in g] for g in groups] == [["a", "b"], ["c"], ["d"]] and missing == {"gone"}
    loaded = load_review(json.dumps({"title": "Loops", "comments": comments}), "reviews/loops.json", "")
    assert "First." in loaded.drafts[0].text and "Second." in loaded.drafts[0].text
    assert any("gone" in w for w in loaded.warnings)


def test_markdown_blocks_follow_commonmark():
    text = (
        "# Guide\n\n"
        "* **Goal.**\n\n    The goal is isolation. Each tenant has a namespace.\n"
        "  * nested detail\n"
        "* Second item\r\n\r\n"
        "~~~sh\n```\n# not a heading\n~~~\n\n"
        "Heading in setext\n-----------------\n\nClosing words.\n"
    )
    blocks = list(markdown_blocks(text, 0, len(text)))
    spans = [(b.kind, text[b.start : b.end], b.cont) for b in blocks]
    assert spans == [
        ("heading", "# Guide", False),
        ("item", "* **Goal.**\n\n    The goal is isolation. Each tenant has a namespace.", False),
        ("item", "  * nested detail", True),
        ("item", "* Second item", True),
        ("code", "~~~sh\n```\n# not a heading\n~~~", False),
        ("heading", "Heading in setext\n-----------------", False),
        ("para", "Closing words.", False),
    ]
    assert [b.title for b in blocks if b.kind == "heading"] == ["Guide", "Heading in setext"]
    drafts = load_markdown(text, "guide.md").drafts
    assert [d.section for d in drafts] == ["Guide", "Guide > Heading in setext"]
    assert "# not a heading" in drafts[0].text
    lines = text.split("\n")
    for d in drafts:  # line numbers of the original text, CRLF or not
        assert d.text.split("\n")[0] == lines[d.line_start - 1].rstrip("\r")
        assert d.text.split("\n")[-1] == lines[d.line_end - 1].rstrip("\r")


def test_a_window_cut_from_inside_a_long_code_block_is_marked_and_quotes_no_code():
    """A listing longer than a window is cut into windows holding no fence; ingest marks each window that
    opens inside it (ChunkMeta.opens_in_code), so no line of code is quoted as a sentence, while the prose
    after the closing fence still is."""
    from kfqa.qa.sentences import answerable_sentences
    from kfqa.types import Chunk, ChunkMeta

    code = "\n\n".join(f'        # step {i}: if we were NOT redirected, the login credentials were probably invalid\n'
                       f'        if len(resp.history) == {i}:\n            raise RuntimeError(\n'
                       f'                f"Login credentials are probably invalid - "\n            )' for i in range(40))
    text = (f"# Guide\n\nThe following Python code authenticates with Dex:\n\n```python\n{code}\n```\n\n"
            "After the script runs, the client holds a session cookie for the dashboard.\n")
    drafts = load_markdown(text, "guide.md").drafts
    inside = [d for d in drafts if d.opens_in_code]
    assert inside and all("```" not in d.text.split("\n")[0] for d in inside)
    assert not drafts[0].opens_in_code
    said = [s for i, d in enumerate(drafts) for s in answerable_sentences(
        Chunk(f"guide.md::0123456789ab::{i}", d.text, ChunkMeta(source="guide.md", kind="docs", opens_in_code=d.opens_in_code)))]
    assert not any("RuntimeError" in s for s in said), said
    assert any(s.startswith("After the script runs") for s in said)
