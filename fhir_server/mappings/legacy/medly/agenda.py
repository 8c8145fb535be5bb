"""agenda_medica -> Slot; citas -> Appointment, and the consultation's Encounter (legacy-domain C.4-C.6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fhir_server.mappings.legacy.medly.common import NOSHOW, Clock, coding, concept, ref, resource
from fhir_server.mappings.legacy.medly.findings import finding
from fhir_server.mappings.legacy.medly.index import Index
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c

SLOTS_TABLE, CITAS_TABLE, USERS_TABLE = "agenda_medica", "citas", "usuarios"
ACTIVE = ("pendiente", "finalizada")


def _period(clock: Clock, row: dict[str, Any], day_key: str, time_key: str) -> tuple[datetime, datetime] | None:
    if row.get(day_key) is None or row.get(time_key) is None:
        return None
    start = clock.local(row[day_key], row[time_key])
    return start, start + timedelta(minutes=clock.slot_minutes)


def _books(cita_id: int, index: Index) -> bool:
    """True when the cita becomes an active (booked) Appointment of this slot."""
    cita = index.citas[cita_id]
    valid = index.is_role(cita.patient, "paciente") and index.is_role(cita.doctor, "doctor")
    return valid and cita.estado == "pendiente" and cita_id not in index.collisions


def _server_status(slot_id: int, index: Index) -> str:
    """The server keeps a Slot busy exactly while an active Appointment claims it (fulfilled ones release it);
    writing that status keeps a re-run from creating new Slot versions."""
    return "busy" if any(_books(i, index) for i in index.citas_by_slot.get(slot_id, [])) else "free"


def map_slot(row: dict[str, Any], index: Index) -> Mapped:
    slot_id, doctor = int(row["id"]), int(row["id_medico"])
    mapped = Mapped(SLOTS_TABLE, f"id={slot_id}")
    if not index.is_role(doctor, "doctor"):
        mapped.findings.append(finding("agenda-medico-invalido", SLOTS_TABLE, mapped.row, "skipped", medico=doctor))
        return mapped
    disponible = "0" if row["disponible"] is not None and not row["disponible"] else "1"
    target = index.codes.target("medly-agenda-disponible", disponible)
    status = target[1] if target else "free"
    estados = [index.citas[i].estado for i in index.citas_by_slot.get(slot_id, [])]
    holding = any(e in ACTIVE for e in estados)
    if holding != (status == "busy"):
        # The booking's "disponible=0" update was not awaited and cancellations re-open finished slots.
        shown = ", ".join(estados) or "ninguna"
        mapped.findings.append(
            finding(
                "agenda-disponible-incoherente",
                SLOTS_TABLE,
                mapped.row,
                "kept",
                disponible=disponible,
                estados=shown,
                status=_server_status(slot_id, index),
            )
        )
    start, end = _period(index.clock, row, "fecha", "hora") or (None, None)
    assert start is not None and end is not None  # fecha and hora are NOT NULL
    mapped.resources.append(
        resource(
            "Slot",
            SLOTS_TABLE,
            slot_id,
            schedule=ref("Schedule", USERS_TABLE, doctor, "schedule"),
            status=_server_status(slot_id, index),
            start=start.isoformat(),
            end=end.isoformat(),
        )
    )
    return mapped


def _cita_findings(mapped: Mapped, row: dict[str, Any], index: Index, start: datetime | None) -> list[dict[str, str]]:
    flags: list[dict[str, str]] = []
    cita_id, estado = int(row["id"]), str(row["estado"] or "pendiente")
    if row["agenda_medico"] is not None and int(row["agenda_medico"]) != int(row["id_medico"]):
        mapped.findings.append(
            finding(
                "cita-medico-distinto",
                CITAS_TABLE,
                mapped.row,
                "kept",
                cita=row["id_medico"],
                agenda=row["agenda_medico"],
            )
        )
    if cita_id in index.collisions:
        earlier, who = index.collisions[cita_id]
        mapped.findings.append(finding("cita-doble-reserva", CITAS_TABLE, mapped.row, "kept", otra=earlier, quien=who))
    consultas = index.consultas_by_cita.get(cita_id, [])
    if estado == "pendiente" and start is not None and start.date() < index.clock.today and not consultas:
        flags.append(NOSHOW)
        mapped.findings.append(
            finding("cita-pendiente-pasada", CITAS_TABLE, mapped.row, "kept", fecha=start.date().isoformat())
        )
    if estado == "finalizada" and not consultas:
        mapped.findings.append(finding("cita-finalizada-sin-consulta", CITAS_TABLE, mapped.row, "kept"))
    if estado == "cancelada" and consultas:
        mapped.findings.append(finding("cita-cancelada-con-consulta", CITAS_TABLE, mapped.row, "kept"))
    return flags


def _invalid_party(mapped: Mapped, row: dict[str, Any], index: Index) -> bool:
    for field, role, expected in (("id_paciente", "paciente", "paciente"), ("id_medico", "doctor", "médico")):
        if not index.is_role(int(row[field]), role):
            mapped.findings.append(
                finding(
                    "cita-referencia-invalida",
                    CITAS_TABLE,
                    mapped.row,
                    "skipped",
                    campo=field,
                    valor=row[field],
                    esperado=expected,
                )
            )
            return True
    return False


def map_cita(row: dict[str, Any], index: Index) -> Mapped:
    cita_id = int(row["id"])
    mapped = Mapped(CITAS_TABLE, f"id={cita_id}")
    if _invalid_party(mapped, row, index):
        return mapped
    patient, doctor = int(row["id_paciente"]), int(row["id_medico"])
    estado = str(row["estado"] or "pendiente")
    period = _period(index.clock, row, "fecha", "hora")
    flags = _cita_findings(mapped, row, index, period[0] if period else None)
    target = index.codes.target("medly-cita-estado", estado)
    doctor_role = ref("PractitionerRole", USERS_TABLE, doctor, "role")
    status = target[1] if target else "booked"
    appointment: dict[str, Any] = {
        "status": "waitlist" if cita_id in index.collisions else status,
        "participant": [
            {"actor": ref("Patient", USERS_TABLE, patient), "required": "required", "status": "accepted"},
            {
                "actor": doctor_role,
                "type": [concept(c.V3_PARTICIPATION, "ATND", "attender")],
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if period is not None:
        appointment |= {
            "start": period[0].isoformat(),
            "end": period[1].isoformat(),
            "minutesDuration": index.clock.slot_minutes,
        }
        if index.is_role(int(row["agenda_medico"]), "doctor"):
            appointment["slot"] = [ref("Slot", SLOTS_TABLE, row["id_agenda"])]
    if estado == "cancelada":
        appointment["cancelationReason"] = {"text": "Cancelada en Medly (no se registró quién ni por qué)"}
    mapped.resources.append(resource("Appointment", CITAS_TABLE, cita_id, flags=tuple(flags), **appointment))
    consultas = index.consultas_by_cita.get(cita_id, [])
    if estado == "finalizada" or consultas:
        mapped.resources.append(_encounter(cita_id, patient, doctor_role, period))
    return mapped


def _encounter(
    cita_id: int, patient: int, doctor: dict[str, str], period: tuple[datetime, datetime] | None
) -> dict[str, Any]:
    """The consultation held for this cita (C.6: Medly consulta present -> finished)."""
    encounter: dict[str, Any] = {
        "status": "finished",
        "class": coding(c.V3_ACT, "AMB", "ambulatory"),
        "subject": ref("Patient", USERS_TABLE, patient),
        "participant": [{"type": [concept(c.V3_PARTICIPATION, "ATND", "attender")], "individual": doctor}],
        "appointment": [ref("Appointment", CITAS_TABLE, cita_id)],
    }
    if period is not None:
        encounter["period"] = {"start": period[0].isoformat(), "end": period[1].isoformat()}
    return resource("Encounter", CITAS_TABLE, cita_id, "encounter", profile=c.PROFILE_ENCOUNTER, **encounter)
