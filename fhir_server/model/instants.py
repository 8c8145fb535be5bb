"""Instants as integer microseconds since the epoch (UTC), and their FHIR and HTTP renderings."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """The current instant in microseconds."""
    return time.time_ns() // 1000


def to_datetime(us: int) -> datetime:
    """An aware UTC datetime for microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=us)


def from_datetime(value: datetime) -> int:
    """Microseconds since the epoch for an aware datetime."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=64)  # the resources of one batch share their instant
def fhir_instant(us: int) -> str:
    """FHIR instant text, e.g. 2026-11-28T11:30:39.123456Z."""
    return to_datetime(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def http_date(us: int) -> str:
    """RFC 9110 HTTP-date (second precision) for Last-Modified."""
    return format_datetime(to_datetime(us).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str) -> int | None:
    """Microseconds for an HTTP-date header value, or None when it does not parse."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return from_datetime(parsed)


def weak_etag(version: int) -> str:
    """The ETag of a version: W/"n"."""
    return f'W/"{version}"'


def parse_etag(text: str) -> str | None:
    """The version inside W/"n" or "n" (None when the header is not an ETag)."""
    value = text.strip()
    if value.startswith("W/"):
        value = value[2:]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value or None
