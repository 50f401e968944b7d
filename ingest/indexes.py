"""The files derived from the committed chunks: chunks.jsonl, the BM25 index and the term statistics.

Both are written beside and swapped in, from committed files only, in manifest order.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from kfqa.manifest import Manifest
from kfqa.store import Store, row_chunk
from kfqa.termstats import TermStats, chunk_set_key
from kfqa.text import bm25_text

BM25_VERSION = "4"  # bump when what BM25 indexes or persists changes: rebuilt without re-embedding
# 3: the persisted corpus holds each chunk's id only
BM25_MARKER = "kfqa_bm25_version"


def ordered_rows(manifest: Manifest, rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        rows[cid]
        for source in sorted(manifest.files)
        for cid in manifest.files[source].chunk_ids
        if cid in rows
    ]


def write_chunks(store: Store, manifest: Manifest, rows) -> None:
    store.write_chunk_rows(ordered_rows(manifest, rows))


def write_termstats(store: Store, manifest: Manifest, rows) -> None:
    """Term statistics, vocabulary and abbreviations of the committed chunks (kfqa.termstats), so
    qa loads them instead of rebuilding them at every start."""
    TermStats.build(row_chunk(r) for r in ordered_rows(manifest, rows)).save(store.dir)


def termstats_current(store: Store, manifest: Manifest) -> bool:
    """Saved for exactly the committed chunks, by this version of kfqa.termstats."""
    return TermStats.load(store.dir, chunk_set_key(manifest.committed_ids())) is not None


def bm25_current(store: Store) -> bool:
    marker = store.bm25_dir / BM25_MARKER
    return marker.is_file() and marker.read_text().strip() == BM25_VERSION


def write_bm25(store: Store, manifest: Manifest, rows) -> None:
    """BM25 over the committed chunks (text + title + section), written beside and swapped in."""
    ordered = ordered_rows(manifest, rows)
    if not ordered:
        if store.bm25_dir.exists():
            shutil.rmtree(store.bm25_dir)
        return
    from llama_index.retrievers.bm25 import BM25Retriever

    nodes = bm25_nodes(ordered)
    retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=min(10, len(nodes)))
    # The corpus persisted beside the index, one entry per document, is what a hit comes back as.
    # llama-index keeps each whole node there (text and metadata, twice: 24 MB that every ask read
    # back, 0.05 s); qa maps a hit to its chunk by id alone, so the id is all it keeps.
    retriever.corpus = [id_entry(row["id"]) for row in ordered]
    tmp = store.dir / f".bm25.tmp.{os.getpid()}"
    old = store.dir / f".bm25.old.{os.getpid()}"
    for d in (tmp, old):
        if d.exists():
            shutil.rmtree(d)
    tmp.mkdir(parents=True)
    retriever.persist(str(tmp), show_progress=False)
    (tmp / BM25_MARKER).write_text(BM25_VERSION)
    if store.bm25_dir.exists():
        os.replace(store.bm25_dir, old)
    os.replace(tmp, store.bm25_dir)
    if old.exists():
        shutil.rmtree(old)


def bm25_nodes(rows: list[dict[str, Any]]):
    """What BM25 indexes of each chunk row: its bm25_text, after its title and section."""
    from llama_index.core.schema import TextNode

    nodes = []
    for row in rows:
        meta = row["meta"]
        keys = list(meta)
        nodes.append(
            TextNode(
                id_=row["id"],
                text=bm25_text(row["text"]),
                metadata=meta,
                excluded_embed_metadata_keys=[k for k in keys if k not in ("title", "section")],
                excluded_llm_metadata_keys=keys,
            )
        )
    return nodes


def id_entry(chunk_id: str) -> dict[str, str]:
    """A BM25 corpus entry naming a chunk by id: the node a hit is rebuilt as (llama-index's
    ``metadata_dict_to_node``) is a TextNode with that id and no text."""
    return {"node_id": chunk_id, "_node_content": json.dumps({"id_": chunk_id})}
