"""Spanish and English texts for OperationOutcomes and pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir_server.header_cache import kept_per_header
from fhir_server.i18n.catalog import MESSAGES

LANGUAGES = ("es", "en")


def translate(message_id: str, language: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in the language, falling back to Spanish, then to the id itself."""
    texts = MESSAGES.get(message_id)
    if texts is None:
        return message_id
    template = texts.get(language) or texts["es"]
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template


def pick_language(accept_language: str | None, default: str) -> str:
    """The best of es/en for an Accept-Language header (RFC 9110 quality values)."""
    if not accept_language:
        return default
    return _picked(accept_language, default)


@kept_per_header
def _picked(accept_language: str, default: str) -> str:
    best, best_q = default, -1.0
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if primary == "*":
            primary = default
        # Earlier entries win ties, as clients list preferences in order.
        if primary in LANGUAGES and quality > 0 and quality - position * 1e-6 > best_q:
            best, best_q = primary, quality - position * 1e-6
    return best
