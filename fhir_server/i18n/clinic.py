"""Messages of the clinic area (Spanish and English)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
