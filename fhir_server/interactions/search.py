"""search at type, system and compartment level: a searchset Bundle with self/first/next links.

https://hl7.org/fhir/R4/search.html
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_server.errors import Invalid, Issue, operation_outcome
from fhir_server.interactions.access import narrow, require, require_unrestricted, visible
from fhir_server.interactions.audited import Seen, audited
from fhir_server.interactions.bundles import bundle, full_url, page_url, resource_fragment
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.valuesets import expand_in_modifiers
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import require_served_type
from fhir_server.search.compartments import COMPARTMENTS
from fhir_server.search.query import Clause, SearchQuery, parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.storage.records import Page
from fhir_server.storage.repository import SqlStorage


def _links(ctx: RequestContext, path: str, params: list[tuple[str, str]], page: Page) -> list[tuple[str, str]]:
    base = [(k, v) for k, v in params if k != "_cursor"]
    links = [("self", page_url(ctx, path, params)), ("first", page_url(ctx, path, base))]
    if page.next_cursor is not None:
        links.append(("next", page_url(ctx, path, [*base, ("_cursor", page.next_cursor)])))
    return links


def parse(ctx: RequestContext, type_name: str | None, params: list[tuple[str, str]]) -> SearchQuery:
    """The query a request asks for (400 for malformed values, strict-mode unknowns)."""
    return parse_query(
        type_name,
        params,
        registry=r4_registry(),
        zone=ctx.zone,
        base_url=ctx.base_url,
        default_count=ctx.default_page_size,
        max_count=ctx.max_page_size,
        strict=ctx.strict_handling,
    )


def _entries(ctx: RequestContext, query: SearchQuery, page: Page) -> list[dict[str, Any]]:
    entries = [
        {
            "fullUrl": full_url(ctx, stored),
            "resource": resource_fragment(stored, query.summary, query.elements),
            "search": {"mode": "match"},
        }
        for stored in page.rows
    ]
    entries += [
        {
            "fullUrl": full_url(ctx, stored),
            "resource": resource_fragment(stored),
            "search": {"mode": "include"},
        }
        for stored in page.included
    ]
    if query.ignored:
        issue = Issue("not-supported", "unknown-parameter", {"name": ", ".join(query.ignored)}, "warning")
        entries.append({"resource": operation_outcome([issue], ctx.language), "search": {"mode": "outcome"}})
    return entries


def run(
    storage: SqlStorage,
    ctx: RequestContext,
    query: SearchQuery,
    path: str,
    params: list[tuple[str, str]],
    seen: Seen | None = None,
) -> Result:
    """Execute a parsed query and build the searchset Bundle (``seen`` gets what it returned, for the audit)."""
    expand_in_modifiers(storage, query)
    narrow(ctx, storage, query)
    if query.summary == "count":
        query.total, query.count, query.includes = "accurate", 0, []
    page = storage.search(query)
    if ctx.principal.scopes is not None:
        # The final check on everything returned: matches and _include/_revinclude alike.
        rows = [row for row in page.rows if visible(ctx, storage, row, "s")]
        included = [row for row in page.included if visible(ctx, storage, row, "s")]
        page = replace(page, rows=rows, included=included)
    if seen is not None:
        seen.rows = [*page.rows, *page.included]
    kept = [(k, v) for k, v in params if k.split(":")[0] not in query.ignored and k not in query.ignored]
    links = _links(ctx, path, kept, page)
    return Result(200, bundle("searchset", _entries(ctx, query, page), total=page.total, links=links))


def search(storage: SqlStorage, ctx: RequestContext, type_name: str | None, params: list[tuple[str, str]]) -> Result:
    """Type-level search (system-level when ``type_name`` is None)."""
    if type_name is not None:
        require_served_type(type_name)
    with audited(ctx, "search-type" if type_name else "search-system", type_name, params=params) as seen:
        if type_name is not None:
            require(ctx, type_name, "search")
        else:
            require_unrestricted(ctx, "search")
        query = parse(ctx, type_name, params)
        return run(storage, ctx, query, type_name or "", params, seen)


def compartment_search(
    storage: SqlStorage,
    ctx: RequestContext,
    compartment: str,
    owner: str,
    type_name: str,
    params: list[tuple[str, str]],
) -> Result:
    """``Patient/123/Observation``: the type's resources in that patient's compartment."""
    require_served_type(type_name)
    with audited(ctx, "search-compartment", type_name, params=params) as seen:
        require(ctx, type_name, "search")
        if compartment not in COMPARTMENTS or not is_valid_id(owner):
            raise Invalid("bad-parameter", code="not-supported", name="compartment", value=compartment)
        if type_name != compartment and type_name not in COMPARTMENTS[compartment]:
            name = f"{compartment}/{type_name}"
            raise Invalid("bad-parameter", code="not-supported", name="compartment", value=name)
        query = parse(ctx, type_name, params)
        query.clauses.append(Clause("_compartment", None, None, (compartment, owner)))
        return run(storage, ctx, query, f"{compartment}/{owner}/{type_name}", params, seen)
