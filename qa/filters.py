"""The reader's filters (kinds, projects, sources, superseded revisions) as llama-index
``MetadataFilters``: one description, which Chroma receives as its where-clause (``chroma_where``)
and which BM25's corpus mask and the candidate check evaluate here.
A source glob has no metadata operator, so it is checked on the candidates only."""

from __future__ import annotations

import fnmatch

from llama_index.core.vector_stores.types import FilterOperator, MetadataFilter, MetadataFilters

from kfqa.types import ChunkMeta, Filters


def metadata_filters(filters: Filters) -> MetadataFilters | None:
    parts: list[MetadataFilter] = []
    if filters.kinds:
        parts.append(MetadataFilter(key="kind", value=sorted(filters.kinds), operator=FilterOperator.IN))
    if filters.projects:
        parts.append(MetadataFilter(key="project", value=sorted(filters.projects), operator=FilterOperator.IN))
    if filters.sources:
        parts.append(MetadataFilter(key="source", value=sorted(filters.sources), operator=FilterOperator.IN))
    if not filters.include_superseded:
        # MetadataFilter's value types leave out bool (Chroma stores the flag as one), so this
        # filter is built without validation; Chroma compares it as the bool it stored.
        parts.append(MetadataFilter.model_construct(key="superseded", value=False, operator=FilterOperator.EQ))
    return MetadataFilters(filters=parts) if parts else None


def _holds(rule: MetadataFilter, meta: ChunkMeta) -> bool:
    value = getattr(meta, rule.key)
    if rule.operator == FilterOperator.IN:
        return value in rule.value
    if rule.operator == FilterOperator.EQ:
        return value == rule.value
    raise ValueError(f"unsupported filter operator {rule.operator}")


def admits(meta: ChunkMeta, rules: MetadataFilters | None, source_glob: str = "") -> bool:
    """Whether a chunk passes the filters (all rules hold, and the source glob if any)."""
    if source_glob and not fnmatch.fnmatch(meta.source, source_glob):
        return False
    return rules is None or all(_holds(rule, meta) for rule in rules.filters)


def chroma_where(rules: MetadataFilters | None) -> dict | None:
    """The rules as Chroma's where-clause ({"kind": {"$in": [...]}}, several joined by "$and")."""
    if rules is None or not rules.filters:
        return None
    ops = {FilterOperator.IN: "$in", FilterOperator.EQ: "$eq"}
    clauses = [{rule.key: {ops[rule.operator]: rule.value}} for rule in rules.filters]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
