"""Bundles built around stored bytes: resources are spliced in, never re-parsed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson

from fhir_server.interactions.context import RequestContext
from fhir_server.model.ids import new_id
from fhir_server.model.instants import fhir_instant, now_us
from fhir_server.model.json import loads
from fhir_server.model.summary import select_elements, summarize
from fhir_server.storage.records import Stored


def bundle(
    type_: str,
    entries: list[dict[str, Any]],
    *,
    total: int | None = None,
    links: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A Bundle of the given type; entries keep their stored bytes as JSON fragments."""
    result: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": fhir_instant(now_us())},
        "type": type_,
    }
    if total is not None:
        result["total"] = total
    if links:
        result["link"] = [{"relation": relation, "url": url} for relation, url in links]
    if entries:  # FHIR JSON has no empty arrays
        result["entry"] = entries
    return result


def resource_fragment(stored: Stored, summary: str | None = None, elements: list[str] | None = None) -> Any:
    """The stored resource as it goes into a bundle: raw bytes, or reshaped for _summary/_elements."""
    assert stored.content is not None
    if summary in (None, "false") and not elements:
        return orjson.Fragment(stored.content)
    resource = loads(stored.content)
    if elements:
        return select_elements(resource, elements)
    return summarize(resource, summary or "false")


def full_url(ctx: RequestContext, stored: Stored) -> str:
    """The entry's fullUrl: the resource's absolute, unversioned URL."""
    return f"{ctx.base_url}/{stored.type}/{stored.id}"


def page_url(ctx: RequestContext, path: str, params: list[tuple[str, str]]) -> str:
    """An absolute URL for a page of results."""
    query = urlencode(params, safe=",:|/$")
    return f"{ctx.base_url}/{path}" + (f"?{query}" if query else "")
