"""Ingestion: sources -> chunks -> Chroma + BM25 + chunks.jsonl (see ``ingest.pipeline``)."""

from kfqa.ingest.pipeline import IngestReport, run_ingest, store_stats
from kfqa.ingest.safety import flag_instructions

__all__ = ["IngestReport", "flag_instructions", "run_ingest", "store_stats"]
