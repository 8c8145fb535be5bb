"""The clinic and its agenda: consultorios -> Location + PractitionerRole + Schedule, horarios -> availableTime,
citas -> Appointment (+ the Encounter of the consultation) (C.3.1, C.4, C.5, C.6)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fhir_server.mappings.legacy.ehr.common import CitaFacts, State, finding, ident, meta, ref, rid, slot
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c
from fhir_server.search.values import fold

SITE_ID = rid("sede", "principal")
CLINIC_ID = rid("sede", "clinica")
DAYS = {"lunes": "mon", "martes": "tue", "miercoles": "wed", "jueves": "thu", "viernes": "fri", "sabado": "sat",
        "domingo": "sun"}  # fmt: skip


def clinic_site() -> Mapped:
    """The clinic and the building its consultorios are in (the legacy system had neither)."""
    mapped = Mapped("sede", "id=principal")
    mapped.resources.append(
        {
            "resourceType": "Organization",
            "id": CLINIC_ID,
            "meta": meta(c.PROFILE_ORGANIZATION),
            "identifier": [ident("sede", "clinica")],
            "active": True,
            "name": "Clínica",
        }
    )
    mapped.resources.append(
        {
            "resourceType": "Location",
            "id": SITE_ID,
            "meta": meta(),
            "identifier": [ident("sede", "principal")],
            "status": "active",
            "name": "Sede principal",
            "mode": "instance",
            "physicalType": {"coding": [{"system": c.LOCATION_PHYSICAL_TYPE, "code": "bu", "display": "Building"}]},
            "managingOrganization": {"reference": f"Organization/{CLINIC_ID}"},
        }
    )
    return mapped


def horario_slot(row: dict[str, Any], mapped: Mapped | None = None) -> dict[str, Any] | None:
    """One horario as PractitionerRole.availableTime (None, reported, when it cannot be read)."""
    raw = str(row["dia"] or "")
    day = DAYS.get(fold(raw).strip())
    start, end = row["horaInicio"], row["horaFin"]
    if day is None:
        if mapped is not None:
            mapped.findings.append(finding("dia-desconocido", "HorariosConsultorio", row["id"], "skipped", value=raw))
        return None
    if not isinstance(start, time) or not isinstance(end, time) or start >= end:
        if mapped is not None:
            params = {"start": str(start), "end": str(end)}
            mapped.findings.append(finding("horario-invertido", "HorariosConsultorio", row["id"], "skipped", **params))
        return None
    if mapped is not None and raw != raw.upper():
        mapped.findings.append(finding("dia-ortografia", "HorariosConsultorio", row["id"], value=raw, day=day))
    return {"daysOfWeek": [day], "availableStartTime": start.isoformat(), "availableEndTime": end.isoformat()}


def horario(row: dict[str, Any]) -> Mapped:
    """A horario row: already part of its consultorio's PractitionerRole; here only its findings."""
    mapped = Mapped("HorariosConsultorio", f"id={row['id']}")
    horario_slot(row, mapped)
    return mapped


def consultorio(row: dict[str, Any], horarios: list[dict[str, Any]]) -> Mapped:
    key, doctor = row["id"], row["doctorId"]
    mapped = Mapped("Consultorios", f"id={key}")
    location_id = rid("Consultorios", key)
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": location_id,
        "meta": meta(c.PROFILE_CONSULTORIO),
        "identifier": [ident("Consultorios", key), {"system": c.CONSULTORIO_NUMBER_SYSTEM, "value": row["numero"]}],
        "status": "inactive" if row["estado"] == "inactivo" else "active",
        "name": f"Consultorio {row['numero']}",
        "mode": "instance",
        "physicalType": {"coding": [{"system": c.LOCATION_PHYSICAL_TYPE, "code": "ro", "display": "Room"}]},
        "managingOrganization": {"reference": f"Organization/{CLINIC_ID}"},
        "partOf": {"reference": f"Location/{SITE_ID}"},
    }
    if row.get("descripcion"):
        location["description"] = row["descripcion"]
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": rid("Consultorios", key, "role"),
        "meta": meta(c.PROFILE_PRACTITIONER_ROLE),
        "identifier": [ident("Consultorios", key)],
        "active": location["status"] == "active",
        "practitioner": ref("Practitioner", "Users", doctor),
        "code": [{"coding": [{"system": c.CS_ROL_USUARIO, "code": "doctor"}], "text": "doctor"}],
        "location": [{"reference": f"Location/{location_id}"}],
    }
    available = [s for s in (horario_slot(h) for h in horarios) if s is not None]
    if available:
        role["availableTime"] = available
    schedule = {
        "resourceType": "Schedule",
        "id": rid("Consultorios", key, "schedule"),
        "meta": meta(),
        "identifier": [ident("Consultorios", key)],
        "active": location["status"] == "active",
        "actor": [{"reference": f"Location/{location_id}"}, {"reference": f"PractitionerRole/{role['id']}"}],
    }
    mapped.resources += [location, role, schedule]
    return mapped


APPOINTMENT_STATUS = {"pendiente": "booked", "atendido": "fulfilled", "cancelado": "cancelled"}


def _encounter_status(estado: str, vitals: bool, evolucion: bool) -> str | None:
    if estado in ("atendido", "histórico", "historico", "cancelado"):
        return "finished" if (vitals or evolucion or estado == "atendido") else None
    if evolucion:
        return "in-progress"
    return "triaged" if vitals else None


