"""AuditEvents of authentication: logins, token requests and revocations at the authorization server.

DICOM "User Authentication" (DCM#110114) with subtype Login / Logout, and IHE IUA "Get Access Token"
for the token endpoint. Never a password or a token: the user name is only the agent's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_server.audit.codes import (
    DCM,
    ENTITY_TYPE,
    IHE_EVENT_TYPE,
    OBJECT_ROLE,
    ROLE_SYSTEM,
    SECURITY_ROLE,
    coding,
    concept,
)
from fhir_server.audit.events import Actor, client_agent, server_agent, source, user_who
from fhir_server.model.instants import fhir_instant

SUBTYPES = {
    "login": (DCM, "110122", "Login"),
    "logout": (DCM, "110123", "Logout"),
    "token": (IHE_EVENT_TYPE, "ITI-71", "Get Access Token"),
}


@dataclass(frozen=True, slots=True)
class Authentication:
    """One authentication event: ``action`` is login (the login page), token or logout (revocation)."""

    action: str
    success: bool
    recorded_us: int
    actor: Actor
    server: str  # this server's FHIR base URL
    grant_type: str | None = None
    error: str | None = None


def _user_agent(actor: Actor) -> dict[str, Any] | None:
    who = user_who(actor)
    if who is None and not actor.name:
        return None
    agent: dict[str, Any] = {"type": concept(SECURITY_ROLE, "humanuser", "human user"), "requestor": True}
    if who is not None:
        agent["who"] = who
    if actor.role:
        agent["role"] = [concept(ROLE_SYSTEM, actor.role)]
    if actor.name:
        agent["name"] = actor.name
    return agent


def authentication_event(event: Authentication) -> dict[str, Any]:
    """The AuditEvent of a login, token request or revocation (outcome 0 on success, 4 when refused)."""
    system, code, display = SUBTYPES[event.action]
    user = _user_agent(event.actor)
    found: list[dict[str, Any]] = [user] if user is not None else []
    found.append(client_agent(event.actor, concept(DCM, "110150", "Application"), requestor=user is None))
    found.append(server_agent(event.server, concept(SECURITY_ROLE, "authserver", "authorization server")))
    audit: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": coding(DCM, "110114", "User Authentication"),
        "subtype": [coding(system, code, display)],
        "action": "E",
        "recorded": fhir_instant(event.recorded_us),
        "outcome": "0" if event.success else "4",
    }
    if event.error:
        audit["outcomeDesc"] = event.error
    audit["agent"] = found
    audit["source"] = source(event.server)
    if event.grant_type:
        audit["entity"] = [
            {
                "type": coding(ENTITY_TYPE, "2", "System Object"),
                "role": coding(OBJECT_ROLE, "13", "Security Resource"),
                "detail": [{"type": "grant_type", "valueString": event.grant_type}],
            }
        ]
    return audit
