"""Walk a resource along a compiled profile tree and report every problem with its expression."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.profiles.definition import Invariant, Profile
from fhir_server.model.profiles.matching import (
    binding_issues,
    matches_pattern,
    pattern_text,
    reference_type,
    resolve,
    same_value,
)
from fhir_server.model.profiles.paths import Item, step_items
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
        for child in node.children.values():
            assert child.step is not None
            self.check(child, step_items(child.step, obj, expr), obj, expr)

    # Elements --------------------------------------------------------------------------------
    def check(self, node: Node, items: list[Item], obj: dict[str, Any], expr: str) -> None:
        self.cardinality(node, items, expr)
        if node.types is not None:
            self.choice_types(node, obj, expr)
        for item in items:
            self.value(node, item)
        for sliced in node.slices.values():
            assert sliced.matcher is not None
            matched = [item for item in items if item.value is not None and sliced.matcher(item.value)]
            self.cardinality(sliced, matched, expr)
            for item in matched:
                self.value(sliced, item)

    def cardinality(self, node: Node, items: list[Item], expr: str) -> None:
        assert node.step is not None
        count = len(items)
        name = node.step.name.removesuffix("[x]")
        where = f"{expr}.{node.step.keys[0] if node.step.slice or len(node.step.keys) == 1 else name}"
        slice_name = node.step.slice or ""
        if count < node.min:
            if count == 0:
                message = node.missing_message or ("prof-slice-missing" if slice_name else "prof-required")
            else:
                message = node.missing_message or "prof-min"
            self.add(node, message, where, "required", min=node.min, count=count, slice=slice_name)
        if node.max is not None and count > node.max:
            if node.max == 0:
                for item in items:
                    self.add(node, node.message or "prof-prohibited", item.expr, "structure", slice=slice_name)
            else:
                self.add(node, "prof-max", where, "structure", max=node.max, count=count, slice=slice_name)

    def choice_types(self, node: Node, obj: dict[str, Any], expr: str) -> None:
        assert node.step is not None and node.types is not None
        allowed = ", ".join(sorted(node.types))
        for key in obj:
            type_name = node.step.choice_types.get(key)
            if type_name is not None and type_name not in node.types:
                self.add(node, "prof-type", f"{expr}.{key}", "structure", actual=type_name, allowed=allowed)

    def value(self, node: Node, item: Item) -> None:
        value = item.value
        if value is not None:
            self.constraints(node, value, item.expr, item.type_name)
            for url in node.ext_profiles:
                tree = self.compiled.extension_trees.get(url)
                if tree is not None and isinstance(value, dict):
                    self.walk(tree, value, item.expr)
        if node.children:
            assert node.step is not None
            # A primitive's id and extensions live in "_name"; missing ones still count as missing.
            obj = (item.ext or {}) if node.step.primitive else value
            if isinstance(obj, dict):
                self.walk(node, obj, item.expr)

    def constraints(self, node: Node, value: Any, expr: str, type_name: str) -> None:
        """Fixed, pattern, binding and reference rules; one issue per value at most."""
        for fixed in node.fixed:
            if not same_value(value, fixed):
                actual = pattern_text(value)
                self.add(node, node.message or "prof-fixed", expr, "value", expected=pattern_text(fixed), actual=actual)
                return
        for pattern in node.patterns:
            if not matches_pattern(value, pattern):
                self.add(node, node.message or "prof-pattern", expr, "value", expected=pattern_text(pattern))
                return
        for binding in node.bindings:
            found = binding_issues(binding, value, type_name, expr, self.port, node.message)
            if found:
                for issue in found:
                    self.add(node, issue.message, issue.expression[0], issue.code, **issue.params)
                return
        if node.target_types is not None:
            self.reference(node, value, expr)

    def reference(self, node: Node, value: Any, expr: str) -> None:
        assert node.target_types is not None
        allowed = ", ".join(sorted(node.target_types))
        type_name, text = reference_type(value)
        if type_name is not None and type_name not in node.target_types:
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
            self.add(node, "prof-reference-type", f"{expr}.reference", "value", target=target_type, allowed=allowed)
            return
        fitting = [self.compiled.profiles.get(url) for url in node.target_profiles]
        checks = [p for p in fitting if p is not None and p.type == target_type and p.recognizes is not None]
        if checks and not any(p.recognizes(target) for p in checks if p.recognizes is not None):
            titles = ", ".join(p.title for p in checks)
            self.add(node, "prof-reference-profile", expr, "invariant", reference=text or "?", profile=titles)
