"""Instance-style element paths, compiled once against the element tables, and walked over JSON.

``Observation.component:SystolicBP.valueQuantity.value`` becomes steps that know their JSON keys,
whether they repeat, their FHIR type and their ElementDefinition id/path segments
(``component:SystolicBP``, ``value[x]:valueQuantity``). Walking yields each value with its FHIRPath
expression (``Observation.component[0].valueQuantity.value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from fhir_server.model.elements import Element, Kind, choice_groups, elements_of

ELEMENT_ID_TYPE = "http://hl7.org/fhirpath/System.String"


class Item(NamedTuple):
    """One value found at a step: the JSON value, its FHIRPath, and a primitive's ``_name`` object."""

    value: Any
    expr: str
    ext: Any
    type_name: str  # the FHIR type of this value (a choice group's values each have their own)


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # as written: "valueQuantity", "value[x]", "family"
    slice: str | None
    keys: tuple[str, ...]  # JSON keys holding the values (every alternative for a choice group)
    is_list: bool
    type_name: str  # FHIR type of the values; "" for a choice group
    primitive: bool
    id_segment: str  # "value[x]:valueQuantity", "identifier:cedula"
    path_segment: str  # "value[x]", "identifier"
    choice_types: Mapping[str, str] = field(default_factory=dict)  # JSON key -> type, for choice groups
    underscored: Mapping[str, str] = field(default_factory=dict)  # "_valueString" -> "valueString"


def type_code(element: Element) -> str:
    """The FHIR type code of an element's values."""
    if element.kind is Kind.PRIMITIVE:
        return element.primitive or "string"
    if element.kind is Kind.RESOURCE:
        return "Resource"
    return element.type_name or "Element"


def children_type(type_name: str, primitive: bool) -> str:
    """The element table that describes a value's children (primitives only have id and extension)."""
    return "Element" if primitive else type_name


def _split(segment: str) -> tuple[str, str | None]:
    name, _, slice_name = segment.partition(":")
    return name, slice_name or None


def _step(owner: str, segment: str) -> Step:
    name, slice_name = _split(segment)
    table = elements_of(owner)
    if name.endswith("[x]"):
        group = name[:-3]
        keys = tuple(choice_groups(owner).get(group, ()))
        if not keys:
            raise KeyError(f"{owner} has no choice element {name}")
        first = table[keys[0]]
        types = {key: type_code(table[key]) for key in keys}
        underscored = {"_" + key: key for key in keys}
        return Step(name, slice_name, keys, first.is_list, "", False, segment, name, types, underscored)
    element = table.get(name)
    if element is None or element.kind is Kind.PRIMITIVE_EXTENSION:
        raise KeyError(f"{owner} has no element {name}")
    code = type_code(element)
    primitive = element.kind is Kind.PRIMITIVE
    if element.choice:
        # A choice alternative written by its JSON name is a type slice of the choice group.
        group = f"{element.choice}[x]"
        return Step(name, slice_name, (name,), False, code, primitive, f"{group}:{name}", group)
    return Step(name, slice_name, (name,), element.is_list, code, primitive, segment, name)


@cache
def compile_path(path: str) -> tuple[str, tuple[Step, ...]]:
    """(root type, steps) of an instance-style element path."""
    root, *segments = path.split(".")
    steps: list[Step] = []
    owner = root
    for segment in segments:
        step = _step(owner, segment)
        steps.append(step)
        owner = children_type(step.type_name, step.primitive) if step.type_name else ""
    return root, tuple(steps)


def element_id(path: str) -> str:
    """The ElementDefinition id of an instance-style path."""
    root, steps = compile_path(path)
    return ".".join([root, *(s.id_segment for s in steps)])


def step_items(step: Step, obj: Mapping[str, Any], expr: str) -> list[Item]:
    """The values a step finds in one parent object (list items one by one, with their index)."""
    if not step.choice_types and not step.primitive:
        # One key and no "_name" object (the usual element): no alternatives to look for.
        key = step.keys[0]
        value = obj.get(key)
        if value is None:
            return []
        if not step.is_list:
            return [Item(value, f"{expr}.{key}", None, step.type_name)]
        if not isinstance(value, list):
            return []
        return [
            Item(item, f"{expr}.{key}[{i}]", None, step.type_name) for i, item in enumerate(value) if item is not None
        ]
    out: list[Item] = []
    # A choice group has dozens of alternatives (Extension.value[x]): look only at the keys present.
    keys = _present_alternatives(step, obj) if step.choice_types else step.keys
    for key in keys:
        type_name = step.choice_types.get(key, step.type_name) if step.choice_types else step.type_name
        value = obj.get(key)
        ext = obj.get("_" + key) if step.primitive else None
        if value is None and ext is None:
            continue
        if not step.is_list:
            out.append(Item(value, f"{expr}.{key}", ext, type_name))
            continue
        values = value if isinstance(value, list) else []
        exts = ext if isinstance(ext, list) else []
        for index in range(max(len(values), len(exts))):
            item = values[index] if index < len(values) else None
            item_ext = exts[index] if index < len(exts) else None
            if item is not None or item_ext is not None:
                out.append(Item(item, f"{expr}.{key}[{index}]", item_ext, type_name))
    return out


def step_count(step: Step, obj: Mapping[str, Any]) -> int:
    """``len(step_items(step, obj, expr))``, without building the items of a plain element."""
    if not step.choice_types and not step.primitive:
        value = obj.get(step.keys[0])
        if value is None:
            return 0
        if not step.is_list:
            return 1
        return len([item for item in value if item is not None]) if isinstance(value, list) else 0
    return len(step_items(step, obj, ""))  # choices and "_name" entries: rare enough to build the items


def _present_alternatives(step: Step, obj: Mapping[str, Any]) -> list[str]:
    choices, underscored = step.choice_types, step.underscored
    found: list[str] = []
    for key in obj:
        if key in choices:
            name = key
        elif key in underscored:
            name = underscored[key]  # a primitive alternative may only have "_valueX"
        else:
            continue
        if name not in found:
            found.append(name)
    return found


def values(obj: Any, expr: str, *keys: str) -> list[tuple[Any, str]]:
    """Values under a chain of JSON keys, lists expanded with their indexes: for invariants' own walking."""
    current: list[tuple[Any, str]] = [(obj, expr)]
    for key in keys:
        found: list[tuple[Any, str]] = []
        for value, path in current:
            if not isinstance(value, dict):
                continue
            child = value.get(key)
            if isinstance(child, list):
                found.extend((item, f"{path}.{key}[{i}]") for i, item in enumerate(child) if item is not None)
            elif child is not None:
                found.append((child, f"{path}.{key}"))
        current = found
    return current


def extensions(obj: Any, expr: str, url: str) -> list[tuple[Any, str]]:
    """The extensions of an object with the given URL, with their expressions."""
    return [
        (ext, path) for ext, path in values(obj, expr, "extension") if isinstance(ext, dict) and ext.get("url") == url
    ]


def codings(concept: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept (empty for anything else)."""
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def has_coding(concept: Any, system: str, code: str) -> bool:
    """True when a CodeableConcept carries the system#code coding."""
    return any(c.get("system") == system and c.get("code") == code for c in codings(concept))
