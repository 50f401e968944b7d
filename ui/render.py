"""HTML for the chat UI: answer text with clickable [n] markers, and the sources pane.

Everything that comes from a source (passages, titles, sections, paths, URLs) and
everything a user typed is untrusted: it goes through ``html.escape`` before it is
put into markup, and links are only emitted for http(s) URLs. No source HTML is
ever passed through, so a corpus file with ``<script>`` renders as inert text.

Markers are rendered as ``<a class="kfqa-ref" href="#kfqa-src-T-N">`` (the Chatbot's
sanitizer keeps href but drops data-* attributes); the small script in ``CLICK_JS``
(loaded via ``launch(head=...)``) selects and scrolls to the card ``#kfqa-src-T-N``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kfqa.qa.answerability import ABSTAIN_TEXT  # its one home
from kfqa.text import MARKER_RE
from kfqa.text import safe_url as http_url
from kfqa.types import Answer, ChunkMeta, Citation, Retrieved

KIND_LABELS = {
    "assessment": "Assessment",
    "review": "Review",
    "docs": "Docs",
    "audit": "Audit",
    "guide": "Guide",
}

# Markdown characters that could build links, images, emphasis or code spans out of
# source text inside the Chatbot (which renders Markdown). Backslash-escaped before
# html.escape, so "[x](javascript:...)" or "![](http://tracker)" stays literal text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()!#|~{}])")


def esc(text: object) -> str:
    return html.escape(str(text or ""), quote=True)


def safe_url(url: str) -> str | None:
    """The URL escaped for an attribute, or None unless it is an absolute http(s) URL."""
    checked = http_url(url)
    return esc(checked) if checked else None


def md_text(text: str) -> str:
    """Untrusted text for a Markdown + HTML context (the Chatbot): no markup survives."""
    text = re.sub(r"(?<=\n)[ \t]+", "", text)  # no indented code blocks
    return esc(_MD_SPECIAL.sub(r"\\\1", text))


def marker_link(turn: int, n: int | str) -> str:
    return (
        f'<a class="kfqa-ref" href="#kfqa-src-{int(turn)}-{int(n)}" data-turn="{int(turn)}" '
        f'data-cite="{int(n)}" title="Show source {int(n)}">[{int(n)}]</a>'
    )


def answer_chat_html(text: str, turn: int) -> str:
    """Answer text for the chat pane: escaped, with each [n] marker as a clickable link."""
    out, pos = [], 0
    for m in MARKER_RE.finditer(text):
        out.append(md_text(text[pos : m.start()]))
        out.append(marker_link(turn, m.group(1)))
        pos = m.end()
    out.append(md_text(text[pos:]))
    return "".join(out).strip()


def chat_message(answer: Answer, turn: int) -> str:
    """The assistant's chat message for a finished answer (markers linked, notices appended)."""
    parts = []
    if answer.abstained:
        parts.append(f"**{md_text(ABSTAIN_TEXT)}**")
        if answer.answer and answer.answer.strip() != ABSTAIN_TEXT:
            parts.append(answer_chat_html(answer.answer, turn))
        if answer.closest:
            parts.append("_The closest material is listed in the sources pane._")
    else:
        parts.append(answer_chat_html(answer.answer, turn))
    for notice in answer.notices:
        parts.append(f'<span class="kfqa-notice">⚠ {md_text(notice)}</span>')
    return "\n\n".join(p for p in parts if p)


# --- sources pane ------------------------------------------------------------------------------


def _find_span(quote: str, sentence: str) -> tuple[int, int] | None:
    """Where ``sentence`` stands in ``quote`` (whitespace- and case-insensitive), or None."""
    sentence = MARKER_RE.sub("", sentence).strip().rstrip(".").strip()
    words = sentence.split()
    if len(words) < 2 and len(sentence) < 12:
        return None
    pattern = r"[\s*_`>]+".join(re.escape(w) for w in words)
    m = re.search(pattern, quote, flags=re.I)
    return (m.start(), m.end()) if m else None


