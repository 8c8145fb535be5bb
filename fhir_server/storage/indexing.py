"""Resource -> index rows, one list per index table, for every search parameter of its type.

Runs in the writing transaction (architecture decision 5). Expressions are compiled once per
type; parameters answered from the resource table itself (_id, _lastUpdated) and full-text
specials are skipped. Extraction is on the path of every write, so the per-type plan also holds
each parameter's extractor and the top-level keys it reads: a parameter whose keys are all absent
from the resource cannot index anything and is not walked at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from fhir_server.search.expressions import Extractor, Memo, Node, root_keys
from fhir_server.search.registry import Registry, SearchParam, r4_registry
from fhir_server.search.typed_paths import compile_for_type
from fhir_server.storage.params import composite, date, number, quantity, reference, string, token, uri
from fhir_server.storage.params.common import ExtractContext, Row, Shared

# Answered from the resource table, or not indexed.
NOT_INDEXED = frozenset({"_id", "_lastUpdated", "_text", "_content", "_query", "_filter"})
Extract = Callable[[list[Node], ExtractContext], list[Row]]
EXTRACTORS: dict[str, Extract] = {
    "string": string.extract,
    "token": token.extract,
    "date": date.extract,
    "number": number.extract,
    "quantity": quantity.extract,
    "reference": reference.extract,
    "uri": uri.extract,
}
IndexRows = dict[str, list[Row]]
_STAMPED_META = frozenset({"versionId", "lastUpdated"})
_SHARING = frozenset({"token", "quantity"})
# Distinct sets of top-level keys remembered per type (resources of one type repeat a few shapes).
_SHAPES_PER_TYPE = 512


@dataclass(frozen=True, slots=True)
class _Step:
    code: str
    type: str
    walker: Extractor
    keys: frozenset[str] | None  # None: may find values whatever keys the resource has
    reads: frozenset[str] | None  # every top-level key its rows depend on (None: not bounded)
    composite: composite.Plan | None  # set for composite parameters
    extract: Extract
    shares: bool  # the extractor reuses rows of elements other parameters read too


def _extract_for(param: SearchParam) -> Extract:
    if param.type == "string" and param.expression and param.expression.endswith(".name.family"):
        return partial(string.extract, surnames=True)
    return EXTRACTORS.get(param.type, _nothing)


def _nothing(_nodes: list[Node], _context: ExtractContext) -> list[Row]:
    return []


class _Plan:
    """The steps of one type, and for each resource shape seen the steps that can find values."""

    def __init__(self, steps: tuple[_Step, ...]) -> None:
        self.steps = steps
        self.by_shape: dict[frozenset[str], tuple[_Step, ...]] = {}

    def for_resource(self, resource: dict[str, Any]) -> tuple[_Step, ...]:
        shape = frozenset(resource)
        found = self.by_shape.get(shape)
        if found is None:
            found = tuple(s for s in self.steps if s.keys is None or not s.keys.isdisjoint(shape))
            if len(self.by_shape) < _SHAPES_PER_TYPE:
                self.by_shape[shape] = found
        return found


def _from_resource(param: SearchParam, type_name: str) -> bool:
    """A composite whose components are read from the resource itself (code-value-*)."""
    return param.type == "composite" and param.expression == type_name and len(param.components) == 2


def _keys(param: SearchParam, type_name: str) -> frozenset[str] | None:
    """Top-level keys without which the parameter finds nothing; a composite read from the resource
    itself needs its second component's, which is absent more often (value[x] has one type)."""
    if _from_resource(param, type_name):
        return root_keys(param.components[1][1], type_name)
    return root_keys(param.expression)


def _reads(param: SearchParam, type_name: str) -> frozenset[str] | None:
    """Every top-level key the parameter's rows depend on: both components' for code-value-*."""
    if not _from_resource(param, type_name):
        return root_keys(param.expression)
    reads: set[str] = set()
    for _, expression in param.components:
        keys = root_keys(expression, type_name)
        if keys is None:
            return None
        reads |= keys
    return frozenset(reads)


