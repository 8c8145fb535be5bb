"""Messages of the profiles area (Spanish and English).

Every message starts with ``{element}``, the FHIRPath of the element at fault, so a list of issues
reads like a form's field errors.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Generic element rules
    "prof-required": {
        "es": "{element}: es obligatorio en este perfil",
        "en": "{element}: is required by this profile",
    },
    "prof-min": {
        "es": "{element}: se requieren al menos {min} y hay {count}",
        "en": "{element}: at least {min} required, {count} present",
    },
    "prof-max": {
        "es": "{element}: se admiten como máximo {max} y hay {count}",
        "en": "{element}: at most {max} allowed, {count} present",
    },
    "prof-prohibited": {
        "es": "{element}: no se admite en este perfil",
        "en": "{element}: is not allowed by this profile",
    },
    "prof-slice-missing": {
        "es": "{element}: falta el elemento '{slice}' que exige el perfil",
        "en": "{element}: the '{slice}' entry the profile requires is missing",
    },
    "prof-fixed": {
        "es": "{element}: debe ser '{expected}' (se recibió '{actual}')",
        "en": "{element}: must be '{expected}' (got '{actual}')",
    },
    "prof-pattern": {
        "es": "{element}: debe contener {expected}",
        "en": "{element}: must contain {expected}",
    },
    "prof-type": {
        "es": "{element}: el tipo {actual} no se admite aquí; se admite: {allowed}",
        "en": "{element}: type {actual} is not allowed here; allowed: {allowed}",
    },
    "prof-binding-required": {
        "es": "{element}: el código '{code}' no pertenece al conjunto de valores {value_set}",
        "en": "{element}: code '{code}' is not in the value set {value_set}",
    },
    "prof-binding-extensible": {
        "es": "{element}: el código '{code}' no existe en {system} (conjunto de valores {value_set})",
        "en": "{element}: code '{code}' does not exist in {system} (value set {value_set})",
    },
    "prof-binding-no-coding": {
        "es": "{element}: se requiere un código del conjunto de valores {value_set}",
        "en": "{element}: a code from the value set {value_set} is required",
    },
    "prof-reference-type": {
        "es": "{element}: no puede referirse a {target}; admite: {allowed}",
        "en": "{element}: cannot refer to {target}; allowed: {allowed}",
    },
    "prof-reference-unresolved": {
        "es": "{element}: no se encuentra el recurso {reference}",
        "en": "{element}: resource {reference} not found",
    },
    "prof-reference-profile": {
        "es": "{element}: {reference} no cumple el perfil {profile}",
        "en": "{element}: {reference} does not meet the profile {profile}",
    },
    "prof-resource-type": {
        "es": "{element}: el perfil {profile} es para {expected}, no para {actual}",
        "en": "{element}: profile {profile} is for {expected}, not {actual}",
    },
    # Identity
    "cedula-format": {
        "es": "{element}: la cédula '{value}' debe tener exactamente 10 dígitos",
        "en": "{element}: cédula '{value}' must have exactly 10 digits",
    },
    "cedula-province": {
        "es": "{element}: la cédula {value} empieza con un código de provincia inválido (01–24 o 30)",
        "en": "{element}: cédula {value} starts with an invalid province code (01–24 or 30)",
    },
    "cedula-third-digit": {
        "es": "{element}: el tercer dígito de la cédula {value} debe ser menor que 6 (persona natural)",
        "en": "{element}: the third digit of cédula {value} must be below 6 (natural person)",
    },
    "cedula-check-digit": {
        "es": "{element}: el dígito verificador de la cédula {value} no es correcto",
        "en": "{element}: the check digit of cédula {value} is wrong",
    },
    "prof-patient-identifier": {
        "es": "{element}: el paciente necesita una cédula o un pasaporte",
        "en": "{element}: the patient needs a cédula or a passport",
    },
    "prof-ruc": {
        "es": "{element}: el RUC '{value}' debe tener 13 dígitos",
        "en": "{element}: RUC '{value}' must have 13 digits",
    },
    "prof-gender-required": {
        "es": "{element}: el sexo es obligatorio: use male (hombre) o female (mujer); other o unknown si no aplica",
        "en": "{element}: gender is required: use male or female (other or unknown when neither applies)",
    },
    "prof-fathers-family": {
        "es": "{element}: falta el apellido paterno (extensión humanname-fathers-family)",
        "en": "{element}: the father's surname is missing (humanname-fathers-family extension)",
    },
    "prof-family-surnames": {
        "es": "{element}: el apellido '{value}' no es 'paterno materno' ('{expected}')",
        "en": "{element}: family '{value}' is not 'father's mother's' surname ('{expected}')",
    },
    "prof-nationality": {
        "es": "{element}: '{value}' no es un código de país ISO 3166 alfa-2",
        "en": "{element}: '{value}' is not an ISO 3166 alpha-2 country code",
    },
    # Geography
    "prof-dpa-format": {
        "es": "{element}: el código '{value}' no es un código de {level} ({digits} dígitos)",
        "en": "{element}: '{value}' is not a {level} code ({digits} digits)",
    },
    "prof-dpa-nesting": {
        "es": "{element}: {level} {value} no pertenece a {parent_level} {parent}",
        "en": "{element}: {level} {value} does not belong to {parent_level} {parent}",
    },
    "prof-dpa-unknown": {
        "es": "{element}: {level} {value} no existe en la división político-administrativa",
        "en": "{element}: {level} {value} does not exist in the political-administrative division",
    },
    "prof-dpa-parent": {
        "es": "{element}: según el catálogo, {level} {value} pertenece a {actual}, no a {parent}",
        "en": "{element}: according to the catalogue, {level} {value} belongs to {actual}, not {parent}",
    },
    "prof-consultorio-site": {
        "es": "{element}: el consultorio debe estar dentro de un edificio o sede (physicalType bu o si); "
        "{reference} es {actual}",
        "en": "{element}: the consulting room must be part of a building or site (physicalType bu or si); "
        "{reference} is {actual}",
    },
    # Vital signs
    "prof-vs-1": {
        "es": "{element}: la fecha '{value}' debe tener al menos el día (AAAA-MM-DD)",
        "en": "{element}: date '{value}' must be precise to the day (YYYY-MM-DD)",
    },
    "prof-vs-2": {
        "es": "{element}: un signo vital necesita un valor o un dataAbsentReason",
        "en": "{element}: a vital sign needs a value or a dataAbsentReason",
    },
    "prof-vs-3": {
        "es": "{element}: cada componente necesita un valor o un dataAbsentReason",
        "en": "{element}: each component needs a value or a dataAbsentReason",
    },
    "prof-vs-category": {
        "es": "{element}: falta la categoría observation-category#vital-signs",
        "en": "{element}: the observation-category#vital-signs category is missing",
    },
    "prof-vs-code": {
        "es": "{element}: se requiere el código LOINC {loinc}",
        "en": "{element}: LOINC code {loinc} is required",
    },
    "prof-vs-component": {
        "es": "{element}: falta el componente LOINC {loinc}",
        "en": "{element}: component LOINC {loinc} is missing",
    },
    "prof-unit-wrong": {
        "es": "{element}: la unidad debe ser el código UCUM '{expected}' (se recibió '{actual}')",
        "en": "{element}: the unit must be UCUM code '{expected}' (got '{actual}')",
    },
    "prof-unit-missing": {
        "es": "{element}: falta el código UCUM de la unidad; se espera '{expected}'",
        "en": "{element}: the UCUM unit code is missing; expected '{expected}'",
    },
    "prof-range": {
        "es": "{element}: {value} {unit} está fuera del rango plausible {low}–{high} {unit}",
        "en": "{element}: {value} {unit} is outside the plausible range {low}–{high} {unit}",
    },
    "prof-range-open": {
        "es": "{element}: {value} {unit} está fuera del rango plausible (más de {low} y hasta {high} {unit})",
        "en": "{element}: {value} {unit} is outside the plausible range (above {low}, up to {high} {unit})",
    },
    "prof-height-metres": {
        "es": "{element}: {value} {unit} está fuera del rango plausible {low}–{high} {unit}; "
        "¿se envió en metros? {value} m son {centimetres} cm",
        "en": "{element}: {value} {unit} is outside the plausible range {low}–{high} {unit}; "
        "was it sent in metres? {value} m is {centimetres} cm",
    },
    "prof-bp-order": {
        "es": "{element}: la presión sistólica ({systolic} mm[Hg]) debe superar a la diastólica ({diastolic} mm[Hg])",
        "en": "{element}: the systolic pressure ({systolic} mm[Hg]) must be above the diastolic ({diastolic} mm[Hg])",
    },
    "prof-bmi-sources": {
        "es": "{element}: el IMC debe derivarse de las observaciones de peso y talla (falta LOINC {missing})",
        "en": "{element}: the BMI must be derived from the weight and height Observations (LOINC {missing} missing)",
    },
    "prof-bmi-subject": {
        "es": "{element}: la observación de origen es de otro paciente ({subject})",
        "en": "{element}: the source Observation belongs to another patient ({subject})",
    },
    "prof-bmi-source-value": {
        "es": "{element}: la observación de origen no tiene un valor en kg, g, [lb_av], cm, m o [in_i]",
        "en": "{element}: the source Observation has no value in kg, g, [lb_av], cm, m or [in_i]",
    },
    "prof-bmi-mismatch": {
        "es": "{element}: el IMC {value} no coincide con peso {weight} kg y talla {height} cm (debe ser {expected})",
        "en": "{element}: BMI {value} does not match weight {weight} kg and height {height} cm (must be {expected})",
    },
    # Diagnoses and catalogue
    "prof-cie10-missing": {
        "es": "{element}: el diagnóstico necesita exactamente un código CIE-10 (http://hl7.org/fhir/sid/icd-10)",
        "en": "{element}: the diagnosis needs exactly one CIE-10 code (http://hl7.org/fhir/sid/icd-10)",
    },
    "prof-cie10-not-loaded": {
        "es": "{element}: no se puede validar el código CIE-10 {value}: la CIE-10 no está cargada en este servidor",
        "en": "{element}: cannot check CIE-10 code {value}: CIE-10 is not loaded on this server",
    },
    "prof-cie10-unknown": {
        "es": "{element}: el código CIE-10 {value} no existe",
        "en": "{element}: CIE-10 code {value} does not exist",
    },
    "prof-cie10-inactive": {
        "es": "{element}: el código CIE-10 {value} ({display}) está inactivo",
        "en": "{element}: CIE-10 code {value} ({display}) is inactive",
    },
    "prof-cie10-grouping": {
        "es": "{element}: {value} ({display}) agrupa otros códigos; registre una de sus subcategorías",
        "en": "{element}: {value} ({display}) groups other codes; record one of its subcategories",
    },
    "prof-cie10-not-valid": {
        "es": "{element}: el código CIE-10 {value} ({display}) no es válido para un diagnóstico",
        "en": "{element}: CIE-10 code {value} ({display}) is not valid for a diagnosis",
    },
    "prof-condition-clinical-status": {
        "es": "{element}: clinicalStatus es obligatorio salvo en diagnósticos entered-in-error",
        "en": "{element}: clinicalStatus is required unless the diagnosis is entered-in-error",
    },
    "prof-med-category": {
        "es": "{element}: la clasificación necesita un código de {system}",
        "en": "{element}: the classification needs a code from {system}",
    },
    "prof-med-category-unknown": {
        "es": "{element}: la categoría '{value}' no existe en el catálogo de la clínica",
        "en": "{element}: category '{value}' does not exist in the clinic's catalogue",
    },
}
