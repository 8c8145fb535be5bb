"""Message catalogue: id -> {language: template}, merged from one module per area.

Each area owns its module (``core``, ``terminology``, ``profiles``, ``clinic``) so messages sit next
to the ideas they describe; ids must be unique across modules (tests check it).
"""

from __future__ import annotations

from fhir_server.i18n import (
    activation,
    audit,
    auth,
    bulk_export,
    bulk_import,
    clinic,
    core,
    everything,
    legacy,
    ops,
    profiles,
    terminology,
)

AREAS = (
    core,
    terminology,
    profiles,
    clinic,
    auth,
    audit,
    ops,
    bulk_export,
    bulk_import,
    everything,
    legacy,
    activation,
)
MESSAGES: dict[str, dict[str, str]] = {}
for _area in AREAS:
    MESSAGES.update(_area.MESSAGES)
