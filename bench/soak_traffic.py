"""The soak's traffic: seed data, the request mix, and one client process that records what it saw.

Each client keeps one keep-alive HTTP/1.1 connection (``lean_http``: the clients share the 2 cores with the
server, so they parse only the responses they need) and runs until the deadline. Every acknowledged write
(2xx) is remembered so the consistency check can look for it afterwards.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from lean_http import LeanConnection

SLOTS = 24  # few slots, many bookers: bookings contend for the same slots all the time
PATIENTS = 200
CONDITIONAL_POOL = 400  # identifier values shared by every client's conditional creates
COND_SYSTEM = "urn:fhir-server:soak:cond"
FAMILIES = ["Pérez", "Guamán", "Núñez", "Quishpe", "Andrade", "Zambrano", "Torres", "Vera"]
# Weights of each mix (per hundred requests). "writes" is write-heavy (38 % writes, a stress mix);
# "clinic" is a clinic's working day: the front end reads agendas, records and searches far more
# often than it books or records (15 % writes, every kind still present).
MIXES = {
    "writes": {"read": 40, "search": 22, "create": 10, "conditional": 8, "transaction": 8, "booking": 8, "cancel": 4},
    "clinic": {"read": 55, "search": 30, "create": 5, "conditional": 2, "transaction": 3, "booking": 3, "cancel": 2},
}


@dataclass
class Target:
    host: str
    port: int
    path: str
    token: str | None


@dataclass
class ClientReport:
    """What one client process saw."""

    # (kind, when the request was due or sent, its latency): the due time is on the clock all client
    # processes share, so the report can line their requests up second by second
    timeline: list[tuple[str, float, float]] = field(default_factory=list)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: int = 0  # connection-level failures (no HTTP status)
    created: list[tuple[str, str]] = field(default_factory=list)  # (type, id) acknowledged
    conditional: set[str] = field(default_factory=set)  # identifier values acknowledged
    booked: dict[str, str] = field(default_factory=dict)  # appointment id -> slot id
    cancelled: set[str] = field(default_factory=set)
    cpu_s: float = 0.0  # CPU the client process used (the load generator's own cost)


def headers(target: Target, content_type: str | None = None) -> dict[str, str]:
    result = {"Accept": "application/fhir+json"}
    if content_type:
        result["Content-Type"] = content_type
    if target.token:
        result["Authorization"] = f"Bearer {target.token}"
    return result


def slot_start(n: int) -> str:
    return f"2027-03-{1 + n // 8:02d}T{8 + n % 8:02d}:00:00-05:00"


def seed_resources() -> list[dict[str, Any]]:
    """Practitioner, schedule, free slots and patients the traffic works on (PUT, idempotent)."""
    resources: list[dict[str, Any]] = [
        {"resourceType": "Practitioner", "id": "soak-dr", "name": [{"family": "Andrade"}]},
        {"resourceType": "Schedule", "id": "soak-s", "actor": [{"reference": "Practitioner/soak-dr"}]},
    ]
    for n in range(SLOTS):
        start = slot_start(n)
        resources.append({"resourceType": "Slot", "id": f"soak-slot-{n}", "schedule": {"reference": "Schedule/soak-s"},
                          "status": "free", "start": start, "end": start.replace(":00:00-", ":30:00-")})  # fmt: skip
    for n in range(PATIENTS):
        resources.append({"resourceType": "Patient", "id": f"soak-p{n}", "gender": "female" if n % 2 else "male",
                          "name": [{"family": FAMILIES[n % len(FAMILIES)], "given": [f"Paciente{n}"]}]})  # fmt: skip
    return resources


def _observation(patient: str, encounter: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation", "status": "final", "subject": {"reference": patient},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "valueQuantity": {"value": random.randint(50, 120), "unit": "/min", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
    }  # fmt: skip
    if encounter:
        body["encounter"] = {"reference": encounter}
    return body


def _transaction(patient: str) -> dict[str, Any]:
    encounter = f"urn:uuid:{uuid.uuid4()}"
    entries = [{"fullUrl": encounter, "request": {"method": "POST", "url": "Encounter"},
                "resource": {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
                             "subject": {"reference": patient}}}]  # fmt: skip
    for _ in range(2):
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "request": {"method": "POST", "url": "Observation"},
                        "resource": _observation(patient, encounter)})  # fmt: skip
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _created_from(location: str | None) -> tuple[str, str] | None:
    # Location: <base>/<Type>/<id>/_history/<version>
    if not location:
        return None
    parts = location.split("/_history/")[0].rstrip("/").split("/")
    return (parts[-2], parts[-1]) if len(parts) >= 2 else None


class Client:
    """One simulated client: a connection and the record of its requests."""

    def __init__(self, target: Target, seed: int, mix: dict[str, int]) -> None:
        self.target = target
        self.kinds = list(mix)
        self.weights = list(mix.values())
        self.rng = random.Random(seed)
        self.report = ClientReport()
        self.connection = LeanConnection(target.host, target.port, timeout=30)
        # When paced, the time the next request was scheduled for: its latency counts from then, so a
        # server that falls behind the offered rate shows it (no coordinated omission).
        self.scheduled: float | None = None

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        extra: dict[str, str] | None = None,
        *,
        parse: bool = False,
    ) -> Any:
        """The 2xx answer as (response, parsed JSON when ``parse``), or None."""
        content_type = "application/json-patch+json" if method == "PATCH" else "application/fhir+json"
        request_headers = headers(self.target, content_type if body is not None else None) | (extra or {})
        payload = json.dumps(body).encode() if body is not None else None
        started = self.scheduled if self.scheduled is not None else time.perf_counter()
        self.scheduled = None
        try:
            response = self.connection.request(method, self.target.path + path, payload, request_headers)
        except (OSError, ValueError):
            self.report.failures += 1
            self.connection.close()
            return None
        self.report.timeline.append((kind, started, time.perf_counter() - started))
        self.report.statuses.setdefault(kind, Counter())[response.status] += 1
        if not 200 <= response.status < 300:
            return None
        if response.body and not response.body.startswith(b"{"):
            self.report.failures += 1  # a 2xx whose body is not a JSON object
            return None
        return (response, json.loads(response.body) if parse and response.body else None)

    def patient(self) -> str:
        return f"Patient/soak-p{self.rng.randrange(PATIENTS)}"

    def step(self) -> None:
        kind = self.rng.choices(self.kinds, weights=self.weights)[0]
        getattr(self, f"_{kind}")()

    def _read(self) -> None:
        self.call("read", "GET", f"/{self.patient()}")

    def _search(self) -> None:
        if self.rng.random() < 0.5:
            self.call("search", "GET", f"/Patient?family={quote(self.rng.choice(FAMILIES))}&_count=10")
        else:
            self.call("search", "GET", f"/Observation?subject={self.patient()}&_count=10&_sort=-_lastUpdated")

    def _create(self) -> None:
        answer = self.call("create", "POST", "/Observation", _observation(self.patient()), parse=True)
        if answer:
            self.report.created.append(("Observation", answer[1]["id"]))

    def _conditional(self) -> None:
        value = f"c{self.rng.randrange(CONDITIONAL_POOL)}"
        body = {"resourceType": "Patient", "identifier": [{"system": COND_SYSTEM, "value": value}],
                "name": [{"family": self.rng.choice(FAMILIES)}]}  # fmt: skip
        extra = {"If-None-Exist": f"identifier={COND_SYSTEM}|{value}"}
        if self.call("conditional", "POST", "/Patient", body, extra):
            self.report.conditional.add(value)

    def _transaction(self) -> None:
        answer = self.call("transaction", "POST", "", _transaction(self.patient()), parse=True)
        if answer:
            for entry in answer[1].get("entry", []):
                created = _created_from(entry.get("response", {}).get("location"))
                if created:
                    self.report.created.append(created)

    def _booking(self) -> None:
        slot = f"soak-slot-{self.rng.randrange(SLOTS)}"
        body = {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot}"}],
                "participant": [{"actor": {"reference": self.patient()}, "status": "accepted"},
                                {"actor": {"reference": "Practitioner/soak-dr"}, "status": "accepted"}]}  # fmt: skip
        answer = self.call("booking", "POST", "/Appointment", body, parse=True)
        if answer:
            self.report.booked[answer[1]["id"]] = slot

    def _cancel(self) -> None:
        live = [aid for aid in self.report.booked if aid not in self.report.cancelled]
        if not live:
            self._booking()
            return
        aid = self.rng.choice(live)
        patch = [{"op": "replace", "path": "/status", "value": "cancelled"},
                 {"op": "add", "path": "/cancelationReason", "value": {"text": "soak"}}]  # fmt: skip
        if self.call("cancel", "PATCH", f"/Appointment/{aid}", patch):
            self.report.cancelled.add(aid)


def run_client(
    target: Target, seed: int, mix: str, seconds: float, barrier: Any, results: Any, rate: float = 0, warmup: float = 0
) -> None:
    """Process entry point: wait for the others, run the mix until the deadline, send the report.

    ``rate`` > 0 paces this client at that many requests per second (open loop); 0 sends each request
    as soon as the last one is answered (closed loop). The first ``warmup`` seconds are not timed; their
    writes are still checked."""
    client = Client(target, seed, MIXES[mix])
    barrier.wait()
    measured_from = time.monotonic() + warmup
    deadline = measured_from + seconds
    interval = 1 / rate if rate > 0 else 0.0
    next_at = time.perf_counter() + client.rng.random() * interval  # clients start spread over one interval
    warming = warmup > 0
    while (now := time.monotonic()) < deadline:
        if warming and now >= measured_from:
            warming = False
            client.report.timeline.clear()
            client.report.statuses.clear()
        if interval:
            wait = next_at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            client.scheduled = next_at
            next_at += interval
        client.step()
    client.connection.close()
    client.report.cpu_s = time.process_time()
    results.put(client.report)
