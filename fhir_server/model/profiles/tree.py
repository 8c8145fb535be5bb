"""Compile profile layers into one tree of element nodes the validator walks.

The rules of every layer (the HL7 base, then each derived profile) for the same element merge into
one node: cardinality is the tightest, fixed/pattern values and bindings accumulate. Slices get a
matcher built from their parent's discriminators, so the walk only visits constrained elements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_server.model.profiles.definition import Binding, El, Profile, Slicing
from fhir_server.model.profiles.matching import can_fail, pattern_test, reference_test, value_test
from fhir_server.model.profiles.paths import Step, compile_path, element_id


@dataclass(eq=False)
class Node:
    step: Step | None  # None for the root
    label: str  # ElementDefinition id, reported as the rule that failed
    min: int = 0
    max: int | None = None  # None = unbounded
    fixed: list[Any] = field(default_factory=list)
    patterns: list[Any] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    types: frozenset[str] | None = None
    target_profiles: tuple[str, ...] = ()
    target_types: frozenset[str] | None = None
    ext_profiles: tuple[str, ...] = ()
    resolve: bool = False
    message: str | None = None
    missing_message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    slicing: Slicing | None = None
    children: dict[str, Node] = field(default_factory=dict)
    slices: dict[str, Node] = field(default_factory=dict)
    matcher: Callable[[Any], bool] | None = None
    # Set by _plan once the tree is complete, so the walk skips elements that can never report anything.
    walk_children: tuple[Node, ...] = ()
    walk_slices: tuple[Node, ...] = ()
    fixed_tests: tuple[tuple[Any, Callable[[Any], bool]], ...] = ()
    pattern_tests: tuple[tuple[Any, Callable[[Any], bool]], ...] = ()
    live_bindings: tuple[Binding, ...] = ()
    has_constraints: bool = False  # fixed, pattern, binding or reference rules on each value
    per_item: bool = False  # each value needs a look (constraints, extension trees, children)
    count_only: bool = False  # only the number of values matters
    # Set when a present value of this non-repeating element, passing quick_tests, is all there is to check.
    quick_key: str | None = None
    quick_tests: tuple[Callable[[Any], bool], ...] = ()


def _max(text: str) -> int | None:
    return None if text == "*" else int(text)


def _apply(node: Node, el: El, target_type: Callable[[str], str]) -> None:
    if el.min is not None:
        node.min = max(node.min, el.min)
    if el.max is not None:
        limit = _max(el.max)
        node.max = limit if node.max is None else (node.max if limit is None else min(node.max, limit))
    if el.fixed is not None and el.fixed not in node.fixed:
        node.fixed.append(el.fixed)
    if el.pattern is not None and el.pattern not in node.patterns:
        node.patterns.append(el.pattern)
    if el.binding is not None and el.binding not in node.bindings:
        node.bindings.append(el.binding)
    if el.types is not None:
        node.types = frozenset(el.types) if node.types is None else node.types & frozenset(el.types)
    if el.target_profiles is not None:
        node.target_profiles = el.target_profiles
        node.target_types = frozenset(target_type(url) for url in el.target_profiles)
    if el.profiles is not None:
        node.ext_profiles = el.profiles
    node.resolve = node.resolve or el.resolve
    node.message = el.message or node.message
    node.missing_message = el.missing_message or node.missing_message
    node.params.update(el.params)
    if el.slicing is not None:
        node.slicing = el.slicing


def _node_for(root: Node, path: str) -> Node:
    _, steps = compile_path(path)
    node = root
    for step in steps:
        child = node.children.get(step.name)
        if child is None:
            plain = _plain(step)
            child = node.children[step.name] = Node(plain, f"{node.label}.{plain.id_segment}")
        node = child
        if step.slice:
            sliced = node.slices.get(step.slice)
            if sliced is None:
                sliced = node.slices[step.slice] = Node(step, f"{node.label}:{step.slice}")
            node = sliced
    return node


def _plain(step: Step) -> Step:
    """The step without its slice name: the element all slices share."""
    if step.slice is None:
        return step
    return Step(
        step.name,
        None,
        step.keys,
        step.is_list,
        step.type_name,
        step.primitive,
        step.id_segment.split(":")[0] if step.id_segment.endswith(f":{step.slice}") else step.id_segment,
        step.path_segment,
        step.choice_types,
        step.underscored,
    )


def _value_at(value: Any, keys: list[str]) -> list[Any]:
    current = [value]
    for key in keys:
        found: list[Any] = []
        for item in current:
            child = item.get(key) if isinstance(item, dict) else None
            if isinstance(child, list):
                found.extend(child)
            elif child is not None:
                found.append(child)
        current = found
    return current


def _expectation(slice_node: Node, disc_path: str) -> tuple[list[str], Callable[[Any], bool]]:
    if disc_path == "url" and slice_node.ext_profiles:
        urls = slice_node.ext_profiles
        return ["url"], lambda value: value in urls
    keys: list[str] = [] if disc_path == "$this" else disc_path.split(".")
    target: Node | None = slice_node
    for key in keys:
        target = target.children.get(key) if target else None
    if target is None or not (target.fixed or target.patterns):
        raise ValueError(f"slice {slice_node.label} has no value for discriminator {disc_path}")
    checks = [value_test(f) for f in target.fixed] + [pattern_test(p) for p in target.patterns]
    if len(checks) == 1:
        return keys, checks[0]

    def expect(value: Any) -> bool:
        return all(check(value) for check in checks)

    return keys, expect


def _matcher(slicing: Slicing, slice_node: Node) -> Callable[[Any], bool]:
    tests = [_expectation(slice_node, path) for _, path in slicing.discriminator]
    if len(tests) == 1 and not tests[0][0]:
        return tests[0][1]
    if tests and all(len(keys) == 1 for keys, _ in tests):
        return _by_keys(tuple((keys[0], expect) for keys, expect in tests))

    def matches(value: Any) -> bool:
        return all(any(expect(found) for found in _value_at(value, keys)) for keys, expect in tests)

    return matches


def _by_keys(tests: tuple[tuple[str, Callable[[Any], bool]], ...]) -> Callable[[Any], bool]:
    """The matcher of discriminators one key deep (the usual case): _value_at's result, without building it."""

    def matches(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for key, expect in tests:
            child = value.get(key)
            if isinstance(child, list):
                if not any(expect(found) for found in child):
                    return False
            elif child is None or not expect(child):
                return False
        return True

    return matches


def _finish(node: Node) -> None:
    for child in node.children.values():
        _finish(child)
    for sliced in node.slices.values():
        _finish(sliced)
        if node.slicing is None:
            raise ValueError(f"{sliced.label} is a slice of an element without slicing")
        sliced.matcher = _matcher(node.slicing, sliced)


def _plan(node: Node) -> bool:
    """Fill in what the walk needs; True when the node or anything below it can report a problem."""
    node.walk_children = tuple([child for child in node.children.values() if _plan(child)])
    node.walk_slices = tuple([sliced for sliced in node.slices.values() if _plan(sliced)])
    node.fixed_tests = tuple((fixed, value_test(fixed)) for fixed in node.fixed)
    node.pattern_tests = tuple((pattern, pattern_test(pattern)) for pattern in node.patterns)
    node.live_bindings = tuple(binding for binding in node.bindings if can_fail(binding))
    node.has_constraints = bool(node.fixed_tests or node.pattern_tests or node.live_bindings) or (
        node.target_types is not None
    )
    node.per_item = node.has_constraints or bool(node.ext_profiles or node.walk_children)
    node.count_only = not node.per_item and not node.walk_slices and node.max != 0
    if _single_value_rules(node):
        assert node.step is not None
        node.quick_key = node.step.keys[0]
        node.quick_tests = tuple(test for _, test in node.fixed_tests + node.pattern_tests)
        if node.target_types is not None:
            node.quick_tests += (reference_test(node.target_types),)
    return node.per_item or bool(node.walk_slices) or node.min > 0 or node.max is not None or node.types is not None


def _single_value_rules(node: Node) -> bool:
    """True for a non-repeating element whose only rules are its count and fixed, pattern or reference-type tests."""
    step = node.step
    if step is None or step.choice_types or step.is_list or node.types is not None or node.resolve:
        return False
    if node.live_bindings or node.ext_profiles or node.walk_children or node.walk_slices:
        return False
    return node.min <= 1 and node.max != 0


def build_tree(type_name: str, layers: Iterable[Profile], target_type: Callable[[str], str]) -> Node:
    """One node tree from the elements of every layer, base first."""
    root = Node(None, type_name)
    for layer in layers:
        for el in layer.elements:
            if "." not in el.path:
                continue  # the root element only carries texts
            _apply(_node_for(root, el.path), el, target_type)
    _finish(root)
    _plan(root)
    return root


def invariant_ids(layers: Iterable[Profile]) -> Mapping[str, str]:
    """Invariant key -> ElementDefinition id it sits on."""
    return {inv.key: element_id(inv.path) if inv.path else layer.type for layer in layers for inv in layer.invariants}
