"""Sentence selection on hand-made candidates: what stages novelty and kind-lead change."""

from __future__ import annotations

from kfqa.qa.selection import Candidate, reply_to, select
from kfqa.qa.stages import QAConfig
from kfqa.types import Chunk, ChunkMeta, Retrieved

HIT = Retrieved(Chunk(id="docs/a.md::0123456789ab::0", text="", meta=ChunkMeta(source="docs/a.md", kind="docs")), 1.0)


def _cand(text: str, score: float, asked: dict[str, float], position: int) -> Candidate:
    return Candidate(text, HIT, 0, score=score, terms=set(text.lower().rstrip(".").split()), position=position,
                     asked_terms=asked)


# "Which quokka scored best, and which gaps were common?" -- weights of its terms: quokka, best, gaps
LEAD = _cand("The quokka project scored best of all at 7.7 in the review.", 1.0, {"quokka": 0.3, "best": 0.3}, 0)
AGAIN = _cand("Its best quokka score came from the strong code review rules.", 0.9, {"quokka": 0.3, "best": 0.3}, 2)
GAPS = _cand("Common gaps were token permissions and missing fuzzing everywhere.", 0.8, {"gaps": 0.4}, 4)


def test_novelty_prefers_the_point_that_answers_another_part_of_the_question():
    config = QAConfig(max_points=2, continuation_words=0)
    assert select([LEAD, AGAIN, GAPS], config=config.with_values(novelty_weight=0.3)) == [LEAD, GAPS]
    # off (or at weight 0) the higher-scored repeat of the lead's part wins
    assert select([LEAD, AGAIN, GAPS], config=config.without("novelty").with_values(novelty_weight=0.3)) == [LEAD, AGAIN]
    assert select([LEAD, AGAIN, GAPS], config=config.with_values(novelty_weight=0.0)) == [LEAD, AGAIN]


def test_novelty_lifts_no_point_over_the_support_floor():
    # a new part's sentence under the floor (0.44 < 0.45 of the lead) would outrank the point above it
    # with its novelty (0.44 + 0.3 * 0.4): it stays out, and the selection goes on to the point above it
    below = _cand("Common gaps were token permissions and missing fuzzing everywhere.", 0.44, {"gaps": 0.4}, 4)
    above = _cand("The audit covered six repositories over two months.", 0.5, {"quokka": 0.1}, 6)
    config = QAConfig(max_points=2, continuation_words=0, novelty_weight=0.3, support_floor=0.45)
    assert select([LEAD, above, below], config=config) == [LEAD, above]


# --- stage kind-lead ------------------------------------------------------------------------------------

THREAD = Retrieved(Chunk(id="reviews/pr.json::0123456789ab::0", text="", meta=ChunkMeta(
    source="reviews/pr.json", kind="review", author="reviewer")), 0.9)
GUIDE = Retrieved(Chunk(id="docs/owners.md::0123456789ab::0", text="", meta=ChunkMeta(source="docs/owners.md", kind="docs")), 1.0)


def _said(hit: Retrieved, text: str, score: float, position: int, comment: str, no: int, relevant=True) -> Candidate:
    return Candidate(text, hit, 0, score=score, terms=set(text.lower().split()), position=position,
                     comment=comment, comment_no=no, relevant=relevant)


def _thread():
    # "What did the reviewer ask the authors to add so people know who to contact, and was it done?"
    ask = _said(THREAD, "reviewer (review_comment, 2026-06-18): Can you list a few people to contact?", 0.47, 0,
                "reviewer", 0)
    why = _said(THREAD, "Who would a reader reach out to in two years?", 0.1, 1, "reviewer", 0)
    reply = _said(THREAD, "author (review_comment, 2026-06-19): Sure, added the folks who wrote the doc.", 0.2, 2,
                  "author", 1, relevant=False)
    # a docs sentence sharing the question's words about reviewers and authors scores close
    docs = _said(GUIDE, "Specifying reviewers ensures the author gets actionable feedback from people.", 0.45, 0, "", 0)
    return ask, why, reply, docs


def test_a_question_about_a_review_leads_with_the_reply_then_the_reviewers_words():
    ask, why, reply, docs = _thread()
    config = QAConfig(max_points=3, continuation_words=0)
    chosen = select([ask, docs, why, reply], config=config, kinds=["review"])
    assert chosen[:3] == [reply, ask, why]  # the reply answers, though it holds none of the question's words
    # without the stage, an irrelevant reply doesn't lead while a relevant statement elsewhere exists
    assert select([ask, docs, why, reply], config=config.without("kind-lead"), kinds=["review"])[0] is docs
    # nor when the question asks about no review
    assert select([ask, docs, why, reply], config=config, kinds=["docs"])[0] is docs


