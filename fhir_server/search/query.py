"""Query string -> SearchQuery: typed clauses plus result parameters, strict or lenient.

Clauses are ANDed; the values of one clause are ORed (comma-separated in the query string).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from fhir_server.errors import Invalid
from fhir_server.model.datetimes import BadDate, date_range
from fhir_server.model.references import is_valid_id
from fhir_server.model.summary import SUMMARY_MODES

DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
# Parameters that shape the result rather than select resources.
RESULT_PARAMETERS = frozenset(
    {"_count", "_sort", "_total", "_summary", "_elements", "_offset", "_include", "_revinclude"}
)
# Parameters the HTTP layer consumes.
TRANSPORT_PARAMETERS = frozenset({"_format", "_pretty"})
SORTABLE = {"_id": "_id", "_lastUpdated": "_lastUpdated"}


@dataclass(frozen=True, slots=True)
class DateValue:
    prefix: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Clause:
    name: str
    values: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class SortKey:
    name: str
    descending: bool


@dataclass
class SearchQuery:
    """A parsed search on one type (or every type, when ``type`` is None)."""

    type: str | None
    clauses: list[Clause] = field(default_factory=list)
    count: int = 20
    offset: int = 0
    sort: list[SortKey] = field(default_factory=list)
    total: str = "none"
    summary: str | None = None
    elements: list[str] | None = None
    ignored: list[str] = field(default_factory=list)


def parse_date_value(text: str, zone: tzinfo, name: str) -> DateValue:
    """A date search value with its optional prefix (eq when absent)."""
    prefix = "eq"
    if len(text) > 2 and text[:2] in DATE_PREFIXES and not text[:2].isdigit():
        prefix, text = text[:2], text[2:]
    try:
        low, high = date_range(text, zone)
    except BadDate:
        raise Invalid("bad-parameter", code="value", name=name, value=text) from None
    return DateValue(prefix, low, high)


def _int(name: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise Invalid("bad-parameter", code="value", name=name, value=value) from None
    if number < minimum:
        raise Invalid("bad-parameter", code="value", name=name, value=value)
    return number


def parse_query(
    type_name: str | None,
    params: Sequence[tuple[str, str]],
    *,
    zone: tzinfo,
    default_count: int,
    max_count: int,
    strict: bool,
) -> SearchQuery:
    """Parse query parameters into a SearchQuery (400 on bad values, or unknown names if strict)."""
    query = SearchQuery(type_name, count=default_count)
    for raw_name, value in params:
        name, _, modifier = raw_name.partition(":")
        if raw_name in TRANSPORT_PARAMETERS:
            continue
        if name == "_count":
            query.count = min(_int(name, value, 0), max_count)
        elif name == "_offset":
            query.offset = _int(name, value, 0)
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise Invalid("bad-parameter", code="value", name=name, value=value)
            query.total = value
        elif name == "_summary":
            if value not in SUMMARY_MODES:
                raise Invalid("bad-parameter", code="value", name=name, value=value)
            query.summary = value
        elif name == "_elements":
            query.elements = [e.strip() for e in value.split(",") if e.strip()]
        elif name == "_sort":
            query.sort = _parse_sort(value, strict, query)
        elif name == "_id" and not modifier:
            ids = tuple(v for v in value.split(",") if v)
            query.clauses.append(Clause("_id", tuple(i for i in ids if is_valid_id(i)) or ("",)))
        elif name == "_lastUpdated" and not modifier:
            query.clauses.append(
                Clause("_lastUpdated", tuple(parse_date_value(v, zone, name) for v in value.split(",")))
            )
        elif strict:
            raise Invalid("unknown-parameter", code="not-supported", name=raw_name)
        else:
            query.ignored.append(raw_name)
    return query


def _parse_sort(value: str, strict: bool, query: SearchQuery) -> list[SortKey]:
    keys = []
    for item in value.split(","):
        descending = item.startswith("-")
        name = item.removeprefix("-")
        if name in SORTABLE:
            keys.append(SortKey(SORTABLE[name], descending))
        elif strict:
            raise Invalid("unknown-parameter", code="not-supported", name=f"_sort={name}")
        else:
            query.ignored.append(f"_sort={name}")
    return keys
