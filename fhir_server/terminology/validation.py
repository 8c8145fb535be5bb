"""$validate-code against a code system or a value set, answered as R4 Parameters (result, message, display).

A wrong display is a warning (result stays true); an unknown code, a code outside the value set or
an abstract code where abstract codes are not allowed make the result false.
https://hl7.org/fhir/R4/valueset-operation-validate-code.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_server.errors import Invalid
from fhir_server.i18n import translate
from fhir_server.terminology.codesystem import CodeSystemIndex, Concept
from fhir_server.terminology.expansion import Expansion
from fhir_server.terminology.lookup import held_system, parameters
from fhir_server.terminology.service import Terminology


@dataclass(frozen=True, slots=True)
class CodingInput:
    """One code to check, from ``code``+``system``, ``coding`` or one coding of ``codeableConcept``."""

    system: str | None
    code: str
    display: str | None = None
    version: str | None = None


def codings_from(
    code: str | None,
    system: str | None,
    display: str | None,
    coding: Any = None,
    codeable_concept: Any = None,
    version: str | None = None,
) -> list[CodingInput]:
    """Every coding a $validate-code request carries (400 when it carries none)."""
    found: list[CodingInput] = []
    if code:
        found.append(CodingInput(system, code, display, version))
    candidates = [coding] if isinstance(coding, dict) else []
    if isinstance(codeable_concept, dict) and isinstance(codeable_concept.get("coding"), list):
        candidates += [c for c in codeable_concept["coding"] if isinstance(c, dict)]
    for item in candidates:
        if isinstance(item.get("code"), str):
            found.append(CodingInput(item.get("system"), item["code"], item.get("display"), item.get("version")))
    if not found:
        raise Invalid("terminology-coding-required", code="required")
    return found


@dataclass(slots=True)
class _Verdict:
    ok: bool
    messages: list[str]
    display: str | None = None


def _check_concept(
    source: CodeSystemIndex,
    concept: Concept,
    given: CodingInput,
    language: str,
    display_language: str | None,
    abstract_ok: bool,
) -> _Verdict:
    verdict = _Verdict(True, [], source.display_for(concept, display_language))
    names = {"value": concept.code, "system": source.url}
    if given.display and not source.display_matches(concept, given.display):
        expected = verdict.display or ""
        verdict.messages.append(
            translate("terminology-display-wrong", language, {**names, "display": given.display, "expected": expected})
        )
    if concept.abstract and not abstract_ok:
        verdict.ok = False
        verdict.messages.append(translate("terminology-code-abstract", language, names))
    if concept.inactive:
        verdict.messages.append(translate("terminology-code-inactive", language, names))
    return verdict


def _in_system(
    source: CodeSystemIndex, given: CodingInput, language: str, display_language: str | None, abstract_ok: bool
) -> _Verdict:
    if given.system and given.system != source.url:
        return _Verdict(False, [translate("terminology-system-mismatch", language, {"given": given.system})])
    concept = source.get(given.code)
    if concept is None:
        message = "terminology-code-unknown" if source.complete else "terminology-code-unknown-fragment"
        return _Verdict(False, [translate(message, language, {"value": given.code, "system": source.url})])
    return _check_concept(source, concept, given, language, display_language, abstract_ok)


def _answer(verdicts: list[_Verdict]) -> dict[str, Any]:
    best = next((v for v in verdicts if v.ok), verdicts[0])
    messages = best.messages if best.ok else [m for v in verdicts for m in v.messages]
    return parameters(
        {"name": "result", "valueBoolean": best.ok},
        {"name": "message", "valueString": "; ".join(messages)} if messages else None,
        {"name": "display", "valueString": best.display} if best.display else None,
    )


def validate_in_code_system(
    terms: Terminology,
    url: str | None,
    codings: list[CodingInput],
    *,
    version: str | None = None,
    language: str = "es",
    display_language: str | None = None,
    abstract_ok: bool = True,
) -> dict[str, Any]:
    """CodeSystem/$validate-code: is each code in the code system (404 when the system is not held)?"""
    source = held_system(terms, url or codings[0].system, version or codings[0].version)
    return _answer([_in_system(source, c, language, display_language, abstract_ok) for c in codings])


def validate_in_value_set(
    terms: Terminology,
    expansion: Expansion,
    codings: list[CodingInput],
    *,
    language: str = "es",
    display_language: str | None = None,
    abstract_ok: bool = True,
) -> dict[str, Any]:
    """ValueSet/$validate-code: is some coding in the value set?"""
    name = expansion.url or "ValueSet"
    verdicts = []
    for given in codings:
        entry = expansion.find(given.system, given.code)
        if entry is not None and entry.source is not None:
            verdicts.append(_check_concept(entry.source, entry.concept, given, language, display_language, abstract_ok))
            continue
        if entry is not None:
            verdicts.append(_Verdict(True, [], entry.concept.display))
            continue
        names = {"value": given.code, "system": given.system or "-", "valueset": name}
        source = terms.code_system(given.system) if given.system else None
        if source is not None and source.complete and source.get(given.code) is None:
            message = translate("terminology-code-unknown", language, names)
        elif expansion.complete:
            message = translate("terminology-code-not-in-valueset", language, names)
        else:
            message = translate("terminology-code-not-in-valueset-unsure", language, names)
        verdicts.append(_Verdict(False, [message]))
    return _answer(verdicts)
