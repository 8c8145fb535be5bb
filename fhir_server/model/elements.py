"""Element tables read from fhir.resources' R4B models: the metadata the extra checks need.

fhir.resources validates structure only; it ships, per field, its JSON name, cardinality, required
code bindings (``enum_values``), summary flags and reference targets. This module turns that into
plain, cached tables so the rest of ``model`` never touches pydantic internals.
"""

from __future__ import annotations

import datetime
import decimal
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import TypeAdapter, ValidationError

from fhir_server.model.r4_codes import R4_CODE_OVERRIDES


class Kind(Enum):
    PRIMITIVE = "primitive"
    COMPLEX = "complex"
    RESOURCE = "resource"
    PRIMITIVE_EXTENSION = "primitive-extension"


class JsonKind(Enum):
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    STRING = "string"


# (pydantic error type, message) when a primitive value breaks its type's own constraints, else None.
PrimitiveCheck = Callable[[Any], tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a FHIR type, as its JSON name appears in a resource."""

    name: str
    kind: Kind
    is_list: bool
    required: bool = False
    json_kind: JsonKind | None = None
    primitive: str | None = None
    type_name: str | None = None
    codes: frozenset[str] | None = None
    targets: tuple[str, ...] | None = None
    choice: str | None = None
    summary: bool = False
    check: PrimitiveCheck | None = field(default=None, compare=False, repr=False)


_PRIMITIVE_NAMES = {
    "String": "string",
    "Code": "code",
    "Id": "id",
    "Uri": "uri",
    "Url": "url",
    "Canonical": "canonical",
    "Oid": "oid",
    "Markdown": "markdown",
    "Xhtml": "xhtml",
    "Base64Binary": "base64Binary",
    "Date": "date",
    "DateTime": "dateTime",
    "Instant": "instant",
    "Time": "time",
    "Decimal": "decimal",
    "Integer": "integer",
    "Integer64": "integer64",
    "UnsignedInt": "unsignedInt",
    "PositiveInt": "positiveInt",
    "UuidVersion": "uuid",
}


def primitive_type_name(name: str) -> str:
    """The FHIR primitive a FHIRPath system type names (``DateTime`` -> ``dateTime``); other names unchanged."""
    return _PRIMITIVE_NAMES.get(name, name)


def _unwrap(annotation: Any) -> tuple[Any, bool, tuple[Any, ...]]:
    """(inner type, is_list, Annotated metadata) of a field annotation."""
    is_list = False
    metadata: tuple[Any, ...] = ()
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation, metadata = args[0], args[1:]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            non_none = [a for a in args if a is not type(None)]
            annotation = non_none[0]
        elif origin is list:
            is_list = True
            annotation = args[0]
        else:
            return annotation, is_list, metadata


def _primitive(base: Any, metadata: tuple[Any, ...]) -> tuple[JsonKind, str]:
    names = [type(m).__name__ for m in metadata] + [getattr(m, "__name__", "") for m in metadata]
    name = next((_PRIMITIVE_NAMES[n] for n in names if n in _PRIMITIVE_NAMES), None)
    if base is bool:
        return JsonKind.BOOLEAN, "boolean"
    if base is int:
        return JsonKind.INTEGER, name or "integer"
    if base is decimal.Decimal:
        return JsonKind.NUMBER, "decimal"
    if name is None:
        fallback = {datetime.date: "date", datetime.datetime: "dateTime", datetime.time: "time"}
        name = fallback.get(base, "string")
    return JsonKind.STRING, name


def _value_type(annotation: Any) -> Any:
    """The annotated type of one value of a field (Optional and list taken off, its constraints kept)."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) and type(None) in args:
            annotation = next(a for a in args if a is not type(None))
        elif origin is list:
            annotation = args[0]
        else:
            return annotation


# Primitives whose constraints in fhir.resources a value of the right JSON kind that is not blank (the
# walker's own checks) always meets: nothing more to check for them.
_NOTHING_MORE = frozenset({"boolean", "string", "markdown", "xhtml", "uri", "canonical"})
_CHECKS: dict[str, PrimitiveCheck] = {}
_REMEMBERED = 4096  # verdicts kept per primitive type
_UNSEEN = object()


def _check_for(primitive: str, annotation: Any) -> PrimitiveCheck | None:
    """The model's own validation of one value of this primitive field (its pattern, range, calendar)."""
    if primitive in _NOTHING_MORE:
        return None
    value_type = _value_type(annotation)
    key = repr(value_type)
    found = _CHECKS.get(key)
    if found is None:
        validate = TypeAdapter(value_type).validator.validate_python
        verdicts: dict[str, tuple[str, str] | None] = {}  # a string's verdict depends on nothing else

        def check(value: Any) -> tuple[str, str] | None:
            if type(value) is str:
                # One lookup: another thread may clear the dict between a test and a read.
                known = verdicts.get(value, _UNSEEN)
                if known is not _UNSEEN:
                    return known  # type: ignore[return-value]
            try:
                validate(value)
                verdict = None
            except ValidationError as exc:
                error = exc.errors(include_url=False, include_context=False)[0]
                verdict = str(error["type"]), str(error["msg"])
            if type(value) is str:
                if len(verdicts) >= _REMEMBERED:
                    verdicts.clear()
                verdicts[value] = verdict
            return verdict

        found = _CHECKS[key] = check
    return found


def _element(owner: str, field_name: str, info: Any) -> Element | None:
    extra: dict[str, Any] = info.json_schema_extra or {}
    alias: str = info.alias or field_name
    base, is_list, metadata = _unwrap(info.annotation)
    if field_name.endswith("__ext"):
        return Element(alias, Kind.PRIMITIVE_EXTENSION, is_list)
    if not extra.get("element_property"):
        return None
    codes = extra.get("enum_values")
    if f"{owner}.{alias}" in R4_CODE_OVERRIDES:
        codes = R4_CODE_OVERRIDES[f"{owner}.{alias}"]
    common: dict[str, Any] = {
        "required": bool(extra.get("element_required") or info.is_required()),
        "choice": extra.get("one_of_many"),
        "summary": bool(extra.get("summary_element_property")),
    }
    model_getter = getattr(base, "get_model_klass", None)
    if model_getter is not None:
        name = base.__name__.removesuffix("Type")
        if name == "Resource":
            return Element(alias, Kind.RESOURCE, is_list, **common)
        klass = model_getter()
        targets = extra.get("enum_reference_types")
        return Element(
            alias,
            Kind.COMPLEX,
            is_list,
            type_name=klass.__name__,
            targets=tuple(targets) if targets else None,
            **common,
        )
    json_kind, primitive = _primitive(base, metadata)
    return Element(
        alias,
        Kind.PRIMITIVE,
        is_list,
        json_kind=json_kind,
        primitive=primitive,
        codes=frozenset(codes) if codes and "+" not in codes else None,
        check=_check_for(primitive, info.annotation),
        **common,
    )


@cache
def model_class(type_name: str) -> type[FHIRAbstractModel]:
    """The R4B model class of a resource, data type or backbone element name."""
    if type_name in _BACKBONE_CLASSES:
        return _BACKBONE_CLASSES[type_name]
    klass: type[FHIRAbstractModel] = get_fhir_model_class(type_name)
    return klass


_BACKBONE_CLASSES: dict[str, type[FHIRAbstractModel]] = {}


@cache
def elements_of(type_name: str) -> dict[str, Element]:
    """JSON name -> Element for a resource, data type or backbone element class name."""
    klass = model_class(type_name)
    table: dict[str, Element] = {}
    for field_name, info in klass.model_fields.items():
        element = _element(_fhir_owner(type_name), field_name, info)
        if element is None:
            continue
        table[element.name] = element
        if element.kind is Kind.COMPLEX and element.type_name:
            child = model_getter_class(klass, field_name)
            if child is not None:
                _BACKBONE_CLASSES.setdefault(element.type_name, child)
    return table


def model_getter_class(klass: type[FHIRAbstractModel], field_name: str) -> Any:
    """The model class behind a complex field (backbone classes are not in the type registry)."""
    base, _, _ = _unwrap(klass.model_fields[field_name].annotation)
    getter = getattr(base, "get_model_klass", None)
    return getter() if getter is not None else None


def _fhir_owner(type_name: str) -> str:
    """The name R4_CODE_OVERRIDES uses for a class: the class name itself."""
    return type_name


@cache
def required_choices(type_name: str) -> dict[str, list[str]]:
    """Choice groups of which one alternative must be present ('medication' of MedicationRequest)."""
    texts = element_texts(type_name)
    return {group: names for group, names in choice_groups(type_name).items() if texts[names[0]].choice_required}


@cache
def choice_groups(type_name: str) -> dict[str, list[str]]:
    """Choice group ('value') -> the JSON names of its alternatives ('valueQuantity', ...)."""
    groups: dict[str, list[str]] = {}
    for element in elements_of(type_name).values():
        if element.choice:
            groups.setdefault(element.choice, []).append(element.name)
    return groups


@dataclass(frozen=True, slots=True)
class ElementText:
    """What a StructureDefinition says about an element: its short label, definition and choice cardinality."""

    short: str
    definition: str
    choice_required: bool = False


@cache
def element_order(type_name: str) -> tuple[str, ...]:
    """JSON names of a type's elements in the specification's order (choice alternatives adjacent)."""
    return tuple(model_class(type_name).elements_sequence())


@cache
def element_texts(type_name: str) -> dict[str, ElementText]:
    """JSON name -> short/definition texts fhir.resources carries for each element of a type."""
    elements_of(type_name)  # registers backbone classes reached from this type
    texts: dict[str, ElementText] = {}
    for field_name, info in model_class(type_name).model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not extra.get("element_property"):
            continue
        texts[info.alias or field_name] = ElementText(
            short=info.title or field_name,
            definition=info.description or info.title or field_name,
            choice_required=bool(extra.get("one_of_many_required")),
        )
    return texts


@cache
def type_text(type_name: str) -> ElementText:
    """Short label and definition of a resource, data type or backbone element (from its model docstring)."""
    doc = model_class(type_name).__doc__ or ""
    # fhir.resources docstrings open with a disclaimer paragraph, then "short.\n definition".
    paragraphs = [p for p in doc.split("\n\n") if p.strip() and "Disclaimer" not in p]
    lines = [line.strip() for line in (paragraphs[0] if paragraphs else type_name).splitlines() if line.strip()]
    short = lines[0] if lines else type_name
    return ElementText(short=short, definition=" ".join(lines[1:]) or short)


def is_backbone(type_name: str) -> bool:
    """True for a backbone element class (declared inside a resource or data type), false for data types."""
    klass = model_class(type_name)
    return klass.__name__.lower() != klass.__module__.rsplit(".", 1)[-1]
