"""Drafts (what a loader read) become chunks: ids, typed metadata, the text to embed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kfqa.ingest.loaders import Draft
from kfqa.ingest.safety import flag_instructions
from kfqa.ingest.sources import SourceInfo
from kfqa.types import Chunk, ChunkMeta


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Pending:
    """A loaded file version waiting to be embedded and committed."""

    source: str
    root: str
    kind: str
    file_hash: str
    chunks: list[Chunk]
    embed_texts: list[str]
    extras: list[dict[str, Any]]


def build_chunks(
    source: str, info: SourceInfo, file_hash: str, title: str, drafts: list[Draft], url: str
) -> Pending:
    chunks, texts, extras = [], [], []
    for i, d in enumerate(drafts):
        reason = flag_instructions(d.text)
        meta = ChunkMeta(
            source=source,
            kind=info.kind,
            project=info.project,
            title=title,
            section=d.section,
            url=(url + d.anchor) if url else "",
            page_url=info.page_url,
            line_start=d.line_start,
            line_end=d.line_end,
            page=d.page,
            superseded=info.superseded,
            file_hash=file_hash,
            chunk_hash=sha256(d.text.encode("utf-8")),
            window=i,
            section_key=d.section_key or d.section,
            section_window=d.section_window,
            continued=d.continued,
            opens_in_code=d.opens_in_code,
            lead_chars=d.lead_chars,
            author=d.author,
            date=d.date,
            comment_type=d.comment_type,
            comment_id=d.comment_id,
            reply_to=d.reply_to,
            flagged=reason is not None,
            flag_reason=reason or "",
        )
        embed_text = d.embed_text
        extra = dict(d.extra)
        extra["embed_hash"] = sha256(embed_text.encode("utf-8"))
        extra["embed_prefix"] = d.prefix  # embedded text = embed_prefix + "\n" + text
        chunks.append(Chunk(id=f"{source}::{file_hash[:12]}::{i}", text=d.text, meta=meta))
        texts.append(embed_text)
        extras.append(extra)
    return Pending(source, "", info.kind, file_hash, chunks, texts, extras)
