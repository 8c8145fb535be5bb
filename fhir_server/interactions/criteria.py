"""Search criteria of conditional interactions (If-None-Exist, PUT/DELETE Type?criteria)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fhir_server.errors import Invalid
from fhir_server.interactions.context import RequestContext
from fhir_server.search.query import SearchQuery, parse_query
from fhir_server.search.registry import r4_registry


def parse_criteria(ctx: RequestContext, type_name: str, criteria: str | list[tuple[str, str]]) -> SearchQuery:
    """A strict query that must select something: unknown parameters would match everything."""
    pairs = parse_qsl(criteria.lstrip("?"), keep_blank_values=True) if isinstance(criteria, str) else criteria
    pairs = [(name, value) for name, value in pairs if name not in ("_format", "_pretty")]
    if not pairs:
        raise Invalid("criteria-required", code="required")
    query = parse_query(
        type_name,
        pairs,
        registry=r4_registry(),
        zone=ctx.zone,
        base_url=ctx.base_url,
        default_count=2,
        max_count=2,
        strict=True,
    )
    if not query.clauses:
        raise Invalid("criteria-required", code="required")
    query.count, query.sort, query.total, query.includes, query.cursor = 2, [], "none", [], None
    return query


def lock_key(type_name: str, query: SearchQuery) -> str:
    """A stable key for the criteria, so concurrent conditional writes serialise on it."""
    return type_name + "?" + "&".join(sorted(repr(c) for c in query.clauses))
