"""Messages of the audit trail (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "audit-read-only": {
        "es": "{type} es un registro de auditoría que solo escribe el servidor: se puede leer y buscar, no modificar",
        "en": "{type} is an audit record only the server writes: it can be read and searched, not changed",
    },
    "audit-append-only": {
        "es": "{type} es un registro de auditoría de solo anexado: una vez escrito no se cambia ni se borra",
        "en": "{type} is an append-only audit record: once written it is neither changed nor deleted",
    },
}
