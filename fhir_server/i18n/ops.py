"""Messages of the operations surface: readiness, rate limits, timeouts, metrics (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "ops-database-unreachable": {
        "es": "La base de datos no responde: el servidor no está listo",
        "en": "The database does not answer: the server is not ready",
    },
    "ops-schema-outdated": {
        "es": "El esquema de la base de datos no está al día: ejecute `fhir-server migrate`",
        "en": "The database schema is not current: run `fhir-server migrate`",
    },
    "ops-rate-limited": {
        "es": "Demasiadas solicitudes de este cliente: intente de nuevo en {seconds} s",
        "en": "Too many requests from this client: try again in {seconds} s",
    },
    "ops-request-timeout": {
        "es": "La solicitud superó el tiempo máximo de {seconds} s y se canceló",
        "en": "The request took longer than the {seconds} s limit and was cancelled",
    },
    "ops-request-abandoned": {
        "es": "La solicitud ya fue respondida con 503 por superar el tiempo máximo: no se guardó nada",
        "en": "The request was already answered 503 for exceeding the time limit: nothing was stored",
    },
    "ops-metrics-forbidden": {
        "es": "Las métricas requieren el token de métricas o una conexión local",
        "en": "Metrics need the metrics token or a local connection",
    },
}
