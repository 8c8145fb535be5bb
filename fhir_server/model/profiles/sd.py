"""StructureDefinition JSON from a profile definition: metadata, differential and snapshot."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from fhir_server.model.canonical import ISO3166
from fhir_server.model.profiles.definition import TRANSLATION, Binding, El, Invariant, Profile, Slicing
from fhir_server.model.profiles.snapshot import SnapshotBuilder, SNode, builder_for

PROFILES_VERSION = "1.0.0"
PUBLISHER = "Consultorio EC — servidor FHIR de la clínica"


def translation(text: str, language: str = "en") -> dict[str, Any]:
    """The ``_element`` object that carries a translation of a string element."""
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [{"url": "lang", "valueCode": language}, {"url": "content", "valueString": text}],
            }
        ]
    }


def _suffix(node: SNode) -> str:
    types = node.data.get("type") or []
    if len(types) != 1:
        raise ValueError(f"{node.id}: fixed/pattern needs exactly one type, has {types}")
    code: str = types[0]["code"]
    return code[0].upper() + code[1:]


def _binding(binding: Binding) -> dict[str, Any]:
    found: dict[str, Any] = {"strength": binding.strength, "valueSet": binding.value_set}
    if binding.description:
        found["description"] = binding.description
    return found


def _slicing(slicing: Slicing) -> dict[str, Any]:
    found: dict[str, Any] = {
        "discriminator": [{"type": kind, "path": path} for kind, path in slicing.discriminator],
        "ordered": slicing.ordered,
        "rules": slicing.rules,
    }
    if slicing.description:
        found["description"] = slicing.description
    return found


def element_fields(el: El, node: SNode) -> dict[str, Any]:
    """The ElementDefinition fields one differential element sets."""
    fields: dict[str, Any] = {}
    if el.short:
        fields["short"] = el.short
    if el.definition:
        fields["definition"] = el.definition
    if el.slicing is not None:
        fields["slicing"] = _slicing(el.slicing)
    if el.min is not None:
        fields["min"] = el.min
    if el.max is not None:
        fields["max"] = el.max
    types = [dict(t) for t in node.data.get("type") or []]
    if el.types is not None:
        types = [t for t in types if t["code"] in el.types] or [{"code": code} for code in el.types]
    if el.target_profiles is not None:
        types = [{"code": "Reference", "targetProfile": list(el.target_profiles)}]
    if el.profiles is not None:
        types = [{"code": "Extension", "profile": list(el.profiles)}]
    if el.types is not None or el.target_profiles is not None or el.profiles is not None:
        fields["type"] = types
    if el.fixed is not None:
        fields[f"fixed{_suffix(node)}"] = el.fixed
    if el.pattern is not None:
        fields[f"pattern{_suffix(node)}"] = el.pattern
    if el.must_support:
        fields["mustSupport"] = True
    if el.binding is not None:
        fields["binding"] = _binding(el.binding)
    return fields


def constraint(invariant: Invariant, source: str) -> dict[str, Any]:
    """An ElementDefinition.constraint: Spanish human text, English as a translation."""
    return {
        "key": invariant.key,
        "severity": invariant.severity,
        "human": invariant.human_es,
        "_human": translation(invariant.human_en),
        "expression": invariant.expression,
        "source": source,
    }


def _apply(builder: SnapshotBuilder, layer: Profile) -> None:
    for el in layer.elements:
        node = builder.locate(el.path) if "." in el.path else builder.root
        fields = element_fields(el, node)
        node.data.update(fields)
        builder.touch(node, fields)
    for invariant in layer.invariants:
        node = builder.locate(invariant.path) if invariant.path else builder.root
        found = constraint(invariant, layer.url)
        node.data.setdefault("constraint", []).append(found)
        diff = node.diff.get("constraint", []) if node.diff and builder.recording else []
        builder.touch(node, {"constraint": [*diff, found]})


def _narrative(profile: Profile) -> dict[str, Any]:
    title, description = html.escape(profile.title), html.escape(profile.description)
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><p><b>{title}</b></p><p>{description}</p></div>'
    return {"status": "generated", "div": div}


def structure_definition(profile: Profile, layers: Sequence[Profile]) -> dict[str, Any]:
    """The StructureDefinition of a profile whose layers (base first) end with the profile itself."""
    builder = builder_for(profile.type, resource=profile.kind == "resource")
    for layer in layers:
        builder.recording = layer is profile
        _apply(builder, layer)
    root = builder.root
    root.data.update({"short": profile.title, "definition": profile.description})
    builder.touch(root, {"short": profile.title, "definition": profile.description})
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition",
        "id": profile.id,
        "language": "es",
        "text": _narrative(profile),
        "url": profile.url,
        "version": PROFILES_VERSION,
        "name": profile.name,
        "title": profile.title,
        "_title": translation(profile.title_en),
        "status": "active",
        "experimental": False,
        "publisher": PUBLISHER,
        "description": profile.description,
        "_description": translation(profile.description_en),
        "jurisdiction": [{"coding": [{"system": ISO3166, "code": "EC", "display": "Ecuador"}]}],
        "fhirVersion": "4.0.1",
        "kind": profile.kind,
        "abstract": False,
    }
    if profile.context:
        sd["context"] = [{"type": "element", "expression": expression} for expression in profile.context]
    sd |= {
        "type": profile.type,
        "baseDefinition": profile.base,
        "derivation": "constraint",
        "snapshot": {"element": builder.elements()},
        "differential": {"element": builder.differential()},
    }
    return sd