def test_the_asked_kind_leads_only_from_a_sentence_close_to_the_best():
    audit = Retrieved(Chunk(id="audits/a.pdf::0123456789ab::0", text="", meta=ChunkMeta(source="audits/a.pdf", kind="audit")), 1.0)
    premise = _said(audit, "Malicious job specs could launch over-privileged pods.", 1.0, 0, "", 0)
    answer = _said(HIT, "The webhooks do not restrict privileged pods; admission policy does.", 0.6, 0, "", 0)
    config = QAConfig(max_points=1, continuation_words=0)
    assert select([premise, answer], config=config, kinds=["docs"]) == [answer]
    assert select([premise, answer], config=config.with_values(kind_lead_floor=0.7), kinds=["docs"]) == [premise]
    assert select([premise, answer], config=config, kinds=["audit"]) == [premise]


# --- lead-in lists ------------------------------------------------------------------------------------


def test_a_lead_in_pointing_back_at_a_chosen_sentence_brings_its_list():
    # "Can I trust the kubeflow-userid header?": the answer's point goes on into "This could be achieved by:",
    # whose own words hold none of the question's terms; the list is how the point is carried out
    point = _cand("Ensure the header is not spoofed by exposing the app only through the gateway.", 1.0, {"header": 0.5}, 0)
    steps = ["Create an AuthorizationPolicy allowing only the gateway.", "Add a DestinationRule requiring mTLS."]
    this = Candidate("This could be achieved by:", HIT, 0, score=0.1, terms={"achieved"}, position=1,
                     listed=steps, relevant=False)
    other = Candidate("Further settings are described by:", HIT, 0, score=0.1, terms={"settings"}, position=1,
                      listed=steps, relevant=False)
    chosen = select([point, this], config=QAConfig(max_points=1))
    assert chosen == [point, this] and this.items == steps
    # a lead-in that doesn't point back and holds no question term stays out with its list
    assert select([point, other], config=QAConfig(max_points=1)) == [point] and other.items == []


def test_examples_of_a_continuation_come_along_with_it():
    # "The primary threat actor is the cluster user." leads; its next sentence comes along as a continuation,
    # and the one after it, "Some examples include:", introduces examples of what that one says
    lead = _cand("The primary threat actor for Trainer is the cluster user.", 1.0, {"actor": 0.5}, 0)
    more = _cand("Cluster users may exploit logical bugs to escalate privileges.", 0.2, {}, 1)
    abuses = ["Privilege Escalation: a user crafts CRDs.", "Cross-Tenant Access: one user reads another's."]
    examples = Candidate("Some examples include:", HIT, 0, score=0.1, terms={"examples"}, position=2,
                         listed=abuses, relevant=False)
    assert select([lead, more, examples], config=QAConfig(max_points=1)) == [lead, more, examples]
    assert examples.items == abuses
    # a lead-in after it that doesn't point back stays out (a continuation's next lead-in comes along only
    # when it points back: its own words may be the question's by chance)
    other = Candidate("Further settings are described by:", HIT, 0, score=0.1, terms={"settings"}, position=2,
                      listed=abuses, relevant=False)
    assert select([lead, more, other], config=QAConfig(max_points=1)) == [lead, more]


def _item(text: str, score: float, position: int, section: str = "Practices", asked: bool = True) -> Candidate:
    hit = Retrieved(Chunk(id="docs/b.md::0123456789ab::0", text="",
                          meta=ChunkMeta(source="docs/b.md", kind="docs", section=section, line_start=10)), 1.0)
    return Candidate(text, hit, 0, score=score, terms=set(text.lower().split()), position=position,
                     asked_terms={"practice": 0.5}, under_asked_heading=asked)


def test_an_item_of_the_asked_sections_list_brings_its_other_items_in_the_lists_order():
    # "Describe the project's supply chain practices" over a list of labelled practices: the heading
    # introduces the list, so its items come along, the best up to section_list_points, in the list's order
    said = ["lock files pin every dependency", "peer review approves each change", "tests run in continuous integration",
            "scanners flag known vulnerabilities", "contributors sign off their commits", "protected branches refuse pushes"]
    items = [_item(f"- **Practice {i}:** {text}.", 1.0 - 0.05 * i, i) for i, text in enumerate(said)]
    shuffled = [items[0], items[3], items[1], items[5], items[2], items[4]]
    config = QAConfig(max_points=2, continuation_words=0, novelty_weight=0.0)
    chosen = select(shuffled, config=config.with_values(section_list_points=5))
    assert chosen[0].text == items[0].text and len(chosen) == 5
    rest = chosen[2:]  # (the two points selection chose, then the list's others by position)
    assert [c.position for c in rest] == sorted(c.position for c in rest)
    # off, or led by a sentence that is no item of the asked section, the answer keeps max_points
    assert len(select(shuffled, config=config.without("section-lists"))) == 2
    other = [_item(c.text, c.score, c.position, asked=False) for c in shuffled]
    assert len(select(other, config=config)) == 2
    # an item of another section takes no extra point
    stray = _item("- **Practice 9:** a practice filed elsewhere.", 0.93, 9, section="Other")
    assert stray not in select([items[0], stray, *items[1:]], config=config)


