"""Canonical URLs of the clinic's conformance and terminology resources, and the external systems they use.

The product owns one canonical base (docs/adr/0006-clinic-canonical-base.md): profiles, extensions,
local code systems, value sets and identifier systems all hang off it, so data written by any
installation means the same thing.
"""

from __future__ import annotations

CANONICAL_BASE = "https://fhir.consultorio.ec/fhir"


def structure_definition(sd_id: str) -> str:
    """URL of a clinic profile or extension."""
    return f"{CANONICAL_BASE}/StructureDefinition/{sd_id}"


def code_system(cs_id: str) -> str:
    """URL of a clinic code system."""
    return f"{CANONICAL_BASE}/CodeSystem/{cs_id}"


def value_set(vs_id: str) -> str:
    """URL of a clinic value set."""
    return f"{CANONICAL_BASE}/ValueSet/{vs_id}"


def identifier_system(sid: str) -> str:
    """URI of a clinic identifier system."""
    return f"{CANONICAL_BASE}/sid/{sid}"


# Identifier systems
CEDULA_SYSTEM = identifier_system("ec-cedula")
PASSPORT_SYSTEM = identifier_system("pasaporte")
CONSULTORIO_NUMBER_SYSTEM = identifier_system("consultorio-numero")

# External and HL7 systems
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
ISO3166 = "urn:iso:std:iso:3166"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
V3_MARITAL = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
V3_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
MEDICATIONREQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/administrative-gender"

# Core extensions the clinic profiles use
EXT_FATHERS_FAMILY = "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family"
EXT_MOTHERS_FAMILY = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family"
EXT_NATIONALITY = "http://hl7.org/fhir/StructureDefinition/patient-nationality"
EXT_BIRTHPLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
EXT_PRECINCT = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-precinct"

# Clinic extensions
EXT_PROVINCIA = structure_definition("address-ec-provincia")
EXT_CANTON = structure_definition("address-ec-canton")
EXT_PARROQUIA = structure_definition("address-ec-parroquia")
EXT_GRUPO_CULTURAL = structure_definition("patient-grupo-cultural")
EXT_NIVEL_INSTRUCCION = structure_definition("patient-nivel-instruccion")
EXT_OCUPACION = structure_definition("patient-ocupacion")
EXT_NOMBRE_COMERCIAL = structure_definition("medication-nombre-comercial")

# Clinic code systems
CS_DPA = code_system("ec-dpa")
CS_ROL_USUARIO = code_system("rol-usuario")
CS_ESPECIALIDAD = code_system("especialidad")
CS_ETNIA = code_system("ec-autoidentificacion-etnica")
CS_NIVEL_INSTRUCCION = code_system("nivel-instruccion")
CS_TIPO_SEGURO = code_system("tipo-seguro")
CS_MEDICAMENTO_CATEGORIA = code_system("medicamento-categoria")
CS_MEDICAMENTO = code_system("medicamento")
CS_LEGACY_TAGS = code_system("legacy-tags")
CS_CIE10_PROPERTIES = code_system("cie10-properties")

# Clinic value sets
VS_CIE10_ALL = value_set("cie10")
VS_CIE10_DIAGNOSIS = value_set("cie10-activos")
VS_DPA_PROVINCIAS = value_set("ec-dpa-provincias")
VS_DPA_CANTONES = value_set("ec-dpa-cantones")
VS_DPA_PARROQUIAS = value_set("ec-dpa-parroquias")
VS_ETNIA = value_set("ec-autoidentificacion-etnica")
VS_NIVEL_INSTRUCCION = value_set("nivel-instruccion")
VS_ROL_USUARIO = value_set("rol-usuario")
VS_ESPECIALIDAD = value_set("especialidad")
VS_VITAL_SIGNS_UNITS = value_set("signos-vitales-unidades")

# Clinic profiles
PROFILE_PATIENT = structure_definition("ec-patient")
PROFILE_PRACTITIONER = structure_definition("ec-practitioner")
PROFILE_PRACTITIONER_ROLE = structure_definition("ec-practitionerrole")
PROFILE_ORGANIZATION = structure_definition("ec-organization")
PROFILE_CONSULTORIO = structure_definition("ec-consultorio")
PROFILE_ENCOUNTER = structure_definition("ec-encounter")
PROFILE_EVOLUCION = structure_definition("ec-evolucion")
PROFILE_DIAGNOSTICO = structure_definition("ec-diagnostico")
PROFILE_PRESCRIPCION = structure_definition("ec-prescripcion")
PROFILE_ANTECEDENTE_FAMILIAR = structure_definition("ec-antecedente-familiar")
PROFILE_MEDICAMENTO = structure_definition("ec-medicamento")

# R4 vital-signs profiles (HL7) and the clinic's versions of them, by LOINC code
HL7_VITAL_SIGNS = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
VITAL_SIGNS: dict[str, tuple[str, str]] = {
    # LOINC code: (HL7 profile id, clinic profile id)
    "85353-1": ("vitalspanel", "ec-vitalspanel"),
    "8310-5": ("bodytemp", "ec-bodytemp"),
    "85354-9": ("bp", "ec-bp"),
    "8867-4": ("heartrate", "ec-heartrate"),
    "9279-1": ("resprate", "ec-resprate"),
    "29463-7": ("bodyweight", "ec-bodyweight"),
    "8302-2": ("bodyheight", "ec-bodyheight"),
    "39156-5": ("bmi", "ec-bmi"),
}

# Added with the medicines catalog
EXT_CONCENTRACION_TEXTO = structure_definition("medication-concentracion-texto")
