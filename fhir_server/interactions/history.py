"""history at instance, type and system level, newest first, paged by sequence.

https://hl7.org/fhir/R4/http.html#history
"""

from __future__ import annotations

from typing import Any

import orjson

from fhir_server.errors import Invalid, NotFound
from fhir_server.interactions.access import require, require_unrestricted, visible
from fhir_server.interactions.audited import audited
from fhir_server.interactions.bundles import bundle, page_url
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.instants import fhir_instant, weak_etag
from fhir_server.model.references import is_valid_id
from fhir_server.model.validation import require_served_type
from fhir_server.storage.history import HistoryQuery
from fhir_server.storage.records import Stored
from fhir_server.storage.repository import SqlStorage

_STATUS = {"POST": "201 Created", "PUT": "200 OK", "PATCH": "200 OK", "DELETE": "204 No Content"}


def _entry(ctx: RequestContext, stored: Stored) -> dict[str, Any]:
    url = f"{stored.type}/{stored.id}"
    method = stored.method
    entry: dict[str, Any] = {"fullUrl": f"{ctx.base_url}/{url}"}
    if stored.content is not None:
        entry["resource"] = orjson.Fragment(stored.content)
    status = "201 Created" if method == "PUT" and stored.version == 1 else _STATUS.get(method, "200 OK")
    entry["request"] = {
        "method": "PUT" if method == "PATCH" else method,
        "url": stored.type if method == "POST" else url,
    }
    entry["response"] = {
        "status": status,
        "etag": weak_etag(stored.version),
        "lastModified": fhir_instant(stored.last_updated),
    }
    return entry


def _parse(ctx: RequestContext, params: list[tuple[str, str]]) -> HistoryQuery:
    since = at = before = None
    count = ctx.default_page_size
    for name, value in params:
        try:
            if name == "_since":
                since = date_range(value, ctx.zone)[0]
            elif name == "_at":
                at = date_range(value, ctx.zone)
            elif name == "_count":
                count = min(max(int(value), 0), ctx.max_page_size)
            elif name == "_cursor":
                before = int(value)
            elif ctx.strict_handling and name not in ("_format", "_pretty"):
                raise Invalid("unknown-parameter", code="not-supported", name=name)
        except (BadDate, ValueError):
            raise Invalid("bad-parameter", code="value", name=name, value=value) from None
    return HistoryQuery(since=since, at=at, count=count, before_seq=before)


def history(
    storage: SqlStorage,
    ctx: RequestContext,
    type_name: str | None,
    res_id: str | None,
    params: list[tuple[str, str]],
) -> Result:
    """A history Bundle for one resource, one type, or the whole server (only what the caller may see)."""
    if type_name is not None:
        require_served_type(type_name)
    interaction = "history-instance" if res_id is not None else "history-type" if type_name else "history-system"
    with audited(ctx, interaction, type_name, res_id, params=params) as seen:
        if type_name is not None:
            require(ctx, type_name, interaction)
        else:
            require_unrestricted(ctx, "_history")
        current = storage.read(type_name or "", res_id) if res_id is not None and is_valid_id(res_id) else None
        if res_id is not None and (current is None or not visible(ctx, storage, current)):
            raise NotFound("not-found", type=type_name, id=res_id)
        query = _parse(ctx, params)
        query = HistoryQuery(type_name, res_id, query.since, query.at, query.count, query.before_seq)
        page = storage.history(query)
        restricted = ctx.principal.scopes is not None and res_id is None
        rows = [s for s in page.rows if s.content is not None and visible(ctx, storage, s)] if restricted else page.rows
        seen.rows = rows
    path = "/".join(p for p in (type_name, res_id) if p) + ("/_history" if type_name else "_history")
    base = [(k, v) for k, v in params if k != "_cursor"]
    links = [("self", page_url(ctx, path, params))]
    if page.next_seq is not None:
        links.append(("next", page_url(ctx, path, [*base, ("_cursor", str(page.next_seq))])))
    entries = [_entry(ctx, stored) for stored in rows]
    total = None if restricted else page.total
    return Result(200, bundle("history", entries, total=total, links=links))
