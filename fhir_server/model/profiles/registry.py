"""Every profile and extension definition the server knows, by canonical URL, and what is derived from them."""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server.model import canonical as c
from fhir_server.model.json import dumps, loads
from fhir_server.model.profiles import clinical, extensions, hl7_vitals, medication, staff, vitals
from fhir_server.model.profiles.definition import CORE_SD, Profile
from fhir_server.model.profiles.engine import Compiled
from fhir_server.model.profiles.paths import codings
from fhir_server.model.profiles.patient import PATIENT
from fhir_server.model.profiles.sd import structure_definition
from fhir_server.model.profiles.tree import Node, build_tree

ALL: tuple[Profile, ...] = (
    PATIENT,
    *staff.PROFILES,
    *vitals.PROFILES,
    *clinical.PROFILES,
    *medication.PROFILES,
    *extensions.DEFINITIONS,
    *hl7_vitals.PROFILES,
)
BY_URL: dict[str, Profile] = {profile.url: profile for profile in ALL}

_BY_TYPE = {
    "Patient": c.PROFILE_PATIENT,
    "Practitioner": c.PROFILE_PRACTITIONER,
    "PractitionerRole": c.PROFILE_PRACTITIONER_ROLE,
    "Organization": c.PROFILE_ORGANIZATION,
    "Encounter": c.PROFILE_ENCOUNTER,
    "ClinicalImpression": c.PROFILE_EVOLUCION,
    "Condition": c.PROFILE_DIAGNOSTICO,
    "MedicationRequest": c.PROFILE_PRESCRIPCION,
    "FamilyMemberHistory": c.PROFILE_ANTECEDENTE_FAMILIAR,
    "MedicationKnowledge": c.PROFILE_MEDICAMENTO,
}


def canonical_url(url: str) -> str:
    """A canonical URL without its ``|version`` suffix."""
    return url.split("|", 1)[0]


def known_profile(url: str) -> bool:
    """True when the server can validate resources against this profile (clinic or HL7 vital signs)."""
    profile = BY_URL.get(canonical_url(url))
    return profile is not None and profile.kind == "resource"


def layers(url: str) -> tuple[Profile, ...]:
    """The profile and the known profiles it derives from, base first."""
    chain: list[Profile] = []
    profile = BY_URL.get(canonical_url(url))
    while profile is not None and profile not in chain:
        chain.insert(0, profile)
        profile = BY_URL.get(profile.base)
    return tuple(chain)


def target_type(url: str) -> str:
    """The resource type a targetProfile stands for."""
    profile = BY_URL.get(url)
    if profile is not None:
        return profile.type
    return url.removeprefix(CORE_SD) if url.startswith(CORE_SD) else url.rsplit("/", 1)[-1]


def clinic_profile_for(resource: dict[str, Any]) -> str | None:
    """The clinic profile a resource must meet when clinic profiles are mandatory (None: none applies)."""
    type_name = resource.get("resourceType")
    if type_name == "Observation":
        for coding in codings(resource.get("code")):
            if coding.get("system") == c.LOINC and coding.get("code") in c.VITAL_SIGNS:
                return c.structure_definition(c.VITAL_SIGNS[str(coding["code"])][1])
        return None
    if type_name == "Location":
        kinds = {
            x.get("code") for x in codings(resource.get("physicalType")) if x.get("system") == c.LOCATION_PHYSICAL_TYPE
        }
        # Buildings, sites and other places are not consulting rooms.
        return c.PROFILE_CONSULTORIO if not kinds or "ro" in kinds else None
    return _BY_TYPE.get(str(type_name))


@cache
def compiled(urls: tuple[str, ...]) -> Compiled:
    """The validation tree of a set of profiles of one type (cached per set)."""
    chain: list[Profile] = []
    for url in urls:
        chain.extend(layer for layer in layers(url) if layer not in chain)
    invariants = {inv.key: inv for layer in chain for inv in layer.invariants}
    root = build_tree(chain[-1].type, chain, target_type)
    return Compiled(root, tuple(invariants.values()), _extension_trees(), BY_URL)


@cache
def _extension_trees() -> dict[str, Node]:
    return {p.url: build_tree("Extension", (p,), target_type) for p in ALL if p.type == "Extension"}


@cache
def _served() -> bytes:
    return dumps([structure_definition(p, layers(p.url)) for p in ALL if p.served])


def structure_definitions() -> list[dict[str, Any]]:
    """The StructureDefinitions the server publishes: clinic profiles and extensions (fresh copies)."""
    found: list[dict[str, Any]] = loads(_served())
    return found


def supported_profiles(type_name: str) -> list[str]:
    """The published clinic profiles of one resource type (CapabilityStatement.rest.resource.supportedProfile)."""
    return [p.url for p in ALL if p.served and p.type == type_name]
