"""Messages of the clinic rules: identities, conformance on write, clinic operations (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "identifier-duplicate": {
        "es": "Ya existe un registro activo ({existing}) con el identificador {value}; no se guardó {type}",
        "en": "An active record ({existing}) already holds identifier {value}; the {type} was not saved",
    },
}
