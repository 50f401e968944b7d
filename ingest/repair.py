"""Bringing a store's three records of its committed chunks back into agreement at the start of a run.

The manifest says what is committed; chunks.jsonl holds their text, Chroma their vectors. A
killed run may have committed files after chunks.jsonl was last written (their rows are read
back from Chroma); a deleted ``chroma/`` folder, or another store on the same server deleting
our rows, leaves committed chunks without vectors (restored: shipped vectors first, else
embedded). A file whose chunks are in neither is uncommitted, so the scan ingests it again.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from kfqa.ingest.chunks import sha256
from kfqa.ingest.vectors import VectorPlan, chroma_meta, embedded_text
from kfqa.types import ChunkMeta

if TYPE_CHECKING:
    from kfqa.ingest.pipeline import IngestRun


def restore_missing(run: IngestRun) -> bool:
    """Repairs ``run``'s store as above; True when anything had to change."""
    committed = run.manifest.committed_ids()
    in_chroma = run.store.vector_ids() & committed
    changed = _rows_from_chroma(run, sorted((committed - set(run.rows)) & in_chroma))
    no_vector = sorted(committed - in_chroma)
    restored = _restore_vectors(run, [cid for cid in no_vector if cid in run.rows])
    lost = {cid for cid in committed if cid not in run.rows}
    dropped = _uncommit_files_with(run, lost)
    return changed or restored > 0 or dropped


def _rows_from_chroma(run: IngestRun, ids: list[str]) -> bool:
    names = {f.name for f in fields(ChunkMeta)}
    for cid, row in run.chroma.existing(ids, ["documents", "metadatas"]).items():
        meta = row.get("metadatas") or {}
        run.rows[cid] = {
            "id": cid,
            "text": row.get("documents") or "",
            "meta": {k: v for k, v in meta.items() if k in names},
            "extra": {k: v for k, v in meta.items() if k not in names},
        }
    return bool(ids)


def _restore_vectors(run: IngestRun, ids: list[str]) -> int:
    """Vectors for committed chunks Chroma lacks, from their chunks.jsonl rows."""
    plan = VectorPlan()
    for cid in ids:
        row = run.rows[cid]
        text = embedded_text(row)
        if sha256(text.encode("utf-8")) != row.get("extra", {}).get("embed_hash"):
            run.rows.pop(cid)  # the row can't tell what was embedded: its file is ingested again
            continue
        run.sources.add(plan, cid, text, row["extra"]["embed_hash"])
    if not plan.vectors and not plan.todo_ids:
        return 0
    embedded = run.sources.fill(plan)
    run.chroma.upsert(
        [
            (cid, vector, run.rows[cid]["text"], chroma_meta(run.rows[cid]["meta"], run.rows[cid]["extra"]))
            for cid, vector in plan.vectors.items()
        ]
    )
    restored = len(plan.vectors)
    run.report.repaired += restored
    run.report.embedded += embedded
    run.report.shipped += plan.shipped
    run.report.warn(
        "store",
        f"{restored} committed chunks had no vector in Chroma at {run.store.location}: restored "
        f"({plan.shipped} from the shipped vectors, {embedded} embedded)",
    )
    return restored


def _uncommit_files_with(run: IngestRun, lost: set[str]) -> bool:
    if not lost:
        return False
    for source, entry in list(run.manifest.files.items()):
        if lost.intersection(entry.chunk_ids):
            del run.manifest.files[source]
            run.report.warn(
                source,
                "its chunks were missing from both chunks.jsonl and Chroma: it is ingested again with its "
                "folder (run `kfqa ingest` on it if it wasn't)",
            )
    for cid in lost:
        run.rows.pop(cid, None)
    run.store.save_manifest(run.manifest)
    return True
