"""The one JSON codec for FHIR payloads: orjson speed, without losing decimal precision.

orjson (like any float parser) turns ``1.50`` into ``1.5`` and ``1e2`` into ``100.0``. FHIR decimals
keep their precision, so text holding a number that a float round trip would alter is parsed with
``Decimal`` instead, and written back with the Decimal's own digits.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import orjson

# Number tokens that a float round trip would alter: a fraction of two or more digits ending in 0
# ("1.50"; "70.0" comes back as written), an exponent, or more digits than a double holds. The
# lookahead (a JSON delimiter) skips times such as "10:00:00.000Z".
_LOSSY_NUMBER = re.compile(
    rb"(?:\d\.\d+0|\d[eE][+-]?\d+|\d[\d.]{15,})(?=[\s,\]}])",
)


class BigInt(int):
    """An integer beyond 64 bits, written back by text (orjson refuses such ints)."""


class JsonError(ValueError):
    """Text that is not valid JSON, with a short reason."""


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    return BigInt(text) if len(text) > 18 else int(text)


def loads(data: bytes | str) -> Any:
    """Parse JSON text; numbers that floats would alter come back as Decimal."""
    raw = data.encode() if isinstance(data, str) else data
    if _LOSSY_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # big integers and error messages go through the exact path
    try:
        return json.loads(
            raw,
            parse_float=Decimal,
            parse_int=_parse_int,
            parse_constant=_reject_constant,
        )
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise JsonError(str(exc)) from None


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal | BigInt):
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any, *, pretty: bool = False, sort_keys: bool = False) -> bytes:
    """Serialise compactly (or indented), writing Decimals with their own digits."""
    option = orjson.OPT_PASSTHROUGH_SUBCLASS | (orjson.OPT_INDENT_2 if pretty else 0)
    if sort_keys:
        option |= orjson.OPT_SORT_KEYS
    return orjson.dumps(value, default=_exact, option=option)


def is_number(value: Any) -> bool:
    """True for JSON numbers as this codec returns them (bool is not a number)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    """True for JSON integers as this codec returns them."""
    return isinstance(value, int) and not isinstance(value, bool)
