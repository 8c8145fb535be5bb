"""An account switched off or on: its Practitioner and PractitionerRoles follow (``active``), in one transaction."""

from __future__ import annotations

from typing import Any

from fhir_server.interactions.context import Principal, RequestContext
from fhir_server.interactions.writes import put_in
from fhir_server.model.json import loads
from fhir_server.search.query import SearchQuery, parse_query
from fhir_server.search.registry import r4_registry
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


def _roles_query(ctx: RequestContext, practitioner: str) -> SearchQuery:
    return parse_query(
        "PractitionerRole", [("practitioner", practitioner), ("_count", "100")], registry=r4_registry(),
        zone=ctx.zone, base_url=ctx.base_url, default_count=100, max_count=100, strict=True,
    )  # fmt: skip


def set_staff_active(storage: SqlStorage, ctx: RequestContext, fhir_user: str | None, active: bool) -> int:
    """Set ``active`` on the account's Practitioner and its roles; returns how many resources changed."""
    if not fhir_user or not fhir_user.startswith("Practitioner/"):
        return 0
    server = RequestContext(ctx.base_url, ctx.language, ctx.zone, principal=Principal(kind="system"))
    practitioner_id = fhir_user.split("/", 1)[1]

    def work(writer: Writer) -> int:
        targets: list[tuple[str, dict[str, Any]]] = []
        current = writer.current("Practitioner", practitioner_id)
        if current is not None and current.content is not None:
            targets.append((practitioner_id, loads(current.content)))
        for row in writer.search(_roles_query(server, fhir_user)).rows:
            if row.content is not None:
                targets.append((row.id, loads(row.content)))
        changed = 0
        for res_id, resource in targets:
            if resource.get("active") is not active:
                put_in(writer, server, {**resource, "active": active}, res_id, None)
                changed += 1
        return changed

    return storage.write(work)
