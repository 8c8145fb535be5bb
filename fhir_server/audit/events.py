"""AuditEvents of RESTful interactions, shaped after IHE Basic Audit Log Patterns (BALP) on FHIR R4.

Pure builders: plain values in, AuditEvent JSON out. One event per patient when the data touched
belongs to several (BALP PatientQuery); none of them is validated again when stored, so the tests
check every shape against the server's own R4 validator.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from fhir_server.audit.codes import (
    ACCOUNT_ID_SYSTEM,
    ACT_REASON,
    BALP_ENTITY_TYPE,
    CLIENT_ID_SYSTEM,
    DCM,
    ENTITY_TYPE,
    EVENT_TYPE,
    INTERACTION,
    OBJECT_ROLE,
    PARTICIPATION,
    PROVENANCE_PARTICIPANT,
    READS,
    ROLE_SYSTEM,
    SERVER_NAME,
    SOURCE_TYPE,
    URI,
    WRITES,
    action_of,
    coding,
    concept,
    outcome_code,
    purpose_of,
)
from fhir_server.model.instants import fhir_instant

MAX_DESCRIPTION = 1000  # the readable query is a convenience; the base64 copy keeps it whole


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked, in plain values (the audit layer knows no request objects).

    ``kind``: anonymous (authorization off), user (a SMART user token), client (Backend Services) or
    system (the server itself). ``user`` is the fhirUser reference (``Practitioner/1``).
    """

    kind: str = "anonymous"
    user: str | None = None
    account: str | None = None
    name: str | None = None
    role: str | None = None
    client_id: str | None = None
    address: str | None = None
    break_glass: str | None = None


@dataclass(frozen=True, slots=True)
class Access:
    """One audited interaction: what was done, to what, for whom, with which HTTP status."""

    interaction: str
    status: int
    recorded_us: int
    actor: Actor
    server: str  # this server's FHIR base URL
    request_id: str = "-"
    type_name: str | None = None
    res_id: str | None = None
    version: int | None = None
    patients: tuple[str, ...] = ()
    query: str | None = None
    operation: str | None = None
    detail: str | None = None


def server_reference(server: str) -> dict[str, Any]:
    """This server as a logical reference (no Device resource needs to exist)."""
    return {"identifier": {"system": URI, "value": server}, "display": SERVER_NAME}


def source(server: str) -> dict[str, Any]:
    """AuditEvent.source: this server observed the event."""
    site = urlsplit(server).hostname or server
    return {
        "site": site,
        "observer": server_reference(server),
        "type": [coding(SOURCE_TYPE, "4", "Application Server")],
    }


def user_who(actor: Actor) -> dict[str, Any] | None:
    """The person behind the request: their fhirUser, else their account id."""
    if actor.user:
        return {"reference": actor.user}
    if actor.account:
        return {"identifier": {"system": ACCOUNT_ID_SYSTEM, "value": actor.account}}
    return None


def client_who(actor: Actor) -> dict[str, Any]:
    """The app that sent the request, by client_id (anonymous callers have none)."""
    if actor.client_id:
        return {"identifier": {"system": CLIENT_ID_SYSTEM, "value": actor.client_id}}
    return {"display": "anonymous"}


def purpose(actor: Actor) -> dict[str, Any] | None:
    """purposeOfEvent / purposeOfUse as a CodeableConcept, when one applies."""
    if actor.kind != "user":
        return None
    found = purpose_of(actor.role, actor.break_glass is not None)
    if found is None:
        return None
    reason = concept(ACT_REASON, *found)
    if actor.break_glass:
        reason["text"] = actor.break_glass
    return reason


def user_agent(actor: Actor, agent_type: dict[str, Any]) -> dict[str, Any] | None:
    """agent[user]: the human requestor (BALP), or None when no user is behind the request."""
    who = user_who(actor)
    if actor.kind != "user" or who is None:
        return None
    agent: dict[str, Any] = {"type": agent_type, "who": who, "requestor": True}
    if actor.role:
        agent["role"] = [concept(ROLE_SYSTEM, actor.role)]
    if actor.name:
        agent["name"] = actor.name
    reason = purpose(actor)
    if reason is not None:
        agent["purposeOfUse"] = [reason]
    return agent


def client_agent(actor: Actor, agent_type: dict[str, Any], *, requestor: bool) -> dict[str, Any]:
    """agent[client]: the app, with the network address it called from when known."""
    agent: dict[str, Any] = {"type": agent_type, "who": client_who(actor), "requestor": requestor}
    if actor.address:
        agent["network"] = {"address": actor.address, "type": "2"}
    return agent


def server_agent(server: str, agent_type: dict[str, Any], *, requestor: bool = False) -> dict[str, Any]:
    """agent[server]: this server, addressed by its base URL."""
    return {
        "type": agent_type,
        "who": server_reference(server),
        "requestor": requestor,
        "network": {"address": server, "type": "5"},
    }


