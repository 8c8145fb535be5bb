"""Walk a resource along a compiled profile tree and report every problem with its expression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.profiles.definition import Invariant, Profile
from fhir_server.model.profiles.matching import binding_issues, pattern_text, reference_type, resolve
from fhir_server.model.profiles.paths import Item, step_count, step_items
from fhir_server.model.profiles.port import ValidationPort
from fhir_server.model.profiles.tree import Node


class Compiled:
    """A tree plus the invariants of every layer of the requested profiles."""

    def __init__(
        self,
        root: Node,
        invariants: tuple[Invariant, ...],
        extension_trees: dict[str, Node],
        profiles: dict[str, Profile],
    ) -> None:
        self.root = root
        self.invariants = invariants
        self.extension_trees = extension_trees
        self.profiles = profiles


class Run:
    """One validation: the resource, the port and the issues found so far."""

    def __init__(self, resource: dict[str, Any], port: ValidationPort, compiled: Compiled) -> None:
        self.resource = resource
        self.port = port
        self.compiled = compiled
        self.issues: list[Issue] = []

    def add(self, node: Node, message: str, expr: str, code: str, /, **params: Any) -> None:
        merged = {"element": expr, **node.params, **params, "rule": node.label}
        self.issues.append(Issue(code, message, merged, expression=(expr,)))

    def validate(self) -> list[Issue]:
        self.walk(self.compiled.root, self.resource, str(self.resource.get("resourceType", "")))
        for invariant in self.compiled.invariants:
            if invariant.check is None:
                continue
            for issue in invariant.check(self.resource, self.port):
                params = {**issue.params, "rule": invariant.key}
                severity = issue.severity if issue.severity != "error" else invariant.severity
                self.issues.append(replace(issue, params=params, severity=severity))
        return self.issues

    def walk(self, node: Node, obj: dict[str, Any], expr: str) -> None:
        for child in node.walk_children:
            assert child.step is not None
            if child.quick_key is not None:
                # A single value that passes every test of the element has nothing to report.
                value = obj.get(child.quick_key)
                if value is not None:
                    for test in child.quick_tests:
                        if not test(value):
                            break
                    else:
                        continue
            if child.count_only:
                count = step_count(child.step, obj)
                if count < child.min or (child.max is not None and count > child.max):
                    self.cardinality(child, count, (), expr)
                if child.types is not None:
                    self.choice_types(child, obj, expr)
            else:
                self.check(child, step_items(child.step, obj, expr), obj, expr)

    # Elements --------------------------------------------------------------------------------
    def check(self, node: Node, items: list[Item], obj: dict[str, Any], expr: str) -> None:
        count = len(items)
        if count < node.min or (node.max is not None and count > node.max):
            self.cardinality(node, count, items, expr)
        if node.types is not None:
            self.choice_types(node, obj, expr)
        if node.per_item:
            self.values(node, items)
        for sliced in node.walk_slices:
            matcher = sliced.matcher
            assert matcher is not None
            matched = [item for item in items if item.value is not None and matcher(item.value)]
            if len(matched) < sliced.min or (sliced.max is not None and len(matched) > sliced.max):
                self.cardinality(sliced, len(matched), matched, expr)
            if sliced.per_item:
                self.values(sliced, matched)

    def cardinality(self, node: Node, count: int, items: Sequence[Item], expr: str) -> None:
        """Min and max; ``items`` are only needed (and only passed) when max is 0."""
        if count < node.min:
            slice_name, where = self._where(node, expr)
            if count == 0:
                message = node.missing_message or ("prof-slice-missing" if slice_name else "prof-required")
            else:
                message = node.missing_message or "prof-min"
            self.add(node, message, where, "required", min=node.min, count=count, slice=slice_name)
        if node.max is not None and count > node.max:
            slice_name, where = self._where(node, expr)
            if node.max == 0:
                for item in items:
                    self.add(node, node.message or "prof-prohibited", item.expr, "structure", slice=slice_name)
            else:
                self.add(node, "prof-max", where, "structure", max=node.max, count=count, slice=slice_name)

    @staticmethod
    def _where(node: Node, expr: str) -> tuple[str, str]:
        assert node.step is not None
        step = node.step
        name = step.name.removesuffix("[x]")
        return step.slice or "", f"{expr}.{step.keys[0] if step.slice or len(step.keys) == 1 else name}"

    def choice_types(self, node: Node, obj: dict[str, Any], expr: str) -> None:
        assert node.step is not None and node.types is not None
        for key in obj:
            type_name = node.step.choice_types.get(key)
            if type_name is not None and type_name not in node.types:
                allowed = ", ".join(sorted(node.types))
                self.add(node, "prof-type", f"{expr}.{key}", "structure", actual=type_name, allowed=allowed)

    def values(self, node: Node, items: list[Item]) -> None:
        """Each value's own rules, extensions and children (the node's settings looked up once)."""
        assert node.step is not None
        constrained, ext_profiles, children = node.has_constraints, node.ext_profiles, node.walk_children
        primitive = node.step.primitive
        for value, expr, ext, type_name in items:
            if value is not None:
                if constrained:
                    self.constraints(node, value, expr, type_name)
                for url in ext_profiles:
                    tree = self.compiled.extension_trees.get(url)
                    if tree is not None and isinstance(value, dict):
                        self.walk(tree, value, expr)
            if children:
                # A primitive's id and extensions live in "_name"; missing ones still count as missing.
                obj = (ext or {}) if primitive else value
                if isinstance(obj, dict):
                    self.walk(node, obj, expr)

    def constraints(self, node: Node, value: Any, expr: str, type_name: str) -> None:
        """Fixed, pattern, binding and reference rules; one issue per value at most."""
        for fixed, same in node.fixed_tests:
            if not same(value):
                actual = pattern_text(value)
                self.add(node, node.message or "prof-fixed", expr, "value", expected=pattern_text(fixed), actual=actual)
                return
        for pattern, matches in node.pattern_tests:
            if not matches(value):
                self.add(node, node.message or "prof-pattern", expr, "value", expected=pattern_text(pattern))
                return
        for binding in node.live_bindings:
            found = binding_issues(binding, value, type_name, expr, self.port, node.message)
            if found:
                for issue in found:
                    self.add(node, issue.message, issue.expression[0], issue.code, **issue.params)
                return
        if node.target_types is not None:
            self.reference(node, value, expr)

    def reference(self, node: Node, value: Any, expr: str) -> None:
        assert node.target_types is not None
        type_name, text = reference_type(value)
        if type_name is not None and type_name not in node.target_types:
            allowed = ", ".join(sorted(node.target_types))
            self.add(node, "prof-reference-type", f"{expr}.reference", "value", target=type_name, allowed=allowed)
            return
        if not node.resolve:
            return
        target = resolve(value, self.resource, self.port)
        if target is None:
            self.add(node, "prof-reference-unresolved", expr, "not-found", reference=text or "?")
            return
        target_type = str(target.get("resourceType"))
        if target_type not in node.target_types:
            allowed = ", ".join(sorted(node.target_types))
            self.add(node, "prof-reference-type", f"{expr}.reference", "value", target=target_type, allowed=allowed)
            return
        fitting = [self.compiled.profiles.get(url) for url in node.target_profiles]
        checks = [p for p in fitting if p is not None and p.type == target_type and p.recognizes is not None]
        if checks and not any(p.recognizes(target) for p in checks if p.recognizes is not None):
            titles = ", ".join(p.title for p in checks)
            self.add(node, "prof-reference-profile", expr, "invariant", reference=text or "?", profile=titles)
