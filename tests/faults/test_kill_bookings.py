"""SIGKILL the server while clients race for the same slots and the same conditional-create identifiers.

After each restart: no Slot and no practitioner time held by two active Appointments (docs/adr/0005),
no identifier created twice by If-None-Exist, and every write the server acknowledged (2xx) is there.
Short by default (two kills per engine); FHIR_FAULT_FULL=1 kills six times and loads longer.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.server import FHIR_JSON, FULL, Server, count_by_identifier, report

pytestmark = pytest.mark.slow
KILLS = 6 if FULL else 2
WRITES_BEFORE_KILL = 40 if FULL else 10  # acknowledged (2xx) answers each round waits for before its kill
SLOTS = 4  # few slots, several bookers: every booking contends
PATIENTS = 6
IDENTIFIERS = 12  # values shared by every conditional creator (per round)
SYSTEM = "urn:fhir-server:test:kill-bookings"
ACTIVE = frozenset({"proposed", "pending", "booked", "arrived", "checked-in", "waitlist"})
DOCTOR = "Practitioner/kb-dr"


class KillableServer(Server):
    """The server in its own process group, so a SIGKILL takes its workers down with it."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int = 1) -> None:
        super().__init__(database_url, log_dir, workers=workers, new_session=True)


@dataclass
class Seen:
    """What the clients were told, shared between threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    booked: dict[str, str] = field(default_factory=dict)  # acknowledged appointment id -> slot id
    cancelled: set[str] = field(default_factory=set)  # acknowledged cancellations
    created: dict[str, str] = field(default_factory=dict)  # acknowledged identifier value -> Patient id
    errors: list[str] = field(default_factory=list)  # 500s, and conditional creates answering two ids


def _slot_start(n: int) -> str:
    return f"2027-05-03T{8 + n:02d}:00:00-05:00"


def _seed(base: str) -> None:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Practitioner", "id": "kb-dr", "name": [{"family": "Andrade"}]},
        {"resourceType": "Schedule", "id": "kb-s", "actor": [{"reference": DOCTOR}]},
    ]
    for n in range(SLOTS):
        start = _slot_start(n)
        resources.append({"resourceType": "Slot", "id": f"kb-slot-{n}", "schedule": {"reference": "Schedule/kb-s"},
                          "status": "free", "start": start, "end": start.replace(":00:00-", ":30:00-")})  # fmt: skip
    resources += [{"resourceType": "Patient", "id": f"kb-p{n}"} for n in range(PATIENTS)]
    with httpx.Client(timeout=30) as http:
        for resource in resources:
            url = f"{base}/{resource['resourceType']}/{resource['id']}"
            assert http.put(url, json=resource, headers=FHIR_JSON).status_code in (200, 201)


class Traffic:
    """Booker and conditional-creator threads against the server until ``stop()`` (or the kill)."""

    def __init__(self, base: str, seen: Seen, seed: int) -> None:
        self.base = base
        self.seen = seen
        self.prefix = f"k{seed}-"  # fresh identifiers each round: the creators race for them right away
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._booker, args=(seed + n,), daemon=True) for n in range(4)]
        self.threads += [threading.Thread(target=self._creator, args=(seed + 10 + n,), daemon=True) for n in range(3)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(timeout=20)

    def _send(self, http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            response = http.request(method, f"{self.base}{path}", **kwargs)
        except httpx.HTTPError:
            time.sleep(0.02)  # the server is down (killed): wait for the next one
            return None
        with self.seen.lock:
            self.seen.statuses[response.status_code] += 1
            if response.status_code == 500:
                self.seen.errors.append(f"500 on {method} {path}: {response.text[:300]}")
        return response

    def _booker(self, seed: int) -> None:
        rng = random.Random(seed)
        mine: list[str] = []
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                if mine and rng.random() < 0.35:
                    appointment = mine.pop(rng.randrange(len(mine)))
                    patch = [{"op": "replace", "path": "/status", "value": "cancelled"},
                             {"op": "add", "path": "/cancelationReason", "value": {"text": "prueba"}}]  # fmt: skip
                    headers = {"Content-Type": "application/json-patch+json"}
                    response = self._send(http, "PATCH", f"/Appointment/{appointment}", json=patch, headers=headers)
                    if response is not None and response.status_code == 200:
                        with self.seen.lock:
                            self.seen.cancelled.add(appointment)
                    continue
                slot = f"kb-slot-{rng.randrange(SLOTS)}"
                body = {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot}"}],
                        "participant": [{"actor": {"reference": f"Patient/kb-p{rng.randrange(PATIENTS)}"},
                                         "status": "accepted"},
                                        {"actor": {"reference": DOCTOR}, "status": "accepted"}]}  # fmt: skip
                response = self._send(http, "POST", "/Appointment", json=body, headers=FHIR_JSON)
                if response is not None and response.status_code == 201:
                    appointment = response.json()["id"]
                    mine.append(appointment)
                    with self.seen.lock:
                        self.seen.booked[appointment] = slot

    def _creator(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=10) as http:
            while not self._stop.is_set():
                value = f"{self.prefix}{rng.randrange(IDENTIFIERS)}"
                body = {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": value}]}
                headers = {**FHIR_JSON, "If-None-Exist": f"identifier={SYSTEM}|{value}"}
                response = self._send(http, "POST", "/Patient", json=body, headers=headers)
                if response is not None and response.status_code in (200, 201):
                    created = response.json()["id"]
                    with self.seen.lock:
                        previous = self.seen.created.setdefault(value, created)
                        if previous != created:  # every answer for one identifier names the same Patient
                            self.seen.errors.append(f"identifier {value} answered Patient/{previous} and /{created}")


def _every(http: httpx.Client, url: str | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while url:
        response = http.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        found += [entry["resource"] for entry in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)
    return found


def _check(base: str, seen: Seen) -> tuple[list[str], str]:
    """Problems found after the kills, and a summary of what was there."""
    problems: list[str] = []
    with httpx.Client(timeout=60) as http:
        appointments = _every(http, f"{base}/Appointment?actor={DOCTOR}&_count=500")
        slots = {s["id"]: s["status"] for s in _every(http, f"{base}/Slot?schedule=Schedule/kb-s&_count=100")}
        identifiers = count_by_identifier(http, base, SYSTEM)
    active = [a for a in appointments if a["status"] in ACTIVE]
    per_slot = Counter(s["reference"] for a in active for s in a.get("slot", []))
    problems += [f"Slot {slot} held by {n} active appointments" for slot, n in per_slot.items() if n > 1]
    spans = sorted((a["start"], a["end"], a["id"]) for a in active)
    problems += [f"{DOCTOR} double-booked: {one[2]} and {two[2]} overlap"
                 for one, two in itertools.pairwise(spans) if two[0] < one[1]]  # fmt: skip
    status = {a["id"]: a["status"] for a in appointments}
    for appointment, slot in seen.booked.items():
        if appointment not in status:
            problems.append(f"acknowledged booking Appointment/{appointment} of {slot} is missing")
        elif appointment in seen.cancelled and status[appointment] != "cancelled":
            problems.append(f"acknowledged cancellation of Appointment/{appointment} is lost")
        elif status[appointment] not in ("booked", "cancelled"):
            problems.append(f"Appointment/{appointment} is {status[appointment]}")
    busy = {s for s, st in slots.items() if st == "busy"}
    held = {ref.removeprefix("Slot/") for ref in per_slot}
    if busy != held:
        problems.append(f"Slots busy {sorted(busy)} but held by appointments {sorted(held)}")
    problems += [f"identifier {value} created {n} times" for value, n in identifiers.items() if n > 1]
    problems += [f"acknowledged conditional create {value} is missing" for value in seen.created
                 if value not in identifiers]  # fmt: skip
    problems += seen.errors
    summary = (f"{len(seen.booked)} bookings and {len(seen.cancelled)} cancellations acknowledged, "
               f"{len(appointments)} appointments stored ({len(active)} active on {len(per_slot)} of {SLOTS} slots), "
               f"{len(seen.created)} identifiers acknowledged, {len(identifiers)} stored")  # fmt: skip
    return problems, summary


def _wait_for_writes(seen: Seen, count: int, timeout: float = 20) -> None:
    """Until ``count`` more writes are acknowledged: each kill then lands in running traffic, however slow the machine."""
    with seen.lock:
        target = sum(n for status, n in seen.statuses.items() if 200 <= status < 300) + count
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with seen.lock:
            if sum(n for status, n in seen.statuses.items() if 200 <= status < 300) >= target:
                return
        time.sleep(0.02)


def test_kill_during_contended_bookings(storage: Any, database_url: str, tmp_path: Path, capsys: Any) -> None:
    del storage  # migrated and emptied: the server subprocess works on the same database
    server = KillableServer(database_url, tmp_path, workers=2).start()
    seen = Seen()
    found: list[str] = []
    try:
        _seed(server.base)
        for kill in range(KILLS):
            traffic = Traffic(server.base, seen, seed=100 * kill)
            _wait_for_writes(seen, WRITES_BEFORE_KILL)
            time.sleep(random.uniform(0.0, 1.0 if FULL else 0.3))
            server.kill()
            traffic.stop()
            server.start()
            problems, summary = _check(server.base, seen)
            found.append(f"after kill {kill + 1}: {summary}; problems: {problems or 'none'}")
            assert not problems, "\n".join(found)
        engine = database_url.split(":", 1)[0].split("+")[0]
        report(capsys, f"SIGKILL x{KILLS} during bookings ({engine}): statuses {dict(sorted(seen.statuses.items()))}\n"
                       + "\n".join(found))  # fmt: skip
        assert seen.booked and seen.created, "no write was acknowledged before the kills: the test proved nothing"
    finally:
        server.kill()
