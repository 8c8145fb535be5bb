"""FHIR Reference strings: parse and classify (relative, versioned, absolute, contained, bundle-local)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from fhir_server.model.r4_types import R4_ONLY_TYPES, SERVED_TYPES

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
VERSION_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_RELATIVE = re.compile(
    r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/(?P<version>[A-Za-z0-9\-.]{1,64}))?"
)
_ABSOLUTE = re.compile(r"https?://[^\s/?#]+[^\s]*")
_UUID = re.compile(r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
_CONDITIONAL = re.compile(r"(?P<type>[A-Z][A-Za-z]+)\?(?P<query>\S+)")


class RefKind(Enum):
    RELATIVE = "relative"
    ABSOLUTE = "absolute"
    CONTAINED = "contained"
    BUNDLE_LOCAL = "bundle-local"  # urn:uuid / urn:oid: resolved inside a Bundle
    CONDITIONAL = "conditional"  # Type?criteria: resolved inside a transaction


@dataclass(frozen=True, slots=True)
class Ref:
    kind: RefKind
    type: str | None = None
    id: str | None = None
    version: str | None = None
    query: str | None = None


def is_valid_id(value: str) -> bool:
    """The FHIR id rule: 1 to 64 of letters, digits, '-' and '.'."""
    return ID_PATTERN.fullmatch(value) is not None


@lru_cache(maxsize=8192)
def parse_reference(value: str) -> Ref | None:
    """Classify a Reference.reference string; None when it is not valid FHIR syntax."""
    if value.startswith("#"):
        return Ref(RefKind.CONTAINED, id=value[1:])
    match = _RELATIVE.fullmatch(value)
    if match:
        type_name = match["type"]
        if type_name not in SERVED_TYPES and type_name not in R4_ONLY_TYPES:
            return None
        return Ref(RefKind.RELATIVE, type_name, match["id"], match["version"])
    if _UUID.fullmatch(value) or _OID.fullmatch(value):
        return Ref(RefKind.BUNDLE_LOCAL, id=value)
    match = _CONDITIONAL.fullmatch(value)
    if match:
        if match["type"] not in SERVED_TYPES:
            return None
        return Ref(RefKind.CONDITIONAL, match["type"], query=match["query"])
    if _ABSOLUTE.fullmatch(value):
        tail = _RELATIVE.search(value)
        if tail and value.endswith(tail.group(0)):
            return Ref(RefKind.ABSOLUTE, tail["type"], tail["id"], tail["version"])
        return Ref(RefKind.ABSOLUTE)
    return None
