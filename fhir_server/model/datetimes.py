"""FHIR date, dateTime and instant values as half-open [low, high) ranges of UTC microseconds.

A value's precision is its range: ``2024`` covers the whole year, ``2024-03-05T10:00`` one minute.
Values without an offset are read in the clinic time zone (architecture decision 9).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from functools import lru_cache

_DATE_TIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class BadDate(ValueError):
    """Text that is not a FHIR date, dateTime or instant."""


@lru_cache(maxsize=1024)
def _offset_us(text: str) -> int:
    """Microseconds east of UTC of an offset written in the value (Z, +HH:MM or -HH:MM)."""
    if text == "Z":
        return 0
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise BadDate(text)
    return sign * (hours * 60 + minutes) * 60_000_000


def _zone_offset_us(day: date, clock: dtime, zone: tzinfo) -> int:
    """The clinic zone's offset at that local date and time."""
    offset = datetime.combine(day, clock, zone).utcoffset() or timedelta(0)
    return (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds


def _utc_us(day: date, clock: dtime, offset_us: int) -> int:
    """Microseconds since the epoch of a local date and time at that offset (integer arithmetic)."""
    seconds = (clock.hour * 60 + clock.minute) * 60 + clock.second
    return (day.toordinal() - _EPOCH_ORDINAL) * 86_400_000_000 + seconds * 1_000_000 + clock.microsecond - offset_us


def _add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    return date(start.year + month0 // 12, month0 % 12 + 1, 1)


def date_range(text: str, zone: tzinfo) -> tuple[int, int]:
    """[low, high) microseconds covered by a FHIR date/dateTime/instant at its precision."""
    match = _DATE_TIME.fullmatch(text.strip())
    if match is None:
        raise BadDate(text)
    year_text, month_text, day_text, hour, minute, second_text, fraction, tz = match.groups()
    try:
        year = int(year_text)
        if month_text is None:
            return _day_bounds(date(year, 1, 1), date(year + 1, 1, 1), zone)
        month = int(month_text)
        if day_text is None:
            low_d = date(year, month, 1)
            return _day_bounds(low_d, _add_months(low_d, 1), zone)
        day = date(year, month, int(day_text))
        if hour is None:
            return _day_bounds(day, day + timedelta(days=1), zone)
        second = int(second_text or 0)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        clock = dtime(int(hour), int(minute), 59 if second == 60 else second, micro)  # a leap second is :59
        offset = _zone_offset_us(day, clock, zone) if tz is None else _offset_us(tz)
    except ValueError as exc:
        raise BadDate(text) from exc
    low = _utc_us(day, clock, offset)
    if second_text is None:
        step = 60_000_000
    elif fraction is None:
        step = 1_000_000
    else:
        step = max(1, 10 ** (6 - min(len(fraction), 6)))
    return low, low + step


def _day_bounds(low: date, high: date, zone: tzinfo) -> tuple[int, int]:
    midnight = dtime(0)
    return (
        _utc_us(low, midnight, _zone_offset_us(low, midnight, zone)),
        _utc_us(high, midnight, _zone_offset_us(high, midnight, zone)),
    )