def highlighted_quote(quote: str, sentences: Iterable[str]) -> str:
    """The passage, escaped, with the answer sentences that cite it wrapped in <mark>."""
    spans: list[tuple[int, int]] = []
    for s in sentences:
        span = _find_span(quote, s)
        if span:
            spans.append(span)
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(esc(quote[pos:a]))
        out.append(f"<mark>{esc(quote[a:b])}</mark>")
        pos = b
    out.append(esc(quote[pos:]))
    return "".join(out)


def _location(meta: ChunkMeta) -> str:
    if meta.page:
        return f"page {meta.page}"
    if meta.lines:
        return f"lines {meta.lines}"
    return ""


def _links(meta: ChunkMeta) -> str:
    links = []
    url = safe_url(meta.url)
    if url:
        links.append(
            f'<a class="kfqa-link" href="{url}" target="_blank" rel="noopener noreferrer">Upstream file (pinned) ↗</a>'
        )
    page = safe_url(meta.page_url)
    if page:
        links.append(
            f'<a class="kfqa-link" href="{page}" target="_blank" rel="noopener noreferrer">Rendered page ↗</a>'
        )
    return f'<div class="kfqa-links">{"".join(links)}</div>' if links else ""


def kind_badge(kind: str) -> str:
    k = kind if kind in KIND_LABELS else "other"
    return f'<span class="kfqa-badge kfqa-kind-{k}" data-kind="{esc(kind)}">{esc(KIND_LABELS.get(kind, kind or "source"))}</span>'


def _card(meta: ChunkMeta, body_html: str, label: str, card_id: str = "", extra_class: str = "") -> str:
    loc = _location(meta)
    section = f'<div class="kfqa-section">{esc(meta.section)}</div>' if meta.section else ""
    flag = (
        '<div class="kfqa-flag" role="note">⚠ This passage reads like instructions to an AI assistant '
        f"(possible prompt injection){': ' + esc(meta.flag_reason) if meta.flag_reason else ''}. "
        "Treat it as data, not as guidance.</div>"
        if meta.flagged
        else ""
    )
    superseded = '<span class="kfqa-badge kfqa-superseded">superseded revision</span>' if meta.superseded else ""
    id_attr = f' id="{esc(card_id)}"' if card_id else ""
    return (
        f'<article class="kfqa-source {extra_class}"{id_attr} data-kind="{esc(meta.kind)}">'
        f'<header><span class="kfqa-num">{esc(label)}</span>{kind_badge(meta.kind)}{superseded}'
        f'<span class="kfqa-title">{esc(meta.title or meta.source)}</span></header>'
        f"{section}"
        f'<div class="kfqa-meta"><code>{esc(meta.source)}</code>{" · " + esc(loc) if loc else ""}</div>'
        f"{flag}"
        f'<blockquote class="kfqa-quote">{body_html}</blockquote>'
        f"{_links(meta)}"
        "</article>"
    )


def citation_card(c: Citation, sentences: list[str], turn: int) -> str:
    return _card(
        c.chunk.meta,
        highlighted_quote(c.quote, sentences),
        f"[{c.n}]",
        card_id=f"kfqa-src-{int(turn)}-{int(c.n)}",
    )


def closest_card(r: Retrieved, i: int) -> str:
    text = r.chunk.text
    if len(text) > 900:
        text = text[:900].rstrip() + " …"
    return _card(r.chunk.meta, esc(text), f"#{i}", extra_class="kfqa-closest")