def test_a_many_part_question_gets_a_point_more_per_part():
    # "Which quokka scored best, and which gaps were common?" asks two things: a point more than one part gets
    third = _cand("Gaps in fuzzing were found in every quokka repository.", 0.7, {"gaps": 0.4, "quokka": 0.3}, 6)
    config = QAConfig(max_points=2, continuation_words=0, novelty_weight=0.0)
    assert select([LEAD, AGAIN, GAPS, third], config=config) == [LEAD, AGAIN]
    assert select([LEAD, AGAIN, GAPS, third], config=config, parts=2) == [LEAD, AGAIN, GAPS]
    assert select([LEAD, AGAIN, GAPS, third], config=config.with_values(points_per_part=2), parts=2) == [LEAD, AGAIN, GAPS, third]
    assert select([LEAD, AGAIN, GAPS, third], config=config.without("part-points"), parts=2) == [LEAD, AGAIN]


def test_the_best_matching_lead_in_brings_its_list():
    # "What cleanup items did the issue raise?": the lead-in holds the question's words, its items don't
    items = ["Fix the broken release link.", "Update the Assessment Stage to Complete."]
    lead_in = Candidate("The issue raised the following cleanup items:", HIT, 0, score=1.0,
                        terms={"issue", "raised", "cleanup", "items"}, position=0, listed=items)
    other = _cand("Cleanup items are tracked in the project board.", 0.6, {"cleanup": 0.3}, 4)
    chosen = select([lead_in, other], config=QAConfig(max_points=2, continuation_words=0))
    assert chosen[0].text == lead_in.text and chosen[0].items == items
    assert lead_in.items == []  # a copy leads: the scored candidate stays as it was read
    # with stage lead-in-lists off, a lead-in without its list says nothing and doesn't lead
    off = select([lead_in, other], config=QAConfig(max_points=2, continuation_words=0).without("lead-in-lists"))
    assert off[0] is other


# --- stage replies: the run of replies ------------------------------------------------------------------


def _run(*comments: tuple[str, str]) -> list[Candidate]:
    """A thread's sentences, one comment per (author, text); each comment opens with its header."""
    out, position = [], 0
    for no, (author, text) in enumerate(comments):
        for i, sentence in enumerate(text.split("|")):
            header = f"{author} (review_comment, 2026-01-0{no + 1}) on x.md: " if i == 0 else ""
            out.append(_said(THREAD, header + sentence.strip(), 0.1, position, author, no))
            position += 1
    return out


def test_the_replies_run_on_until_a_comment_asks_or_quotes_them():
    thread = _run(
        ("alice", "Is the runner trusted?"), ("bob", "Yes, the runner should be trusted by the platform team."),
        ("unknown", "Yes, the runner is the controller itself."), ("unknown", "Thanks.|Can you split the section?"),
        ("dave", "Merged."))
    ask, first, confirm = thread[:3]
    # a comment asking something ends the run before any of its sentences ("Thanks." too), and what follows
    assert reply_to(ask, thread) == [first, confirm]
    later = thread[-1]
    quoting = _said(THREAD, "unknown (review_comment, undated) on x.md: the runner should be trusted by", 0.1, 3,
                    "unknown", 2)
    assert reply_to(ask, [ask, first, quoting, later]) == [first]  # the asker quoting the reply answers it
    short = _said(THREAD, "unknown (review_comment, undated) on x.md: Yes.", 0.1, 3, "unknown", 2)
    assert reply_to(ask, [ask, first, short]) == [first, short]  # "Yes." quotes nothing


