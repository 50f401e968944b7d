"""The question path as named stages, and every constant they use in one typed config.

A question goes through these stages in order; each can be switched off (``kfqa eval --ablate
STAGE[,STAGE]``, ``QAConfig.without``) so the eval report shows what each one is worth. Stages
that are the path itself (candidate retrieval fusion, sentence selection, composition) are not
switchable; the rules layered on them are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from kfqa.types import KfqaError

# name -> what the stage does (the order is the order a question meets them)
STAGES: dict[str, str] = {
    "expand": "query preparation: typo fixes, abbreviations (the corpus's own and general ones), clipped words (\"perms\": permission), names",
    "synonyms": "query preparation: a word readers ask with for what documentation says in other words (\"login\", \"creds\": \"username password\") is searched with those words too, which score no sentence",
    "identifiers": "candidates: passages naming an identifier whose title the question describes (a finding's) join",
    "identifier-groups": "candidates: a question naming a value several identifiers' titles share (\"rated Critical\") gets the passages naming each of them, of the kinds of source it asks about",
    "setting-statements": "query preparation: a first-person statement naming only kinds of source (\"I'm going through the self-assessment for the TAG review.\") is no part of the question",
    "parts": "query preparation: each part of a many-part question searched on its own too",
    "generalize": "query preparation: the question without its names searched too (a general passage can answer)",
    "linked-threads": "candidates: the threads that say they fix, close or resolve a best-ranked issue or PR (\"Fixes: #991\") join",
    "anchor-links": "candidates: the sections the best passages link to on their own page (\"see [Current Limitations](#current-limitations)\") join",
    "section-join": "candidates: passages under a section the question names by its heading and its parent's (\"the actors in Kubeflow Pipelines\") join, and the parent gets no section prior",
    "project-search": "candidates: a question naming several projects searches each one's sources on its own too",
    "ranked-join": "candidates: a question asking which scored best or worst, over sibling sections whose headings carry a score (\"Katib (6.5/10)\"), gets the highest and lowest of the group its best passages belong to (what ranked-sections quotes)",
    "template-sections": "candidates and prior: a question in a template prompt's words gets the project's section filed under that prompt's label (text the template gives to copy, which the project's file holds as it stands, is no prompt; a heading further out than the prompt's own label answers only when it speaks of what that label names; an acronym label, \"SBOM\", is also read spelled out)",
    "own-question": "template-sections: a prompt pasted before a question of the reader's own that restates no prompt files nothing: the question asks, and its answer may be filed anywhere",
    "other-identifiers": "sentence selection: a question writing numbered items (\"ADA-KUBEFL-12\") is not answered by a sentence naming only other items of their scheme (the findings table's row for ADA-KUBEFL-09), nor by a lead-in whose list names only such",
    "heading-terms": "sentence scoring: a sentence holds the question's words its section's heading path holds, at heading_share of their weight (a point under \"Kubeflow Community Distribution > kubectl port-forwarding\" is about that distribution); not under a heading the question asks for, nor from the document's title, a review thread's path or a person's name",
    "setting-lines": "sentence scoring: a line of a passage's code block setting a key the question writes (a specific term: \"expirationSeconds: 7200\", \"audience: pipelines.kubeflow.org\") is a candidate, quoted as a code line: a setting's value is said there and nowhere in prose",
    "list-windows": "sentence selection: a passage whose lead-in's list runs on past its end (\"... security properties:\" and the first of three items) is read on into the next windows of its section while they go on with the list",
    "forward-lead-ins": "sentence selection: a sentence that ends its line and points at what follows (\"... in the table below.\", \"... as follows.\") is a lead-in, as one ending on a colon is (in a PDF's text, when it names a table or the lines after it are marked)",
    "item-sentences": "sentence selection: a list item is quoted to its first sentence, and on with a later sentence of it holding a specific term of the question the quote lacks (\"The default value is `false`\" for a question asking the default)",
    "template-nearest": "sentence selection: beside the section a restated template prompt is filed under, the lead-in of the same document elsewhere nearest the question in meaning, when at least template_nearest near, with its list (a project's statement of what the prompt asks: \"Kubeflow aims to provide the following security properties:\")",
    "dense": "candidate retrieval: dense vectors (Chroma)",
    "bm25": "candidate retrieval: BM25",
    "navigation": "candidates: a table of contents (under a Contents heading, or lines ending in page numbers) is no answer",
    "phrasal-compounds": "rerank and sentence scoring: a question's closed compound (\"login\", \"setup\") is held by a sentence writing it open (\"log in\", \"set up\")",
    "term-rerank": "rerank: passages holding more of the question's specific terms move up (a history question's words naming revisions, \"the first draft\", \"changed\", count for none)",
    "quoted-phrases": "candidates and rerank: passages holding a phrase the question quotes, as it stands, join and move up",
    "aspects": "prior and sentence selection: a subject a document treats aspect by aspect (a component's actors, actions, score and threat model) names none of those sections alone, only with the aspect's heading; named so, its section is asked for, not the aspect's section above it",
    "source-prior": "prior: the kinds, projects, sections and revisions the question names; kind prior; a question naming projects reads theirs and Kubeflow's sources only (theirs alone when it asks what their own documents say and names nothing of Kubeflow's)",
    "thread-references": "prior (with source-prior) and sentence selection: a question naming a review thread by its number (\"cncf/toc#2201\", \"PR 996\", \"issue #992\", each of \"PRs 975, 980 and 994\"), or by its repository, kind and title (\"the kubeflow self-assessment pr\" on the TOC's repository, when one thread of it fits), reads that thread first, and the words naming it count for each of its sentences (its own passages never write its number; a thread linking to it does)",
    "document-prior": "prior: a file's best hit lifts its other hits",
    "feedback": "pseudo-relevance feedback: the best passages' telling terms searched for again (BM25)",
    "merge": "neighbouring windows of one section read as one passage",
    "premise-terms": "sentence selection and answerability: a term only the statements setting a question up hold (not the question's own words, nor what its abbreviations stand for) weighs premise_weight of its own (the question, not its premise, is what an answer answers)",
    "sentence-similarity": "sentence selection: the best few sentences reranked by similarity to the question",
    "document-names": "sentence selection: the question's words naming a document (its file name's: \"the Ada Logics 2025 audit\") count for each of its sentences alike",
    "identifier-pages": "sentence selection: a passage naming one identifier only, in its first lines, one the question writes or describes by its title (a finding's own page: \"ID ADA-KUBEFL-09\"), is about it: each of its sentences holds the identifier's words and its heading's, and so does each passage going on under that heading (the finding's next page)",
    "identifier-lift": "sentence selection: a sentence naming an identifier the question describes or names a group of (\"which findings were rated Critical\") scores identifier_boost times",
    "section-expand": "small-to-big: the best passages read on into the windows around them in their section",
    "lead-in-windows": "small-to-big: for a question restating a template prompt, a passage opening in the middle of a list reads back to the window of its lead-in (what the project states under the prompt is introduced: \"Kubeflow aims to provide the following ...\")",
    "subsections": "small-to-big: section-expand reads on into the section's subsections, which are part of it",
    "component-focus": "sentence selection: a question naming a component is answered from its passages or general ones; a sentence under another component's section or page yields",
    "template-siblings": "sentence selection: beside the section a restated template prompt is filed under (\"Internal\"), a sibling section the question names by its heading (\"outbound\") is asked for alike",
    "release-focus": "prior (with source-prior) and sentence selection: a question naming a release (\"Kubeflow Community Distribution 26.03\") is answered from its passages or general ones; a passage, and a sentence, under another release's page or section (\"... 1.9.1 > Dependency Versions\") yields",
    "value-lift": "sentence selection: a question asking for a value (\"how many\", \"which version\") hears first from a relevant sentence stating one of that kind (\"17 GitHub workflows lacked ...\" before \"Several workflows also lacked ...\"): its score is value_boost times, which also weighs on which sentences answerability reads",
    "point-relevance": "sentence selection: each supporting point holds a specific term of the question beyond its heading's",
    "lead-in-lists": "sentence selection: a lead-in brings the list it introduces (when its items are relevant, it best matches the question, or it points back at a chosen sentence)",
    "section-lists": "sentence selection: a lead that is an item of a list under the heading the question asks for brings the list's other items as points (the heading introduces them)",
    "speaker": "sentence selection: a question naming a person of the review threads hears first from what they wrote, not from comments naming them",
    "speaker-prior": "prior: the review threads' passages opening with a comment by a person the question asks what they said move up (one of source-prior's priors: off with it)",
    "speaker-words": "sentence selection: the words naming a person of the review threads count for no sentence only naming them (\"Thanks to @JustinCappos for the review\" is no criticism of his); asked what someone said, each sentence they wrote holds them, and their own best relevant sentence leads",
    "replies": "sentence selection: a reviewer's question leads with the reply that answers it",
    "kind-lead": "sentence selection: the lead comes from the kind of source the question asks about (a review: the reviewer's words and the reply)",
    "part-points": "sentence selection: a many-part question gets a supporting point more per part beyond the first",
    "novelty": "sentence selection: a supporting point holding question terms no chosen point holds gains on one repeating them",
    "facets": "sentence selection: each kind of source the question names gets a relevant sentence",
    "identifier-voices": "sentence selection: each kind of source that writes an identifier the question writes (\"ADA-KUBEFL-13\": the audit that found it, the thread that settled it) no chosen sentence comes from gets its best relevant statement naming it, if it scores voice_floor of the best",
    "see-links": "composition: a chosen sentence that sends the reader to a section of its own page (\"see [Current Limitations](#current-limitations)\") is followed by that section's first statement, with its list",
    "outline-moves": "composition: a history question naming sections of a revised document (or asking about its sections) hears, after the lead, where each that moved sat in each revision: the revisions' table-of-contents lines, each under the entry it nests in",
    "ranked-sections": "composition: a question asking which scored best or worst, over sibling sections whose headings carry a score (\"Katib (6.5/10)\"), leads with the highest and lowest headings",
    "attribution": "composition: a review comment's sentence that doesn't open it is said by its author (\"franciscojavierarceo: Added the ... PDF\"), once per comment quoted, after the comment's short opening (\"Thanks. This is much improved!\")",
    "answerability": "decline when no retrieved sentence answers the question, or what it asks names something the project's sources never mention",
    "rare-word-meaning": "answerability: a rare word the sources never hold (no word of the model's vocabulary) declines the question unless it carries almost none of the question's meaning (rare_importance: \"payout\" carries it; \"gotcha\", \"vouch\" don't)",
    "absent-words": "answerability: a common word of the question the project's sources never hold, and that carries the question's meaning (leaving it out moves the question's vector), declines it (\"bounty\")",
    "revision-words": "answerability: in a history question, a word naming a change between revisions (\"reorganised\", \"restructured\") is no name the sources must hold",
    "answer-type": "decline a question asking for a value (a number, date, version, ...) when no candidate sentence states one",
    "identifier-values": "answer-type: a question about identified items (\"ADA-KUBEFL-08's scores\") gets its value only from a passage naming one of them",
}


# Stages and constants that act after retrieval: configs differing only in these share their retrieval.
ANSWER_STAGES = frozenset({"value-lift", "heading-terms", "setting-lines", "list-windows", "item-sentences", "forward-lead-ins", "other-identifiers", "template-nearest", "attribution", "ranked-sections", "outline-moves", "see-links", "sentence-similarity", "document-names", "identifier-pages", "identifier-lift", "component-focus", "template-siblings", "point-relevance", "premise-terms", "section-lists", "speaker", "speaker-words", "part-points", "novelty", "lead-in-lists", "replies", "kind-lead", "facets", "identifier-voices",
                           "answerability", "absent-words", "rare-word-meaning", "revision-words", "answer-type", "identifier-values"})
ANSWER_FIELDS = frozenset({
    "passages_read", "heading_share", "document_name_df", "document_name_words", "identifier_boost", "value_boost", "max_points", "points_per_part", "section_list_points", "template_nearest", "premise_weight", "passage_floor", "support_floor", "facet_floor", "voice_floor", "lexical_weight",
    "answer_threshold", "semantic_weight", "similarity_weight", "support_coverage", "semantic_candidates",
    "scope_elsewhere_df", "continuation_words", "value_coverage", "novelty_weight", "kind_lead_floor",
    "absent_importance", "rare_importance", "speaker_boost", "other_component_factor",
})


@dataclass(frozen=True)
class QAConfig:
    """Every constant of retrieval and answering. Defaults are the values fitted by
    ``kfqa eval --folds`` (cross-validated on the dev set, see eval/folds.py)."""

    disabled: frozenset[str] = field(default_factory=frozenset)
    # candidate retrieval: how deep each retriever looks before fusion
    candidates: int = 40
    # priors: multipliers on the fused score
    kind_boost: float = 1.25  # the question names the passage's kind of source
    project_boost: float = 1.4  # ... or its project
    home_boost: float = 1.5  # a question naming no project is about the home project
    revision_boost: float = 2.0  # a history question: files that have revisions
    section_boost: float = 1.5  # the question names the passage's own heading
    # stage thread-references: the question names the passage's review thread by number. As revision_boost: naming
    # the document is as strong a pointer as asking its history (1,088 questions: 1.5, 2 and 3 gain alike, 2 most)
    thread_boost: float = 2.0
    speaker_prior: float = 1.3  # stage speaker-prior: the passage opens with a comment by the person the question asks about
    # (a guide says how to write an assessment: it answers a question only when the question points at it)
    kind_prior: tuple[tuple[str, float], ...] = (("assessment", 1.15), ("review", 1.1), ("audit", 1.1), ("guide", 0.4))
    document_prior: float = 0.25  # weight of the file's best hit in each of its hits' score
    # stage template-sections: the question restates a template prompt at this similarity or more;
    # the passages under its label join at template_join of the best score, then get section_boost (the dev
    # set has no template-worded question: folds over the dev and template sets chose 0.6 and 1.0)
    template_similarity: float = 0.6
    template_join: float = 1.0
    # stage own-question: a question after a pasted prompt, nearer it in meaning than this, restates it in
    # the reader's words ("How does someone report a suspected vulnerability?" after the disclosure prompt: 0.33)
    own_question_similarity: float = 0.3
    # stage project-search: each named project's own best passages join at this share of the best (a comparison
    # is answered by both projects' passages; the one whose words match the question's better crowded the other
    # out). 0.5 and 1.0 find the same passages on the shipped sets; 0.5 cites fewer of the other project's
    project_join: float = 0.5
    # stage section-join: passages of a section the question names by its heading path join at this share of the
    # best ("Describe the actors in Kubeflow Pipelines" -> "Overview > Actors > Kubeflow Pipelines (KFP)", which
    # neither retriever ranked in its best 40); 1.0 finds the same sections and quotes fewer of their sentences
    section_join: float = 0.5
    # stage ranked-join: the group of the best ranked_top candidates (before rerank and merging; 3, link_top's
    # count, misses one question of the shipped sets) gets its highest and lowest sections joined at this share
    # of the best (over the shipped sets 0.5 finds every one)
    ranked_top: int = 6
    ranked_join: float = 0.5
    # stage linked-threads: of the best link_top candidates, each issue or PR brings the threads that say they fix it,
    # at link_join of the best score (how an issue was settled is in the PR that fixes it; at 0.5 the PR fixing the
    # graduation clean-up issue ranked 8th for "... how were they addressed?", at 1.0 second)
    link_top: int = 3
    link_join: float = 1.0
    # stage anchor-links: the sections the best link_top passages link to on their page join at this share of the best
    anchor_join: float = 0.5
    phrase_join: float = 0.5  # stage quoted-phrases: passages holding the phrase join at this share of the best
    phrase_boost: float = 2.0  # stage quoted-phrases (dev: 1.5 and 2-3 lift recall@5 alike, 0.816 -> 0.837; 2 lifts MRR more)
    rerank_floor: float = 1.0  # a passage with none of the specific terms keeps this share vs one with all
    # stage generalize: the nameless question's candidates, relative to the question's (0: off; on the dev set
    # 0.15 left recall@5 at 0.796 and took citation precision 0.784 -> 0.757; 0.3 took recall@5 to 0.776)
    general_weight: float = 0.0
    # stage identifiers: a question holding this share of a titled identifier's specific terms searches for it.
    # The reviewer and template sets' questions describing a KServe finding hold 0.55-0.72 of its title; on
    # the four sets shipped then 0.4 and 0.5 score alike (0.5: fewer searches for near misses)
    identifier_coverage: float = 0.5
    identifier_join: float = 0.5  # ... and the passages naming it join at this share of the best (1.0 scores alike)
    # stage identifier-groups: a title term at most this share of an identifier family holds names a group
    # (of the audit's 14 findings: "Critical" 3, "KServe" 2, "Moderate" 6 is no group, "Reported" 13)
    identifier_group_share: float = 0.25
    # merging
    # (a passage merged or read on grows to this. Measured at 5000 and left at 3000: the 23 shipped sets besides
    # dev gained (recall@5 0.831 -> 0.842, key facts 0.794 -> 0.798), dev's cross-validated key facts and citation
    # precision fell (0.823 -> 0.816, 0.844 -> 0.833), and the Spark submission-runner answer lost "The controller
    # is a trusted component" to the longer passage's other list items)
    merge_max_chars: int = 3000
    merge_max_gap: int = 2
    feedback_weight: float = 0.0  # stage feedback: lift of a feedback hit relative to the best score (0: off)
    feedback_docs: int = 3
    feedback_terms: int = 8
    expand_top: int = 3  # stage section-expand: how many of the best passages grow
    # sentence selection
    passages_read: int = 6
    # stage document-names: a question names a document by words of its file name that at
    # most this many sources' names hold ("ada", "2025": the audit's; not "security", "python") ...
    document_name_df: int = 2
    # ... at least this many of them: a name of two words ("Ada Logics"), not one common noun of a name
    # ("reviewers" of the "Security Reviewer" guide, which the question asks about as people)
    document_name_words: int = 2
    value_boost: float = 1.25  # stage value-lift
    identifier_boost: float = 1.5  # stage identifier-lift (1.25 and 1.5 gain alike on the shipped sets; dev: one question)
    max_points: int = 4  # sentences in an answer (lead + supporting)
    # stage part-points: a many-part question ("what did the audit find, and how severe was it?") gets this many
    # more points per part beyond the first (1: dev key facts +0.007, reviewer set +0.016 and citation precision
    # +0.011, the other sets unchanged; 2 scores as 1: the relevant sentences run out first)
    points_per_part: int = 1
    premise_weight: float = 0.5  # stage premise-terms (0.25: one answerable question more declined, no key fact more)
    template_nearest: float = 0.75  # stage template-nearest
    section_list_points: int = 8  # stage section-lists: points at most, for the items of an asked section's list
    # the sentence after a chosen one in its passage comes along when it has at most this many words
    # (it often completes the point: "... The projects follow the OpenSSF Best Practices.")
    continuation_words: int = 30
    passage_floor: float = 0.5  # a supporting sentence's passage scores at least this share of the best
    support_floor: float = 0.45  # a supporting sentence scores at least this share of the lead
    # stage facets: a named kind's sentence scores at least this share of the lead (folds chose 0.5 over 0.25 in
    # 5 of 5: key-fact recall unchanged, dev citation precision 0.802 -> 0.827; a weak sentence of the named kind
    # is seldom from the passage that answers)
    facet_floor: float = 0.5
    # stage identifier-voices: another kind of source's sentence naming the identifier scores at least this share of
    # the best sentence (measured on 1,366 questions: with none, 5 questions about what a finding is also quoted the DD
    # thread's status of it, citation precision -2.1 questions' worth for key facts +2; a weak one adds what wasn't asked)
    voice_floor: float = 0.3
    # stage novelty: lift of a point per share of the question's weight only it holds (folds over the three
    # shipped sets chose 0.3 in 3 of 5: key-fact recall +0.006 dev, +0.028 template set, +0.072 value set; dev
    # citation precision -0.02, as the new part's sentence often comes from another source)
    novelty_weight: float = 0.3
    # stage speaker: sentences of the named person's own comments score this many times their own
    speaker_boost: float = 1.5
    # stage component-focus: a sentence filed under another component than the one the question names scores
    # this share of its score. Measured and off (1.0): 0.75 gained 3 questions of 480 and lost none, but names
    # match as strings, so "KFP" is no name of the pipelines docs and "pipeline" files other projects'
    # "Development Pipeline" sections under it
    other_component_factor: float = 1.0
    # stage release-focus: a sentence filed under another release than the one the question names scores this
    # share of its score (only two questions of 1023 name a release: 0.5 and 0.2 both gain both, 0.2 fully)
    other_release_factor: float = 0.2
    # stage kind-lead: the best relevant sentence of the kind of source the question asks about leads when it
    # scores at least this share of the best sentence (0.5 and 0.7 score alike on the shipped sets)
    kind_lead_floor: float = 0.5
    support_coverage: float = 0.01  # a supporting point holds at least this share of the question's specific terms
    lexical_weight: float = 0.8  # sentence score: lexical overlap vs passage rank
    heading_share: float = 0.5  # stage heading-terms (0.25 / 0.5 / 1.0 measured on the 28 sets beside dev)
    # stage sentence-similarity: share of similarity in the best sentences' score. Off (0): folds over the
    # three shipped sets chose 0.15 in 4 of 5 (key-fact recall +0.014), the dev set's own folds 0 in 4 of 5,
    # and embedding the best 8 sentences costs a new question ~165 ms on 2 cores, more than the answer's
    # p50 budget; 0.3 lowers key-fact recall.
    similarity_weight: float = 0.0
    semantic_candidates: int = 8  # best-scored sentences embedded to compare with the question
    # answerability: the best sentence's evidence must reach this (folds chose 0.1 in 4 of 5:
    # higher thresholds decline answerable questions before they catch unanswerable ones)
    answer_threshold: float = 0.1
    semantic_weight: float = 0.0  # answerability score: share of semantic similarity vs term coverage
    # answerability: a name the question's project never mentions declines it when other sources
    # discuss it in at least this many chunks ("encrypt": 77 chunks of other projects' assessments)
    scope_elsewhere_df: int = 3
    # stage absent-words: a common word the project's sources never hold declines the question when leaving it
    # out of the question moves the question's vector by at least this (1 - cosine). Over the seven shipped sets
    # the words naming what an unanswerable question asked about moved it 0.095-0.123 ("bounty", "penetration"),
    # the unmentioned words of answerable ones 0.001-0.055 ("worried", "kept", "seeing", "dispositioned");
    # between them, nearer the answerable side's as fewer words are seen there. (The dev set holds none: folds
    # over it cannot choose it.)
    absent_importance: float = 0.075
    # stage rare-word-meaning: a rare word (no word of the model's vocabulary) the sources never hold declines the
    # question unless leaving it out moves the question's vector by less than this: it says nothing ("any gotcha",
    # "does the community vouch for": 0.005-0.006). Set a priori at 1%; measured on 1,366 questions: at 0.075, as
    # common words are judged, 3 answerable questions more were answered and 10 unanswerable ones no longer declined
    # ("tabletop" 0.071, "telemetry" 0.069, "lockout" 0.024, "embargoed" 0.016 carry a question's meaning as well)
    rare_importance: float = 0.01
    # stage answer-type: the relevant sentences searched for the value the question asks for are those whose
    # coverage of the question's specific terms is at least this share of the best relevant one's (however
    # they rank: a scorecard's "Model Registry (7.7/10)" ranks below sentences about the tool). Over the
    # shipped sets the sentence stating (or listing) an answerable question's value holds 0.62 or more of it,
    # the stray numbers near unanswerable ones 0.24-0.52 (or 0.9 and more: a number of something else, which
    # this floor can't tell); folds choose between 0.6 and 0 (off).
    value_coverage: float = 0.6
    # term statistics: a term in more than this share of chunks (and more than ubiquity_min_df) is no focus
    ubiquity_share: float = 0.2
    ubiquity_min_df: int = 25

    def on(self, stage: str) -> bool:
        return stage not in self.disabled

    def without(self, *stages: str) -> QAConfig:
        """This config with ``stages`` switched off; an unknown name is an error naming the known ones."""
        unknown = [s for s in stages if s not in STAGES]
        if unknown:
            raise KfqaError(f"Unknown stage {', '.join(map(repr, unknown))}: choose from {', '.join(STAGES)}")
        return replace(self, disabled=self.disabled | frozenset(stages))

    def with_values(self, **values) -> QAConfig:
        names = {f.name for f in fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise KfqaError(f"Unknown QA constant {', '.join(unknown)}")
        return replace(self, **values)

    def retrieval_key(self) -> QAConfig:
        """This config with every answer-side stage and constant at its default: equal keys retrieve alike."""
        defaults = QAConfig()
        return replace(self, disabled=self.disabled - ANSWER_STAGES,
                       **{name: getattr(defaults, name) for name in ANSWER_FIELDS})

    def changes(self) -> dict[str, object]:
        """The constants (and switched-off stages) that differ from the defaults, for reports."""
        defaults = QAConfig()
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)
                                  if f.name != "disabled" and getattr(self, f.name) != getattr(defaults, f.name)}
        if self.disabled:
            out["disabled"] = sorted(self.disabled)
        return out

    def kind_weight(self, kind: str) -> float:
        return dict(self.kind_prior).get(kind, 1.0)


def parse_stages(text: str) -> list[str]:
    """``"merge,facets"`` -> ["merge", "facets"], each checked against STAGES."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    QAConfig().without(*names)  # raises on an unknown name
    return names
