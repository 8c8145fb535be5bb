"""Messages of Patient/$everything (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "everything-no-patient": {
        "es": "Patient/$everything devuelve el expediente del paciente del token, y este acceso no tiene paciente; "
        "use Patient/[id]/$everything",
        "en": "Patient/$everything returns the record of the token's patient, and this access has no patient; "
        "use Patient/[id]/$everything",
    },
}
