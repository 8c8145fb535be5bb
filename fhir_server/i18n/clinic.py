"""Messages of the clinic rules: identities, conformance on write, clinic operations (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "identifier-duplicate": {
        "es": "Ya existe un registro activo ({existing}) con el identificador {value}; no se guardó {type}",
        "en": "An active record ({existing}) already holds identifier {value}; the {type} was not saved",
    },
}

MESSAGES.update(
    {
        "built-in-read-only": {
            "es": "{type}/{id} es parte de la definición del servidor y es de solo lectura",
            "en": "{type}/{id} is part of the server's definition and is read-only",
        },
        "validate-needs-id": {
            "es": "$validate en modo {mode} se invoca sobre un recurso existente: [tipo]/[id]/$validate",
            "en": "$validate in mode {mode} is invoked on an existing resource: [type]/[id]/$validate",
        },
        "profile-unknown": {
            "es": "Perfil desconocido en este servidor: {profile}",
            "en": "Profile unknown to this server: {profile}",
        },
        "operation-parameter-repeated": {
            "es": "El parámetro {name} solo puede aparecer una vez",
            "en": "Parameter {name} may appear only once",
        },
        "vitals-pressure-format": {
            "es": "presion_arterial: se espera sistólica/diastólica, por ejemplo 120/80 (se recibió {value})",
            "en": "presion_arterial: expected systolic/diastolic, for example 120/80 (got {value})",
        },
        "vitals-pressure-pair": {
            "es": "presion_arterial: envíe sistólica y diastólica juntas",
            "en": "presion_arterial: send systolic and diastolic together",
        },
        "vitals-empty": {
            "es": "El formulario de signos vitales no trae ninguna medición",
            "en": "The vital-signs form carries no measurement",
        },
        "vitals-bmi-unverifiable": {
            "es": "imc: el IMC lo calcula el servidor a partir de peso y talla; envíe peso y talla",
            "en": "imc: the server computes the BMI from weight and height; send weight and height",
        },
        "vitals-bmi-inconsistent": {
            "es": "imc: el IMC enviado ({sent}) no coincide con peso y talla (IMC {computed} kg/m2)",
            "en": "imc: the BMI sent ({sent}) disagrees with weight and height (BMI {computed} kg/m2)",
        },
        "vitals-encounter-closed": {
            "es": "El encuentro está {status}: ya no admite signos vitales",
            "en": "The encounter is {status}: it no longer accepts vital signs",
        },
        "vitals-encounter-subject": {
            "es": "El encuentro no tiene un paciente (subject Patient/[id])",
            "en": "The encounter has no patient (subject Patient/[id])",
        },
    }
)

MESSAGES.update(
    {
        "auth-required": {
            "es": "Se requiere un token de acceso (Authorization: Bearer ...)",
            "en": "An access token is required (Authorization: Bearer ...)",
        },
        "auth-invalid-token": {
            "es": "El token de acceso no es válido, expiró o fue revocado",
            "en": "The access token is invalid, expired or revoked",
        },
        "scope-denied": {
            "es": "Sus permisos no incluyen {interaction} sobre {type}",
            "en": "Your permissions do not include {interaction} on {type}",
        },
        "scope-system-wide": {
            "es": "{what} a nivel de todo el servidor no está permitido con sus permisos; use la búsqueda por tipo",
            "en": "{what} across the whole server is not allowed with your permissions; search by type",
        },
        "row-denied": {
            "es": "No puede escribir este {type}: queda fuera de su paciente, sus permisos o su relación de atención",
            "en": "You cannot write this {type}: it lies outside your patient, permissions or care relationship",
        },
    }
)

MESSAGES.update(
    {
        "appointment-final": {
            "es": "La cita está {old}: ya no puede pasar a {new} (corrija con entered-in-error)",
            "en": "The appointment is {old}: it can no longer become {new} (correct it with entered-in-error)",
        },
        "appointment-cancel-reason": {
            "es": "Cancelar una cita en curso requiere cancelationReason",
            "en": "Cancelling an appointment in progress requires a cancelationReason",
        },
    }
)