def test_a_quoted_comment_point_comes_with_the_comments_short_opening():
    from kfqa.eval.metrics import Hit, check_sentences
    from kfqa.qa.answer_lines import render
    from kfqa.qa.selection import attributed, short_opening

    text = ("bob (review, 2026-06-20): This needs a clearer threat model for the controllers.\n\n"
            "alice (review, 2026-06-23):\nThanks.  This is much improved!\n\n"
            "I think a joint assessment would be a moderate amount of work for the team.")
    hit = Retrieved(Chunk(id="reviews/pr.json::0123456789ab::0", text=text,
                          meta=ChunkMeta(source="reviews/pr.json", kind="review", author="bob")), 1.0)
    point = "I think a joint assessment would be a moderate amount of work for the team."
    # the verdict said before the point: too short to stand alone, it stands with it
    assert short_opening(text, point, comment_no=1) == "Thanks. This is much improved!"
    # ... only with the point of its own comment, just after it
    assert short_opening(text, point, comment_no=0) == ""
    assert short_opening(text, "This needs a clearer threat model for the controllers.") == ""
    later = text + "\n\nA second paragraph follows the verdict here.\n\nAnd the point comes only after that one."
    assert short_opening(later, "And the point comes only after that one.", comment_no=1) == ""
    # a heading, a quote, a form field, a link or a window that starts inside its comment is no opening
    for opening in ("### Status", "> Who runs these?", "**Project Name:** Kubeflow", "Fixes: https://x.io/1", "/hold"):
        odd = f"carol (issue_comment, 2026-06-24):\n{opening}\n\nThe reviewers asked for the fuzzing results first."
        assert short_opening(odd, "The reviewers asked for the fuzzing results first.") == "", opening
    continued = "carol (issue description, 2026-06-24) (continued):\nThanks!\n\nThe reviewers asked for results first."
    assert short_opening(continued, "The reviewers asked for results first.") == ""
    [said] = attributed([Candidate(point, hit, 0, comment="alice", comment_no=1)])
    assert (said.said_by, said.opening) == ("alice", "Thanks. This is much improved!")
    answer = render([said]).answer
    assert answer.startswith("alice: Thanks [1]. This is much improved [1]! I think a joint assessment"), answer
    # each sentence carries its marker and every word is in the cited passage
    assert all(c.supported for c in check_sentences(answer, {1: Hit("reviews/pr.json", text)}))


# --- sections the question names, each its own -------------------------------------------------------------


def _under(section: str, text: str, score: float, asked: dict[str, float]) -> Candidate:
    hit = Retrieved(Chunk(id=f"sa.md::0123456789ab::{section}", text="", meta=ChunkMeta(
        source="sa.md", kind="assessment", section=f"Communication Channels > {section}")), 1.0)
    return Candidate(text, hit, 0, score=score, terms=set(text.lower().split()), under_asked_heading=True,
                     asked_terms=asked)


def test_a_point_under_another_named_section_is_no_repeat_of_the_lead():
    """"Describe the internal, inbound and outbound channels": the Internal and Inbound points share most
    words ("Kubeflow projects have a dedicated CNCF Slack channel ..."), yet each answers its own section;
    the same words in one section would be a repeat."""
    inbound = _under("Inbound", "kubeflow projects have dedicated cncf slack channels for users", 1.0, {"inbound": 0.3})
    internal = _under("Internal", "kubeflow projects have dedicated cncf slack channels for developers", 0.9, {"internal": 0.3})
    chosen = select([inbound, internal], config=QAConfig())
    assert [c.text for c in chosen] == [inbound.text, internal.text]
    again = _under("Inbound", internal.text, 0.9, {"inbound": 0.3})
    assert [c.text for c in select([inbound, again], config=QAConfig())] == [inbound.text]


# --- stage identifier-voices ----------------------------------------------------------------------------

def test_each_kind_of_source_naming_the_asked_identifier_is_heard_by_its_naming_sentence():
    from kfqa.qa.score_moves import identifier_voices
    audit = Retrieved(Chunk(id="audits/a.pdf::0123456789ab::0", text="", meta=ChunkMeta(source="audits/a.pdf", kind="audit")), 1.0)
    lead = _said(audit, "ADA-KUBEFL-04 reads whole objects into memory.", 1.0, 0, "", 0)
    # the thread's best sentence names no finding; its sentence naming the asked one is the voice
    busy = _said(THREAD, "The pipelines server was rebuilt last spring for other reasons.", 0.55, 0, "", 0)
    naming = _said(THREAD, "ADA-KUBEFL-04 was fixed in pipelines#12394.", 0.35, 1, "", 0)
    weak = _said(GUIDE, "ADA-KUBEFL-04 is listed among the findings.", 0.2, 0, "", 0)
    candidates = [lead, busy, naming, weak]
    voices = identifier_voices(candidates, ["ADA-KUBEFL-04"], floor=0.3)
    assert voices == [lead, naming]  # (the docs sentence scores under the floor)
    config = QAConfig(max_points=1, continuation_words=0)
    assert select(candidates, config=config, voices=voices) == [lead, naming]
    assert select(candidates, config=config) == [lead]
