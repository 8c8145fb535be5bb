"""What profile validation needs from the layers above: code lookups and reference resolution.

The model layer cannot reach terminology or storage, so the caller passes an object that answers
these questions (the terminology service implements ``CodeLookup``; the write path implements
``ReferenceResolver`` over the open transaction and the resources pending in the same bundle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ConceptInfo:
    """One concept of a code system, as far as validation cares."""

    system: str
    code: str
    display: str | None = None
    parents: tuple[str, ...] = ()
    inactive: bool = False
    # False for grouping concepts (ICD-10 chapters and blocks, abstract codes): not for recording.
    selectable: bool = True
    leaf: bool = True
    properties: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)


class CodeLookup(Protocol):
    """Answers about codes; every method is cheap (in memory) and never raises for unknown input."""

    def concept(self, system: str, code: str) -> ConceptInfo | None:
        """The concept, or None when the server holds the system and the code is not in it, or lacks the system."""

    def knows_system(self, system: str) -> bool:
        """True when the server holds this code system's content."""

    def in_value_set(self, value_set: str, system: str | None, code: str) -> bool | None:
        """Whether the code is in the value set; None when the server cannot expand that value set."""


class ReferenceResolver(Protocol):
    """Finds the resource a reference (relative ``Type/id`` after bundle rewriting) points at."""

    def resolve(self, reference: str) -> dict[str, Any] | None:
        """The current resource, or None when it does not exist (or is not local)."""


class ValidationPort(CodeLookup, ReferenceResolver, Protocol):
    """Everything profile validation may ask."""


class OneValidation:
    """The caller's port for one validation: references resolve once (rules and invariants share targets)."""

    def __init__(self, port: ValidationPort) -> None:
        self.port = port
        self._resolved: dict[str, dict[str, Any] | None] = {}

    def concept(self, system: str, code: str) -> ConceptInfo | None:
        return self.port.concept(system, code)

    def knows_system(self, system: str) -> bool:
        return self.port.knows_system(system)

    def in_value_set(self, value_set: str, system: str | None, code: str) -> bool | None:
        return self.port.in_value_set(value_set, system, code)

    def resolve(self, reference: str) -> dict[str, Any] | None:
        # The transaction does not change while one resource is validated.
        if reference not in self._resolved:
            self._resolved[reference] = self.port.resolve(reference)
        return self._resolved[reference]
