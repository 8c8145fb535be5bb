"""What a legacy source hands the import runner: mapped rows, their findings, and stable ids.

A source reads its legacy tables in dependency order and maps each row to FHIR resources whose ids
are derived from the row's legacy key, so a re-run overwrites the same resources (an unchanged PUT
writes nothing) and a run stopped halfway resumes by running again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

from fhir_server.model.canonical import identifier_system

# Fixed namespace: ids must be the same on every installation and every run.
_LEGACY_NAMESPACE = uuid.UUID("6f1c1f0e-3b9a-5e2a-9d55-6c0a8e0f4a11")
_NAMESPACE_BYTES = _LEGACY_NAMESPACE.bytes

Outcome = Literal["kept", "skipped"]


def legacy_system(source: str, table: str) -> str:
    """Identifier system of one legacy table, e.g. ``.../sid/legacy/ehr/Patients``."""
    return identifier_system(f"legacy/{source}/{table}")


def legacy_identifier(source: str, table: str, key: object) -> dict[str, Any]:
    """The ``use=old`` identifier every imported resource carries."""
    return {"use": "old", "system": legacy_system(source, table), "value": str(key)}


def legacy_id(source: str, table: str, key: object, part: str = "") -> str:
    """Deterministic resource id for a legacy row (``part`` tells apart several resources of one row)."""
    return _uuid5(f"{source}|{table}|{key}|{part}")


@lru_cache(maxsize=1 << 16)  # references repeat the same few ids (patients, doctors, rooms, encounters)
def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(_LEGACY_NAMESPACE, name))`` without building a UUID object (less than half the
    time; every imported resource and reference takes one)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True, slots=True)
class Finding:
    """An inconsistency in the source, reported with its legacy row; never silently fixed or dropped."""

    code: str  # stable, e.g. "cedula-invalida", "vitals-paciente-distinto"
    table: str
    row: str  # the legacy key as the clinic would look it up, e.g. "id=17"
    message_es: str
    message_en: str
    outcome: Outcome  # kept: imported as it was (flagged); skipped: nothing of the row written


@dataclass(frozen=True, slots=True)
class LegacyAccount:
    """A legacy login that becomes a user account: pending activation, no legacy password, linked to its FHIR user."""

    username: str
    role: str  # one of fhir_server.auth.policy.ROLES
    fhir_user: str  # Practitioner/<id> or Patient/<id>
    email: str | None = None
    active: bool = True  # False: disabled in the legacy system, so created deactivated (no activation link)


@dataclass(slots=True)
class Mapped:
    """One legacy row and the FHIR resources it becomes (each with resourceType and a legacy_id id)."""

    table: str
    row: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    accounts: list[LegacyAccount] = field(default_factory=list)

    @property
    def skipped(self) -> bool:
        return any(f.outcome == "skipped" for f in self.findings)


@dataclass(slots=True)
class TableRun:
    """One legacy table: its row count (for progress) and its mapped rows, in key order."""

    table: str
    total: int
    rows: Iterator[Mapped]


class LegacySource(Protocol):
    """A legacy system opened for reading."""

    name: str  # "ehr" or "medly"

    def tables(self) -> Iterator[TableRun]:
        """Tables in dependency order (referenced rows before the rows referring to them)."""
        ...

    def close(self) -> None: ...
