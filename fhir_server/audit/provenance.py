"""Provenance of a write (security.md 5.5): which version, when, by whom, through which app, why.

Authorship comes from the token, never from the request body: clients cannot forge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir_server.audit.codes import (
    DATA_OPERATION,
    DCM,
    PROVENANCE_PARTICIPANT,
    ROLE_SYSTEM,
    concept,
)
from fhir_server.audit.events import Actor, client_who, purpose, server_reference, user_who
from fhir_server.model.instants import fhir_instant

ACTIVITIES = {"create": "CREATE", "update": "UPDATE", "patch": "UPDATE", "delete": "DELETE"}
DISPLAYS = {"CREATE": "create", "UPDATE": "revise", "DELETE": "delete"}  # v3-DataOperation's own displays


def _author(actor: Actor, server: str) -> dict[str, Any]:
    who = user_who(actor) if actor.kind == "user" else None
    if who is None:
        # No person behind it: the server itself, or the backend client acting on its own.
        who = server_reference(server) if actor.kind == "system" else client_who(actor)
    author: dict[str, Any] = {"type": concept(PROVENANCE_PARTICIPANT, "author", "Author")}
    if actor.kind == "user" and actor.role:
        author["role"] = [concept(ROLE_SYSTEM, actor.role)]
    author["who"] = who
    return author


def provenance(actor: Actor, server: str, targets: Sequence[str], recorded_us: int, interaction: str) -> dict[str, Any]:
    """A Provenance for versioned ``targets`` (``Type/id/_history/n``) written by one interaction."""
    activity = ACTIVITIES.get(interaction, "UPDATE")
    agents = [_author(actor, server)]
    if actor.kind == "user" and actor.client_id:
        agents.append({"type": concept(DCM, "110150", "Application"), "who": client_who(actor)})
    found: dict[str, Any] = {
        "resourceType": "Provenance",
        "target": [{"reference": target} for target in targets],
        "recorded": fhir_instant(recorded_us),
        "activity": concept(DATA_OPERATION, activity, DISPLAYS[activity]),
        "agent": agents,
    }
    reason = purpose(actor)
    if reason is not None:
        found["reason"] = [reason]
    return found
