"""Shared pieces of the EHR mapping: ids, references, findings, times, and what earlier tables left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.i18n import translate
from fhir_server.mappings.legacy.records import Finding, Outcome, legacy_id, legacy_identifier
from fhir_server.model import canonical as c

SOURCE = "ehr"
ZONE = ZoneInfo("America/Guayaquil")  # the legacy EHR wrote local Ecuador time (C.12.2)
MIGRATED_TAG = {"system": c.CS_LEGACY_TAGS, "code": "migrado"}


def rid(table: str, key: object, part: str = "") -> str:
    """The resource id of a legacy row (or of one of its parts)."""
    return legacy_id(SOURCE, table, key, part)


def ref(type_name: str, table: str, key: object, part: str = "") -> dict[str, str]:
    return {"reference": f"{type_name}/{rid(table, key, part)}"}


def ident(table: str, key: object) -> dict[str, Any]:
    return legacy_identifier(SOURCE, table, key)


def meta(profile: str | None = None, *tags: str) -> dict[str, Any]:
    """meta with the clinic profile claimed (when the resource conforms) and the migration tags."""
    result: dict[str, Any] = {"tag": [MIGRATED_TAG, *({"system": c.CS_LEGACY_TAGS, "code": t} for t in tags)]}
    if profile is not None:
        result["profile"] = [profile]
    return result


def finding(
    code: str, table: str, key: object, /, outcome: Outcome = "kept", message: str = "", **params: Any
) -> Finding:
    """A finding on a legacy row, worded in both languages."""
    message_id = f"legacy-{message or code}"
    return Finding(
        code, table, f"id={key}", translate(message_id, "es", params), translate(message_id, "en", params), outcome
    )


def local(moment: datetime | None) -> str | None:
    """A legacy timestamp as a FHIR dateTime in clinic time."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZONE)
    return aware.astimezone(ZONE).isoformat(timespec="seconds")


def birth_date(moment: datetime | date) -> str:
    """fecha_nacimiento is a timestamptz: its UTC calendar date is the birth date (C.1)."""
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(UTC).date().isoformat()
    return moment.isoformat()


def slot(day: date, hour: time, minutes: int = 30) -> tuple[str, str]:
    """Start and end of a legacy cita (fecha + hora, 30 minutes) in clinic time."""
    start = datetime.combine(day, hour, ZONE)
    end = start + timedelta(minutes=minutes)
    return start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")


@dataclass
class CitaFacts:
    patient: int
    doctor: int
    consultorio: int
    imported: bool
    encounter: bool


@dataclass
class EvolucionFacts:
    patient: int
    medico: int
    fecha: str | None
    encounter: str | None  # Encounter id, when the consultation has one


@dataclass
class State:
    """What earlier tables taught the mapping of later ones (all keyed by legacy id)."""

    provincias: dict[int, tuple[str | None, str]] = field(default_factory=dict)  # (DPA code, name)
    cantones: dict[int, tuple[str | None, str, int]] = field(default_factory=dict)  # (code, name, provincia)
    parroquias: dict[int, tuple[str | None, str, int]] = field(default_factory=dict)  # (code, name, canton)
    cie: dict[int, tuple[str, str]] = field(default_factory=dict)  # (normalised code, Spanish name)
    medicines: dict[tuple[str, str], str] = field(default_factory=dict)  # (generic, strength) folded -> catalog id
    roles: dict[int, str] = field(default_factory=dict)  # user -> legacy role
    users: set[int] = field(default_factory=set)  # users imported
    patients: set[int] = field(default_factory=set)  # patients imported
    empresas: dict[str, str] = field(default_factory=dict)  # empresa -> Organization id
    citas: dict[int, CitaFacts] = field(default_factory=dict)
    vitals: dict[int, tuple[int, int, str]] = field(default_factory=dict)  # id -> (cita, patient, panel id)
    evoluciones: dict[int, EvolucionFacts] = field(default_factory=dict)
    # Pre-scanned: per cita its vitals rows and evoluciones; per evolución its diagnoses; per doctor his rooms.
    vitals_by_cita: dict[int, list[int]] = field(default_factory=dict)
    evoluciones_by_cita: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)  # (id, medico, motivo)
    diagnoses_by_evolucion: dict[int, list[int]] = field(default_factory=dict)
