"""Staff and places: ec-practitioner, ec-practitionerrole, ec-organization, ec-consultorio (C.2, C.3.1)."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Binding, El, Invariant, Profile, Slicing, core, problem
from fhir_server.model.profiles.identifiers import by_system, cedula_invariant, cedula_slice, ruc_slice
from fhir_server.model.profiles.matching import resolve
from fhir_server.model.profiles.paths import codings
from fhir_server.model.profiles.port import ValidationPort

ROLES = frozenset({"administrador", "doctor", "secretaria", "enfermera", "paciente"})

PRACTITIONER = Profile(
    id="ec-practitioner",
    url=c.PROFILE_PRACTITIONER,
    name="ECPractitioner",
    title="Profesional de la clínica",
    title_en="Clinic practitioner",
    description="Médico, enfermera o personal administrativo, identificado por su cédula.",
    description_en="Doctor, nurse or administrative staff member, identified by their cédula.",
    type="Practitioner",
    base=core("Practitioner"),
    elements=(
        by_system("Practitioner"),
        *cedula_slice("Practitioner", 1),
        El("Practitioner.active", must_support=True),
        El("Practitioner.name", min=1, must_support=True),
        El("Practitioner.telecom", must_support=True),
        El(
            "Practitioner.qualification",
            short="Registro profesional (MSP / Senescyt)",
            definition="Título o registro profesional; necesario para imprimir recetas.",
            must_support=True,
        ),
        El("Practitioner.qualification.identifier", short="Número de registro", must_support=True),
    ),
    invariants=(cedula_invariant("Practitioner", "ec-prac-1"),),
)

PRACTITIONER_ROLE = Profile(
    id="ec-practitionerrole",
    url=c.PROFILE_PRACTITIONER_ROLE,
    name="ECPractitionerRole",
    title="Rol en la clínica",
    title_en="Clinic role",
    description="Rol de un profesional (administrador, doctor, secretaria, enfermera), su especialidad y consultorio.",
    description_en="A practitioner's role (administrator, doctor, secretary, nurse), specialty and consulting room.",
    type="PractitionerRole",
    base=core("PractitionerRole"),
    elements=(
        El("PractitionerRole.active", must_support=True),
        El("PractitionerRole.practitioner", min=1, target_profiles=(c.PROFILE_PRACTITIONER,), must_support=True),
        El("PractitionerRole.organization", target_profiles=(c.PROFILE_ORGANIZATION,), must_support=True),
        El(
            "PractitionerRole.code",
            min=1,
            must_support=True,
            binding=Binding("required", c.VS_ROL_USUARIO, "Roles de usuario de la clínica", c.CS_ROL_USUARIO, ROLES),
        ),
        El(
            "PractitionerRole.specialty",
            must_support=True,
            binding=Binding("extensible", c.VS_ESPECIALIDAD, "Especialidades de la clínica", c.CS_ESPECIALIDAD),
        ),
        El("PractitionerRole.location", target_profiles=(c.PROFILE_CONSULTORIO,), must_support=True),
        El("PractitionerRole.availableTime", must_support=True),
    ),
)

_RUC_ELEMENTS, _RUC_INVARIANT = ruc_slice("Organization", "ec-org-1")

ORGANIZATION = Profile(
    id="ec-organization",
    url=c.PROFILE_ORGANIZATION,
    name="ECOrganization",
    title="Organización",
    title_en="Organization",
    description="La clínica, una empresa cliente o una aseguradora; el RUC es opcional.",
    description_en="The clinic, a client company or an insurer; the RUC is optional.",
    type="Organization",
    base=core("Organization"),
    elements=(
        by_system("Organization"),
        *_RUC_ELEMENTS,
        El("Organization.active", must_support=True),
        El("Organization.name", min=1, must_support=True),
    ),
    invariants=(_RUC_INVARIANT,),
)

_SITE_TYPES = ("bu", "si")


def _check_site(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    part_of = resource.get("partOf")
    if not isinstance(part_of, dict):
        return []
    reference = str(part_of.get("reference", "?"))
    target = resolve(part_of, resource, port)
    if target is None:
        return [problem("prof-reference-unresolved", "Location.partOf", code="not-found", reference=reference)]
    kinds = [
        str(coding.get("code"))
        for coding in codings(target.get("physicalType"))
        if coding.get("system") == c.LOCATION_PHYSICAL_TYPE
    ]
    if target.get("resourceType") == "Location" and any(kind in _SITE_TYPES for kind in kinds):
        return []
    actual = f"{target.get('resourceType')} {', '.join(kinds) or '-'}"
    return [problem("prof-consultorio-site", "Location.partOf", reference=reference, actual=actual)]


CONSULTORIO = Profile(
    id="ec-consultorio",
    url=c.PROFILE_CONSULTORIO,
    name="ECConsultorio",
    title="Consultorio",
    title_en="Consulting room",
    description="Consultorio (sala) dentro del edificio o sede de la clínica.",
    description_en="A consulting room inside the clinic's building or site.",
    type="Location",
    base=core("Location"),
    elements=(
        El("Location.identifier", slicing=Slicing((("value", "system"),))),
        El("Location.identifier:numero", max="1", short="Número del consultorio", must_support=True),
        El("Location.identifier:numero.system", min=1, fixed=c.CONSULTORIO_NUMBER_SYSTEM),
        El("Location.identifier:numero.value", min=1),
        El("Location.status", min=1, must_support=True),
        El("Location.name", min=1, short="'Consultorio {número}'", must_support=True),
        El("Location.mode", min=1, fixed="instance"),
        El(
            "Location.physicalType",
            min=1,
            pattern={"coding": [{"system": c.LOCATION_PHYSICAL_TYPE, "code": "ro"}]},
        ),
        El("Location.managingOrganization", target_profiles=(c.PROFILE_ORGANIZATION,), must_support=True),
        El("Location.partOf", min=1, target_profiles=(core("Location"),), must_support=True),
    ),
    invariants=(
        Invariant(
            "ec-loc-1",
            "error",
            "El consultorio está dentro (partOf) de un edificio o sede: una Location con physicalType bu o si.",
            "The consulting room is part of a building or site: a Location whose physicalType is bu or si.",
            f"resolve().physicalType.coding.where(system = '{c.LOCATION_PHYSICAL_TYPE}' and "
            "(code = 'bu' or code = 'si')).exists()",
            _check_site,
            "Location.partOf",
        ),
    ),
)

PROFILES = (PRACTITIONER, PRACTITIONER_ROLE, ORGANIZATION, CONSULTORIO)
