"""FHIR date, dateTime and instant values as half-open [low, high) ranges of UTC microseconds.

A value's precision is its range: ``2024`` covers the whole year, ``2024-03-05T10:00`` one minute.
Values without an offset are read in the clinic time zone (architecture decision 9).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from datetime import time as dtime

from fhir_server.model.instants import from_datetime

_DATE_TIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


class BadDate(ValueError):
    """Text that is not a FHIR date, dateTime or instant."""


def _offset(text: str | None, default: tzinfo) -> tzinfo:
    if text is None:
        return default
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise BadDate(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1)


def date_range(text: str, zone: tzinfo) -> tuple[int, int]:
    """[low, high) microseconds covered by a FHIR date/dateTime/instant at its precision."""
    match = _DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise BadDate(text)
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        if parts["month"] is None:
            low_d, high_d = date(year, 1, 1), date(year + 1, 1, 1)
            return _day_bounds(low_d, high_d, zone)
        month = int(parts["month"])
        if parts["day"] is None:
            low_d = date(year, month, 1)
            return _day_bounds(low_d, _add_months(low_d, 1), zone)
        day = date(year, month, int(parts["day"]))
        if parts["hour"] is None:
            return _day_bounds(day, day + timedelta(days=1), zone)
        tz = _offset(parts["tz"], zone)
        second = int(parts["second"] or 0)
        leap = second == 60
        fraction = parts["fraction"]
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        start = datetime.combine(
            day, dtime(int(parts["hour"]), int(parts["minute"]), 59 if leap else second, micro), tz
        )
    except ValueError as exc:
        raise BadDate(text) from exc
    low = from_datetime(start)
    if parts["second"] is None:
        step = 60_000_000
    elif fraction is None:
        step = 1_000_000
    else:
        step = max(1, 10 ** (6 - min(len(fraction), 6)))
    return low, low + step


def _day_bounds(low: date, high: date, zone: tzinfo) -> tuple[int, int]:
    start = datetime.combine(low, dtime(0), zone)
    end = datetime.combine(high, dtime(0), zone)
    return from_datetime(start), from_datetime(end)
