"""What clinic-profile validation adds to a write, measured over HTTP on a running server.

Usage: python bench/profiles.py BASE_URL [--writes N]

Alternates, on one keep-alive connection, creates of the same resource with and without the clinic
profile in meta.profile (Patient with cédula and coded geography, a body temperature, a diagnosis
coded in CIE-10), so both series share the server's state; prints p50 and mean latency of each and
the difference. Needs `fhir-server load-terminology` (the geography and CIE-10 checks use it).
Target (issue 6): validation adds under 1 ms to a write. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

BASE = "https://fhir.consultorio.ec/fhir"


def cedula() -> str:
    digits = [*divmod(random.randint(1, 24), 10), random.randint(0, 5), *(random.randint(0, 9) for _ in range(6))]
    total = sum(d * c - 9 * (d * c > 9) for d, c in zip(digits, (2, 1, 2, 1, 2, 1, 2, 1, 2), strict=True))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def coded(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def patient() -> dict[str, Any]:
    dpa = f"{BASE}/CodeSystem/ec-dpa"
    return {
        "resourceType": "Patient",
        "meta": {"profile": [f"{BASE}/StructureDefinition/ec-patient"]},
        "identifier": [{"use": "official", "type": coded("http://terminology.hl7.org/CodeSystem/v2-0203", "NI"),
                        "system": f"{BASE}/sid/ec-cedula", "value": cedula()}],
        "name": [{"use": "official", "family": "Pérez Gómez", "given": ["Ana"], "_family": {"extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family", "valueString": "Pérez"},
            {"url": "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family", "valueString": "Gómez"}]}}],
        "gender": "female",
        "birthDate": "1990-05-10",
        "address": [{"extension": [
            {"url": f"{BASE}/StructureDefinition/address-ec-provincia", "valueCoding": {"system": dpa, "code": "17"}},
            {"url": f"{BASE}/StructureDefinition/address-ec-canton", "valueCoding": {"system": dpa, "code": "1701"}},
        ], "city": "Quito", "country": "EC"}],
    }  # fmt: skip


def temperature(subject: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": {"profile": [f"{BASE}/StructureDefinition/ec-bodytemp"]},
        "status": "final",
        "category": [coded("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")],
        "code": coded("http://loinc.org", "8310-5"),
        "subject": {"reference": subject},
        "effectiveDateTime": "2026-11-30T09:10:00-05:00",
        "valueQuantity": {"value": 36.8, "unit": "°C", "system": "http://unitsofmeasure.org", "code": "Cel"},
    }


def diagnosis(subject: str, encounter: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [f"{BASE}/StructureDefinition/ec-diagnostico"]},
        "clinicalStatus": coded("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
        "verificationStatus": coded("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
        "category": [coded("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")],
        "code": coded("http://hl7.org/fhir/sid/icd-10", "J06.9"),
        "subject": {"reference": subject},
        "encounter": {"reference": encounter},
    }


class Client:
    def __init__(self, base: str) -> None:
        url = urlsplit(base)
        if url.hostname not in ("127.0.0.1", "localhost"):
            sys.exit("bench/profiles.py only drives a server on the loopback address")
        self.path = url.path.rstrip("/")
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 80)

    def post(self, resource: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        body = json.dumps(resource)
        started = time.perf_counter()
        self.connection.request(
            "POST", f"{self.path}/{resource['resourceType']}", body, {"Content-Type": "application/fhir+json"}
        )
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 201:
            sys.exit(f"{resource['resourceType']}: HTTP {response.status} {payload[:300]!r}")
        return elapsed, json.loads(payload)


def unclaimed(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "meta"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--writes", type=int, default=1500, help="writes per series and resource type")
    args = parser.parse_args()
    client = Client(args.base_url)
    _, subject = client.post(unclaimed(patient()))
    _, encounter = client.post({"resourceType": "Encounter", "status": "in-progress",
                                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                                "subject": {"reference": f"Patient/{subject['id']}"}})  # fmt: skip
    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "Patient (ec-patient)": patient,
        "Observation (ec-bodytemp)": lambda: temperature(f"Patient/{subject['id']}"),
        "Condition (ec-diagnostico)": lambda: diagnosis(f"Patient/{subject['id']}", f"Encounter/{encounter['id']}"),
    }
    columns = ("claimed p50", "plain p50", "Δ p50", "claimed mean", "plain mean", "Δ mean")
    print(f"{'resource (ms)':28} " + " ".join(f"{column:>12}" for column in columns))
    for name, make in makers.items():
        claimed: list[float] = []
        plain: list[float] = []
        for _ in range(args.writes):
            claimed.append(client.post(make())[0] * 1000)
            plain.append(client.post(unclaimed(make()))[0] * 1000)
        c50, p50 = statistics.median(claimed), statistics.median(plain)
        cm, pm = statistics.fmean(claimed), statistics.fmean(plain)
        print(f"{name:28} " + " ".join(f"{value:12.2f}" for value in (c50, p50, c50 - p50, cm, pm, cm - pm)))


if __name__ == "__main__":
    main()
