"""The kick-off parameters of ``$export``, from a query string (GET) or a Parameters body (POST).

Unsupported parameters answer 400 unless the client asked for lenient handling
(``Prefer: handling=lenient``), as the Bulk Data IG requires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fhir_server.errors import Invalid
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.references import RefKind, parse_reference

SYSTEM, PATIENT, GROUP = "system", "patient", "group"
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
# Search controls that make no sense inside a _typeFilter (paging, shaping, other types).
_FILTER_CONTROLS = frozenset(
    {"_include", "_revinclude", "_sort", "_count", "_summary", "_elements", "_total", "_cursor", "_contained", "_type"}
)
_KNOWN = frozenset({"_type", "_since", "_typeFilter", "_outputFormat", "patient"})


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What a kick-off asked for: types (None: every permitted type), filters per type, patients."""

    kind: str
    types: tuple[str, ...] | None = None
    since: str | None = None
    since_us: int | None = None
    type_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    patients: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "types": list(self.types) if self.types is not None else None,
            "since": self.since,
            "since_us": self.since_us,
            "type_filters": {k: list(v) for k, v in self.type_filters.items()},
            "patients": list(self.patients) if self.patients is not None else None,
        }

    @staticmethod
    def from_json(kind: str, data: dict[str, Any]) -> ExportRequest:
        types, patients = data.get("types"), data.get("patients")
        return ExportRequest(
            kind,
            tuple(types) if types is not None else None,
            data.get("since"),
            data.get("since_us"),
            {k: tuple(v) for k, v in (data.get("type_filters") or {}).items()},
            tuple(patients) if patients is not None else None,
        )


def _text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise Invalid("bad-parameter", code="value", name=name, value=str(value))


def _patient_id(value: Any) -> str:
    reference = value.get("reference") if isinstance(value, dict) else value
    ref = parse_reference(reference) if isinstance(reference, str) else None
    if ref is None or ref.kind is not RefKind.RELATIVE or ref.type != "Patient" or not ref.id:
        raise Invalid("bad-parameter", code="value", name="patient", value=str(reference))
    return ref.id


def _types(values: list[Any]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        for name in _text("_type", value).split(","):
            name = name.strip()
            if not name:
                continue
            if name not in SERVED_TYPES:
                raise Invalid("bulk-unknown-type", code="not-supported", type=name)
            if name not in found:
                found.append(name)
    return tuple(found)


def _type_filters(values: list[Any]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for value in values:
        text = _text("_typeFilter", value)
        type_name, mark, query = text.partition("?")
        if not mark or type_name not in SERVED_TYPES:
            raise Invalid("bulk-type-filter", code="invalid", value=text)
        names = {name.partition(":")[0] for name, _ in parse_qsl(query, keep_blank_values=True)}
        if names & _FILTER_CONTROLS:
            raise Invalid("bulk-type-filter", code="invalid", value=text)
        found.setdefault(type_name, []).append(query)
    return {k: tuple(v) for k, v in found.items()}


def parse_request(kind: str, params: dict[str, list[Any]], *, lenient: bool, zone: Any, method: str) -> ExportRequest:
    """The kick-off parameters (400 on bad values, and on unsupported ones unless lenient)."""
    for name in params:
        if name not in _KNOWN and not lenient:
            raise Invalid("bulk-unsupported-parameter", code="not-supported", name=name)
    formats = params.get("_outputFormat") or []
    for value in formats:
        if _text("_outputFormat", value) not in OUTPUT_FORMATS:
            raise Invalid("bulk-output-format", code="not-supported", value=str(value))
    since = since_us = None
    if params.get("_since"):
        since = _text("_since", params["_since"][-1])
        try:
            since_us = date_range(since, zone)[0]
        except BadDate:
            raise Invalid("bad-parameter", code="value", name="_since", value=since) from None
    patients = None
    if params.get("patient"):
        if kind == SYSTEM or method != "POST":
            raise Invalid("bulk-patient-parameter", code="not-supported")
        patients = tuple(sorted({_patient_id(value) for value in params["patient"]}))
    types = _types(params["_type"]) if params.get("_type") else None
    filters = _type_filters(params.get("_typeFilter") or [])
    if types is not None:
        # Filters on types the client did not ask for select nothing.
        filters = {k: v for k, v in filters.items() if k in types}
    return ExportRequest(kind, types, since, since_us, filters, patients)