class CitaMapper:
    """Citas in key order; remembers the time each active appointment holds, to report double bookings."""

    def __init__(self, state: State, today: date) -> None:
        self.state, self.today = state, today
        self.held: dict[tuple[str, str], int] = {}

    def _collision(self, row: dict[str, Any], start: str, status: str) -> int | None:
        if status not in ("booked", "arrived"):
            return None
        actors = [f"Patient/{row['pacienteId']}", f"User/{row['doctorId']}", f"Room/{row['consultorioId']}"]
        for actor in actors:
            if (actor, start) in self.held:
                return self.held[(actor, start)]
        for actor in actors:
            self.held[(actor, start)] = row["id"]
        return None

    def map(self, row: dict[str, Any]) -> Mapped:
        key, state = row["id"], self.state
        mapped = Mapped("Citas", f"id={key}")
        estado = str(row["estado"] or "pendiente").strip()
        vitals = bool(state.vitals_by_cita.get(key))
        evoluciones = state.evoluciones_by_cita.get(key, [])
        facts = CitaFacts(row["pacienteId"], row["doctorId"], row["consultorioId"], False, False)
        state.citas[key] = facts
        tags: list[str] = []
        if estado in ("histórico", "historico"):
            status = "fulfilled" if vitals or evoluciones else "cancelled"
            tags.append("historico")
            mapped.findings.append(finding("cita-historico", "Citas", key, status=status))
        elif estado in APPOINTMENT_STATUS:
            status = APPOINTMENT_STATUS[estado]
        else:
            mapped.findings.append(finding("cita-estado-desconocido", "Citas", key, "skipped", value=estado))
            return mapped
        if status == "booked" and vitals:
            status = "arrived"
        fecha = row["fecha"].date() if isinstance(row["fecha"], datetime) else row["fecha"]
        if status == "booked" and fecha < self.today and not evoluciones:
            tags.append("revisar-noshow")
            mapped.findings.append(finding("cita-pendiente-pasada", "Citas", key, fecha=fecha.isoformat()))
        start, end = slot(fecha, row["hora"])
        other = self._collision(row, start, status)
        if other is not None:
            mapped.findings.append(finding("cita-superpuesta", "Citas", key, "skipped", other=other))
            return mapped
        if row["pacienteId"] not in state.patients:
            mapped.findings.append(
                finding("referencia-omitida", "Citas", key, "skipped", table="Patients", key=row["pacienteId"])
            )
            return mapped
        doctor_role = state.roles.get(row["doctorId"], "?")
        if doctor_role != "doctor":
            mapped.findings.append(finding("cita-sin-medico", "Citas", key, user=row["doctorId"], role=doctor_role))
        patient = ref("Patient", "Patients", row["pacienteId"])
        practitioner = ref("Practitioner", "Users", row["doctorId"])
        room = ref("Location", "Consultorios", row["consultorioId"])
        appointment: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": rid("Citas", key),
            "meta": meta(None, *tags),
            "identifier": [ident("Citas", key)],
            "status": status,
            "start": start,
            "end": end,
            "minutesDuration": 30,
            "participant": [
                {"actor": patient, "required": "required", "status": "accepted"},
                {
                    "type": [{"coding": [{"system": c.V3_PARTICIPATION, "code": "ATND"}]}],
                    "actor": practitioner,
                    "required": "required",
                    "status": "accepted",
                },
                {"actor": room, "required": "required", "status": "accepted"},
            ],
        }
        if row.get("notas"):
            appointment["comment"] = row["notas"]
        if row.get("created_at") is not None:
            appointment["created"] = row["created_at"].date().isoformat()
        mapped.resources.append(appointment)
        facts.imported = True
        encounter_status = _encounter_status(estado, vitals, bool(evoluciones))
        if estado == "atendido" and not vitals and not evoluciones:
            mapped.findings.append(finding("cita-atendida-sin-registro", "Citas", key))
        if estado == "cancelado" and encounter_status is not None:
            mapped.findings.append(finding("cita-cancelada-con-registro", "Citas", key))
        if encounter_status is not None:
            mapped.resources.append(self._encounter(row, encounter_status, start, patient, practitioner, room))
            facts.encounter = True
        return mapped

    def _encounter(
        self, row: dict[str, Any], status: str, start: str, patient: Any, practitioner: Any, room: Any
    ) -> dict[str, Any]:
        key = row["id"]
        encounter: dict[str, Any] = {
            "resourceType": "Encounter",
            "id": rid("Citas", key, "encounter"),
            "meta": meta(c.PROFILE_ENCOUNTER),
            "identifier": [ident("Citas", key)],
            "status": status,
            "class": {"system": c.V3_ACT, "code": "AMB", "display": "ambulatory"},
            "subject": patient,
            "participant": [
                {"type": [{"coding": [{"system": c.V3_PARTICIPATION, "code": "ATND"}]}], "individual": practitioner}
            ],
            "appointment": [{"reference": f"Appointment/{rid('Citas', key)}"}],
            "period": {"start": start},
            "location": [{"location": room}],
            "serviceProvider": {"reference": f"Organization/{CLINIC_ID}"},
        }
        motivos = [m for _, _, m in self.state.evoluciones_by_cita.get(key, []) if m and m.strip()]
        if motivos:
            encounter["reasonCode"] = [{"text": m} for m in dict.fromkeys(motivos)]
        diagnoses = self._diagnoses(key)
        if diagnoses:
            encounter["diagnosis"] = diagnoses
        return encounter

    def _diagnoses(self, cita: int) -> list[dict[str, Any]]:
        """The Conditions of the consultation's evoluciones, ranked in the order the doctors entered them.

        diagnosticos.tipo (presuntivo/definitivo) is the verification status, not a diagnosis role: no ``use``.
        """
        state = self.state
        keys = [d for evolucion, _, _ in state.evoluciones_by_cita.get(cita, [])
                for d in state.diagnoses_by_evolucion.get(evolucion, [])]  # fmt: skip
        return [{"condition": ref("Condition", "diagnosticos", d), "rank": rank} for rank, d in enumerate(keys, 1)]
