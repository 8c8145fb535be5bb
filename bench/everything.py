"""Patient/$everything benchmark: one patient with a large record, then the time to fetch all of it.

Usage: python bench/everything.py BASE_URL [--token T] [--resources 2000] [--calls 30] [--count N]

Set-up (untimed, over HTTP): five Practitioners, an Organization, a Location and a Medication (PUT), a
new Patient, then transaction Bundles of 500 PUT entries that give the patient ``--resources`` resources
in its compartment: Encounters, vital-sign Observations (with performer and encounter), Conditions,
MedicationRequests (with a Medication reference) and Procedures, in proportion 2:12:2:2:2.
Timed: ``--calls`` calls of ``GET Patient/{id}/$everything`` (with ``_count`` when ``--count`` is given;
without it the server answers the whole record in one page) after three warm-up calls, each following
the ``next`` links until the record is complete.
Prints p50/p95/max per complete fetch, the pages and entries per fetch, and checks every fetch returned
the same number of distinct entries. Loopback only: the script refuses other hosts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

Resource = dict[str, Any]
BATCH = 500
MIX = (("Encounter", 2), ("Observation", 12), ("Condition", 2), ("MedicationRequest", 2), ("Procedure", 2))


def _ref(target: str) -> dict[str, str]:
    return {"reference": target}


def _resource(kind: str, res_id: str, patient: str, n: int) -> Resource:
    day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
    doctor = _ref(f"Practitioner/bench-dr-{n % 5}")
    subject = _ref(f"Patient/{patient}")
    if kind == "Encounter":
        return {"resourceType": kind, "id": res_id, "status": "finished", "subject": subject,
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "period": {"start": f"{day}T09:00:00-05:00", "end": f"{day}T09:30:00-05:00"},
                "participant": [{"individual": doctor}], "location": [{"location": _ref("Location/bench-loc")}],
                "serviceProvider": _ref("Organization/bench-org")}  # fmt: skip
    if kind == "Observation":
        return {"resourceType": kind, "id": res_id, "status": "final", "subject": subject,
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
                "effectiveDateTime": f"{day}T09:10:00-05:00", "performer": [doctor],
                "valueQuantity": {"value": 60 + n % 40, "unit": "/min", "system": "http://unitsofmeasure.org",
                                  "code": "/min"}}  # fmt: skip
    if kind == "Condition":
        return {"resourceType": kind, "id": res_id, "subject": subject, "recordedDate": day, "asserter": doctor,
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J02.9"}]}}  # fmt: skip
    if kind == "MedicationRequest":
        medication = _ref("Medication/bench-med")
        return {"resourceType": kind, "id": res_id, "status": "active", "intent": "order", "subject": subject,
                "medicationReference": medication, "authoredOn": day, "requester": doctor}  # fmt: skip
    return {"resourceType": kind, "id": res_id, "status": "completed", "subject": subject,
            "code": {"text": "curación"}, "performedDateTime": f"{day}T10:00:00-05:00",
            "performer": [{"actor": doctor}]}  # fmt: skip


def _put(client: httpx.Client, resource: Resource) -> None:
    response = client.put(f"{resource['resourceType']}/{resource['id']}", json=resource)
    if response.status_code not in (200, 201):
        sys.exit(f"PUT {resource['resourceType']}/{resource['id']}: {response.status_code} {response.text[:300]}")


def build_record(client: httpx.Client, resources: int) -> str:
    """Write the shared reference data and a new patient with ``resources`` resources; its id."""
    for n in range(5):
        _put(client, {"resourceType": "Practitioner", "id": f"bench-dr-{n}", "name": [{"family": f"Doctor{n}"}]})
    _put(client, {"resourceType": "Organization", "id": "bench-org", "name": "Consultorio"})
    _put(client, {"resourceType": "Location", "id": "bench-loc", "name": "Consultorio 1"})
    _put(client, {"resourceType": "Medication", "id": "bench-med", "code": {"text": "paracetamol"}})
    patient = f"bench-{uuid.uuid4().hex[:10]}"
    _put(client, {"resourceType": "Patient", "id": patient, "name": [{"family": "Benchmark"}],
                  "generalPractitioner": [_ref("Practitioner/bench-dr-0")],
                  "managingOrganization": _ref("Organization/bench-org")})  # fmt: skip
    cycle = [kind for kind, weight in MIX for _ in range(weight)]
    entries = []
    for n in range(resources - 1):  # the patient is one of the record's resources
        kind = cycle[n % len(cycle)]
        resource = _resource(kind, f"{patient}-{n}", patient, n)
        entries.append({"resource": resource, "request": {"method": "PUT", "url": f"{kind}/{resource['id']}"}})
    started = time.perf_counter()
    for first in range(0, len(entries), BATCH):
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries[first : first + BATCH]}
        response = client.post("", json=bundle, timeout=300)
        if response.status_code != 200:
            sys.exit(f"transaction: {response.status_code} {response.text[:300]}")
    print(f"wrote {len(entries) + 1} resources for Patient/{patient} in {time.perf_counter() - started:.1f} s")
    return patient


def fetch(client: httpx.Client, patient: str, count: int) -> tuple[int, int]:
    """Every page of the patient's record; (pages, distinct entries)."""
    url: str | None = f"Patient/{patient}/$everything" + (f"?_count={count}" if count else "")
    seen: set[str] = set()
    pages = 0
    while url is not None:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"$everything: {response.status_code} {response.text[:300]}")
        body = response.json()
        pages += 1
        for entry in body.get("entry", []):
            seen.add(entry["fullUrl"])
        url = next((link["url"] for link in body.get("link", []) if link["relation"] == "next"), None)
    return pages, len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url")
    parser.add_argument("--token")
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--count", type=int, default=0, help="page size (0: the server's default)")
    args = parser.parse_args()
    if urlsplit(args.base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback servers only")
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    with httpx.Client(base_url=args.base_url.rstrip("/") + "/", headers=headers, timeout=60) as client:
        patient = build_record(client, args.resources)
        shapes = {fetch(client, patient, args.count) for _ in range(3)}
        times = []
        for _ in range(args.calls):
            started = time.perf_counter()
            shapes.add(fetch(client, patient, args.count))
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"$everything _count={args.count or 'default'}: (pages, entries) per fetch {sorted(shapes)}")
    print(f"{args.calls} fetches: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    if len({entries for _, entries in shapes}) != 1:
        sys.exit("the fetches did not all return the same record")


if __name__ == "__main__":
    main()
