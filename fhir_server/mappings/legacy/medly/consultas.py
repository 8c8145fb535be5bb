"""The expedientes export -> AllergyIntolerance and blood group (header) and, per consultation, its
ClinicalImpression, Condition (free-text diagnosis) and MedicationRequests (legacy-domain C.6-C.10)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fhir_server.mappings.legacy.medly.common import INCOMPLETE, clean, coding, concept, folded, ref, resource, rid
from fhir_server.mappings.legacy.medly.findings import finding
from fhir_server.mappings.legacy.medly.index import Index
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c

DOCS_TABLE, CONSULTAS_TABLE, RECETA_TABLE = "expedientes", "historial_consultas", "receta"
USERS_TABLE, CITAS_TABLE = "usuarios", "citas"
_CATEGORY_OUTPATIENT = concept(c.MEDICATIONREQUEST_CATEGORY, "outpatient", "Outpatient")
_EVERY_HOURS = re.compile(r"cada (\d{1,2}) ?(?:h|hs|hrs|horas?)\b")
_TIMES_A_DAY = re.compile(r"(\d) ?(?:veces|vez) (?:al|por|x) dia")


def owner(document: dict[str, Any], index: Index) -> int | None:
    """The patient an expediente belongs to, or None for an orphan."""
    patient = document.get("id_paciente_sql")
    return patient if isinstance(patient, int) and index.is_role(patient, "paciente") else None


def map_document(document: dict[str, Any], index: Index) -> Mapped:
    oid = str(document.get("_id"))
    mapped = Mapped(DOCS_TABLE, f"_id={oid}")
    patient = owner(document, index)
    if patient is None:
        count = len(document.get("historial_consultas") or [])
        paciente = document.get("id_paciente_sql")
        mapped.findings.append(
            finding("expediente-huerfano", DOCS_TABLE, mapped.row, "skipped", paciente=paciente, consultas=count)
        )
        return mapped
    linked = index.users[patient].expediente_id
    if linked and linked != oid:
        mapped.findings.append(
            finding("expediente-id-distinto", DOCS_TABLE, mapped.row, "kept", usuario=linked, documento=oid)
        )
    subject = ref("Patient", USERS_TABLE, patient)
    for position, text in enumerate(document.get("alergias") or []):
        if not clean(text):
            continue
        mapped.resources.append(
            resource(
                "AllergyIntolerance",
                DOCS_TABLE,
                oid,
                f"alergia-{position}",
                clinicalStatus=concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                verificationStatus=concept(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "unconfirmed"
                ),
                code={"text": clean(text)},
                patient=subject,
            )
        )
    blood = clean(document.get("tipo_sangre"))
    if blood:
        mapped.resources.append(_blood_group(mapped, oid, blood, subject, index))
    return mapped


def _blood_group(mapped: Mapped, oid: str, blood: str, subject: dict[str, str], index: Index) -> dict[str, Any]:
    key = folded(blood).replace("rh", "").replace("positivo", "+").replace("negativo", "-").replace("−", "-")
    target = index.codes.target("medly-tipo-sangre", key.replace(" ", ""))
    value: dict[str, Any] = {"text": blood}
    if target is None:
        mapped.findings.append(finding("tipo-sangre-no-reconocido", DOCS_TABLE, mapped.row, "kept", valor=blood))
    else:
        value["coding"] = [coding(*target)]
    return resource(
        "Observation",
        DOCS_TABLE,
        oid,
        "tipo-sangre",
        status="final",
        category=[concept(c.OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
        code=concept(c.LOINC, "882-1", "ABO and Rh group [Type] in Blood"),
        subject=subject,
        valueCodeableConcept=value,
    )


def map_consulta(document: dict[str, Any], consulta: dict[str, Any], seen: set[int], index: Index) -> Mapped:
    """One consultation; ``seen`` holds the cita ids already met, to flag duplicate closings."""
    oid = str(consulta.get("_id"))
    mapped = Mapped(CONSULTAS_TABLE, f"expediente={document.get('_id')} _id={oid}")
    patient = owner(document, index)
    if patient is None:
        paciente = document.get("id_paciente_sql")
        mapped.findings.append(
            finding("consulta-de-expediente-huerfano", CONSULTAS_TABLE, mapped.row, "skipped", paciente=paciente)
        )
        return mapped
    cita_id = consulta.get("id_cita_sql")
    cita = index.citas.get(cita_id) if isinstance(cita_id, int) else None
    if cita is not None and (cita.patient != patient or index.doctor_of_cita(cita.id) is None):
        if cita.patient != patient:
            add = finding(
                "consulta-cita-otro-paciente", CONSULTAS_TABLE, mapped.row, "kept", cita=cita.id, paciente=cita.patient
            )
            mapped.findings.append(add)
        cita = None  # its Encounter belongs to someone else (or was not imported)
    doctor = _doctor(mapped, consulta, cita, index)
    flags = (INCOMPLETE,) if cita is None else ()
    if cita is None:
        if cita_id not in index.citas:
            mapped.findings.append(
                finding("consulta-cita-inexistente", CONSULTAS_TABLE, mapped.row, "kept", cita=cita_id)
            )
        encounter = ref("Encounter", CONSULTAS_TABLE, oid, "encounter")
        mapped.resources.append(_own_encounter(oid, patient, consulta, index))
    else:
        encounter = ref("Encounter", CITAS_TABLE, cita.id, "encounter")
        if cita.estado != "finalizada":
            add = finding(
                "consulta-cita-no-finalizada", CONSULTAS_TABLE, mapped.row, "kept", cita=cita.id, estado=cita.estado
            )
            mapped.findings.append(add)
        if cita.id in seen:
            mapped.findings.append(finding("consulta-duplicada", CONSULTAS_TABLE, mapped.row, "kept", cita=cita.id))
        seen.add(cita.id)
    _vital_signs(mapped, consulta)
    when = _when(consulta, index)
    context = {"subject": ref("Patient", USERS_TABLE, patient), "encounter": encounter}
    condition = _condition(mapped, oid, consulta, context, doctor, when)
    mapped.resources.append(_impression(oid, consulta, context, doctor, when, condition, flags))
    mapped.resources.extend(_prescriptions(mapped, oid, consulta, context, doctor, when))
    return mapped


def _doctor(mapped: Mapped, consulta: dict[str, Any], cita: Any, index: Index) -> dict[str, str] | None:
    doctor = index.doctor_of_cita(cita.id) if cita is not None else None
    if consulta.get("id_medico_sql") is None:
        shown = f"usuarios id={doctor}" if doctor is not None else "ninguno / none"
        mapped.findings.append(finding("consulta-sin-medico", CONSULTAS_TABLE, mapped.row, "kept", medico=shown))
    return ref("PractitionerRole", USERS_TABLE, doctor, "role") if doctor is not None else None


def _vital_signs(mapped: Mapped, consulta: dict[str, Any]) -> None:
    if consulta.get("signos_vitales"):
        mapped.findings.append(finding("signos-vitales-texto", CONSULTAS_TABLE, mapped.row, "kept"))
    else:
        mapped.findings.append(finding("signos-vitales-perdidos", CONSULTAS_TABLE, mapped.row, "kept"))


def _when(consulta: dict[str, Any], index: Index) -> str | None:
    fecha = consulta.get("fecha")
    return index.clock.instant(fecha) if isinstance(fecha, datetime) else None


def _own_encounter(oid: str, patient: int, consulta: dict[str, Any], index: Index) -> dict[str, Any]:
    """A consultation whose cita is unknown still happened: it gets an Encounter of its own, without doctor."""
    encounter: dict[str, Any] = {
        "status": "finished",
        "class": coding(c.V3_ACT, "AMB", "ambulatory"),
        "subject": ref("Patient", USERS_TABLE, patient),
    }
    when = _when(consulta, index)
    if when:
        encounter["period"] = {"start": when, "end": when}
    return resource(
        "Encounter", CONSULTAS_TABLE, oid, "encounter", profile=c.PROFILE_ENCOUNTER, flags=(INCOMPLETE,), **encounter
    )


def _condition(
    mapped: Mapped, oid: str, consulta: dict[str, Any], context: dict[str, Any], doctor: Any, when: str | None
) -> dict[str, Any] | None:
    text = clean(consulta.get("diagnostico"))
    if not text:
        mapped.findings.append(finding("consulta-sin-diagnostico", CONSULTAS_TABLE, mapped.row, "kept"))
        return None
    # Free text only: no CIE-10 coding, so not ec-diagnostico until a clinician codes it.
    body: dict[str, Any] = {
        "clinicalStatus": concept(c.CONDITION_CLINICAL, "active"),
        "verificationStatus": concept(c.CONDITION_VERIFICATION, "unconfirmed"),
        "category": [concept(c.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": {"text": text},
        **context,
    }
    if when:
        body["recordedDate"] = when
    if doctor:
        body |= {"recorder": doctor, "asserter": doctor}
    condition = resource("Condition", CONSULTAS_TABLE, oid, "diagnostico", flags=(INCOMPLETE,), **body)
    mapped.resources.append(condition)
    return condition


def _impression(
    oid: str,
    consulta: dict[str, Any],
    context: dict[str, Any],
    doctor: Any,
    when: str | None,
    condition: dict[str, Any] | None,
    flags: tuple[dict[str, str], ...],
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "completed", **context}
    if when:
        body["date"] = when
    if doctor:
        body["assessor"] = doctor
    diagnostico = clean(consulta.get("diagnostico"))
    if diagnostico:
        body["summary"] = diagnostico
    if condition is not None:
        body["problem"] = [{"reference": f"Condition/{condition['id']}"}]
    notes = []
    if consulta.get("notas_adicionales"):
        notes.append({"text": str(consulta["notas_adicionales"])})
    if consulta.get("signos_vitales"):
        notes.append({"text": f"Signos vitales (Medly, sin codificar): {consulta['signos_vitales']}"})
    if notes:
        body["note"] = notes
    return resource("ClinicalImpression", CONSULTAS_TABLE, oid, profile=c.PROFILE_EVOLUCION, flags=flags, **body)


def _timing(frecuencia: str) -> dict[str, Any] | None:
    text = folded(frecuencia)
    if match := _EVERY_HOURS.search(text):
        return {"repeat": {"frequency": 1, "period": int(match.group(1)), "periodUnit": "h"}}
    if match := _TIMES_A_DAY.search(text):
        return {"repeat": {"frequency": int(match.group(1)), "period": 1, "periodUnit": "d"}}
    return None


def _prescriptions(
    mapped: Mapped, oid: str, consulta: dict[str, Any], context: dict[str, Any], doctor: Any, when: str | None
) -> list[dict[str, Any]]:
    found = []
    for position, line in enumerate(consulta.get("receta") or []):
        line = line if isinstance(line, dict) else {"medicamento": line}
        key = str(line.get("_id") or f"{oid}-{position}")
        medicine, dose, frequency = (clean(line.get(k)) for k in ("medicamento", "dosis", "frecuencia"))
        if not medicine:
            mapped.findings.append(finding("receta-sin-medicamento", CONSULTAS_TABLE, mapped.row, "kept", linea=key))
            continue
        text = ", ".join(part for part in (dose, frequency) if part)
        if not text:
            mapped.findings.append(finding("receta-sin-indicacion", CONSULTAS_TABLE, mapped.row, "kept", linea=key))
            text = "Sin dosis ni frecuencia en el sistema anterior"
        dosage: dict[str, Any] = {"text": text}
        if timing := _timing(frequency):
            dosage["timing"] = timing
        body: dict[str, Any] = {
            "status": "unknown",
            "intent": "order",
            "category": [_CATEGORY_OUTPATIENT],
            "medicationCodeableConcept": {"text": medicine},
            **context,
            "dosageInstruction": [dosage],
            "supportingInformation": [{"reference": f"ClinicalImpression/{rid(CONSULTAS_TABLE, oid)}"}],
        }
        if when:
            body["authoredOn"] = when
        if doctor:
            body["requester"] = doctor
        found.append(resource("MedicationRequest", RECETA_TABLE, key, profile=c.PROFILE_PRESCRIPCION, **body))
    return found
