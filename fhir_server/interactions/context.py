"""What every interaction receives about its request, independent of HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from fhir_server.errors import Issue


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. Until authorization lands every caller is the local, anonymous one."""

    kind: str = "anonymous"
    subject: str | None = None
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Per-request facts an interaction may need."""

    base_url: str
    language: str
    zone: tzinfo
    request_id: str = "-"
    principal: Principal = field(default_factory=Principal)
    strict_handling: bool = False
    default_page_size: int = 20
    max_page_size: int = 1000
    clinic_profiles: str = "claimed"


@dataclass(slots=True)
class Result:
    """An interaction's answer: status, body and the FHIR headers the HTTP layer renders.

    ``body`` is stored JSON bytes (passed through untouched) or a dict to serialise.
    """

    status: int
    body: bytes | dict[str, Any] | None = None
    version: int | None = None
    last_modified: int | None = None
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    info: Issue | None = None  # an informational OperationOutcome when there is no resource
