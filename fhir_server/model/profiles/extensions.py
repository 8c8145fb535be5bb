"""Extension definitions: the clinic's own (served) and the core ones its profiles use (enforced only)."""

from __future__ import annotations

from fhir_server.model import canonical as c
from fhir_server.model.profiles.definition import Binding, El, Profile, by_url, core, extension_definition


def _dpa(level: str, level_en: str, sd_id: str, url: str, value_set: str, digits: int) -> Profile:
    name = "".join(part.capitalize() for part in sd_id.split("-"))
    return extension_definition(
        sd_id,
        url,
        name,
        (f"{level.capitalize()} (DPA del INEC)", f"{level_en.capitalize()} (INEC DPA)"),
        (
            f"Código INEC de la {level} de una dirección ({digits} dígitos) en el CodeSystem ec-dpa. La {level} "
            "debe pertenecer a la división superior indicada en la misma dirección; los nombres van en "
            "Address.state/city/district, pero los códigos son la referencia.",
            f"INEC code of the address {level_en} ({digits} digits) in the ec-dpa CodeSystem. It must belong "
            "to the higher division given in the same address; names go in Address.state/city/district, "
            "the codes are authoritative.",
        ),
        "Address",
        El(
            "Extension.value[x]",
            min=1,
            types=("Coding",),
            binding=Binding("required", value_set, system=c.CS_DPA, checked=False),
        ),
        more=(
            El("Extension.valueCoding.system", min=1, fixed=c.CS_DPA),
            El("Extension.valueCoding.code", min=1),
        ),
    )


PROVINCIA = _dpa("provincia", "province", "address-ec-provincia", c.EXT_PROVINCIA, c.VS_DPA_PROVINCIAS, 2)
CANTON = _dpa("cantón", "canton", "address-ec-canton", c.EXT_CANTON, c.VS_DPA_CANTONES, 4)
PARROQUIA = _dpa("parroquia", "parish", "address-ec-parroquia", c.EXT_PARROQUIA, c.VS_DPA_PARROQUIAS, 6)

GRUPO_CULTURAL = extension_definition(
    "patient-grupo-cultural",
    c.EXT_GRUPO_CULTURAL,
    "PatientGrupoCultural",
    ("Autoidentificación étnica", "Ethnic self-identification"),
    (
        "Grupo cultural con el que se identifica el paciente, según las categorías del censo ecuatoriano.",
        "Cultural group the patient identifies with, using the Ecuadorian census categories.",
    ),
    "Patient",
    El(
        "Extension.value[x]",
        min=1,
        types=("CodeableConcept",),
        binding=Binding("required", c.VS_ETNIA, system=c.CS_ETNIA),
    ),
)

NIVEL_INSTRUCCION = extension_definition(
    "patient-nivel-instruccion",
    c.EXT_NIVEL_INSTRUCCION,
    "PatientNivelInstruccion",
    ("Nivel de instrucción", "Education level"),
    ("Máximo nivel de instrucción alcanzado por el paciente.", "Highest level of education the patient reached."),
    "Patient",
    El(
        "Extension.value[x]",
        min=1,
        types=("CodeableConcept",),
        binding=Binding("extensible", c.VS_NIVEL_INSTRUCCION, system=c.CS_NIVEL_INSTRUCCION),
    ),
)

OCUPACION = extension_definition(
    "patient-ocupacion",
    c.EXT_OCUPACION,
    "PatientOcupacion",
    ("Ocupación", "Occupation"),
    (
        "Ocupación del paciente: texto, con un código ISCO-08 opcional.",
        "The patient's occupation: text, with an optional ISCO-08 code.",
    ),
    "Patient",
    El("Extension.value[x]", min=1, types=("CodeableConcept",)),
)

NOMBRE_COMERCIAL = extension_definition(
    "medication-nombre-comercial",
    c.EXT_NOMBRE_COMERCIAL,
    "MedicationNombreComercial",
    ("Nombre comercial", "Brand name"),
    (
        "Nombre comercial de un medicamento (R4 Medication no tiene un elemento para la marca).",
        "Brand name of a medication (R4 Medication has no element for it).",
    ),
    "Medication",
    El("Extension.value[x]", min=1, types=("string",)),
)

CLINIC = (PROVINCIA, CANTON, PARROQUIA, GRUPO_CULTURAL, NIVEL_INSTRUCCION, OCUPACION, NOMBRE_COMERCIAL)


def _core_string(sd_id: str, url: str, context: str) -> Profile:
    return extension_definition(
        sd_id,
        url,
        sd_id,
        (sd_id, sd_id),
        (sd_id, sd_id),
        context,
        El("Extension.value[x]", min=1, types=("string",)),
        served=False,
    )


NATIONALITY = Profile(
    id="patient-nationality",
    url=c.EXT_NATIONALITY,
    name="nationality",
    title="Nationality",
    title_en="Nationality",
    description="Nacionalidad del paciente.",
    description_en="The nationality of the patient.",
    type="Extension",
    base=core("Extension"),
    elements=(
        El("Extension.extension", slicing=by_url()),
        El("Extension.extension:code", max="1"),
        El("Extension.extension:code.url", fixed="code"),
        El("Extension.extension:code.value[x]", min=1, types=("CodeableConcept",)),
        El("Extension.url", fixed=c.EXT_NATIONALITY),
        El("Extension.value[x]", max="0"),
    ),
    context=("Patient",),
    served=False,
)

CORE = (
    _core_string("humanname-fathers-family", c.EXT_FATHERS_FAMILY, "HumanName.family"),
    _core_string("humanname-mothers-family", c.EXT_MOTHERS_FAMILY, "HumanName.family"),
    _core_string("iso21090-ADXP-precinct", c.EXT_PRECINCT, "Address"),
    extension_definition(
        "patient-birthPlace",
        c.EXT_BIRTHPLACE,
        "birthPlace",
        ("Birth Place", "Birth Place"),
        ("Lugar de nacimiento.", "Birth place."),
        "Patient",
        El("Extension.value[x]", min=1, types=("Address",)),
        served=False,
    ),
    NATIONALITY,
)

DEFINITIONS = CLINIC + CORE
