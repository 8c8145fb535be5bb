"""Typed search values: the text after ``name[:modifier]=``, parsed per parameter type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal, InvalidOperation

from fhir_server.errors import Invalid
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.values import decimal_range, fold

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


@dataclass(frozen=True, slots=True)
class StringValue:
    folded: str
    raw: str


@dataclass(frozen=True, slots=True)
class TokenValue:
    """``code``, ``|code``, ``system|code`` or ``system|``; with :of-type, type and value."""

    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code
    type_system: str | None = None
    type_code: str | None = None


@dataclass(frozen=True, slots=True)
class DateValue:
    prefix: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class NumberValue:
    prefix: str
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class QuantityValue:
    prefix: str
    value: Decimal
    low: Decimal
    high: Decimal
    system: str | None
    code: str | None


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    type: str | None
    id: str | None
    version: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class UriValue:
    text: str


def bad(name: str, value: str) -> Invalid:
    """The 400 for a malformed value."""
    return Invalid("bad-parameter", code="value", name=name, value=value)


def split_prefix(text: str) -> tuple[str, str]:
    """(prefix, rest) of an ordered value; eq when there is no prefix."""
    if len(text) > 2 and text[:2] in PREFIXES and not text[:2].isdigit():
        return text[:2], text[2:]
    return "eq", text


def split_escaped(text: str, separator: str) -> list[str]:
    """Split on a separator not escaped with a backslash, then unescape (FHIR search escaping)."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_string(text: str) -> StringValue:
    return StringValue(fold(text), text)


def parse_token(name: str, text: str, of_type: bool = False) -> TokenValue:
    parts = split_escaped(text, "|")
    if of_type:
        if len(parts) != 3 or not parts[2]:
            raise bad(name, text)
        return TokenValue(None, parts[2], parts[0] or None, parts[1] or None)
    if len(parts) == 1:
        return TokenValue(None, parts[0] or None)
    if len(parts) == 2:
        return TokenValue(parts[0], parts[1] or None)
    raise bad(name, text)


def parse_date(name: str, text: str, zone: tzinfo) -> DateValue:
    prefix, rest = split_prefix(text)
    try:
        low, high = date_range(rest, zone)
    except BadDate:
        raise bad(name, text) from None
    return DateValue(prefix, low, high)


def _decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise bad(name, text) from None
    if not value.is_finite():
        raise bad(name, text)
    return value


def parse_number(name: str, text: str) -> NumberValue:
    prefix, rest = split_prefix(text)
    value = _decimal(name, rest)
    low, high = decimal_range(value)
    return NumberValue(prefix, value, low, high)


def parse_quantity(name: str, text: str) -> QuantityValue:
    parts = split_escaped(text, "|")
    if len(parts) not in (1, 3):
        raise bad(name, text)
    number = parse_number(name, parts[0])
    system = parts[1] or None if len(parts) == 3 else None
    code = parts[2] or None if len(parts) == 3 else None
    return QuantityValue(number.prefix, number.value, number.low, number.high, system, code)


def parse_reference_value(name: str, text: str, type_modifier: str | None, base_url: str) -> ReferenceValue:
    if text.startswith(base_url + "/"):
        text = text[len(base_url) + 1 :]
    ref = parse_reference(text)
    if ref is not None and ref.kind is RefKind.RELATIVE:
        if type_modifier and ref.type != type_modifier:
            raise bad(name, text)
        return ReferenceValue(ref.type, ref.id, ref.version)
    if ref is not None and ref.kind is RefKind.ABSOLUTE:
        return ReferenceValue(None, None, url=text)
    if "/" not in text and "|" not in text and text:
        return ReferenceValue(type_modifier, text)
    if "://" in text or text.startswith("urn:"):
        return ReferenceValue(None, None, url=text)
    raise bad(name, text)
