"""FHIR dates as [low, high) microsecond ranges; naive values are clinic time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.instants import fhir_instant

GYE = ZoneInfo("America/Guayaquil")


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2024", "2024-01-01T05:00:00.000000Z", "2025-01-01T05:00:00.000000Z"),
        ("2024-02", "2024-02-01T05:00:00.000000Z", "2024-03-01T05:00:00.000000Z"),
        ("2024-02-29", "2024-02-29T05:00:00.000000Z", "2024-03-01T05:00:00.000000Z"),
        ("2024-12", "2024-12-01T05:00:00.000000Z", "2025-01-01T05:00:00.000000Z"),
        ("2024-03-05T10:00", "2024-03-05T15:00:00.000000Z", "2024-03-05T15:01:00.000000Z"),
        ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00.000000Z", "2024-03-05T10:00:01.000000Z"),
        (
            "2024-03-05T10:00:00.5+02:00",
            "2024-03-05T08:00:00.500000Z",
            "2024-03-05T08:00:00.600000Z",
        ),
    ],
)
def test_ranges(text, low, high):
    lo, hi = date_range(text, GYE)
    assert (fhir_instant(lo), fhir_instant(hi)) == (low, high)


@pytest.mark.parametrize("text", ["2024-13", "2023-02-29", "24", "2024-01-01T25:00", "2024-01-01T10:00+15:00", "hoy"])
def test_bad(text):
    with pytest.raises(BadDate):
        date_range(text, GYE)
