"""Ingestion: sources -> chunks -> Chroma + BM25 + chunks.jsonl (see ``ingest.pipeline``)."""

from kfqa.ingest.pipeline import IngestReport, IngestRun, run_ingest
from kfqa.ingest.safety import flag_instructions
from kfqa.store import store_stats  # the read side lives with the store; kept here for callers

__all__ = ["IngestReport", "IngestRun", "flag_instructions", "run_ingest", "store_stats"]
