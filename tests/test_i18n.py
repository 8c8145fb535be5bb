"""Every message exists in Spanish and English with the same placeholders."""

from __future__ import annotations

import string

import pytest

from fhir_server.i18n import pick_language, translate
from fhir_server.i18n.catalog import MESSAGES


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("message_id", sorted(MESSAGES))
def test_both_languages_same_fields(message_id):
    texts = MESSAGES[message_id]
    assert set(texts) == {"es", "en"}
    assert _fields(texts["es"]) == _fields(texts["en"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "es"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr, en;q=0.5", "en"),
        ("de", "es"),
        ("es;q=0.2, en;q=0.8", "en"),
        ("*", "es"),
        ("en;q=0", "es"),
    ],
)
def test_pick_language(header, expected):
    assert pick_language(header, "es") == expected


def test_translate_falls_back():
    assert translate("no-such-message", "en") == "no-such-message"
    assert "Patient/1" in translate("not-found", "en", {"type": "Patient", "id": "1"})


def test_message_ids_are_unique_across_areas():
    from fhir_server.i18n.catalog import AREAS

    seen: dict[str, str] = {}
    for area in AREAS:
        for message_id in area.MESSAGES:
            assert message_id not in seen, f"{message_id} in {area.__name__} and {seen[message_id]}"
            seen[message_id] = area.__name__


def test_a_kept_answer_depends_on_the_default_and_long_headers_are_read_in_full():
    # Answers are kept per (header, default): the same header with another default answers anew.
    assert pick_language("fr-FR", "es") == "es"
    assert pick_language("fr-FR", "en") == "en"
    assert pick_language("fr-FR", "es") == "es"
    long_header = ", ".join(f"x{n};q=0.{n % 9 + 1}" for n in range(60)) + ", en;q=0.95"
    assert len(long_header) > 200
    assert pick_language(long_header, "es") == "en"
