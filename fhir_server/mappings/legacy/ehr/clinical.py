"""VitalSigns -> vital-sign Observations (the nurse's form mapping); Evoluciones -> ClinicalImpression +
FamilyMemberHistory, or a nil-known List for "sin antecedentes" (architecture decision 10: evoluciones are
Encounter + ClinicalImpression)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from fhir_server.interactions.vitals_form import VitalsForm, observations
from fhir_server.mappings.legacy.ehr.common import EvolucionFacts, State, finding, ident, local, meta, ref, rid
from fhir_server.mappings.legacy.records import Mapped
from fhir_server.model import canonical as c
from fhir_server.model.profiles.bmi import bmi

LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
_PRESSURE = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})\s*$")
# Family-history checkboxes -> SNOMED CT (C.8); false carries no information and becomes nothing.
FAMILY = {
    "cardiopatia": ("56265001", "Heart disease", "Cardiopatía"),
    "diabetes": ("73211009", "Diabetes mellitus", "Diabetes"),
    "enfermedad_cardiovascular": ("49601007", "Disorder of cardiovascular system", "Enfermedad cardiovascular"),
    "hipertension": ("38341003", "Hypertensive disorder", "Hipertensión"),
    "cancer": ("363346000", "Malignant neoplastic disease", "Cáncer"),
    "tuberculosis": ("56717001", "Tuberculosis", "Tuberculosis"),
    "enfermedad_mental": ("74732009", "Mental disorder", "Enfermedad mental"),
    "enfermedad_infecciosa": ("40733004", "Infectious disease", "Enfermedad infecciosa"),
}


def _encounter_of(state: State, cita: int) -> str | None:
    facts = state.citas.get(cita)
    return rid("Citas", cita, "encounter") if facts is not None and facts.encounter else None


def vital_signs(row: dict[str, Any], state: State) -> Mapped:
    key, cita, patient = row["id"], row["citaId"], row["pacienteId"]
    mapped = Mapped("VitalSigns", f"id={key}")
    if patient not in state.patients:
        mapped.findings.append(
            finding("referencia-omitida", "VitalSigns", key, "skipped", table="Patients", key=patient)
        )
        return mapped
    facts = state.citas.get(cita)
    encounter = _encounter_of(state, cita)
    if facts is not None and facts.patient != patient:
        params = {"vitals_patient": patient, "cita_patient": facts.patient}
        mapped.findings.append(finding("vitals-paciente-distinto", "VitalSigns", key, **params))
        encounter = None
    if state.vitals_by_cita.get(cita, [key])[0] != key:
        mapped.findings.append(finding("vitals-multiples", "VitalSigns", key, cita=cita))
    values: dict[str, Decimal] = {}
    for name in ("temperatura", "pulso", "frecuencia_respiratoria", "peso", "talla"):
        if row[name] is not None:
            values[name] = Decimal(str(row[name]))
    match = _PRESSURE.match(str(row["presion_arterial"] or ""))
    if match is None:
        mapped.findings.append(finding("presion-ilegible", "VitalSigns", key, value=row["presion_arterial"]))
    else:
        systolic, diastolic = Decimal(match.group(1)), Decimal(match.group(2))
        if systolic <= diastolic:  # the server refuses it: the pressure is left out, the rest imported
            mapped.findings.append(finding("presion-invertida", "VitalSigns", key, value=row["presion_arterial"]))
        else:
            values["sistolica"], values["diastolica"] = systolic, diastolic
    if row["imc"] is not None and "peso" in values and "talla" in values and values["talla"] > 0:
        computed = bmi(values["peso"], values["talla"])
        if abs(computed - Decimal(str(row["imc"]))) >= Decimal("0.01"):
            params = {"legacy": row["imc"], "computed": computed}
            mapped.findings.append(finding("imc-inconsistente", "VitalSigns", key, **params))
    when = local(row["fecha_medicion"]) or ""
    common: dict[str, Any] = {"subject": ref("Patient", "Patients", patient), "effectiveDateTime": when}
    if encounter is not None:
        common["encounter"] = {"reference": f"Encounter/{encounter}"}
    if row["enfermeroId"] in state.users:
        common["performer"] = [ref("Practitioner", "Users", row["enfermeroId"])]
    form = VitalsForm(values, when)
    made = observations(form, common)
    renamed = {obs["id"]: rid("VitalSigns", key, form.source.get(obs["id"], "panel")) for obs in made}
    tag = meta()["tag"]
    for obs in made:
        part = form.source.get(obs["id"], "panel")
        obs["id"] = renamed[obs["id"]]
        for element in ("hasMember", "derivedFrom"):
            for link in obs.get(element, []):
                link["reference"] = f"Observation/{renamed[link['reference'].split('/', 1)[1]]}"
        obs["identifier"] = [ident("VitalSigns", key if part == "panel" else f"{key}-{part}")]
        obs["meta"] = {**obs["meta"], "tag": tag}
        mapped.resources.append(obs)
    state.vitals[key] = (cita, patient, rid("VitalSigns", key, "panel"))
    return mapped


def _family(row: dict[str, Any], patient: int, when: str | None, mapped: Mapped) -> tuple[list[Any], str | None, bool]:
    """FamilyMemberHistory for each ticked box; unreadable JSON is reported and kept as text.

    The third value says the doctor ticked "sin antecedentes" and nothing else (a nil-known List).
    """
    raw = row["antecedentes_familiares"]
    data = json.loads(raw) if isinstance(raw, str) and raw.strip().startswith(("{", '"')) else raw
    if not isinstance(data, dict):
        text = json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data
        mapped.findings.append(finding("antecedentes-ilegibles", "Evoluciones", row["id"], value=text))
        return [], text, False
    histories = []
    items = [(k, FAMILY[k]) for k in FAMILY if data.get(k) is True]
    other = str(data.get("otro_antecedente") or "").strip()
    none_ticked = data.get("sin_antecedentes") is True
    if none_ticked and (items or other):  # the ticked conditions carry information: they win over "none"
        stated = ", ".join([*(concept[2] for _, concept in items), *([other] if other else [])])
        mapped.findings.append(finding("antecedentes-contradictorios", "Evoluciones", row["id"], items=stated))
    for key, concept in [*items, *([("otro", None)] if other else [])]:
        code = (
            {"coding": [{"system": c.SNOMED, "code": concept[0], "display": concept[1]}], "text": concept[2]}
            if concept
            else {"text": other}
        )
        history: dict[str, Any] = {
            "resourceType": "FamilyMemberHistory",
            "id": rid("Evoluciones", row["id"], f"familia-{key}"),
            "meta": meta(c.PROFILE_ANTECEDENTE_FAMILIAR),
            "identifier": [ident("Evoluciones", f"{row['id']}-{key}")],
            "status": "completed",
            "patient": ref("Patient", "Patients", patient),
            "relationship": {"coding": [{"system": c.V3_ROLE, "code": "FAMMEMB", "display": "family member"}]},
            "condition": [{"code": code}],
        }
        if when:
            history["date"] = when
        histories.append(history)
    return histories, None, none_ticked and not histories


def _nil_known(row: dict[str, Any], patient: int, when: str | None, encounter: str | None) -> dict[str, Any]:
    """The "sin antecedentes" box alone: an empty family-history List saying none are known (no FamilyMemberHistory)."""
    key = row["id"]
    nil: dict[str, Any] = {
        "resourceType": "List",
        "id": rid("Evoluciones", key, "familia-sin_antecedentes"),
        "meta": meta(),
        "identifier": [ident("Evoluciones", f"{key}-sin_antecedentes")],
        "status": "current",
        "mode": "snapshot",
        "title": "Antecedentes familiares",
        "code": {
            "coding": [{"system": c.LOINC, "code": "10157-6", "display": "History of family member diseases"}],
            "text": "Antecedentes familiares",
        },
        "subject": ref("Patient", "Patients", patient),
        "source": ref("Practitioner", "Users", row["medicoId"]),
        "emptyReason": {
            "coding": [{"system": LIST_EMPTY_REASON, "code": "nilknown", "display": "Nil Known"}],
            "text": "Sin antecedentes familiares",
        },
    }
    if encounter:
        nil["encounter"] = {"reference": f"Encounter/{encounter}"}
    if when:
        nil["date"] = when
    return nil


def evolucion(row: dict[str, Any], state: State) -> Mapped:
    key, patient, medico = row["id"], row["pacienteId"], row["medicoId"]
    mapped = Mapped("Evoluciones", f"id={key}")
    vitals = state.vitals.get(row["signosVitalesId"])
    if vitals is None or patient not in state.patients:
        missing = ("VitalSigns", row["signosVitalesId"]) if vitals is None else ("Patients", patient)
        mapped.findings.append(
            finding("referencia-omitida", "Evoluciones", key, "skipped", table=missing[0], key=missing[1])
        )
        return mapped
    cita, vitals_patient, panel = vitals
    if vitals_patient != patient:
        params = {"evol_patient": patient, "vitals_patient": vitals_patient}
        mapped.findings.append(finding("evolucion-paciente-distinto", "Evoluciones", key, **params))
    role = state.roles.get(medico, "?")
    if role != "doctor":
        mapped.findings.append(finding("evolucion-autor-no-medico", "Evoluciones", key, user=medico, role=role))
    facts = state.citas.get(cita)
    if facts is not None and facts.doctor != medico:
        mapped.findings.append(
            finding("evolucion-medico-distinto", "Evoluciones", key, medico=medico, doctor=facts.doctor)
        )
    when = local(row["fecha"])
    encounter = _encounter_of(state, cita)
    histories, unreadable, nil_known = _family(row, patient, when, mapped)
    investigations: list[dict[str, Any]] = [
        {"code": {"text": "Signos vitales"}, "item": [{"reference": f"Observation/{panel}"}]}
    ]
    if histories:
        items = [{"reference": f"FamilyMemberHistory/{h['id']}"} for h in histories]
        investigations.append({"code": {"text": "Antecedentes familiares"}, "item": items})
    impression: dict[str, Any] = {
        "resourceType": "ClinicalImpression",
        "id": rid("Evoluciones", key),
        "meta": meta(c.PROFILE_EVOLUCION if encounter else None),
        "identifier": [ident("Evoluciones", key)],
        "status": "completed",
        "subject": ref("Patient", "Patients", patient),
        "assessor": ref("Practitioner", "Users", medico),
        "description": row["enfermedad_actual"],
        "investigation": investigations,
    }
    if encounter:
        impression["encounter"] = {"reference": f"Encounter/{encounter}"}
    if when:
        impression["date"] = impression["effectiveDateTime"] = when
    notes = []
    if (row["antecedentes_personales"] or "").strip():
        notes.append({"text": row["antecedentes_personales"]})
    if unreadable is not None:
        notes.append({"text": f"Antecedentes familiares (texto original): {unreadable}"})
    if notes:
        impression["note"] = notes
    problems = state.diagnoses_by_evolucion.get(key, [])
    if problems:
        impression["problem"] = [ref("Condition", "diagnosticos", d) for d in problems]
    mapped.resources += [*histories, impression]
    if nil_known:
        mapped.resources.append(_nil_known(row, patient, when, encounter))
    state.evoluciones[key] = EvolucionFacts(patient, medico, when, encounter)
    return mapped
