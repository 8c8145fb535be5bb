"""Validation accepts and rejects exactly what it did when the golden file was recorded.

The golden file (fixtures/validation_golden.json) holds, for every case of ``validation_corpus``
(Synthea-like data, clinic resources, a sample of the R4 definition resources and about 15,000
systematic invalid mutations), whether ``validate`` accepted it and, if not, every issue's code,
message id, expression and parameters. Speed work on the validator must leave it unchanged.
Regenerate only on purpose: ``python -m tests.model.validation_corpus <R4 spec dir>``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fhir_server.model.resources import pydantic_errors
from fhir_server.model.structure import structure_issues
from tests.model.validation_corpus import GOLDEN, Outcome, local_cases, outcomes, spec_cases


@cache
def _golden() -> dict[str, dict[str, Outcome]]:
    golden: dict[str, dict[str, Outcome]] = json.loads(GOLDEN.read_text())
    return golden


def _differences(expected: dict[str, Outcome], actual: dict[str, Outcome]) -> list[tuple[str, Any, Any]]:
    assert expected.keys() == actual.keys(), "the corpus changed: regenerate the golden file on purpose"
    return [(case, expected[case], actual[case]) for case in expected if expected[case] != actual[case]]


def test_corpus_covers_accepts_and_rejects() -> None:
    local = _golden()["local"]
    accepted = sum(1 for result in local.values() if result is None)
    assert len(local) > 10_000
    assert 1_000 < accepted < len(local) - 5_000
    reasons = {issue[1] for result in local.values() if result for issue in result}
    assert {"element-invalid", "element-unknown", "choice-multiple", "code-not-allowed", "json-type"} <= reasons


def test_local_corpus_matches_golden() -> None:
    differences = _differences(_golden()["local"], outcomes(local_cases()))
    assert not differences, differences[:5]


def test_validating_twice_gives_the_same_outcomes() -> None:
    """Anything cached by the validator must not change a later verdict."""
    cases = local_cases()
    first, second = outcomes(cases), outcomes(cases)
    assert first == second


def test_r4_definition_resources_match_golden(r4_spec: Path) -> None:
    differences = _differences(_golden()["spec"], outcomes(spec_cases(r4_spec)))
    assert not differences, differences[:5]


def _model_path(type_name: str, loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the FHIRPath the walker reports (``line__ext`` is ``_line``)."""
    path = type_name
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = str(part)
        name = "_" + name.removesuffix("__ext") if name.endswith("__ext") else name.removesuffix("_fhir")
        path += f".{name}"
    return path


def test_the_models_own_checks_agree_with_fhir_resources() -> None:
    """The walker does the fhir.resources model's checks without building the model; the model stays the
    reference: on every case without a structural issue, both refuse the same elements with the same words."""
    compared = refused = 0
    for case_id, resource in local_cases():
        ours = structure_issues(resource)
        if any(set(issue.params) != {"element", "detail"} for issue in ours):
            continue  # a structural issue: the model is not asked
        compared += 1
        theirs = sorted(
            (_model_path(resource["resourceType"], tuple(e["loc"])), e["msg"]) for e in pydantic_errors(resource)
        )
        refused += bool(theirs)
        assert sorted((i.params["element"], i.params["detail"]) for i in ours) == theirs, case_id
    assert compared > 1_000 and refused > 300
