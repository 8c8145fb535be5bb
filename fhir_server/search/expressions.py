"""FHIRPath search expressions compiled once into fast extractors over resource JSON.

The R4 search parameters use a small part of FHIRPath (``fhirpath_parse``). Its paths compile to
step lists that walk the JSON with the element tables of ``model.elements``, so every value comes
out with its FHIR type. Anything else falls back to fhirpathpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from fhir_server.model.elements import Kind, choice_groups, elements_of
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.search.fhirpath_parse import Path, Step, Unsupported, parse

Node = tuple[Any, str]  # (JSON value, FHIR type name)

QUANTITY_TYPES = frozenset({"Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"})


# Evaluation ------------------------------------------------------------------------------------
@cache
def child_plan(type_name: str, name: str) -> tuple[tuple[str, Kind, str], ...]:
    """(JSON key, kind, FHIR type of its values) for each key ``name`` reads on ``type_name``."""
    if type_name == "Resource" or type_name[:1].islower():
        return ()
    try:
        table = elements_of(type_name)
    except (ValueError, KeyError):
        return ()
    keys = [name] if name in table else choice_groups(type_name).get(name, [])
    plan = []
    for key in keys:
        element = table[key]
        child_type = element.type_name if element.kind is Kind.COMPLEX else element.primitive
        plan.append((key, element.kind, child_type or "Element"))
    return tuple(plan)


def is_type(type_name: str, wanted: str) -> bool:
    if wanted == "Quantity":
        return type_name in QUANTITY_TYPES
    return type_name == wanted or (wanted == "Resource" and type_name[:1].isupper())


def _resolves_to(node: Node, wanted: str) -> bool:
    value = node[0]
    if not isinstance(value, dict):
        return False
    text = value.get("reference")
    if isinstance(text, str):
        ref = parse_reference(text)
        if ref is not None and ref.kind in (RefKind.RELATIVE, RefKind.ABSOLUTE) and ref.type is not None:
            return ref.type == wanted
    return value.get("type") == wanted


def _field(name: str) -> Callable[[list[Node]], list[Node]]:
    # The hot step of every walk: _children unrolled into one list, without a generator per node.
    def apply(nodes: list[Node]) -> list[Node]:
        found: list[Node] = []
        for value, type_name in nodes:
            if not isinstance(value, dict):
                continue
            for key, kind, child_type in child_plan(type_name, name):
                item = value.get(key)
                if item is None:
                    continue
                if kind is Kind.RESOURCE:
                    found += _resource_children(item)
                elif isinstance(item, list):
                    found += [(entry, child_type) for entry in item if entry is not None]
                else:
                    found.append((item, child_type))
        return found

    return apply


def _resource_children(item: Any) -> list[Node]:
    return [
        (entry, str(entry.get("resourceType", "Resource")) if isinstance(entry, dict) else "Resource")
        for entry in (item if isinstance(item, list) else (item,))
        if entry is not None
    ]


StepFunction = Callable[[list[Node]], list[Node]]


def step_function(step: Step) -> StepFunction:
    kind = step[0]
    if kind == "field":
        return _field(step[1])
    if kind in ("as", "is"):
        wanted = step[1]
        return lambda nodes: [node for node in nodes if is_type(node[1], wanted)]
    if kind == "resolves":
        target = step[1]
        return lambda nodes: [node for node in nodes if _resolves_to(node, target)]
    if kind == "equals":
        field, literal = step[1], step[2]
        return lambda nodes: [n for n in nodes if isinstance(n[0], dict) and n[0].get(field) == literal]
    if kind == "index":
        position = int(step[1])
        return lambda nodes: nodes[position : position + 1]
    if kind == "extension":
        url, extensions = step[1], _field("extension")
        return lambda nodes: [n for n in extensions(nodes) if isinstance(n[0], dict) and n[0].get("url") == url]
    raise Unsupported(kind)


def _first_keys(path: Path, root: str | None = None) -> tuple[str, ...] | None:
    """JSON keys the path's first step reads at the root, to skip absent elements cheaply.

    A choice followed by a type filter (``value as Quantity``) reads only the alternatives of that
    type. ``root`` types a relative path (a composite's component read from the resource itself).
    """
    root = path.root or root
    if root is None or not path.steps or path.steps[0][0] != "field" or root[:1].islower():
        return None
    name = path.steps[0][1]
    try:
        table = elements_of(root)
    except (ValueError, KeyError):
        return None
    if name in table:
        return (name,)
    alternatives = choice_groups(root).get(name)
    if alternatives is None:
        return (name,)
    if len(path.steps) > 1 and path.steps[1][0] in ("as", "is"):
        wanted = path.steps[1][1]
        return tuple(key for key, _, child_type in child_plan(root, name) if is_type(child_type, wanted))
    return tuple(alternatives)


Memo = dict[str, list[Node]]
Extractor = Callable[..., list[Node]]


def compile_paths(paths: list[Path]) -> Extractor:
    # Each path with the prefixes of its steps: parameters of one type share prefixes
    # (Observation.value, Observation.component...), so one resource's walk is memoised by prefix.
    # A prefix is keyed by its text (a str caches its hash; a tuple of steps would be rehashed).
    prepared = [
        (
            path.root,
            _first_keys(path),
            tuple((step_function(step), repr(path.steps[: i + 1])) for i, step in enumerate(path.steps)),
        )
        for path in paths
    ]

    def walk(
        start: Node, root: str | None, steps: tuple[tuple[StepFunction, str], ...], memo: Memo | None
    ) -> list[Node]:
        # Relative paths start from different nodes: they are not memoised.
        if root is None or memo is None:
            nodes = [start]
            for step_function, _ in steps:
                nodes = step_function(nodes)
                if not nodes:
                    break
            return nodes
        if steps:
            whole = memo.get(steps[-1][1])  # the same path in another parameter: one look-up
            if whole is not None:
                return whole
        nodes = [start]
        for step_function, prefix in steps:
            cached = memo.get(prefix)
            if cached is None:
                cached = memo[prefix] = step_function(nodes)
            nodes = cached
            if not nodes:
                break
        return nodes

    def run(start: Node, memo: Memo | None = None) -> list[Node]:
        result: list[Node] = []
        value, start_type = start
        is_dict = isinstance(value, dict)
        for root, keys, steps in prepared:
            if keys is not None and is_dict:
                for key in keys:
                    if key in value:
                        break
                else:
                    continue
            if root is not None and root != start_type and not is_type(start_type, root):
                continue
            result += walk(start, root, steps, memo)
        return result

    return run


def _guess_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "decimal"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        for keys, name in (
            (("reference",), "Reference"),
            (("coding",), "CodeableConcept"),
            (("system", "code"), "Coding"),
            (("start",), "Period"),
            (("value", "unit"), "Quantity"),
        ):
            if all(k in value for k in keys):
                return name
    return "Element"


def _fallback(expression: str) -> Extractor:
    # Imported here: only the rare expressions outside the subset need an engine.
    import fhirpathpy
    from fhirpathpy.models import models

    compiled = fhirpathpy.compile(expression, model=models["r4"])

    def run(start: Node, _memo: Memo | None = None) -> list[Node]:
        try:
            values: Iterable[Any] = compiled(start[0], {})
        except Exception:
            return []
        return [(v, _guess_type(v)) for v in values]

    return run


def _nothing(_start: Node, _memo: Memo | None = None) -> list[Node]:
    return []


@cache
def compile_expression(expression: str, relative: bool = False) -> Extractor:
    """An extractor for the expression (relative: evaluated from a node, as composite components)."""
    try:
        return compile_paths(parse(expression, relative))
    except Unsupported:
        if relative:
            return _nothing  # composite components outside the subset index nothing
        return _fallback(expression)


def is_compiled(expression: str, relative: bool = False) -> bool:
    """True when the expression runs on the compiled subset (no FHIRPath engine)."""
    try:
        parse(expression, relative)
    except Unsupported:
        return False
    return True


@cache
def root_keys(expression: str, root: str | None = None) -> frozenset[str] | None:
    """The top-level JSON keys some branch of the expression reads first; None when not bounded.

    A resource holding none of them gives the expression no values, so it need not be walked.
    ``root`` is the resource type a relative expression is read from.
    """
    try:
        paths = parse(expression, root is not None)
    except Unsupported:
        return None
    keys: set[str] = set()
    for path in paths:
        first = _first_keys(path, root)
        if first is None:
            return None
        keys.update(first)
    return frozenset(keys)
