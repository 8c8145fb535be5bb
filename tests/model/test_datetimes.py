"""FHIR dates as [low, high) microsecond ranges; naive values are clinic time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_server.model.datetimes import _DATE_TIME, BadDate, date_range
from fhir_server.model.instants import fhir_instant, from_datetime, http_date, parse_http_date

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


def _reference_range(text: str, zone: ZoneInfo) -> tuple[int, int]:
    """The same ranges through datetime's own aware arithmetic (what date_range did before)."""
    year, month, day, hour, minute, second, fraction, tz = _DATE_TIME.fullmatch(text).groups()  # type: ignore[union-attr]
    if month is None or day is None or hour is None:
        low = date(int(year), int(month or 1), int(day or 1))
        high = (
            date(low.year + 1, 1, 1)
            if month is None
            else date(low.year + low.month // 12, low.month % 12 + 1, 1)
            if day is None
            else low + timedelta(days=1)
        )
        bounds = (datetime.combine(d, time(0), zone) for d in (low, high))
        return tuple(from_datetime(b) for b in bounds)  # type: ignore[return-value]
    offset = zone if tz is None else UTC if tz == "Z" else timezone(timedelta(minutes=_minutes(tz)))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    seconds = int(second or 0)
    clock = time(int(hour), int(minute), 59 if seconds == 60 else seconds, micro)
    low_us = from_datetime(datetime.combine(date(int(year), int(month), int(day)), clock, offset))
    step = 60_000_000 if second is None else 1_000_000 if fraction is None else 10 ** (6 - min(len(fraction), 6))
    return low_us, low_us + max(1, step)


def _minutes(tz: str) -> int:
    return (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 60 + int(tz[4:6]))


_CLOCKS = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 60))
_OFFSETS = st.sampled_from(["", "Z", "-05:00", "+00:00", "+05:30", "-03:30", "+14:00", "-12:00"])


@settings(max_examples=400, deadline=None)
@given(
    day=st.dates(date(1850, 1, 1), date(2100, 12, 31)),
    clock=_CLOCKS,
    fraction=st.sampled_from(["", ".5", ".123", ".123456", ".1234567"]),
    offset=_OFFSETS,
    precision=st.sampled_from(["year", "month", "day", "minute", "second", "fraction"]),
    zone=st.sampled_from(["America/Guayaquil", "America/New_York", "Europe/Madrid", "Pacific/Galapagos"]),
)
def test_ranges_equal_datetime_arithmetic(day, clock, fraction, offset, precision, zone):
    hour, minute, second = clock
    text = {
        "year": f"{day.year:04d}",
        "month": f"{day.year:04d}-{day.month:02d}",
        "day": day.isoformat(),
        "minute": f"{day.isoformat()}T{hour:02d}:{minute:02d}{offset}",
        "second": f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{offset}",
        "fraction": f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}",
    }[precision]
    assert date_range(text, ZoneInfo(zone)) == _reference_range(text, ZoneInfo(zone))


@settings(max_examples=500, deadline=None)
@given(
    st.integers(
        min_value=from_datetime(datetime(1000, 1, 1, tzinfo=UTC)),
        max_value=from_datetime(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    )
)
def test_instants_render_as_the_standard_library_renders_them(us: int) -> None:
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    assert fhir_instant(us) == at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert http_date(us) == format_datetime(at.replace(microsecond=0), usegmt=True)
    assert parse_http_date(http_date(us)) == us - us % 1_000_000


def test_an_instant_before_the_year_1000_keeps_its_four_digits() -> None:
    assert fhir_instant(from_datetime(datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC))) == "0999-01-02T03:04:05.000006Z"