def _roles(interaction: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    # (client, server, user) agent types. BALP follows DICOM: who sends the request parameters is the
    # Source for queries and writes, the Destination for reads; its Delete profile names them otherwise.
    source_role = concept(DCM, "110153", "Source Role ID")
    destination_role = concept(DCM, "110152", "Destination Role ID")
    if interaction == "delete":
        custodian = concept(PROVENANCE_PARTICIPANT, "custodian", "Custodian")
        return concept(DCM, "110150", "Application"), custodian, concept(PARTICIPATION, "AUT", "author")
    if interaction in WRITES:
        return source_role, destination_role, concept(PARTICIPATION, "AUT", "author")
    if interaction in READS:
        return destination_role, source_role, concept(PARTICIPATION, "IRCP", "information recipient")
    return source_role, destination_role, concept(PARTICIPATION, "IRCP", "information recipient")


def agents(actor: Actor, server: str, interaction: str) -> list[dict[str, Any]]:
    """The agents of a RESTful event: the user (if any), the client app, and this server."""
    client_type, server_type, user_type = _roles(interaction)
    if actor.kind == "system":
        return [server_agent(server, server_type, requestor=True)]
    user = user_agent(actor, user_type)
    found = [user] if user is not None else []
    found.append(client_agent(actor, client_type, requestor=user is None))
    found.append(server_agent(server, server_type))
    return found


# Codings every event repeats, built once and shared (nothing changes an event once built).
_XREQUEST_ID = coding(BALP_ENTITY_TYPE, "XrequestId")
_PERSON = coding(ENTITY_TYPE, "1", "Person")
_PATIENT_ROLE = coding(OBJECT_ROLE, "1", "Patient")
_SYSTEM_OBJECT = coding(ENTITY_TYPE, "2", "System Object")
_DOMAIN_RESOURCE = coding(OBJECT_ROLE, "4", "Domain Resource")
_QUERY_ROLE = coding(OBJECT_ROLE, "24", "Query")


def transaction_entity(request_id: str) -> dict[str, Any]:
    """entity[transaction]: the X-Request-Id, to join the event with logs and the client's own records."""
    return {"what": {"identifier": {"value": request_id}}, "type": _XREQUEST_ID}


def patient_entity(patient_id: str) -> dict[str, Any]:
    """entity[patient]: whose record was touched."""
    return {
        "what": {"reference": f"Patient/{patient_id}"},
        "type": _PERSON,
        "role": _PATIENT_ROLE,
    }


def data_entity(type_name: str, res_id: str, version: int | None) -> dict[str, Any]:
    """entity[data]: the resource, versioned when the version is known."""
    reference = f"{type_name}/{res_id}" + (f"/_history/{version}" if version is not None else "")
    return {
        "what": {"reference": reference},
        "type": _SYSTEM_OBJECT,
        "role": _DOMAIN_RESOURCE,
    }


def query_entity(path: str, query: str) -> dict[str, Any]:
    """entity[query]: the raw query base64-encoded (keeps malicious input verbatim), readable in description."""
    return {
        "type": _SYSTEM_OBJECT,
        "role": _QUERY_ROLE,
        "description": f"{path}?{unquote_plus(query)}"[:MAX_DESCRIPTION],
        "query": base64.b64encode(query.encode()).decode("ascii"),
    }


def _path(access: Access) -> str:
    parts = [p for p in (access.type_name, access.res_id) if p]
    if access.operation:
        parts.append(f"${access.operation.lstrip('$')}")
    return "/".join(parts)


@lru_cache(maxsize=64)
def _subtypes(interaction: str, operation: str | None) -> list[dict[str, Any]]:
    subtypes = [coding(INTERACTION, interaction, interaction)]
    if operation:
        subtypes.append({"display": f"${operation.lstrip('$')}"})
    return subtypes


# The parts every event of a caller repeats are built once and shared by its events (nothing changes
# an event once built): consecutive events then index faster, as indexing reuses the rows of the
# very same objects (storage.indexing). Bounded: actors differ by user, client and address.
_shared_agents = lru_cache(maxsize=1024)(agents)
_shared_source = lru_cache(maxsize=16)(source)
_REST_TYPE = coding(EVENT_TYPE, "rest", "Restful Operation")


def _common_entities(access: Access) -> list[dict[str, Any]]:
    entities = []
    if access.request_id and access.request_id != "-":
        entities.append(transaction_entity(access.request_id))
    if access.type_name and access.res_id:
        entities.append(data_entity(access.type_name, access.res_id, access.version))
    if access.query is not None and access.interaction not in READS and access.interaction not in WRITES:
        entities.append(query_entity(_path(access), access.query))
    return entities


def rest_events(access: Access) -> list[dict[str, Any]]:
    """The AuditEvents of one interaction: one per patient touched, or one when no patient is known."""
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": _REST_TYPE,
        "subtype": _subtypes(access.interaction, access.operation),
        "action": action_of(access.interaction),
        "recorded": fhir_instant(access.recorded_us),
        "outcome": outcome_code(access.status),
    }
    if access.detail:
        event["outcomeDesc"] = access.detail
    reason = purpose(access.actor)
    if reason is not None:
        event["purposeOfEvent"] = [reason]
    event["agent"] = _shared_agents(access.actor, access.server, access.interaction)
    event["source"] = _shared_source(access.server)
    entities = _common_entities(access)
    if not access.patients:
        return [{**event, "entity": entities}] if entities else [event]
    return [{**event, "entity": [*entities, patient_entity(p)]} for p in dict.fromkeys(access.patients)]
