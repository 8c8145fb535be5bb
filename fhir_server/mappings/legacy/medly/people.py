"""roles, especialidades, usuarios and medicos_especialidades -> Practitioner, PractitionerRole, Schedule, Patient.

Passwords are never selected from the database: legacy accounts get a login and a reset flow, not
their old hash.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.mappings.legacy.medly.common import INCOMPLETE, clean, coding, concept, folded, ref, resource
from fhir_server.mappings.legacy.medly.findings import finding
from fhir_server.mappings.legacy.medly.index import Index
from fhir_server.mappings.legacy.records import LegacyAccount, Mapped, legacy_identifier
from fhir_server.model import canonical as c

ROLES_TABLE, SPECIALTIES_TABLE, USERS_TABLE, LINKS_TABLE = (
    "roles",
    "especialidades",
    "usuarios",
    "medicos_especialidades",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def map_role(row: dict[str, Any], index: Index) -> Mapped:
    mapped = Mapped(ROLES_TABLE, f"id={row['id']}")
    if index.roles.get(int(row["id"])) is None:
        mapped.findings.append(finding("rol-desconocido", ROLES_TABLE, mapped.row, "kept", nombre=clean(row["nombre"])))
    return mapped


def specialty_coding(index: Index, specialty_id: int) -> dict[str, Any] | None:
    name = index.specialties.get(specialty_id)
    if name is None:
        return None
    target = index.codes.target("medly-especialidad", folded(name))
    if target is None:
        return {"text": name}
    system, code, display = target
    return concept(system, code, display, text=name)


def map_specialty(row: dict[str, Any], index: Index) -> Mapped:
    mapped = Mapped(SPECIALTIES_TABLE, f"id={row['id']}")
    name = clean(row["nombre"])
    if index.codes.target("medly-especialidad", folded(name)) is None:
        mapped.findings.append(finding("especialidad-sin-codigo", SPECIALTIES_TABLE, mapped.row, "kept", nombre=name))
    return mapped


def _name(row: dict[str, Any]) -> dict[str, Any]:
    given, family = clean(row["nombre"]), clean(row["apellido"])
    # Medly keeps both surnames in one field: they cannot be split reliably, so family stays as typed.
    name: dict[str, Any] = {"use": "official", "text": f"{given} {family}".strip()}
    if family:
        name["family"] = family
    if given:
        name["given"] = [given]
    return name


def _account(row: dict[str, Any], role: str, fhir_user: str, active: bool = True) -> LegacyAccount:
    """The login the user store creates: pending activation until a password is set; the legacy hash is never read."""
    email = clean(row["email"])
    valid = _EMAIL.fullmatch(email) is not None  # an invalid address stays the login but is not a contact
    return LegacyAccount(email.lower(), role, fhir_user, email if valid else None, active)


def _user_findings(mapped: Mapped, row: dict[str, Any], index: Index, user_id: int, role: str) -> None:
    email = clean(row["email"])
    if not _EMAIL.fullmatch(email):
        mapped.findings.append(finding("email-invalido", USERS_TABLE, mapped.row, "kept", email=email))
    first = index.first_email.get(email.lower(), user_id)
    if first != user_id:
        mapped.findings.append(finding("email-duplicado", USERS_TABLE, mapped.row, "kept", other=first))
    if row["activo"] is not None and not row["activo"]:
        mapped.findings.append(finding("usuario-inactivo", USERS_TABLE, mapped.row, "kept"))
    if role == "paciente":
        user = index.users[user_id]
        twin = index.first_name.get(user.name, user_id)
        if twin != user_id:
            mapped.findings.append(finding("paciente-posible-duplicado", USERS_TABLE, mapped.row, "kept", other=twin))
        expediente = row["expediente_id"]
        if not expediente or index.expediente_of_patient.get(user_id) is None:
            mapped.findings.append(finding("paciente-sin-expediente", USERS_TABLE, mapped.row, "kept"))


def _patient(user_id: int, row: dict[str, Any], active: bool) -> dict[str, Any]:
    identifiers = []
    if row["expediente_id"]:
        identifiers.append(
            {
                **legacy_identifier("medly", "expedientes", clean(row["expediente_id"])),
                "type": concept(c.V2_0203, "MR", "Medical record number"),
            }
        )
    # No cédula, sex or birth date in Medly: the Patient cannot claim ec-patient and says so in a tag.
    return resource(
        "Patient",
        USERS_TABLE,
        user_id,
        flags=(INCOMPLETE,),
        identifier=identifiers,
        active=active,
        name=[_name(row)],
        telecom=[{"system": "email", "value": clean(row["email"])}],
    )


def _staff(user_id: int, row: dict[str, Any], role_code: str, active: bool, index: Index) -> list[dict[str, Any]]:
    practitioner = resource(
        "Practitioner",
        USERS_TABLE,
        user_id,
        flags=(INCOMPLETE,),
        active=active,
        name=[_name(row)],
        telecom=[{"system": "email", "value": clean(row["email"])}],
    )
    specialties = [s for s in (specialty_coding(index, i) for i in index.doctor_specialties.get(user_id, [])) if s]
    extra: dict[str, Any] = {"specialty": specialties} if specialties else {}
    role = resource(
        "PractitionerRole",
        USERS_TABLE,
        user_id,
        "role",
        profile=c.PROFILE_PRACTITIONER_ROLE,
        active=active,
        practitioner=ref("Practitioner", USERS_TABLE, user_id),
        code=[
            {
                "coding": [
                    coding(c.CS_ROL_USUARIO, role_code, role_code.capitalize()),
                    *([coding(c.PRACTITIONER_ROLE, "doctor", "Doctor")] if role_code == "doctor" else []),
                ]
            }
        ],
        **extra,
    )
    if role_code != "doctor":
        return [practitioner, role]
    schedule = resource(
        "Schedule",
        USERS_TABLE,
        user_id,
        "schedule",
        active=active,
        actor=[ref("PractitionerRole", USERS_TABLE, user_id, "role")],
        **extra,
        comment=f"Agenda de {_name(row)['text']} (Medly)",
    )
    return [practitioner, role, schedule]


def map_user(row: dict[str, Any], index: Index) -> Mapped:
    user_id = int(row["id"])
    mapped = Mapped(USERS_TABLE, f"id={user_id}")
    role = index.roles.get(int(row["id_rol"]))
    if role is None:
        mapped.findings.append(
            finding("usuario-rol-desconocido", USERS_TABLE, mapped.row, "skipped", rol=row["id_rol"])
        )
        return mapped
    _user_findings(mapped, row, index, user_id, role)
    active = bool(row["activo"]) if row["activo"] is not None else True
    if role == "paciente":
        mapped.resources.append(_patient(user_id, row, active))
    else:  # Medly's administrators and doctors both become Practitioner + PractitionerRole
        mapped.resources.extend(_staff(user_id, row, role, active, index))
    fhir_user = f"{mapped.resources[0]['resourceType']}/{mapped.resources[0]['id']}"
    if not any(f.code == "email-duplicado" for f in mapped.findings):
        mapped.accounts.append(_account(row, role, fhir_user, active))
    return mapped


def map_link(row: dict[str, Any], index: Index) -> Mapped:
    """A doctor's specialty (already on the PractitionerRole); reports links to non-doctors."""
    doctor, specialty = int(row["id_medico"]), int(row["id_especialidad"])
    mapped = Mapped(LINKS_TABLE, f"id_medico={doctor} id_especialidad={specialty}")
    if not index.is_role(doctor, "doctor"):
        user = index.users.get(doctor)
        rol = user.role if user else "?"
        mapped.findings.append(finding("medico-especialidad-invalida", LINKS_TABLE, mapped.row, "skipped", rol=rol))
    return mapped
