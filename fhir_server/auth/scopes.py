"""SMART scopes (v2 and v1 syntax) parsed into one small model with intersection and coverage.

Role ceilings, client pre-authorisations and granted scopes are all ``ScopeSet``s, so the effective
permission is a mechanical intersection (security.md 5.1). Grammar (SMART App Launch 2.2, scopes page):

    (patient|user|system) "/" (Type|"*") "." (in-order subset of cruds | read | write | *) ["?" param=value ("&" ...)*]

v1 suffixes are normalised (read -> rs, write -> cud, * -> cruds) and echoed back unchanged when granted
as asked. Out-of-order or unknown permission letters are dropped, never reinterpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, quote

PERMISSIONS = "cruds"
CONTEXTS = ("patient", "user", "system")
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
# Which granted context may stand in for which requested one: a user's ceiling covers the
# narrower patient context (a clinician using a patient-scoped app), never the other way round.
_COVERS = {"user": frozenset({"user", "patient"}), "patient": frozenset({"patient"}), "system": frozenset({"system"})}
_RESOURCE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]{1,63})\.([a-z]+|\*)(?:\?(.+))?$")
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.:]*$")
INTERACTION_LETTERS = {
    "create": "c",
    "read": "r",
    "vread": "r",
    "history-instance": "r",
    "update": "u",
    "patch": "u",
    "delete": "d",
    "search": "s",
    "history-type": "s",
    "history-system": "s",
}


def _normalise_permissions(text: str) -> str | None:
    if text in V1_PERMISSIONS:
        return V1_PERMISSIONS[text]
    position = -1
    for letter in text:
        index = PERMISSIONS.find(letter)
        if index <= position:  # unknown, repeated or out of order
            return None
        position = index
    return text


@dataclass(frozen=True, slots=True)
class ResourceScope:
    """One clinical-data scope: context, resource type (or *), permissions, granular filters."""

    context: str
    resource_type: str
    permissions: str
    filters: tuple[tuple[str, str], ...] = ()
    text: str | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
        return (self.context, self.resource_type, self.permissions, self.filters)

    def render(self) -> str:
        """The scope string: as asked when it was granted unchanged, else v2 syntax."""
        if self.text is not None:
            return self.text
        base = f"{self.context}/{self.resource_type}.{self.permissions}"
        if not self.filters:
            return base
        query = "&".join(f"{name}={quote(value, safe='|:/.-_~')}" for name, value in self.filters)
        return f"{base}?{query}"

    def allows(self, letter: str) -> bool:
        """True when the permission letter (c, r, u, d or s) is granted."""
        return letter in self.permissions

    def matches_type(self, resource_type: str) -> bool:
        return self.resource_type in ("*", resource_type)

    def covers(self, other: ResourceScope) -> bool:
        """True when everything ``other`` grants is granted by this scope."""
        return (
            other.context in _COVERS[self.context]
            and self.resource_type in ("*", other.resource_type)
            and set(other.permissions) <= set(self.permissions)
            and set(self.filters) <= set(other.filters)
        )

    def intersect(self, other: ResourceScope) -> ResourceScope | None:
        """What both scopes grant, or None. ``self`` is the requested side (its context wins)."""
        if self.context not in _COVERS[other.context]:
            return None
        if self.resource_type == "*":
            resource_type = other.resource_type
        elif other.resource_type in ("*", self.resource_type):
            resource_type = self.resource_type
        else:
            return None
        permissions = "".join(p for p in PERMISSIONS if p in self.permissions and p in other.permissions)
        if not permissions:
            return None
        # Filters AND together: a resource must satisfy both sides.
        filters = tuple(sorted(set(self.filters) | set(other.filters)))
        result = ResourceScope(self.context, resource_type, permissions, filters)
        if result.key == self.key:
            return self
        return result


def parse_resource_scope(text: str) -> ResourceScope | None:
    """A clinical-data scope, or None when the text is not one (or is malformed)."""
    match = _RESOURCE.match(text)
    if not match:
        return None
    context, resource_type, raw_permissions, query = match.groups()
    permissions = _normalise_permissions(raw_permissions)
    if not permissions:
        return None
    filters: list[tuple[str, str]] = []
    if query:
        for name, value in parse_qsl(query, keep_blank_values=False, strict_parsing=False):
            if not _PARAM_NAME.match(name) or not value:
                return None
            filters.append((name, value))
        if not filters:
            return None
    return ResourceScope(context, resource_type, permissions, tuple(sorted(filters)), text)


# Scopes that are not about clinical data: identity, launch context, refresh.
IDENTITY_SCOPES = frozenset({"openid", "fhirUser", "profile"})
LAUNCH_SCOPES = frozenset({"launch", "launch/patient", "launch/encounter"})
REFRESH_SCOPES = frozenset({"offline_access", "online_access"})
KNOWN_OTHER_SCOPES = IDENTITY_SCOPES | LAUNCH_SCOPES | REFRESH_SCOPES


@dataclass(frozen=True, slots=True)
class ScopeSet:
    """A set of scopes: clinical-data scopes plus the others (openid, launch/patient, offline_access, ...)."""

    resources: tuple[ResourceScope, ...] = ()
    others: tuple[str, ...] = ()

    @staticmethod
    def parse(text: str | None) -> ScopeSet:
        """Parse a space-separated scope string; unknown or malformed scopes are dropped."""
        return _parse_cached(text or "")

    def render(self) -> str:
        """The space-separated scope string."""
        return " ".join([*self.others, *(scope.render() for scope in self.resources)])

    def __contains__(self, scope: object) -> bool:
        return scope in self.others

    def __bool__(self) -> bool:
        return bool(self.resources or self.others)

    @property
    def has_patient_scopes(self) -> bool:
        return any(scope.context == "patient" for scope in self.resources)

    def without(self, *names: str) -> ScopeSet:
        """The set minus some non-clinical scopes."""
        return ScopeSet(self.resources, tuple(o for o in self.others if o not in names))

    def only(self, rendered: set[str]) -> ScopeSet:
        """The scopes whose rendering is in ``rendered`` (the consent page's choices)."""
        return ScopeSet(
            tuple(s for s in self.resources if s.render() in rendered),
            tuple(o for o in self.others if o in rendered),
        )

    def intersect(self, ceiling: ScopeSet, *, keep_others: bool = False) -> ScopeSet:
        """What this (requested) set and ``ceiling`` both grant.

        ``keep_others``: the ceiling limits clinical data only (role ceilings say nothing about
        openid or launch scopes); otherwise non-clinical scopes must be in both sets.
        """
        results: list[ResourceScope] = []
        seen: set[tuple[str, str, str, tuple[tuple[str, str], ...]]] = set()
        for requested in self.resources:
            for limit in ceiling.resources:
                granted = requested.intersect(limit)
                if granted is not None and granted.key not in seen:
                    seen.add(granted.key)
                    results.append(granted)
        # A scope another result already grants in full only lengthens the token's scope string.
        kept = tuple(s for s in results if not any(t.key != s.key and t.covers(s) for t in results))
        others = self.others if keep_others else tuple(o for o in self.others if o in ceiling.others)
        return ScopeSet(kept, others)

    def covers(self, other: ScopeSet) -> bool:
        """True when every scope of ``other`` is granted by this set (letters may come from several scopes)."""
        if not set(other.others) <= set(self.others):
            return False
        for scope in other.resources:
            for letter in scope.permissions:
                single = ResourceScope(scope.context, scope.resource_type, letter, scope.filters)
                if not any(mine.covers(single) for mine in self.resources):
                    return False
        return True

    def for_type(self, resource_type: str, letter: str) -> tuple[ResourceScope, ...]:
        """The scopes granting ``letter`` on ``resource_type`` (a resource matches if it matches any)."""
        return tuple(s for s in self.resources if s.matches_type(resource_type) and s.allows(letter))

    def allows(self, resource_type: str, interaction: str) -> bool:
        """True when some scope grants the interaction (a name of INTERACTION_LETTERS) on the type."""
        letter = INTERACTION_LETTERS.get(interaction, interaction)
        return bool(self.for_type(resource_type, letter))


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> ScopeSet:
    resources: list[ResourceScope] = []
    others: list[str] = []
    for item in text.split():
        scope = parse_resource_scope(item)
        if scope is not None:
            if scope not in resources:
                resources.append(scope)
        elif item in KNOWN_OTHER_SCOPES and item not in others:
            others.append(item)
    return ScopeSet(tuple(resources), tuple(others))
