"""The caller of a kick-off, kept with the job: the worker exports with exactly their permissions."""

from __future__ import annotations

import json

from fhir_server.auth.scopes import ScopeSet
from fhir_server.interactions.context import Principal


def dump_principal(principal: Principal) -> str:
    return json.dumps(
        {
            "kind": principal.kind,
            "subject": principal.subject,
            "scopes": principal.scopes.render() if principal.scopes is not None else None,
            "role": principal.role,
            "patient": principal.patient,
            "client_id": principal.client_id,
            "account_id": principal.account_id,
        }
    )


def load_principal(text: str) -> Principal:
    data = json.loads(text)
    scopes = data.get("scopes")
    return Principal(
        kind=data["kind"],
        subject=data.get("subject"),
        scopes=ScopeSet.parse(scopes) if scopes is not None else None,
        role=data.get("role"),
        patient=data.get("patient"),
        client_id=data.get("client_id"),
        account_id=data.get("account_id"),
    )


def owner_of(principal: Principal) -> str:
    """Who a job belongs to: the client for Backend Services tokens, the open server when unrestricted."""
    if principal.kind == "client":
        return f"client:{principal.client_id}"
    if principal.scopes is None:
        return f"{principal.kind}:open"
    return f"{principal.kind}:{principal.account_id or principal.subject or '-'}"
