"""The declarative shape of a profile: its differential elements, slices, bindings and invariants.

One definition feeds both the served StructureDefinition (differential + snapshot) and the
validator, so every rule the server enforces is visible to clients. Element paths are written the
way an instance looks (``Observation.valueQuantity.value``, ``Patient.identifier:cedula.value``);
the StructureDefinition generator turns them into ElementDefinition ids (``value[x]:valueQuantity``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.profiles.port import ValidationPort

CORE_SD = "http://hl7.org/fhir/StructureDefinition/"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"

Check = Callable[[dict[str, Any], ValidationPort], Iterable[Issue]]
"""An invariant's Python side: every problem it finds in the resource, each with its expression."""


@dataclass(frozen=True, slots=True)
class Binding:
    """A terminology binding; ``system``/``codes`` let the validator decide when the value set cannot be expanded."""

    strength: str  # required | extensible | preferred | example
    value_set: str
    description: str | None = None
    system: str | None = None  # the code system the value set is drawn from (all of it)
    codes: frozenset[str] | None = None  # the value set's codes, when they are facts the product carries
    checked: bool = True  # False when an invariant checks these codes (with better messages)


@dataclass(frozen=True, slots=True)
class Slicing:
    """How the items of a repeating element are told apart: (discriminator type, path) pairs."""

    discriminator: tuple[tuple[str, str], ...]
    rules: str = "open"
    ordered: bool = False
    description: str | None = None


def by_url() -> Slicing:
    """The usual slicing of ``extension``: by the extension's URL."""
    return Slicing((("value", "url"),), description="Por URL de la extensión / by extension URL")


@dataclass(frozen=True, slots=True)
class Invariant:
    """A rule beyond cardinality and values: FHIRPath text for the StructureDefinition, Python for the server."""

    key: str
    severity: str  # error | warning
    human_es: str
    human_en: str
    expression: str
    check: Check | None
    path: str = ""  # element the constraint sits on (instance-style path); "" = the root


@dataclass(frozen=True, slots=True)
class El:
    """One differential element. Unset fields leave the base definition as it is."""

    path: str
    min: int | None = None
    max: str | None = None
    short: str | None = None
    definition: str | None = None
    fixed: Any = None
    pattern: Any = None
    binding: Binding | None = None
    must_support: bool = False
    types: tuple[str, ...] | None = None  # narrows a choice element: ("Quantity",)
    target_profiles: tuple[str, ...] | None = None  # Reference targets (core type or profile URLs)
    profiles: tuple[str, ...] | None = None  # Extension definitions of an extension slice
    slicing: Slicing | None = None
    resolve: bool = False  # references must resolve to a resource that fits a target profile
    message: str | None = None  # message id for a wrong value (instead of the generic one)
    missing_message: str | None = None  # message id when the element is missing
    params: Mapping[str, Any] = field(default_factory=dict)  # extra message parameters


@dataclass(frozen=True)
class Profile:
    """A profile (kind resource) or an extension definition (kind complex-type, type Extension)."""

    id: str
    url: str
    name: str
    title: str
    title_en: str
    description: str
    description_en: str
    type: str
    base: str
    elements: tuple[El, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    context: tuple[str, ...] = ()  # extension contexts (element paths)
    served: bool = True  # False for HL7 definitions the server enforces but does not publish
    # Tells whether a resolved reference target fits this profile (for ``El.resolve``).
    recognizes: Callable[[dict[str, Any]], bool] | None = None

    @property
    def kind(self) -> str:
        return "complex-type" if self.type == "Extension" else "resource"


def core(type_name: str) -> str:
    """URL of a core resource or data type StructureDefinition."""
    return CORE_SD + type_name


def extension_definition(
    sd_id: str,
    url: str,
    name: str,
    titles: tuple[str, str],
    descriptions: tuple[str, str],
    context: str,
    value: El,
    *,
    served: bool = True,
    more: tuple[El, ...] = (),
) -> Profile:
    """A simple extension: one ``value[x]`` of the given type, no nested extensions."""
    elements = (
        El("Extension", short=titles[0], definition=descriptions[0]),
        El("Extension.extension", max="0"),
        El("Extension.url", fixed=url),
        value,
        *more,
    )
    return Profile(
        id=sd_id,
        url=url,
        name=name,
        title=titles[0],
        title_en=titles[1],
        description=descriptions[0],
        description_en=descriptions[1],
        type="Extension",
        base=core("Extension"),
        elements=elements,
        context=(context,),
        served=served,
    )


def problem(message: str, expr: str, *, severity: str = "error", code: str = "invariant", **params: Any) -> Issue:
    """An issue found by an invariant check, at one element (``element`` is added to the parameters)."""
    return Issue(code, message, {"element": expr, **params}, severity=severity, expression=(expr,))
