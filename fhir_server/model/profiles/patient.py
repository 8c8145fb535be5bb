"""ec-patient: the clinic's Patient (legacy-domain C.1)."""

from __future__ import annotations

import re
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import El, Invariant, Profile, Slicing, by_url, core, problem
from fhir_server.model.profiles.dpa import dpa_invariant
from fhir_server.model.profiles.identifiers import by_system, cedula_invariant, cedula_slice, passport_slice
from fhir_server.model.profiles.paths import codings, extensions, values
from fhir_server.model.profiles.port import ValidationPort

_ALPHA2 = re.compile(r"[A-Z]{2}")


def _check_identifier(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    systems = {i.get("system") for i, _ in values(resource, "Patient", "identifier") if isinstance(i, dict)}
    if c.CEDULA_SYSTEM in systems or c.PASSPORT_SYSTEM in systems:
        return []
    return [problem("prof-patient-identifier", "Patient.identifier", code="required")]


def _official_names(resource: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    return [
        (name, expr)
        for name, expr in values(resource, "Patient", "name")
        if isinstance(name, dict) and name.get("use") == "official"
    ]


def _surname(family_ext: Any, url: str) -> str | None:
    for ext, _ in extensions(family_ext, "", url):
        value = ext.get("valueString")
        if isinstance(value, str):
            return value
    return None


def _check_family(resource: dict[str, Any], _port: ValidationPort) -> list[Issue]:
    issues = []
    for name, expr in _official_names(resource):
        fathers = _surname(name.get("_family"), c.EXT_FATHERS_FAMILY)
        mothers = _surname(name.get("_family"), c.EXT_MOTHERS_FAMILY)
        family = name.get("family")
        if fathers is None or not isinstance(family, str):
            continue
        expected = " ".join(part for part in (fathers, mothers) if part)
        if " ".join(family.split()) != expected:
            issues.append(
                problem("prof-family-surnames", f"{expr}.family", severity="warning", value=family, expected=expected)
            )
    return issues


def _check_nationality(resource: dict[str, Any], port: ValidationPort) -> list[Issue]:
    issues = []
    complete = port.knows_system(c.ISO3166)
    for ext, expr in extensions(resource, "Patient", c.EXT_NATIONALITY):
        for part, part_expr in extensions(ext, expr, "code"):
            concept = part.get("valueCodeableConcept")
            for index, coding in enumerate(codings(concept)):
                code = coding.get("code")
                if coding.get("system") != c.ISO3166 or not isinstance(code, str):
                    continue
                where = f"{part_expr}.valueCodeableConcept.coding[{index}].code"
                if not _ALPHA2.fullmatch(code) or (complete and port.concept(c.ISO3166, code) is None):
                    issues.append(problem("prof-nationality", where, code="code-invalid", value=code))
    return issues


_NAME = "Patient.name:official"
_ADDRESS_EXT = "Patient.address.extension"

ELEMENTS = (
    El("Patient.extension", slicing=by_url()),
    El("Patient.extension:nacionalidad", max="1", profiles=(c.EXT_NATIONALITY,), must_support=True),
    El("Patient.extension:lugarNacimiento", max="1", profiles=(c.EXT_BIRTHPLACE,)),
    El("Patient.extension:grupoCultural", max="1", profiles=(c.EXT_GRUPO_CULTURAL,), must_support=True),
    El("Patient.extension:nivelInstruccion", max="1", profiles=(c.EXT_NIVEL_INSTRUCCION,), must_support=True),
    El("Patient.extension:ocupacion", max="1", profiles=(c.EXT_OCUPACION,)),
    by_system("Patient"),
    *cedula_slice("Patient", 0),
    *passport_slice("Patient"),
    El("Patient.active", must_support=True),
    El("Patient.name", min=1, slicing=Slicing((("value", "use"),), description="Por uso / by use")),
    El(_NAME, min=1, max="1", short="Nombre legal: nombres y los dos apellidos", must_support=True),
    El(f"{_NAME}.use", min=1, fixed="official"),
    El(f"{_NAME}.family", min=1, short="Apellidos: 'paterno materno'"),
    El(f"{_NAME}.family.extension", slicing=by_url()),
    El(
        f"{_NAME}.family.extension:apellidoPaterno",
        min=1,
        max="1",
        profiles=(c.EXT_FATHERS_FAMILY,),
        missing_message="prof-fathers-family",
    ),
    El(f"{_NAME}.family.extension:apellidoMaterno", max="1", profiles=(c.EXT_MOTHERS_FAMILY,)),
    El(f"{_NAME}.given", min=1, short="Nombres (primer y segundo nombre)"),
    El("Patient.telecom", must_support=True),
    El("Patient.gender", min=1, must_support=True, missing_message="prof-gender-required"),
    El("Patient.birthDate", min=1, must_support=True),
    El("Patient.address", must_support=True),
    El(_ADDRESS_EXT, slicing=by_url()),
    El(f"{_ADDRESS_EXT}:provincia", max="1", profiles=(c.EXT_PROVINCIA,), must_support=True),
    El(f"{_ADDRESS_EXT}:canton", max="1", profiles=(c.EXT_CANTON,), must_support=True),
    El(f"{_ADDRESS_EXT}:parroquia", max="1", profiles=(c.EXT_PARROQUIA,), must_support=True),
    El(f"{_ADDRESS_EXT}:barrio", max="1", profiles=(c.EXT_PRECINCT,), short="Barrio"),
    El("Patient.maritalStatus", must_support=True),
    El("Patient.managingOrganization", target_profiles=(core("Organization"),)),
)

INVARIANTS = (
    Invariant(
        "ec-pat-1",
        "error",
        "El paciente se identifica con una cédula o un pasaporte.",
        "The patient is identified by a cédula or a passport.",
        f"identifier.where(system = '{c.CEDULA_SYSTEM}' or system = '{c.PASSPORT_SYSTEM}').exists()",
        _check_identifier,
    ),
    cedula_invariant("Patient", "ec-pat-2"),
    Invariant(
        "ec-pat-3",
        "warning",
        "El apellido (family) es el apellido paterno seguido del materno.",
        "family is the father's surname followed by the mother's surname.",
        f"family.extension('{c.EXT_FATHERS_FAMILY}').exists() implies family = "
        f"(family.extension('{c.EXT_FATHERS_FAMILY}').value | family.extension('{c.EXT_MOTHERS_FAMILY}').value)"
        ".join(' ')",
        _check_family,
        _NAME,
    ),
    dpa_invariant("Patient", "ec-pat-4"),
    Invariant(
        "ec-pat-5",
        "error",
        "La nacionalidad se codifica con ISO 3166 alfa-2 (por ejemplo EC).",
        "Nationality is coded with ISO 3166 alpha-2 (for example EC).",
        f"extension('code').value.coding.where(system = '{c.ISO3166}').code.all(matches('^[A-Z]{{2}}$'))",
        _check_nationality,
        "Patient.extension:nacionalidad",
    ),
)

PATIENT = Profile(
    id="ec-patient",
    url=c.PROFILE_PATIENT,
    name="ECPatient",
    title="Paciente (Ecuador)",
    title_en="Patient (Ecuador)",
    description=(
        "Paciente de la clínica: cédula (o pasaporte), nombres y los dos apellidos, sexo, fecha de nacimiento, "
        "dirección codificada con la DPA del INEC, nacionalidad, autoidentificación étnica e instrucción."
    ),
    description_en=(
        "A clinic patient: cédula (or passport), given names and both surnames, gender, birth date, address "
        "coded with INEC's DPA, nationality, ethnic self-identification and education."
    ),
    type="Patient",
    base=core("Patient"),
    elements=ELEMENTS,
    invariants=INVARIANTS,
)
