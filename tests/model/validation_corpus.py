"""A corpus for the validation differential test: valid resources and systematic invalid mutations.

Each case is (case id, resource as the server parses it). The outcome of ``validate`` on every case
is recorded in ``fixtures/validation_golden.json``; any change to what validation accepts or rejects,
or to the issues it reports, shows up as a difference.
"""

from __future__ import annotations

import copy
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fhir_server.errors import Invalid
from fhir_server.model.elements import choice_groups, elements_of
from fhir_server.model.json import loads
from fhir_server.model.r4_types import SERVED_TYPES
from fhir_server.model.validation import validate
from tests.clinic.builders import ec_patient, vital

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import synthea_like

Resource = dict[str, Any]
Case = tuple[str, Resource]
Outcome = list[list[Any]] | None

GOLDEN = Path(__file__).parent / "fixtures" / "validation_golden.json"

# Values put in place of every primitive: wrong formats, wrong JSON types, empties and nulls.
LEAF_PROBES: list[Any] = [
    "", " ", "x", "X", "bad id!", " lead", "a  b", "trail ", "line\n", "tab\tx", "ctl\u0001", "x" * 65,
    "2020-13-01", "2020-02-30", "2020", "2020-01", "20200101", "2020-01-01T10:00", "2020-01-01T10:00:00",
    "2020-01-01T25:00:00Z", "2020-01-01T10:00:00.123+05:00", "10:00", "25:00:00", "1.5", "01", "-0", "1e2",
    "urn:oid:1.2.x", "urn:uuid:abc", "http://a b", "Patient/1", "#x", "e3", "true",
    0, -1, 1, 2**31, 1.5, "1.50", True, False, None, {}, [], [None], ["x"], {"x": 1}, {"extension": []},
]  # fmt: skip
BAD_REFERENCES = [
    "Patient/", "Foo/1", "#missing", "Patient?identifier=x", "urn:uuid:bad", "Practitioner/p1", "Encounter/e1",
    "http://x/Patient/1", "http://x/fhir/Location/1/_history/2", "Patient/1/_history/", "patient/1", "Patient/a b",
    "urn:oid:1.2.3", "Basic/1", "Patient/" + "x" * 65,
]  # fmt: skip
NODE_PROBES: list[Any] = [None, {}, [], [None], "x", 1, True, {"bogus": 1}, {"id": "a"}, {"extension": []}]


def parsed(resource: Resource) -> Resource:
    """The resource as the server sees it: JSON text parsed with the server's reader."""
    value: Resource = loads(json.dumps(resource))
    return value


def synthea(patients: int = 3) -> list[Resource]:
    return [resource for _, _, resource in synthea_like.generate(patients)]


def clinic() -> list[Resource]:
    return [
        ec_patient("0102030405"),
        ec_patient("1710034065", gender="male", birthDate="1985"),
        vital("p1", "8867-4", 72, "latidos/min", "/min"),
        vital("p1", "29463-7", 70.5, "kg", "kg"),
        vital("p1", "8310-5", 36.6, "°C", "Cel"),
    ]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replace(resource: Resource, path: tuple[Any, ...], new: Any) -> Resource:
    copied = copy.deepcopy(resource)
    node: Any = copied
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = copy.deepcopy(new)
    return copied


def _delete(resource: Resource, path: tuple[Any, ...]) -> Resource:
    copied = copy.deepcopy(resource)
    node: Any = copied
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return copied


def _type_of(resource: Resource, path: tuple[Any, ...]) -> str | None:
    """The FHIR type name of the complex value at a path (None for primitives or unknown names)."""
    type_name: str | None = resource["resourceType"]
    for part in path:
        if isinstance(part, int):
            continue
        element = elements_of(type_name).get(part) if type_name else None
        type_name = element.type_name if element is not None else None
    return type_name


