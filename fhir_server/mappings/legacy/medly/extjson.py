"""Reading a ``mongoexport`` file: one MongoDB Extended JSON document per line (relaxed or canonical).

bson.json_util (pymongo) decodes ``$oid``, ``$date`` (ISO string or ``$numberLong``), ``$numberInt``,
``$numberLong``, ``$numberDouble`` and ``$numberDecimal``; this module turns its values into plain
Python (ObjectId as its hex text, dates as aware UTC datetimes) so the mapping never sees BSON types.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bson import json_util
from bson.decimal128 import Decimal128
from bson.objectid import ObjectId

_OPTIONS = json_util.JSONOptions(json_mode=json_util.JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the export: its number, and the document or why it could not be read."""

    number: int
    document: dict[str, Any] | None
    error: str | None = None


def plain(value: Any) -> Any:
    """A decoded Extended JSON value with BSON types replaced by plain ones."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # Int64 -> int
    return value


def decode(text: str) -> dict[str, Any]:
    """One Extended JSON document (raises ValueError when the text is not one)."""
    try:
        document = json_util.loads(text, json_options=_OPTIONS)
    except Exception as exc:  # json_util raises several types for malformed input
        raise ValueError(str(exc)) from exc
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    result: dict[str, Any] = plain(document)
    return result


def read_lines(path: Path) -> Iterator[Line]:
    """Every non-blank line of the export, decoded, in file order (streaming)."""
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield Line(number, decode(text))
            except ValueError as exc:
                yield Line(number, None, str(exc)[:200])


def as_int(value: Any) -> int | None:
    """An integer field as Mongo may store it (int, whole double, numeric text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
