"""The search parameters of every served type, from the product's own R4 (4.0.1) table and the clinic's.

``r4_search_parameters.json`` lists the R4 SearchParameter definitions whose base includes a served
type (or Resource/DomainResource): code, type, expression, targets and composite components.
Expressions shared by several bases (``AllergyIntolerance.patient | CarePlan.subject...``) are cut
to the part that applies to each type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from fhir_server.model.r4_types import SERVED_TYPES

SEARCH_PARAMETER_BASE = "http://hl7.org/fhir/SearchParameter/"
PARAMETER_TYPES = (
    "number",
    "date",
    "string",
    "token",
    "reference",
    "composite",
    "quantity",
    "uri",
    "special",
)


@dataclass(frozen=True, slots=True)
class SearchParam:
    """One search parameter as it applies to one resource type."""

    code: str
    type: str
    url: str
    resource_type: str
    expression: str | None
    targets: tuple[str, ...] = ()
    components: tuple[tuple[str, str], ...] = ()  # (definition url, relative expression)
    # Codes of the parameters whose index rows together answer this one (see ``_unions``); empty
    # when the parameter has rows of its own.
    united: tuple[str, ...] = ()
    # A reference parameter ``X.where(resolve() is T)`` whose X are whole other parameters (``patient``
    # next to ``subject``): the rows of ``narrows`` whose target is of ``narrow_type`` answer it (see
    # ``_narrowings``), so it stores no rows of its own.
    narrows: tuple[str, ...] = ()
    narrow_type: str | None = None

    @property
    def index_codes(self) -> tuple[str, ...]:
        """The ``param`` values of the index rows that answer this parameter."""
        return self.united or (self.code, *self.narrows)

    @property
    def stores_rows(self) -> bool:
        """False when other parameters' rows answer this one (a union or a narrowing)."""
        return not self.united and not self.narrows


def split_union(expression: str) -> list[str]:
    """Top-level ``|`` alternatives of a FHIRPath expression (not inside parentheses or quotes)."""
    parts, depth, quote, start = [], 0, False, 0
    for index, char in enumerate(expression):
        if char == "'":
            quote = not quote
        elif quote:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(expression[start:index].strip())
            start = index + 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def _root(part: str) -> str:
    return part.lstrip("(").split(".", 1)[0].split(" ", 1)[0]


def expression_for(expression: str | None, type_name: str) -> str | None:
    """The part of a (possibly multi-type) expression that applies to one resource type."""
    if expression is None:
        return None
    parts = []
    for part in split_union(expression):
        root = _root(part)
        if root == type_name:
            parts.append(part)
        elif root in ("Resource", "DomainResource"):
            parts.append(part.replace(root, type_name, 1))
    return " | ".join(parts) if parts else None


# The server writes an AuditEvent per request and a Provenance per write: they index only what an
# auditor searches by (who, which patient, what, when, how it ended), which makes each one cheap.
AUDIT_PARAMETERS: dict[str, frozenset[str]] = {
    "AuditEvent": frozenset({"action", "agent", "date", "entity", "outcome", "patient", "subtype", "type"}),
    "Provenance": frozenset({"agent", "patient", "recorded", "target"}),
}


class Registry:
    """Search parameters by (type, code), including those every resource inherits."""

    def __init__(self, definitions: list[dict[str, object]]) -> None:
        # "Resource" holds the parameters every type has, for searches across all types.
        self._by_type: dict[str, dict[str, SearchParam]] = {t: {} for t in (*SERVED_TYPES, "Resource")}
        self._by_url: dict[str, list[SearchParam]] = {}
        for definition in definitions:
            for base in definition["base"]:  # type: ignore[attr-defined]
                common = base in ("Resource", "DomainResource")
                types = [*sorted(SERVED_TYPES), "Resource"] if common else [base]
                for type_name in types:
                    self._add(definition, str(base), type_name)
        for params in self._by_type.values():
            for code, united in _unions(params).items():
                params[code] = replace(params[code], united=united)
            for code, (members, narrow_type) in _narrowings(params).items():
                params[code] = replace(params[code], narrows=members, narrow_type=narrow_type)
        # The URL index, in definition order, holds the same (possibly united) objects as the type index.
        self._by_url = {
            url: [self._by_type[p.resource_type][p.code] for p in found] for url, found in self._by_url.items()
        }

    def _add(self, definition: dict[str, object], base: str, type_name: str) -> None:
        if type_name not in self._by_type:
            return
        limited = AUDIT_PARAMETERS.get(type_name)
        if limited is not None and not str(definition["code"]).startswith("_") and definition["code"] not in limited:
            return
        expression = definition["expression"]
        if base in ("Resource", "DomainResource") and isinstance(expression, str):
            expression = expression.replace(base, type_name, 1) if type_name != "Resource" else expression
        else:
            expression = expression_for(expression if isinstance(expression, str) else None, type_name)
        param = SearchParam(
            code=str(definition["code"]),
            type=str(definition["type"]),
            url=str(definition.get("url") or SEARCH_PARAMETER_BASE + str(definition["id"])),
            resource_type=type_name,
            expression=expression,
            targets=tuple(definition.get("target", ())),  # type: ignore[arg-type]
            components=tuple(
                (SEARCH_PARAMETER_BASE + c[0], c[1])
                for c in definition.get("component", ())  # type: ignore[attr-defined]
            ),
        )
        self._by_type[type_name][param.code] = param
        self._by_url.setdefault(param.url, []).append(param)

    def get(self, type_name: str, code: str) -> SearchParam | None:
        """The parameter ``code`` on ``type_name``, or None."""
        return self._by_type.get(type_name, {}).get(code)

    def for_type(self, type_name: str) -> dict[str, SearchParam]:
        """Every parameter of a type, by code."""
        return self._by_type.get(type_name, {})

    def by_url(self, url: str, type_name: str | None = None) -> SearchParam | None:
        """A parameter by its canonical URL (the one applying to ``type_name`` when given)."""
        for param in self._by_url.get(url, []):
            if type_name is None or param.resource_type == type_name:
                return param
        return None


