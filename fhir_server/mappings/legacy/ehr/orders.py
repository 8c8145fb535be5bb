"""Catalogs and orders: cie (lookup only), medicamentos -> MedicationKnowledge, diagnosticos -> Condition,
Prescripciones -> MedicationRequest (C.9, C.10).

The legacy ``cie`` table becomes no resource: the CIE-10 CodeSystem is terminology the server loads
(``fhir-server load-terminology``). Each Condition carries the legacy Spanish name as the coding's
display and as ``code.text``; the server checks the code against its loaded CIE-10 and refuses
unknown or retired codes, which the report lists with the row.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.mappings.legacy.ehr.common import State, finding, ident, local, meta, ref, rid
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.mappings.medicines import medication_knowledge
from fhir_server.mappings.routes import route_concept
from fhir_server.model import canonical as c
from fhir_server.search.values import fold

_CODE = re.compile(r"^([A-Z][0-9]{2})\.?([0-9A-Z]{1,2})?$")
VERIFICATION = {"pre": "provisional", "presuntivo": "provisional", "def": "confirmed", "definitivo": "confirmed"}
MEDICATION_STATUS = {"activa": "active", "completada": "completed", "cancelada": "cancelled", None: "active"}
EXT_DIAGNOSTICO_TIPO = c.structure_definition("diagnostico-tipo")


def normalise_cie(code: str) -> str:
    """The dotted ICD-10 form (``J069`` -> ``J06.9``); other shapes are kept as they are."""
    text = code.strip().upper()
    match = _CODE.match(text)
    if match is None:
        return text
    return match.group(1) + (f".{match.group(2)}" if match.group(2) else "")


def cie(row: dict[str, Any], state: State) -> Mapped:
    mapped = Mapped("cie", f"id={row['id']}")
    code = normalise_cie(str(row["codigo"] or ""))
    state.cie[row["id"]] = (code, str(row["nombre"] or "").strip())
    if row["estado"] == 0:
        mapped.findings.append(finding("cie-inactivo", "cie", row["id"], code=code))
    if (row["versioncie"] or "CIE10") != "CIE10":
        mapped.findings.append(finding("cie-version", "cie", row["id"], value=row["versioncie"]))
    return mapped


def medicamento(row: dict[str, Any], state: State) -> Mapped:
    mapped = Mapped("medicamentos", f"id={row['id']}")
    text_row = {k: (None if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in row.items()}
    resource = medication_knowledge(text_row)
    state.medicines[(fold(row["nombre_generico"]), fold(row["concentracion"]))] = resource["id"]
    resource["meta"] = {**resource["meta"], "tag": meta()["tag"]}
    mapped.resources.append(resource)
    return mapped


def _evolucion(table: str, row: dict[str, Any], state: State, mapped: Mapped) -> Any:
    evol = state.evoluciones.get(row["evolucionId"])
    if evol is None:
        params = {"table": "Evoluciones", "key": row["evolucionId"]}
        mapped.findings.append(finding("referencia-omitida", table, row["id"], "skipped", **params))
    return evol


def diagnostico(row: dict[str, Any], state: State) -> Mapped:
    key = row["id"]
    mapped = Mapped("diagnosticos", f"id={key}")
    evol = _evolucion("diagnosticos", {**row, "evolucionId": row["evolucionid"]}, state, mapped)
    if evol is None:
        return mapped
    if row["cieid"] not in state.cie:
        mapped.findings.append(
            finding("referencia-omitida", "diagnosticos", key, "skipped", table="cie", key=row["cieid"])
        )
        return mapped
    code, name = state.cie[row["cieid"]]
    tipo = str(row["tipo"] or "").strip()
    verification = VERIFICATION.get(fold(tipo))
    condition: dict[str, Any] = {
        "resourceType": "Condition",
        "id": rid("diagnosticos", key),
        "meta": meta(c.PROFILE_DIAGNOSTICO if evol.encounter else None),
        "identifier": [ident("diagnosticos", key)],
        "clinicalStatus": {"coding": [{"system": c.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": c.CONDITION_VERIFICATION, "code": verification or "unconfirmed"}]},
        "category": [{"coding": [{"system": c.CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": c.ICD10, "code": code, "display": name}], "text": name},
        "subject": ref("Patient", "Patients", evol.patient),
        "recorder": ref("Practitioner", "Users", evol.medico),
        "asserter": ref("Practitioner", "Users", evol.medico),
    }
    if verification is None:
        mapped.findings.append(finding("diagnostico-tipo-desconocido", "diagnosticos", key, value=tipo))
        condition["extension"] = [{"url": EXT_DIAGNOSTICO_TIPO, "valueString": tipo}]
    if evol.encounter:
        condition["encounter"] = {"reference": f"Encounter/{evol.encounter}"}
    if evol.fecha:
        condition["recordedDate"] = evol.fecha
    mapped.resources.append(condition)
    return mapped


def _dosage_text(row: dict[str, Any]) -> str:
    via, duration = row.get("via_administracion"), row.get("duracion_tratamiento")
    parts = [
        row.get("dosis"),
        f"vía {via}" if via else None,
        row.get("frecuencia"),
        f"durante {duration}" if duration else None,
    ]
    text = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    extra = (row.get("indicaciones_adicionales") or "").strip()
    return f"{text}. {extra}" if text and extra else text or extra or "Según indicación médica"


def prescripcion(row: dict[str, Any], state: State) -> Mapped:
    key = row["id"]
    mapped = Mapped("Prescripciones", f"id={key}")
    evol = _evolucion("Prescripciones", row, state, mapped)
    if evol is None:
        return mapped
    if row["medicoId"] != evol.medico:
        params = {"medico": row["medicoId"], "author": evol.medico}
        mapped.findings.append(finding("prescripcion-medico-distinto", "Prescripciones", key, **params))
    generic = (row.get("nombre_generico") or "").strip()
    label = " ".join(
        str(row[k]).strip() for k in ("nombre_generico", "concentracion", "forma_farmaceutica") if row.get(k)
    )
    if row.get("nombre_comercial"):
        label += f" ({row['nombre_comercial']})"
    medication: dict[str, Any] = {"text": label or "Medicamento sin nombre"}
    catalog = state.medicines.get((fold(generic), fold(row.get("concentracion") or "")))
    if catalog is not None:
        medication["coding"] = [{"system": c.CS_MEDICAMENTO, "code": catalog}]
    dosage: dict[str, Any] = {"text": _dosage_text(row)}
    if (row.get("indicaciones_adicionales") or "").strip():
        dosage["patientInstruction"] = row["indicaciones_adicionales"].strip()
    route = route_concept(row.get("via_administracion"))
    if route is not None:
        dosage["route"] = route
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid("Prescripciones", key),
        "meta": meta(c.PROFILE_PRESCRIPCION),
        "identifier": [ident("Prescripciones", key)],
        "status": MEDICATION_STATUS.get(row["estado"], "unknown"),
        "intent": "order",
        "category": [{"coding": [{"system": c.MEDICATIONREQUEST_CATEGORY, "code": "outpatient"}]}],
        "medicationCodeableConcept": medication,
        "subject": ref("Patient", "Patients", evol.patient),
        "requester": ref("Practitioner", "Users", row["medicoId"]),
        "dosageInstruction": [dosage],
    }
    if evol.encounter:
        request["encounter"] = {"reference": f"Encounter/{evol.encounter}"}
    authored = local(row.get("fecha_emision"))
    if authored:
        request["authoredOn"] = authored
    mapped.resources.append(request)
    return mapped
