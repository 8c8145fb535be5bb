"""Validate a resource against profiles: every problem, each with its FHIRPath expression."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir_server.errors import Issue
from fhir_server.model.profiles.engine import Run
from fhir_server.model.profiles.port import OneValidation, ValidationPort
from fhir_server.model.profiles.registry import BY_URL, canonical_url, compiled, known_profile


def validate_against(resource: dict[str, Any], profile_urls: Iterable[str], port: ValidationPort) -> list[Issue]:
    """Every issue of the resource against the known profiles among ``profile_urls`` (unknown ones are ignored)."""
    type_name = str(resource.get("resourceType", ""))
    wanted: list[str] = []
    issues: list[Issue] = []
    for url in profile_urls:
        if not known_profile(url):
            continue
        profile = BY_URL[canonical_url(url)]
        if profile.type != type_name:
            issues.append(
                Issue(
                    "invariant",
                    "prof-resource-type",
                    {"element": type_name, "profile": profile.url, "expected": profile.type, "actual": type_name},
                    expression=(type_name,),
                )
            )
        elif profile.url not in wanted:
            wanted.append(profile.url)
    if wanted:
        issues.extend(Run(resource, OneValidation(port), compiled(tuple(sorted(wanted)))).validate())
    return issues
