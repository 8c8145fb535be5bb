"""Small pieces every Medly table mapping shares: ids, references, tags, codes, times."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from fhir_server.mappings.legacy.records import legacy_id, legacy_identifier
from fhir_server.model import canonical as c
from fhir_server.model.json import loads

SOURCE = "medly"
MIGRATED = {"system": c.CS_LEGACY_TAGS, "code": "migrado", "display": "Migrado de un sistema anterior"}
INCOMPLETE = {
    "system": c.CS_LEGACY_TAGS,
    "code": "datos-incompletos",
    "display": "Datos incompletos en el sistema anterior",
}
NOSHOW = {
    "system": c.CS_LEGACY_TAGS,
    "code": "revisar-noshow",
    "display": "Cita pendiente en el pasado: posible inasistencia",
}


def rid(table: str, key: object, part: str = "") -> str:
    return legacy_id(SOURCE, table, key, part)


def ref(type_name: str, table: str, key: object, part: str = "") -> dict[str, str]:
    return {"reference": f"{type_name}/{rid(table, key, part)}"}


def resource(
    type_name: str,
    table: str,
    key: object,
    part: str = "",
    *,
    profile: str | None = None,
    flags: tuple[dict[str, str], ...] = (),
    **body: Any,
) -> dict[str, Any]:
    """A resource with its legacy id, legacy identifier (``use=old``) and migration tags."""
    meta: dict[str, Any] = {"tag": [MIGRATED, *flags]}
    if profile:
        meta["profile"] = [profile]
    identifiers = [legacy_identifier(SOURCE, table, key), *body.pop("identifier", [])]
    return {"resourceType": type_name, "id": rid(table, key, part), "meta": meta, "identifier": identifiers, **body}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def folded(text: str) -> str:
    """Lower case, without accents and repeated spaces: how legacy names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def clean(value: Any) -> str:
    """A legacy text column as trimmed text ('' for NULL)."""
    return " ".join(str(value).split()) if value is not None else ""


@dataclass(frozen=True, slots=True)
class Clock:
    """Medly stores naive local DATE + TIME (zone configured at import) and UTC instants from MongoDB."""

    zone: tzinfo
    today: date
    slot_minutes: int = 30

    def local(self, day: date, at: time | timedelta) -> datetime:
        if isinstance(at, timedelta):  # PyMySQL returns TIME columns as timedelta
            at = (datetime.min + at).time()
        return datetime.combine(day, at, tzinfo=self.zone)

    def instant(self, value: datetime) -> str:
        return value.astimezone(self.zone).isoformat(timespec="seconds")


def default_mappings_dir() -> Path:
    """``mappings/`` next to the package (a source checkout or an editable install)."""
    return Path(__file__).resolve().parents[4] / "mappings"


@dataclass(slots=True)
class CodeTables:
    """The legacy code tables (ConceptMaps under mappings/): legacy code -> (target system, code, display)."""

    tables: dict[str, dict[str, tuple[str, str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path, names: tuple[str, ...]) -> CodeTables:
        found = cls()
        for name in names:
            concept_map = loads((directory / f"{name}.json").read_bytes())
            table: dict[str, tuple[str, str, str]] = {}
            for group in concept_map.get("group", []):
                for element in group.get("element", []):
                    for target in element.get("target", []):
                        if target.get("equivalence") not in ("unmatched", "disjoint"):
                            table[str(element["code"])] = (group["target"], target["code"], target.get("display", ""))
            found.tables[name] = table
        return found

    def target(self, name: str, code: str) -> tuple[str, str, str] | None:
        return self.tables[name].get(code)
