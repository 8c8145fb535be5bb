"""SIGKILL the server in the middle of consultation transactions: each is all there or not at all.

Short by default (3 kills per engine); FHIR_KILL_ROUNDS=20 runs the longer version.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port
from tests.faults.server import spawn

ROUNDS = int(os.environ.get("FHIR_KILL_ROUNDS", "3"))
TAG = "urn:fhir-server:test:consultation"
PER_CONSULTATION = 7  # Encounter, 3 Observations, ClinicalImpression, Condition, MedicationRequest
FHIR_JSON = {"Content-Type": "application/fhir+json"}
ROOT = Path(__file__).resolve().parents[1]


def _start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    # Crash consistency is the subject here, not authorization: an open server.
    return spawn(database_url, port)


def _consultation(n: int) -> dict[str, object]:
    tag = {"tag": [{"system": TAG, "code": f"c{n}"}]}
    patient = {"reference": "Patient/kp"}
    enc = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
    observation = lambda code, value, unit: {  # noqa: E731
        "resourceType": "Observation", "meta": tag, "status": "final", "subject": patient, "encounter": {"reference": enc},
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}  # fmt: skip
    resources = [
        (enc, {"resourceType": "Encounter", "meta": tag, "status": "finished", "class": {"code": "AMB"}, "subject": patient}),
        (None, observation("8310-5", 36.6, "Cel")),
        (None, observation("8867-4", 72, "/min")),
        (None, observation("29463-7", 70.5, "kg")),
        (None, {"resourceType": "ClinicalImpression", "meta": tag, "status": "completed", "subject": patient,
                "encounter": {"reference": enc}, "summary": f"Evolución {n}"}),
        (None, {"resourceType": "Condition", "meta": tag, "subject": patient, "encounter": {"reference": enc},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J06.9"}]}}),
        (None, {"resourceType": "MedicationRequest", "meta": tag, "status": "active", "intent": "order", "subject": patient,
                "encounter": {"reference": enc}, "medicationCodeableConcept": {"text": "Paracetamol 500 mg"}}),
    ]  # fmt: skip
    entries = [{"fullUrl": url or f"urn:uuid:00000000-0000-4000-9000-{n:06d}{i:06d}", "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]}} for i, (url, r) in enumerate(resources)]  # fmt: skip
    appointment = {"resourceType": "Appointment", "id": f"ka{n}", "status": "fulfilled",
                   "participant": [{"actor": patient, "status": "accepted"}]}  # fmt: skip
    entries.append({"resource": appointment, "request": {"method": "PUT", "url": f"Appointment/ka{n}"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.mark.slow
def test_killed_server_leaves_each_consultation_whole(storage, database_url):
    port = _free_port()
    base = f"http://127.0.0.1:{port}/fhir"
    process = _start(database_url, port)
    attempted: list[int] = []
    try:
        with httpx.Client(timeout=30) as http:
            http.put(
                f"{base}/Patient/kp", content=json.dumps({"resourceType": "Patient", "id": "kp"}), headers=FHIR_JSON
            )
            for n in range(200):
                appointment = {"resourceType": "Appointment", "id": f"ka{n}", "status": "booked",
                               "participant": [{"actor": {"reference": "Patient/kp"}, "status": "accepted"}]}  # fmt: skip
                http.put(f"{base}/Appointment/ka{n}", content=json.dumps(appointment), headers=FHIR_JSON)
        counter = iter(range(200))
        lock = threading.Lock()

        def client(stop: threading.Event, url: str) -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    with lock:
                        n = next(counter, None)
                    if n is None:
                        return
                    attempted.append(n)
                    try:
                        http.post(url, content=json.dumps(_consultation(n)), headers=FHIR_JSON)
                    except httpx.HTTPError:
                        return

        for _ in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(stop, base)) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(random.uniform(0.3, 1.2))
            process.send_signal(signal.SIGKILL)
            process.wait()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            process = _start(database_url, port)
        with httpx.Client(timeout=30) as http:
            assert http.get(f"{base}/Patient/kp").status_code == 200
            whole = 0
            for n in sorted(set(attempted)):
                found = http.get(base, params={"_tag": f"{TAG}|c{n}", "_summary": "count"}).json()["total"]
                status = http.get(f"{base}/Appointment/ka{n}").json()["status"]
                assert found in (0, PER_CONSULTATION), (n, found)
                assert status == ("fulfilled" if found else "booked"), (n, found, status)
                whole += found == PER_CONSULTATION
            assert whole > 0  # some consultations really committed before the kills
    finally:
        process.kill()
        process.wait()