@cache
def _plan(registry: Registry, type_name: str) -> _Plan:
    steps = []
    for param in registry.for_type(type_name).values():
        if param.code in NOT_INDEXED or param.expression is None or param.type == "special" or not param.stores_rows:
            continue  # a union or narrowing of other parameters is answered by their rows
        walker = compile_for_type(param.expression, type_name)
        composite_plan = composite.component_plan(param, registry) if param.type == "composite" else None
        if param.type == "composite" and composite_plan is None:
            continue  # no token first component: it indexes nothing
        steps.append(
            _Step(
                param.code,
                param.type,
                walker,
                _keys(param, type_name),
                _reads(param, type_name),
                composite_plan,
                _extract_for(param),
                param.type in _SHARING,
            )
        )
    return _Plan(tuple(steps))


def index_rows(
    resource: dict[str, Any],
    context: ExtractContext,
    registry: Registry | None = None,
    like: tuple[dict[str, Any], IndexRows] | None = None,
) -> IndexRows:
    """Index rows by parameter type ('token', 'string', ...), each row carrying its parameter code.

    ``like`` is another resource and its rows: the parameters that read only top-level values the
    two hold in common (the very same objects) take its rows instead of walking them again."""
    registry = registry or r4_registry()
    type_name = resource["resourceType"]
    start: Node = (resource, type_name)
    memo: Memo = {}
    shared: Shared = {}
    steps = _plan(registry, type_name).for_resource(resource)
    rows: IndexRows = {}
    if like is not None and like[0].get("resourceType") == type_name:
        rows, steps = _reused(resource, like, steps)
    for step in steps:
        nodes = step.walker(start, memo)
        if not nodes:
            continue
        if step.composite is not None:
            found = composite.extract_planned(step.composite, nodes, context, shared)
        elif step.shares:
            found = step.extract(nodes, context, shared)  # type: ignore[call-arg]
        else:
            found = step.extract(nodes, context)
        if found:
            bucket = rows.get(step.type)
            if bucket is None:
                bucket = rows[step.type] = []
            code = step.code
            # Every extractor returns rows of its own: the code is added in place.
            for row in found:
                row["param"] = code
            bucket += found
    return rows


def _reused(
    resource: dict[str, Any], like: tuple[dict[str, Any], IndexRows], steps: tuple[_Step, ...]
) -> tuple[IndexRows, tuple[_Step, ...]]:
    """The other resource's rows for the steps that read only values the two share by identity, and
    the steps left to walk. The AuditEvents of one search differ only in their patient entity (and
    id and meta); a vital-signs form's Observations share subject, encounter, performer and time.
    Measured by instruction counts: 38 % off indexing AuditEvents, 18 % off vital signs."""
    previous, previous_rows = like
    differ = {key for key, value in resource.items() if previous.get(key) is not value}
    if "meta" in differ and _same_meta(resource.get("meta"), previous.get("meta")):
        differ.discard("meta")
    if len(differ) + 1 >= len(resource):  # nothing but resourceType in common: the usual case, kept cheap
        return {}, steps
    differ.update(key for key in previous if key not in resource)
    same = {step.code for step in steps if step.reads is not None and step.reads.isdisjoint(differ)}
    if not same:
        return {}, steps
    rows: IndexRows = {}
    for kind, kind_rows in previous_rows.items():
        kept = [row for row in kind_rows if row["param"] in same]
        if kept:
            rows[kind] = kept
    return rows, tuple(step for step in steps if step.code not in same)


def _same_meta(meta: Any, other: Any) -> bool:
    """Metas alike but for the version and instant each write stamps anew (no parameter reads them)."""
    if not isinstance(meta, dict) or not isinstance(other, dict) or meta.keys() != other.keys():
        return False
    return all(meta[key] is other[key] for key in meta if key not in _STAMPED_META)
