"""search at type and system level: a searchset Bundle with self/next/previous links.

https://hl7.org/fhir/R4/search.html
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue, operation_outcome
from fhir_server.interactions.bundles import bundle, full_url, page_url, resource_fragment
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.model.validation import require_served_type
from fhir_server.search.query import SearchQuery, parse_query
from fhir_server.storage.repository import SqlStorage


def _links(
    ctx: RequestContext, path: str, params: list[tuple[str, str]], query: SearchQuery, has_more: bool
) -> list[tuple[str, str]]:
    base = [(k, v) for k, v in params if k != "_offset"]

    def at(offset: int) -> str:
        return page_url(ctx, path, [*base, ("_offset", str(offset))] if offset else base)

    links = [("self", at(query.offset)), ("first", at(0))]
    if query.offset > 0:
        links.append(("previous", at(max(0, query.offset - query.count))))
    if has_more:
        links.append(("next", at(query.offset + query.count)))
    return links


def search(
    storage: SqlStorage, ctx: RequestContext, type_name: str | None, params: list[tuple[str, str]]
) -> Result:
    """Run a search and answer a searchset Bundle."""
    if type_name is not None:
        require_served_type(type_name)
    query = parse_query(
        type_name,
        params,
        zone=ctx.zone,
        default_count=ctx.default_page_size,
        max_count=ctx.max_page_size,
        strict=ctx.strict_handling,
    )
    if query.summary == "count":
        query.total, query.count = "accurate", 0
    page = storage.search(query)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": full_url(ctx, stored),
            "resource": resource_fragment(stored, query.summary, query.elements),
            "search": {"mode": "match"},
        }
        for stored in page.rows
    ]
    if query.ignored:
        issue = Issue("not-supported", "unknown-parameter", {"name": ", ".join(query.ignored)}, "warning")
        entries.append({"resource": operation_outcome([issue], ctx.language), "search": {"mode": "outcome"}})
    path = type_name or ""
    kept = [(k, v) for k, v in params if k.split(":")[0] not in query.ignored and k not in query.ignored]
    links = _links(ctx, path, kept, query, page.has_more)
    return Result(200, bundle("searchset", entries, total=page.total, links=links))
