"""Search expressions compiled for one resource type, with the element types of every step known.

The generic extractor (``expressions``) looks up a node's child elements by the node's type as it
walks. Indexing knows the type of the resource it reads, so the types along a path can be worked
out once: a field step then reads its JSON keys straight away, a type filter that every node passes
is dropped, and alternatives of a union rooted at another type are left out. A path whose types
cannot be known in advance (one that enters contained or Bundle resources) keeps the generic walk.
The nodes come out as the generic extractor gives them, in the same order.
"""

from __future__ import annotations

from functools import cache

from fhir_server.model.elements import Kind
from fhir_server.search.expressions import (
    Extractor,
    Memo,
    Node,
    StepFunction,
    child_plan,
    compile_expression,
    compile_paths,
    is_type,
    step_function,
)
from fhir_server.search.fhirpath_parse import Step, Unsupported, parse

Plan = tuple[tuple[str, Kind, str], ...]


def _field(plans: dict[str, Plan]) -> StepFunction:
    if len(plans) == 1:
        (plan,) = plans.values()
        return lambda nodes: _keys(nodes, plan)
    return lambda nodes: [found for node in nodes for found in _keys([node], plans.get(node[1], ()))]


def _keys(nodes: list[Node], plan: Plan) -> list[Node]:
    found: list[Node] = []
    for value, _ in nodes:
        if not isinstance(value, dict):
            continue
        for key, _, child_type in plan:
            item = value.get(key)
            if item is None:
                continue
            if isinstance(item, list):
                found += [(entry, child_type) for entry in item if entry is not None]
            else:
                found.append((item, child_type))
    return found


def _typed_steps(steps: tuple[Step, ...], start_type: str) -> list[StepFunction] | None:
    """The path's step functions for nodes of known types; None when a step enters a resource."""
    types: tuple[str, ...] = (start_type,)
    functions: list[StepFunction] = []
    for step in steps:
        if step[0] in ("field", "extension"):
            name = step[1] if step[0] == "field" else "extension"
            plans = {t: child_plan(t, name) for t in types}
            if any(kind is Kind.RESOURCE for plan in plans.values() for _, kind, _ in plan):
                return None
            functions.append(_field(plans) if step[0] == "field" else step_function(step))
            types = tuple(dict.fromkeys(child for plan in plans.values() for _, _, child in plan))
        elif step[0] in ("as", "is"):
            kept = tuple(t for t in types if is_type(t, step[1]))
            if kept != types:
                functions.append(step_function(step))
            types = kept
        else:  # where(...), [n]: filters that keep the types
            functions.append(step_function(step))
        if not types:
            return [lambda _nodes: []]
    return functions


def _run_steps(functions: list[StepFunction]) -> Extractor:
    def run(start: Node, _memo: Memo | None = None) -> list[Node]:
        nodes = [start]
        for function in functions:
            nodes = function(nodes)
            if not nodes:
                break
        return nodes

    return run


@cache
def compile_for_type(expression: str, type_name: str) -> Extractor:
    """An extractor of the expression for resources of ``type_name`` (given as the start node)."""
    try:
        paths = parse(expression)
    except Unsupported:
        return compile_expression(expression)
    runs: list[Extractor] = []
    for path in paths:
        if path.root is None or (path.root != type_name and not is_type(type_name, path.root)):
            continue
        functions = _typed_steps(path.steps, type_name)
        runs.append(compile_paths([path]) if functions is None else _run_steps(functions))
    if len(runs) == 1:
        return runs[0]

    def run(start: Node, memo: Memo | None = None) -> list[Node]:
        result: list[Node] = []
        for each in runs:
            result += each(start, memo)
        return result

    return run
