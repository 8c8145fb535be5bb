"""Legacy resource ids are RFC 4122 name-based (SHA-1) UUIDs: the same on every installation and every run."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_server.mappings.legacy.records import _LEGACY_NAMESPACE, legacy_id


def test_legacy_ids_are_the_uuid5_of_the_row_key() -> None:
    keys = [("ehr", "Patients", 1, ""), ("ehr", "VitalSigns", 17, "panel"), ("medly", "empresa", "Ñandú S.A.", "")]
    for source, table, key, part in keys:
        expected = uuid.uuid5(_LEGACY_NAMESPACE, f"{source}|{table}|{key}|{part}")
        assert legacy_id(source, table, key, part) == str(expected)
    # A fixed value: ids already imported must never change.
    assert legacy_id("ehr", "Patients", 1) == "826c15e5-3e32-59ec-86e9-4efe29742f45"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=40), st.integers(min_value=0, max_value=10**12), st.text(max_size=20))
def test_legacy_ids_equal_the_standard_library_uuid5_for_any_key(source: str, table: str, key: int, part: str) -> None:
    expected = uuid.uuid5(_LEGACY_NAMESPACE, f"{source}|{table}|{key}|{part}")
    assert legacy_id(source, table, key, part) == str(expected)