def mutations(name: str, base: Resource) -> Iterator[Case]:
    """Every systematic mutation of one valid resource."""
    for path, value in list(_paths(base)):
        if not path or path == ("resourceType",):
            continue
        where = "/".join(map(str, path))
        if isinstance(value, dict | list):
            for index, probe in enumerate(NODE_PROBES):
                yield f"{name}:{where}:node{index}", _replace(base, path, probe)
        else:
            for index, probe in enumerate(LEAF_PROBES):
                yield f"{name}:{where}:leaf{index}", _replace(base, path, probe)
        if isinstance(path[-1], str):
            yield f"{name}:{where}:deleted", _delete(base, path)
            yield f"{name}:{where}:ext-only", _replace(_delete(base, path), (*path[:-1], "_" + path[-1]), {"id": "e"})
            ext = {"extension": [{"url": "http://x", "valueString": "v"}]}
            yield f"{name}:{where}:ext-beside", _replace(base, (*path[:-1], "_" + path[-1]), ext)
        if path[-1] == "reference":
            for index, text in enumerate(BAD_REFERENCES):
                yield f"{name}:{where}:ref{index}", _replace(base, path, text)
        if isinstance(value, dict):
            yield f"{name}:{where}:unknown", _replace(base, (*path, "bogusElement"), "x")
            yield f"{name}:{where}:fhir_comments", _replace(base, (*path, "fhir_comments"), "x")
            type_name = _type_of(base, path)
            for group, names in choice_groups(type_name).items() if type_name else ():
                for other in names[:3]:
                    yield f"{name}:{where}:choice-{group}-{other}", _replace(base, (*path, other), "2020-01-01")
    yield f"{name}:unknown-top", {**base, "bogusElement": 1}
    yield f"{name}:resource_type", {**base, "resource_type": base["resourceType"]}
    for names in choice_groups(base["resourceType"]).values():
        for first, second in itertools.islice(itertools.combinations(names, 2), 4):
            yield f"{name}:choice2-{first}-{second}", {**base, first: "2020-01-01", second: "x"}
    contained = {"resourceType": "Basic", "id": "c1", "code": {"text": "x"}}
    yield f"{name}:contained-unserved", {**base, "contained": [contained]}
    yield f"{name}:contained-no-type", {**base, "contained": [{"id": "c1"}]}
    yield f"{name}:contained-wrong-type", {**base, "contained": [{"resourceType": "Patient", "id": 1}]}
    yield f"{name}:contained-ok", {**base, "contained": [{"resourceType": "Patient", "id": "c1", "active": True}]}
    yield (
        f"{name}:text-unsafe",
        {
            **base,
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>',
            },
        },
    )
    yield f"{name}:text-ok", {"text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">a</div>'}, **base}  # fmt: skip
    yield f"{name}:text-no-div", {**base, "text": {"status": "generated"}}
    yield f"{name}:text-bad-status", {**base, "text": {"status": "bogus", "div": "<div>a</div>"}}


def _mutation_bases() -> list[tuple[str, Resource]]:
    data = synthea(1)
    bases: list[tuple[str, Resource]] = []
    seen: set[str] = set()
    for resource in data:
        kind = resource["resourceType"] + ("-component" if "component" in resource else "")
        if kind not in seen:
            seen.add(kind)
            bases.append((kind, resource))
    bases += [("clinic-patient", clinic()[0]), ("clinic-vital", clinic()[2])]
    return bases


def local_cases() -> list[Case]:
    """Synthea-like data for 3 patients, clinic resources and the mutations of one of each kind."""
    cases: list[Case] = [(f"synthea:{i}", parsed(r)) for i, r in enumerate(synthea(3))]
    cases += [(f"clinic:{i}", parsed(r)) for i, r in enumerate(clinic())]
    for name, base in _mutation_bases():
        cases += [(case_id, parsed(resource)) for case_id, resource in mutations(name, base)]
    return cases


def spec_cases(spec_dir: Path, every: int = 8) -> list[Case]:
    """A sample of the R4 definition resources (StructureDefinitions, ValueSets, CodeSystems, ...)."""
    cases: list[Case] = []
    for file_name in ("profiles-types.json", "profiles-others.json", "valuesets.json", "search-parameters.json"):
        text = (spec_dir / file_name).read_text()
        bundle = loads(text)
        for index, entry in enumerate(bundle["entry"]):
            resource = entry["resource"]
            if index % every == 0 and resource.get("resourceType") in SERVED_TYPES:
                cases.append((f"{file_name}:{index}", resource))
    return cases


def outcome(resource: Resource) -> Outcome:
    """None when accepted, else every issue as [code, message id, expression, params]."""
    try:
        validate(resource)
    except Invalid as exc:
        return [
            [issue.code, issue.message, list(issue.expression), {k: str(v) for k, v in sorted(issue.params.items())}]
            for issue in exc.issues
        ]
    return None


def outcomes(cases: list[Case]) -> dict[str, Outcome]:
    return {case_id: outcome(resource) for case_id, resource in cases}


def write_golden(spec_dir: Path) -> None:
    """Record the current outcomes (run only with the validation code the golden file must describe)."""
    golden = {"local": outcomes(local_cases()), "spec": outcomes(spec_cases(spec_dir))}
    GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=0, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_golden(Path(sys.argv[1]))