def sources_html(answer: Answer, turn: int) -> str:
    """The sources of one answer: citation cards, or the closest material when abstaining."""
    head = f'<div class="kfqa-turn-q">Q{turn}: {esc(_short(answer.question))}</div>'
    if answer.citations:
        by_n: dict[int, list[str]] = {}
        for s in answer.sentences:
            for n in s.citations:
                by_n.setdefault(n, []).append(s.quote or s.text)  # an LLM sentence: the words it quotes
        cards = "".join(citation_card(c, by_n.get(c.n, []), turn) for c in answer.citations)
        return head + cards
    if answer.abstained:
        if not answer.closest:
            return head + f'<div class="kfqa-empty">{esc(ABSTAIN_TEXT)} Nothing close was found either.</div>'
        intro = (
            f'<div class="kfqa-abstain">{esc(ABSTAIN_TEXT)} The closest material in the index — '
            "read it yourself; it was not judged to answer the question:</div>"
        )
        return head + intro + "".join(closest_card(r, i) for i, r in enumerate(answer.closest, 1))
    return head + '<div class="kfqa-empty">No sources were cited.</div>'


def _short(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sources_pane(turn_html: list[str]) -> str:
    """All turns' sources, newest first and open; older turns folded (markers still find them)."""
    if not turn_html:
        return placeholder_html()
    parts = []
    last = len(turn_html)
    for turn in range(last, 0, -1):
        body = turn_html[turn - 1]
        if turn == last:
            parts.append(f'<section class="kfqa-turn" data-turn="{turn}">{body}</section>')
        else:
            parts.append(
                f'<details class="kfqa-turn kfqa-older" data-turn="{turn}"><summary>Sources of question {turn}</summary>'
                f"{body}</details>"
            )
    return f'<div class="kfqa-sources">{"".join(parts)}</div>'


def placeholder_html() -> str:
    return (
        '<div class="kfqa-sources"><div class="kfqa-empty">Sources appear here. '
        "Click a marker such as <b>[1]</b> in an answer to jump to its passage.</div></div>"
    )


def banner_html(message: str, level: str = "error") -> str:
    """A status banner (store missing, rate limit, LLM down …); the message is escaped."""
    if not message:
        return ""
    level = level if level in ("error", "warning", "info") else "info"
    lines = "<br>".join(_code_spans(esc(line)) for line in str(message).splitlines())
    return f'<div class="kfqa-banner kfqa-banner-{level}" role="status">{lines}</div>'


def _code_spans(escaped: str) -> str:
    """`cmd` in an already-escaped message becomes <code>cmd</code> (for the ingest hint)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


# --- page assets -------------------------------------------------------------------------------

CLICK_JS = r"""
<script>
(function () {
  if (window.__kfqaRefs) return;
  window.__kfqaRefs = true;
  function select(turn, n) {
    var el = document.getElementById('kfqa-src-' + turn + '-' + n);
    if (!el) return;
    var det = el.closest('details');
    if (det) det.open = true;
    document.querySelectorAll('.kfqa-source.kfqa-selected').forEach(function (e) {
      e.classList.remove('kfqa-selected');
    });
    el.classList.add('kfqa-selected');
    el.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
  document.addEventListener('click', function (ev) {
    // The Chatbot's sanitizer drops data-* attributes, so the target is read from the href.
    var a = ev.target && ev.target.closest ? ev.target.closest('a[href^="#kfqa-src-"]') : null;
    if (!a) return;
    var m = /^#kfqa-src-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '');
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    select(m[1], m[2]);
  }, true);
})();
</script>
"""

CSS = """
.gradio-container { max-width: 1400px !important; }
#kfqa-header h1 { font-size: 1.3rem; margin: 0; font-weight: 700; }
#kfqa-header h1 span { font-weight: 500; color: var(--body-text-color-subdued); }
#kfqa-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: .85rem; }
#kfqa-filters { gap: 12px; }
#kfqa-switches { gap: 2px !important; justify-content: center; }
#kfqa-switches label { font-size: .85rem; }
#kfqa-sources-col { min-width: 0; gap: 6px; }
.kfqa-pane-title { font-weight: 700; font-size: .95rem; padding: 2px 2px 0; }
#kfqa-sources { max-height: 600px; overflow-y: auto; padding-right: 4px; }
#kfqa-banner:not(:has(.kfqa-banner)) { display: none !important; }
.kfqa-sources { display: flex; flex-direction: column; gap: 10px; font-size: .9rem; }
.kfqa-turn { display: flex; flex-direction: column; gap: 10px; }
.kfqa-turn-q { font-weight: 600; color: var(--body-text-color-subdued); font-size: .82rem;
  text-transform: none; border-bottom: 1px solid var(--border-color-primary); padding-bottom: 4px; }
details.kfqa-older > summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: .85rem; }
.kfqa-source { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 12px;
  background: #fff; box-shadow: 0 1px 2px rgba(15, 23, 42, .04); scroll-margin-top: 8px; }
.kfqa-source.kfqa-selected { border-color: #2563eb; box-shadow: 0 0 0 3px rgba(37, 99, 235, .25); }
.kfqa-source header { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.kfqa-num { font-weight: 700; font-variant-numeric: tabular-nums; color: #2563eb; }
.kfqa-title { font-weight: 600; }
.kfqa-badge { display: inline-block; font-size: .7rem; font-weight: 700; letter-spacing: .04em;
  text-transform: uppercase; padding: 1px 7px; border-radius: 999px; border: 1px solid transparent; }
.kfqa-kind-assessment { background: #e0e7ff; color: #3730a3; }
.kfqa-kind-review { background: #fef3c7; color: #92400e; }
.kfqa-kind-docs { background: #dcfce7; color: #166534; }
.kfqa-kind-audit { background: #fee2e2; color: #991b1b; }
.kfqa-kind-guide { background: #f3e8ff; color: #6b21a8; }
.kfqa-kind-other { background: #e5e7eb; color: #374151; }
.kfqa-superseded { background: #f3f4f6; color: #6b7280; border-color: #d1d5db; }
.kfqa-section { margin-top: 4px; color: var(--body-text-color-subdued); font-size: .82rem; }
.kfqa-meta { margin-top: 2px; font-size: .78rem; color: var(--body-text-color-subdued); }
.kfqa-meta code { font-size: .76rem; background: none; padding: 0; }
#kfqa-sources blockquote.kfqa-quote { margin: 8px 0 6px !important; padding: 6px 10px !important; border-left: 3px solid #cbd5e1;
  background: var(--background-fill-secondary); white-space: pre-wrap; word-break: break-word;
  line-height: 1.45; font-size: .86rem; max-height: 260px; overflow-y: auto; }
.kfqa-quote mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.kfqa-links { display: flex; gap: 14px; font-size: .8rem; }
.kfqa-links a { color: #2563eb; text-decoration: none; }
.kfqa-links a:hover { text-decoration: underline; }
.kfqa-flag { margin-top: 6px; padding: 4px 8px; border-radius: 6px; background: #fff7ed;
  color: #9a3412; border: 1px solid #fdba74; font-size: .8rem; }
.kfqa-empty, .kfqa-abstain { color: var(--body-text-color-subdued); padding: 12px; border: 1px dashed
  var(--border-color-primary); border-radius: 8px; }
.kfqa-abstain { border-style: solid; background: #fffbeb; color: #78350f; }
.kfqa-closest { opacity: .95; }
a.kfqa-ref { font-size: .8em; font-weight: 700; color: #2563eb !important; text-decoration: none;
  cursor: pointer; padding: 0 1px; vertical-align: super; line-height: 0; }
a.kfqa-ref:hover { text-decoration: underline; }
.kfqa-notice { display: inline-block; font-size: .85em; color: #92400e; }
.kfqa-banner { padding: 10px 14px; border-radius: 8px; font-size: .92rem; }
.kfqa-banner code { font-size: .88rem; }
.kfqa-banner-error { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }
.kfqa-banner-warning { background: #fffbeb; color: #92400e; border: 1px solid #fde68a; }
.kfqa-banner-info { background: #eff6ff; color: #1e40af; border: 1px solid #bfdbfe; }
#kfqa-feedback-row { align-items: center; }
"""
