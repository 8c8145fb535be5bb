"""Snapshots from the element tables: the base type's elements with every profile layer merged in.

The base comes from ``model.elements`` (fhir.resources' R4B models, structurally R4 for the types
profiled here): every element of the resource, backbone elements expanded, data types expanded only
where a profile constrains their children. Each layer's differential then lands on the element it
names, creating slices (and type slices for ``valueQuantity``-style paths) on the way.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fhir_server.model.elements import (
    Element,
    Kind,
    choice_groups,
    element_order,
    element_texts,
    elements_of,
    is_backbone,
    type_text,
)
from fhir_server.model.profiles.definition import core
from fhir_server.model.profiles.paths import ELEMENT_ID_TYPE, Step, compile_path, type_code

_RESOURCE_BASE = {"id": "Resource", "meta": "Resource", "implicitRules": "Resource", "language": "Resource"}
_DOMAIN_BASE = {"text": "DomainResource", "contained": "DomainResource"}
_DOMAIN_BASE |= {"extension": "DomainResource", "modifierExtension": "DomainResource"}


@dataclass(eq=False)
class SNode:
    id: str
    path: str
    data: dict[str, Any]
    expand_type: str | None  # the element table of its children (None: nothing to expand)
    backbone: bool = False
    children: list[SNode] | None = None
    slices: list[SNode] = field(default_factory=list)
    diff: dict[str, Any] | None = None  # what the profile's own layer says about this element
    in_datatype: bool = False  # inside a data type (not a resource's own backbone structure)


def _type_json(element: Element, name: str, in_datatype: bool) -> dict[str, Any]:
    if name == "id" and element.kind is Kind.PRIMITIVE:
        return {"code": ELEMENT_ID_TYPE}
    code = type_code(element)
    if element.kind is Kind.COMPLEX and element.type_name and is_backbone(element.type_name):
        # Structures inside data types (Dosage.doseAndRate) are plain Elements in R4.
        code = "Element" if in_datatype else "BackboneElement"
    found: dict[str, Any] = {"code": code}
    if code == "Reference" and element.targets:
        found["targetProfile"] = [core(t) for t in element.targets]
    return found


class SnapshotBuilder:
    """Builds the element tree of one type, then lets layers constrain it."""

    def __init__(self, type_name: str, short: str, definition: str, resource: bool) -> None:
        self.type_name = type_name
        self.backbones: dict[str, str] = {}
        self.recording = False
        base = {"path": type_name, "min": 0, "max": "*"}
        data = {"short": short, "definition": definition, "min": 0, "max": "*", "base": base, "isModifier": False}
        self.root = SNode(type_name, type_name, data, type_name, backbone=True)
        self._expand(self.root, type_name, root=resource)

    # Base elements ---------------------------------------------------------------------------
    def _expand(self, node: SNode, base_path: str, root: bool = False) -> None:
        owner = node.expand_type
        node.children = []
        if owner is None:
            return
        table, texts = elements_of(owner), element_texts(owner)
        groups_done: set[str] = set()
        for name in element_order(owner):
            element = table.get(name)
            if element is None or element.kind is Kind.PRIMITIVE_EXTENSION:
                continue
            if element.choice:
                if element.choice in groups_done:
                    continue
                groups_done.add(element.choice)
                group = set(choice_groups(owner)[element.choice])
                alternatives = [table[k] for k in element_order(owner) if k in group]
                sd_name = f"{element.choice}[x]"
                types = [_type_json(a, a.name, node.in_datatype) for a in alternatives]
                required, is_list = texts[name].choice_required, False
            else:
                sd_name, required, is_list = name, element.required, element.is_list
                types = [_type_json(element, name, node.in_datatype)]
            child_base = self._base_path(owner, sd_name, node, base_path, root)
            card = {"min": 1 if required else 0, "max": "*" if is_list else "1"}
            text = texts[name]
            data: dict[str, Any] = {"short": text.short, "definition": text.definition, **card}
            data["base"] = {"path": child_base, **card}
            data["type"] = types
            if element.summary:
                data["isSummary"] = True
            child = SNode(f"{node.id}.{sd_name}", f"{node.path}.{sd_name}", data, None)
            self._set_expansion(child, element)
            child.in_datatype = node.in_datatype or (not child.backbone and child.expand_type not in (None, "Element"))
            node.children.append(child)
            if child.backbone:
                self._expand_backbone(child, child_base)

    @staticmethod
    def _base_path(owner: str, name: str, parent: SNode, parent_base: str, root: bool) -> str:
        if root and name in _RESOURCE_BASE:
            return f"{_RESOURCE_BASE[name]}.{name}"
        if root and name in _DOMAIN_BASE:
            return f"{_DOMAIN_BASE[name]}.{name}"
        if not root and name in ("id", "extension"):
            return f"Element.{name}"
        if not root and name == "modifierExtension":
            return "BackboneElement.modifierExtension"
        return f"{parent_base if parent.backbone else owner}.{name}"

    @staticmethod
    def _set_expansion(node: SNode, element: Element | None, type_name: str | None = None) -> None:
        if element is not None and element.choice:
            node.expand_type = None
            return
        if element is not None:
            type_name = type_code(element)
            if element.kind is Kind.COMPLEX and element.type_name and is_backbone(element.type_name):
                node.expand_type, node.backbone = element.type_name, True
                return
        if type_name is None or type_name == "Resource" or type_name.startswith("http"):
            node.expand_type = None
        elif type_name[0].islower():
            node.expand_type = "Element"  # a primitive: id and extension
        else:
            node.expand_type = type_name

    def _expand_backbone(self, node: SNode, base_path: str) -> None:
        assert node.expand_type is not None
        first = self.backbones.setdefault(node.expand_type, node.path)
        if first != node.path:
            # R4 points repeated backbone structures at their first definition.
            node.data.pop("type", None)
            node.data["contentReference"] = f"#{first}"
            node.expand_type, node.backbone, node.children = None, False, []
            return
        self._expand(node, base_path)

    # Locating and slicing --------------------------------------------------------------------
    def _ensure_children(self, node: SNode) -> list[SNode]:
        if node.children is None:
            base = node.data.get("base", {}).get("path", node.path)
            self._expand(node, base)
        assert node.children is not None
        return node.children

    def locate(self, path: str) -> SNode:
        """The snapshot element of an instance-style path, creating slices as needed."""
        _, steps = compile_path(path)
        node = self.root
        for step in steps:
            wanted = f"{node.path}.{step.path_segment}"
            child = next((c for c in self._ensure_children(node) if c.path == wanted), None)
            if child is None:
                raise KeyError(f"{path}: no element {step.path_segment} under {node.id}")
            node = self._slice(child, step) if ":" in step.id_segment else child
        return node

    def _slice(self, element: SNode, step: Step) -> SNode:
        name = step.id_segment.split(":", 1)[1]
        found = next((s for s in element.slices if s.data.get("sliceName") == name), None)
        if found is not None:
            return found
        data = copy.deepcopy({k: v for k, v in element.data.items() if k != "slicing"})
        data = {"sliceName": name, **data}
        sliced = SNode(f"{element.id}:{name}", element.path, data, element.expand_type, element.backbone)
        sliced.in_datatype = element.in_datatype
        if step.name != step.path_segment:  # a type slice: value[x]:valueQuantity
            data["type"] = [t for t in data.get("type", []) if t["code"] == step.type_name] or [
                {"code": step.type_name}
            ]
            data["min"], data["max"] = 0, "1"
            self._set_expansion(sliced, None, step.type_name)
            sliced.in_datatype = sliced.expand_type not in (None, "Element")
            element.data.setdefault(
                "slicing", {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False, "rules": "open"}
            )
            self.touch(element, {"slicing": element.data["slicing"]})
        element.slices.append(sliced)
        if sliced.backbone:
            sliced.children = None
            self._expand(sliced, data.get("base", {}).get("path", element.path))
        self.touch(sliced, {"sliceName": name})
        return sliced

    def touch(self, node: SNode, fields: dict[str, Any]) -> None:
        """Record fields in the profile's own differential (when recording)."""
        if self.recording:
            node.diff = {**(node.diff or {}), **fields}

    # Output ----------------------------------------------------------------------------------
    def elements(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        self._flatten(self.root, out, differential=False)
        return out

    def differential(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        self._flatten(self.root, out, differential=True)
        return out

    def _flatten(self, node: SNode, out: list[dict[str, Any]], differential: bool) -> None:
        head = {"id": node.id, "path": node.path}
        if differential:
            if node.diff is not None:
                sliced = {"sliceName": node.data["sliceName"]} if "sliceName" in node.data else {}
                out.append({**head, **sliced, **node.diff})
        else:
            out.append({**head, **node.data})
        for child in node.children or []:
            self._flatten(child, out, differential)
        for slice_node in node.slices:
            self._flatten(slice_node, out, differential)


def builder_for(type_name: str, resource: bool) -> SnapshotBuilder:
    """A builder holding the base elements of a resource type (or of Extension)."""
    text = type_text(type_name)
    return SnapshotBuilder(type_name, text.short, text.definition, resource)
