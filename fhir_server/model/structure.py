"""Validation of a resource's structure: JSON types, nulls, empties, required codes, references, XHTML,
and every check of the fhir.resources model itself, without building the model.

fhir.resources coerces ``"active": "yes"`` to ``True`` and accepts ``gender: "H"``; FHIR JSON does
not. This walker reads the element tables of ``model.elements`` and reports every issue with its
FHIRPath location. What the model would also refuse (a primitive breaking its type's pattern, range
or calendar, a required primitive given only as an extension-less ``_element``, a required choice
left out) is checked with the model's own types and messages, and reported only when the structure
is otherwise sound, as the model's validation used to be.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.elements import (
    Element,
    JsonKind,
    Kind,
    choice_groups,
    elements_of,
    required_choices,
)
from fhir_server.model.json import is_integer, is_number
from fhir_server.model.narrative import UnsafeNarrative, check_xhtml
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.references import RefKind, parse_reference

_JSON_NAMES = {
    JsonKind.BOOLEAN: "boolean",
    JsonKind.INTEGER: "integer",
    JsonKind.NUMBER: "number",
    JsonKind.STRING: "string",
}


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _json_kind_ok(kind: JsonKind | None, value: Any) -> bool:
    if kind is JsonKind.BOOLEAN:
        return isinstance(value, bool)
    if kind is JsonKind.INTEGER:
        return is_integer(value)
    if kind is JsonKind.NUMBER:
        return is_number(value)
    return isinstance(value, str)


# pydantic error type -> (FHIR issue code, message id) of the model's own checks
_MODEL_CODES = {
    "missing": ("required", "element-required"),
    "model_field_validation.missing": ("required", "element-required"),
}


def _has_extensions(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("extension"))


# Exact JSON types of a primitive's well-formed values (bool, BigInt and str subclasses go the general way).
_SCALARS: dict[JsonKind | None, frozenset[type]] = {
    JsonKind.BOOLEAN: frozenset({bool}),
    JsonKind.INTEGER: frozenset({int}),
    JsonKind.NUMBER: frozenset({int, float, Decimal}),
    JsonKind.STRING: frozenset({str}),
}


class _Slot:
    """One element of a type with what its well-formed values need, worked out once: those take a fast
    path that builds no path string; anything else (every issue) goes the general way, as it always did."""

    __slots__ = ("check", "choice", "codes", "container", "dot", "element", "item_scalars", "nested", "scalars", "skip")

    def __init__(self, element: Element, skip: bool = False) -> None:
        self.element, self.skip, self.dot = element, skip, "." + element.name
        self.check, self.codes, self.choice = element.check, element.codes, element.choice
        plain = element.kind is Kind.PRIMITIVE and element.primitive != "xhtml"
        self.item_scalars = _SCALARS.get(element.json_kind, frozenset()) if plain else frozenset()
        self.scalars = frozenset() if element.is_list else self.item_scalars
        self.nested = element.kind is Kind.COMPLEX and bool(element.type_name)  # complex takes a dict value
        self.container: type | None = dict if self.nested or element.kind is Kind.RESOURCE else None
        if element.is_list and element.kind is not Kind.PRIMITIVE_EXTENSION:
            self.container = list


class _Plan:
    """A type's slots by JSON name, its required elements and its choice groups."""

    __slots__ = ("choices_required", "groups", "reference", "required", "slots")

    def __init__(self, type_name: str, resource: bool) -> None:
        table = elements_of(type_name)
        self.slots = {name: _Slot(element) for name, element in table.items()}
        if resource:
            self.slots["resourceType"] = _Slot(Element("resourceType", Kind.PRIMITIVE, False), skip=True)
        self.required = tuple(element.name for element in table.values() if element.required)
        self.groups = tuple(choice_groups(type_name).items())
        self.choices_required = tuple(required_choices(type_name).values())
        self.reference = type_name == "Reference"


_PLANS: dict[bool, dict[str, _Plan]] = {False: {}, True: {}}  # as a resource or not -> type -> plan


