"""The scope grammar (v1 and v2), intersection, coverage and the role table."""

from __future__ import annotations

import pytest

from fhir_server.auth.policy import ROLE_CEILINGS, ROLES, effective_scopes, role_ceiling
from fhir_server.auth.scopes import ResourceScope, ScopeSet, parse_resource_scope

VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patient/Observation.rs", ("patient", "Observation", "rs", ())),
        ("user/*.cruds", ("user", "*", "cruds", ())),
        ("system/Patient.r", ("system", "Patient", "r", ())),
        ("patient/*.read", ("patient", "*", "rs", ())),
        ("user/Observation.write", ("user", "Observation", "cud", ())),
        ("user/*.*", ("user", "*", "cruds", ())),
        (f"patient/Observation.rs?category={VITALS}", ("patient", "Observation", "rs", (("category", VITALS),))),
    ],
)
def test_parses_v1_and_v2(text, expected):
    scope = parse_resource_scope(text)
    assert scope is not None
    assert scope.key == expected
    assert scope.render() == text  # echoed as asked


@pytest.mark.parametrize(
    "text",
    [
        "patient/Observation.dus",
        "patient/Observation.rr",
        "patient/Observation.x",
        "clinic/Patient.r",
        "patient/observation.r",
        "patient/Observation.rs?",
        "patient/Observation.rs?=x",
        "openid",
    ],
)
def test_rejects_malformed(text):
    assert parse_resource_scope(text) is None


def test_scope_set_keeps_known_others_and_drops_junk():
    scopes = ScopeSet.parse("openid fhirUser launch/patient offline_access patient/*.rs bogus patient/X.dus")
    assert scopes.others == ("openid", "fhirUser", "launch/patient", "offline_access")
    assert [s.render() for s in scopes.resources] == ["patient/*.rs"]
    assert "openid" in scopes
    assert scopes.has_patient_scopes


def test_write_does_not_imply_read():
    scopes = ScopeSet.parse("patient/Observation.c")
    assert scopes.allows("Observation", "create")
    assert not scopes.allows("Observation", "read")
    assert not scopes.allows("Observation", "search")


def test_read_and_search_are_separate():
    scopes = ScopeSet.parse("user/Patient.r")
    assert scopes.allows("Patient", "read")
    assert scopes.allows("Patient", "vread")
    assert scopes.allows("Patient", "history-instance")
    assert not scopes.allows("Patient", "search")
    assert not scopes.allows("Patient", "history-type")


def test_intersection_narrows_type_permissions_and_filters():
    requested = ScopeSet.parse("user/*.cruds openid")
    ceiling = ScopeSet.parse(f"user/Observation.crus?category={VITALS} user/Patient.rs")
    granted = requested.intersect(ceiling, keep_others=True)
    assert granted.render() == f"openid user/Observation.crus?category={VITALS} user/Patient.rs"


def test_intersection_keeps_the_narrower_context():
    granted = ScopeSet.parse("patient/Observation.rs").intersect(ScopeSet.parse("user/Observation.crus"))
    assert granted.render() == "patient/Observation.rs"
    # a patient's ceiling never widens to user/ scopes
    assert not ScopeSet.parse("user/Observation.rs").intersect(ScopeSet.parse("patient/*.rs"))


def test_intersection_echoes_v1_when_granted_unchanged():
    granted = ScopeSet.parse("patient/*.read").intersect(ScopeSet.parse("patient/*.rs"))
    assert granted.render() == "patient/*.read"


def test_intersection_without_keep_others_needs_both():
    granted = ScopeSet.parse("openid offline_access").intersect(ScopeSet.parse("openid"))
    assert granted.others == ("openid",)


def test_coverage_combines_letters_and_respects_filters():
    original = ScopeSet.parse("patient/Observation.r patient/Observation.s openid")
    assert original.covers(ScopeSet.parse("patient/Observation.rs openid"))
    assert not original.covers(ScopeSet.parse("patient/Observation.rus"))
    assert not original.covers(ScopeSet.parse("patient/Observation.rs offline_access"))
    filtered = ScopeSet.parse(f"patient/Observation.rs?category={VITALS}")
    assert not filtered.covers(ScopeSet.parse("patient/Observation.rs"))
    assert ScopeSet.parse("patient/Observation.rs").covers(filtered)
    assert ScopeSet.parse("user/*.rs").covers(ScopeSet.parse("patient/Condition.r"))


def test_for_type_lists_granular_scopes():
    scopes = ScopeSet.parse(f"patient/Observation.rs?category={VITALS} patient/Condition.rs")
    (vitals,) = scopes.for_type("Observation", "s")
    assert vitals.filters == (("category", VITALS),)
    assert scopes.for_type("Patient", "r") == ()
    assert ResourceScope("patient", "*", "rs").matches_type("Anything")


def test_every_role_has_a_parseable_ceiling_and_nobody_deletes():
    assert set(ROLE_CEILINGS) == set(ROLES)
    for role, text in ROLE_CEILINGS.items():
        ceiling = role_ceiling(role)
        assert len(ceiling.resources) == len(text.split()), role  # every scope in the table parses
        assert not any(s.allows("d") for s in ceiling.resources), role


@pytest.mark.parametrize(
    ("role", "type_name", "interaction", "allowed"),
    [
        ("secretaria", "Observation", "read", False),
        ("secretaria", "Appointment", "create", True),
        ("enfermera", "Condition", "create", False),
        ("enfermera", "Observation", "create", True),
        ("doctor", "ClinicalImpression", "create", True),
        ("doctor", "Observation", "delete", False),
        ("administrador", "Observation", "read", False),
        ("administrador", "Practitioner", "create", True),
        ("paciente", "Observation", "read", True),
        ("paciente", "Observation", "create", False),
        (None, "Patient", "read", False),
    ],
)
def test_role_ceilings(role, type_name, interaction, allowed):
    effective = effective_scopes(ScopeSet.parse("user/*.cruds patient/*.cruds"), role)
    assert effective.allows(type_name, interaction) is allowed


def test_nurse_writes_only_vital_signs():
    effective = effective_scopes(ScopeSet.parse("user/Observation.crus"), "enfermera")
    (scope,) = effective.for_type("Observation", "c")
    assert scope.filters == (("category", VITALS),)
