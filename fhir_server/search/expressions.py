"""FHIRPath search expressions compiled once into fast extractors over resource JSON.

The R4 search parameters use a small part of FHIRPath: paths, unions, ``as``/``ofType``,
``where(resolve() is T)``, ``where(field='literal')``, ``[n]``, ``first()`` and ``extension(url)``.
Those compile to step lists that walk the JSON with the element tables of ``model.elements``, so
every value comes out with its FHIR type. Anything else falls back to fhirpathpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir_server.model.elements import Kind, choice_groups, elements_of, primitive_type_name
from fhir_server.model.references import RefKind, parse_reference

Node = tuple[Any, str]  # (JSON value, FHIR type name)
Step = tuple[str, ...]

QUANTITY_TYPES = frozenset({"Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"})
_TOKEN = re.compile(r"\s*(\(|\)|\||\[\d+\]|\.|'[^']*'|[A-Za-z_][\w-]*|=|!=|\s)")


class Unsupported(ValueError):
    """An expression outside the compiled subset."""


@dataclass(frozen=True, slots=True)
class Path:
    root: str | None  # the resource type, or None for a path relative to a node
    steps: tuple[Step, ...]


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise Unsupported(text)
        token = match.group(1)
        if not token.isspace():
            tokens.append(token)
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, relative: bool) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.relative = relative

    def peek(self, offset: int = 0) -> str | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise Unsupported(f"expected {expected!r}, got {token!r}")
        self.index += 1
        return token

    def union(self) -> list[Path]:
        paths = self.term()
        while self.peek() == "|":
            self.take("|")
            paths += self.term()
        return paths

    def term(self) -> list[Path]:
        if self.peek() == "(":
            self.take("(")
            paths = self.union()
            self.take(")")
        else:
            paths = [self.path()]
        suffix = self.steps()
        if self.peek() in ("as", "is"):
            operator = self.take()
            type_name = self.take()
            type_name = primitive_type_name(type_name)
            suffix = (*suffix, ("as", type_name)) if operator == "as" else (*suffix, ("is", type_name))
            suffix = (*suffix, *self.steps())
        return [Path(p.root, p.steps + suffix) for p in paths]

    def path(self) -> Path:
        if self.relative:  # every branch of a relative union starts with an element of the node
            return Path(None, (self.segment(),))
        return Path(self.take(), ())

    def steps(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        while True:
            token = self.peek()
            if token == ".":
                self.take(".")
                steps.append(self.segment())
            elif token is not None and token.startswith("["):
                self.take()
                steps.append(("index", token[1:-1]))
            else:
                return tuple(steps)

    def segment(self) -> Step:
        name = self.take()
        if self.peek() != "(":
            return ("field", name)
        self.take("(")
        args: list[str] = []
        depth = 0
        while depth or self.peek() != ")":
            token = self.take()
            depth += {"(": 1, ")": -1}.get(token, 0)
            args.append(token)
        self.take(")")
        return _function(name, args)


def _function(name: str, args: list[str]) -> Step:
    if name in ("as", "ofType") and len(args) == 1:
        return ("as", primitive_type_name(args[0]))
    if name == "where" and args[:4] == ["resolve", "(", ")", "is"] and len(args) == 5:
        return ("resolves", args[4])
    if name == "where" and len(args) == 3 and args[1] == "=" and args[2].startswith("'"):
        return ("equals", args[0], args[2][1:-1])
    if name == "extension" and len(args) == 1 and args[0].startswith("'"):
        return ("extension", args[0][1:-1])
    if name == "first" and not args:
        return ("index", "0")
    raise Unsupported(f"{name}({' '.join(args)})")


# Evaluation ------------------------------------------------------------------------------------
@cache
def _child_plan(type_name: str, name: str) -> tuple[tuple[str, Kind, str], ...]:
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


def _is_type(type_name: str, wanted: str) -> bool:
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
            for key, kind, child_type in _child_plan(type_name, name):
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


_StepFunction = Callable[[list[Node]], list[Node]]


def _step_function(step: Step) -> _StepFunction:
    kind = step[0]
    if kind == "field":
        return _field(step[1])
    if kind in ("as", "is"):
        wanted = step[1]
        return lambda nodes: [node for node in nodes if _is_type(node[1], wanted)]
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
        return tuple(key for key, _, child_type in _child_plan(root, name) if _is_type(child_type, wanted))
    return tuple(alternatives)


Memo = dict[str, list[Node]]
Extractor = Callable[..., list[Node]]


def _compiled(paths: list[Path]) -> Extractor:
    # Each path with the prefixes of its steps: parameters of one type share prefixes
    # (Observation.value, Observation.component...), so one resource's walk is memoised by prefix.
    # A prefix is keyed by its text (a str caches its hash; a tuple of steps would be rehashed).
    prepared = [
        (
            path.root,
            _first_keys(path),
            tuple((_step_function(step), repr(path.steps[: i + 1])) for i, step in enumerate(path.steps)),
        )
        for path in paths
    ]

    def walk(
        start: Node, root: str | None, steps: tuple[tuple[_StepFunction, str], ...], memo: Memo | None
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
            if root is not None and root != start_type and not _is_type(start_type, root):
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
        parser = _Parser(expression, relative)
        paths = parser.union()
        if parser.peek() is not None:
            raise Unsupported(expression)
        return _compiled(paths)
    except Unsupported:
        if relative:
            return _nothing  # composite components outside the subset index nothing
        return _fallback(expression)


def is_compiled(expression: str, relative: bool = False) -> bool:
    """True when the expression runs on the compiled subset (no FHIRPath engine)."""
    try:
        parser = _Parser(expression, relative)
        parser.union()
        return parser.peek() is None
    except Unsupported:
        return False


@cache
def root_keys(expression: str, root: str | None = None) -> frozenset[str] | None:
    """The top-level JSON keys some branch of the expression reads first; None when not bounded.

    A resource holding none of them gives the expression no values, so it need not be walked.
    ``root`` is the resource type a relative expression is read from.
    """
    try:
        parser = _Parser(expression, root is not None)
        paths = parser.union()
        if parser.peek() is not None:
            return None
    except Unsupported:
        return None
    keys: set[str] = set()
    for path in paths:
        first = _first_keys(path, root)
        if first is None:
            return None
        keys.update(first)
    return frozenset(keys)