class _Walker:
    def __init__(self, in_transaction: bool) -> None:
        self.issues: list[Issue] = []
        self.model_issues: list[Issue] = []  # what the fhir.resources model would refuse
        self._contained_ids: list[set[str]] = []
        self.in_transaction = in_transaction

    def add(self, issue_code: str, message: str, path: str, **params: Any) -> None:
        self.issues.append(Issue(issue_code, message, params, expression=(path,)))

    def add_model(self, error_type: str, detail: str, path: str) -> None:
        code, message = _MODEL_CODES.get(error_type, ("value", "element-invalid"))
        params = {"element": path, "detail": detail}
        self.model_issues.append(Issue(code, message, params, expression=(path,), diagnostics=f"{path}: {detail}"))

    # Resources -------------------------------------------------------------------------------
    def resource(self, resource: dict[str, Any], path: str) -> None:
        type_name = resource.get("resourceType")
        if not isinstance(type_name, str):
            self.add("required", "resource-type-missing", path)
            return
        if type_name not in SERVED_TYPES:
            self.add("not-supported", "unknown-type", path, type=type_name)
            return
        contained = resource.get("contained")
        ids = (
            {c["id"] for c in contained if isinstance(c, dict) and isinstance(c.get("id"), str)}
            if isinstance(contained, list)
            else set()
        )
        self._contained_ids.append(ids)
        self.complex(type_name, resource, path, resource=True)
        self._contained_ids.pop()

    # Complex values --------------------------------------------------------------------------
    def complex(
        self,
        type_name: str,
        value: dict[str, Any],
        path: str,
        targets: tuple[str, ...] | None = None,
        *,
        resource: bool = False,
    ) -> None:
        plans = _PLANS[resource]
        plan = plans.get(type_name) or plans.setdefault(type_name, _Plan(type_name, resource))
        slots = plan.slots
        refused_inside = len(self.model_issues)
        chosen: list[str] = []
        for key, item in value.items():
            slot = slots.get(key)
            if slot is None:
                self.add("structure", "element-unknown", f"{path}.{key}", element=f"{path}.{key}")
                continue
            if slot.choice is not None:
                chosen.append(slot.choice)
            kind = type(item)
            if kind in slot.scalars:  # a primitive of its JSON type: only the model's check may refuse it
                if kind is not str or (item.strip() and (slot.codes is None or item in slot.codes)):
                    if slot.check is not None and (refused := slot.check(item)) is not None:
                        self.add_model(refused[0], refused[1], path + slot.dot)
                    continue
            elif kind is slot.container and item:
                if kind is list:
                    self.items(slot, item, path + slot.dot, value)
                elif slot.element.kind is Kind.RESOURCE:
                    self.resource(item, path + slot.dot)
                else:
                    self.complex(slot.element.type_name or "", item, path + slot.dot, slot.element.targets)
                continue
            if not slot.skip:
                self.element(slot.element, item, path + slot.dot, value)
        extension_only: list[str] = []  # required primitives given only as their ``_element``
        for name in plan.required:
            if name in value:
                continue
            extension = value.get(f"_{name}")
            if extension is None:
                self.add("required", "element-required", f"{path}.{name}", element=f"{path}.{name}")
            elif not _has_extensions(extension):
                extension_only.append(name)
        if len(chosen) > 1 and len(set(chosen)) < len(chosen):
            for group, names in plan.groups:
                present = [n for n in names if n in value]
                if len(present) > 1:
                    self.add("structure", "choice-multiple", f"{path}.{present[1]}", element=f"{path}.{group}")
        if plan.reference:
            self.reference(value, path, targets)
        if (extension_only or plan.choices_required) and len(self.model_issues) == refused_inside:
            self.model_checks(plan, value, path, extension_only)  # the model's after-checks run on valid fields only

    def model_checks(self, plan: _Plan, value: dict[str, Any], path: str, extension_only: list[str]) -> None:
        """The model's checks once a value's own fields passed: required primitives present only as an
        ``_element`` without extensions, then (when none) the first required choice left out."""
        for name in extension_only:
            detail = f"Value for the field '{name}' is required."
            self.add_model("model_field_validation.missing", detail, f"{path}.{name}")
        if extension_only:
            return
        for names in plan.choices_required:
            if not any(name in value for name in names):
                self.add_model("value_error", f"Value error, Expect any of field value from this list {names}.", path)
                return

    def items(self, slot: _Slot, items: list[Any], path: str, parent: dict[str, Any]) -> None:
        """The values of a list element (not empty), as ``complex`` takes a single value."""
        element = slot.element
        for index, item in enumerate(items):
            kind = type(item)
            if kind in slot.item_scalars:
                if kind is not str or (item.strip() and (slot.codes is None or item in slot.codes)):
                    if slot.check is not None and (refused := slot.check(item)) is not None:
                        self.add_model(refused[0], refused[1], f"{path}[{index}]")
                    continue
            elif kind is dict and item and slot.nested:
                self.complex(element.type_name or "", item, f"{path}[{index}]", element.targets)
                continue
            if item is None and element.kind is Kind.PRIMITIVE and f"_{element.name}" in parent:
                continue  # the value lives in the matching _element entry
            self.single(element, item, f"{path}[{index}]")

    def element(self, element: Element, value: Any, path: str, parent: dict[str, Any]) -> None:
        if element.kind is Kind.PRIMITIVE_EXTENSION:
            self.primitive_extension(element, value, path)
            return
        if value is None:
            self.add("structure", "null-value", path, element=path)
            return
        if element.is_list:
            if not isinstance(value, list):
                self.add(
                    "structure",
                    "json-type",
                    path,
                    element=path,
                    expected="array",
                    actual=_json_type_name(value),
                )
                return
            if not value:
                self.add("structure", "empty-value", path, element=path)
                return
            has_ext = f"_{element.name}" in parent
            for index, item in enumerate(value):
                if item is None and has_ext and element.kind is Kind.PRIMITIVE:
                    continue  # the value lives in the matching _element entry
                self.single(element, item, f"{path}[{index}]")
            return
        if isinstance(value, list):
            self.add(
                "structure",
                "json-type",
                path,
                element=path,
                expected=self._expected(element),
                actual="array",
            )
            return
        self.single(element, value, path)

    def single(self, element: Element, value: Any, path: str) -> None:
        if value is None:
            self.add("structure", "null-value", path, element=path)
        elif element.kind is Kind.PRIMITIVE:
            self.primitive(element, value, path)
        elif not isinstance(value, dict):
            self.add(
                "structure",
                "json-type",
                path,
                element=path,
                expected="object",
                actual=_json_type_name(value),
            )
        elif not value:
            self.add("structure", "empty-value", path, element=path)
        elif element.kind is Kind.RESOURCE:
            self.resource(value, path)
        elif element.type_name:
            self.complex(element.type_name, value, path, element.targets)

    @staticmethod
    def _expected(element: Element) -> str:
        if element.kind is Kind.PRIMITIVE and element.json_kind is not None:
            return _JSON_NAMES[element.json_kind]
        return "object"

    # Primitives ------------------------------------------------------------------------------
    def primitive(self, element: Element, value: Any, path: str) -> None:
        if not _json_kind_ok(element.json_kind, value):
            self.add(
                "structure",
                "json-type",
                path,
                element=path,
                expected=self._expected(element),
                actual=_json_type_name(value),
            )
            return
        if isinstance(value, str):
            if not value.strip():
                self.add("value", "empty-value", path, element=path)
                return
            if element.codes is not None and value not in element.codes:
                allowed = (
                    ", ".join(sorted(element.codes)) if len(element.codes) <= 12 else f"{len(element.codes)} codes"
                )
                self.add(
                    "code-invalid",
                    "code-not-allowed",
                    path,
                    code=value,
                    element=path,
                    allowed=allowed,
                )
            if element.primitive == "xhtml":
                try:
                    check_xhtml(value)
                except UnsafeNarrative as exc:
                    self.add("security", "narrative-unsafe", path, detail=str(exc))
        if element.check is not None and (refused := element.check(value)) is not None:
            self.add_model(refused[0], refused[1], path)

    def primitive_extension(self, element: Element, value: Any, path: str) -> None:
        if element.is_list and not isinstance(value, list):
            self.add_model("list_type", "Input should be a valid list", path)
        items = value if element.is_list and isinstance(value, list) else [value]
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]" if element.is_list else path
            if item is None and element.is_list:
                continue
            if not isinstance(item, dict) or not item:
                self.add(
                    "structure",
                    "json-type",
                    item_path,
                    element=item_path,
                    expected="object",
                    actual=_json_type_name(item),
                )
                continue
            self.complex("Element", item, item_path)

    # References ------------------------------------------------------------------------------
    def reference(self, value: dict[str, Any], path: str, targets: tuple[str, ...] | None) -> None:
        text = value.get("reference")
        if not isinstance(text, str) or not text:
            return
        ref_path = f"{path}.reference"
        ref = parse_reference(text)
        if ref is None:
            self.add("value", "reference-invalid", ref_path, element=ref_path, reference=text)
            return
        if ref.kind is RefKind.CONDITIONAL:
            if not self.in_transaction:
                self.add("value", "reference-local", ref_path, element=ref_path, reference=text)
            return
        if ref.kind is RefKind.CONTAINED:
            if ref.id and self._contained_ids and ref.id not in self._contained_ids[-1]:
                self.add("value", "contained-missing", ref_path, element=ref_path, ref=ref.id)
            return
        if ref.type and targets and "Resource" not in targets and ref.type not in targets:
            self.add(
                "value",
                "reference-target",
                ref_path,
                element=ref_path,
                target=ref.type,
                allowed=", ".join(targets),
            )


def structure_issues(resource: dict[str, Any], *, in_transaction: bool = False) -> list[Issue]:
    """Every issue the walker finds in a resource (conditional references allowed in transactions)."""
    walker = _Walker(in_transaction)
    walker.resource(resource, str(resource.get("resourceType", "Resource")))
    return walker.issues or walker.model_issues
