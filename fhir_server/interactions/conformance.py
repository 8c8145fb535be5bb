"""Clinic profiles on write and in $validate: which profiles apply, and a port that answers their questions.

The port resolves references against the open transaction (and the resources pending in the same
bundle) or, outside a write, against the stored current versions; codes go to the terminology engine.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Issue, Unprocessable
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.terminology_access import terminology
from fhir_server.model.json import loads
from fhir_server.model.profiles import clinic_profile_for, known_profile, validate_against
from fhir_server.model.profiles.port import CodeLookup, ConceptInfo
from fhir_server.model.references import RefKind, parse_reference
from fhir_server.storage.repository import SqlStorage
from fhir_server.storage.writer import Writer


class Port:
    """ValidationPort over a Writer (inside a transaction) or a SqlStorage (read side)."""

    def __init__(self, source: Writer | SqlStorage) -> None:
        self.source = source
        self._codes: CodeLookup | None = None

    @property
    def codes(self) -> CodeLookup:
        if self._codes is None:
            self._codes = terminology(self.source)
        return self._codes

    def concept(self, system: str, code: str) -> ConceptInfo | None:
        return self.codes.concept(system, code)

    def knows_system(self, system: str) -> bool:
        return self.codes.knows_system(system)

    def in_value_set(self, value_set: str, system: str | None, code: str) -> bool | None:
        return self.codes.in_value_set(value_set, system, code)

    def resolve(self, reference: str) -> dict[str, Any] | None:
        ref = parse_reference(reference)
        if ref is None or ref.kind is not RefKind.RELATIVE or not ref.type or not ref.id:
            return None
        if isinstance(self.source, Writer):
            pending = self.source.pending.get(f"{ref.type}/{ref.id}")
            if pending is not None:
                return pending
            stored = self.source.current(ref.type, ref.id)
        else:
            stored = self.source.read(ref.type, ref.id)
        if stored is None or stored.deleted or stored.content is None:
            return None
        resource: dict[str, Any] = loads(stored.content)
        return resource


def claimed_profiles(resource: dict[str, Any]) -> list[str]:
    """The profiles in meta.profile this server knows how to check (others are accepted unchecked)."""
    profiles = resource.get("meta", {}).get("profile", [])
    return [p for p in profiles if isinstance(p, str) and known_profile(p.split("|")[0])]


def profiles_to_check(ctx: RequestContext, resource: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The resource (stamped with its clinic profile when they are required) and the profiles to check."""
    urls = claimed_profiles(resource)
    if ctx.clinic_profiles == "required":
        clinic = clinic_profile_for(resource)
        if clinic is not None and clinic not in urls:
            meta = dict(resource.get("meta", {}))
            meta["profile"] = [*meta.get("profile", []), clinic]
            resource = {**resource, "meta": meta}
            urls.append(clinic)
    return resource, urls


def profile_issues(source: Writer | SqlStorage, resource: dict[str, Any], urls: list[str]) -> list[Issue]:
    """Every problem of the resource against these profiles."""
    if not urls:
        return []
    return validate_against(resource, [u.split("|")[0] for u in urls], Port(source))


def conform(writer: Writer, ctx: RequestContext, resource: dict[str, Any]) -> dict[str, Any]:
    """The resource to store, or 422 listing every profile violation."""
    resource, urls = profiles_to_check(ctx, resource)
    issues = profile_issues(writer, resource, urls)
    if any(issue.severity in ("error", "fatal") for issue in issues):
        raise Unprocessable(issues=issues)
    return resource