def _components(param: SearchParam, types: dict[str, str]) -> list[tuple[str, str]]:
    """A composite's components as (relative expression, type by definition URL): what its rows are made of."""
    return [(expression, types.get(url, "")) for url, expression in param.components]


def _unions(params: dict[str, SearchParam]) -> dict[str, tuple[str, ...]]:
    """Parameters whose expression is exactly the union of other parameters' of the same type.

    ``Observation.combo-code`` is ``Observation.code | Observation.component.code``: the rows of ``code`` and
    ``component-code`` together are its rows, so it is searched through theirs and stores none (a fifth of an
    Observation's index rows). Composites must also have the same components.
    """
    parts = {code: frozenset(split_union(p.expression or "")) for code, p in params.items()}
    types = {p.url: p.type for p in params.values()}
    found: dict[str, tuple[str, ...]] = {}
    for code, param in params.items():
        if param.type in ("special", "reference") or not parts[code]:
            continue
        shape = _components(param, types)
        members = [
            other
            for other, candidate in params.items()
            if other != code
            and candidate.type == param.type
            and parts[other]
            and parts[other] < parts[code]
            and _components(candidate, types) == shape
        ]
        covered = [part for member in members for part in parts[member]]
        if len(members) > 1 and len(covered) == len(set(covered)) and set(covered) == parts[code]:
            found[code] = tuple(sorted(members))
    return found


_NARROWED = re.compile(r"^(?P<path>.+)\.where\(resolve\(\) is (?P<type>[A-Z][A-Za-z]*)\)$")


def _narrowings(params: dict[str, SearchParam]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Reference parameters that are other parameters' references to one type.

    ``Observation.patient`` is ``Observation.subject.where(resolve() is Patient)``: the rows of ``subject``
    whose target type is Patient are exactly its rows, as reference rows record the type ``resolve() is``
    reads (storage.params.reference). Such a parameter is searched through those rows and stores none
    (15 % of an Observation's index rows, a quarter of an Encounter's or an Appointment's).
    """
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for code, param in params.items():
        if param.type != "reference" or not param.expression:
            continue
        matches = [_NARROWED.match(part) for part in split_union(param.expression)]
        types = {match["type"] for match in matches if match is not None}
        if None in matches or len(types) != 1:
            continue
        paths = frozenset(match["path"] for match in matches if match is not None)
        members = {
            other: frozenset(split_union(candidate.expression or ""))
            for other, candidate in params.items()
            if other != code and candidate.type == "reference" and candidate.expression and candidate.stores_rows
        }
        members = {other: parts for other, parts in members.items() if parts <= paths}
        covered = [part for parts in members.values() for part in parts]
        if covered and len(covered) == len(set(covered)) and set(covered) == paths:
            found[code] = (tuple(sorted(members)), types.pop())
    return found


def clinic_search_parameters() -> list[dict[str, object]]:
    """The clinic's own search parameters (each also served as a SearchParameter resource)."""
    text = resources.files("fhir_server.search").joinpath("clinic_search_parameters.json").read_text("utf-8")
    definitions: list[dict[str, object]] = json.loads(text)
    return definitions


@cache
def r4_registry() -> Registry:
    """The registry of the R4 search parameters plus the clinic's, loaded once."""
    text = resources.files("fhir_server.search").joinpath("r4_search_parameters.json").read_text("utf-8")
    return Registry(json.loads(text) + clinic_search_parameters())
