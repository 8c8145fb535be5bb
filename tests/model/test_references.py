"""Reference syntax: what a stored resource may point at."""

from __future__ import annotations

import pytest

from fhir_server.model.references import RefKind, is_valid_id, parse_reference


@pytest.mark.parametrize(
    ("text", "kind", "type_", "id_", "version"),
    [
        ("Patient/123", RefKind.RELATIVE, "Patient", "123", None),
        ("Patient/a.b-c/_history/2", RefKind.RELATIVE, "Patient", "a.b-c", "2"),
        ("#p1", RefKind.CONTAINED, None, "p1", None),
        ("http://other.org/fhir/Patient/9", RefKind.ABSOLUTE, "Patient", "9", None),
        ("https://example.org/whatever", RefKind.ABSOLUTE, None, None, None),
        ("urn:uuid:c757873d-ec9a-4326-a141-556f43239520", RefKind.BUNDLE_LOCAL, None, None, None),
        ("urn:oid:1.2.3.4", RefKind.BUNDLE_LOCAL, None, None, None),
        ("Patient?identifier=x|1", RefKind.CONDITIONAL, "Patient", None, None),
    ],
)
def test_valid(text, kind, type_, id_, version):
    ref = parse_reference(text)
    assert ref is not None and ref.kind is kind and ref.type == type_ and ref.version == version
    if kind is not RefKind.BUNDLE_LOCAL:
        assert ref.id == id_


@pytest.mark.parametrize(
    "text",
    [
        "Patient/",
        "Bogus/1",
        "patient/1",
        "Patient/a b",
        "not a ref",
        "Patient/" + "x" * 65,
        "urn:uuid:nope",
    ],
)
def test_invalid(text):
    assert parse_reference(text) is None


def test_ids():
    assert is_valid_id("a-B.9")
    assert not is_valid_id("")
    assert not is_valid_id("x" * 65)
    assert not is_valid_id("a_b")
