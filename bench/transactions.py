"""Transaction and booking benchmark: Synthea-style transaction Bundles, then a booking storm on a few Slots.

Usage: python bench/transactions.py BASE_URL [--token T] [--bundles 20] [--patients 1] [--clients 1,4]
                                   [--storm-clients 200] [--storm-slots 20] [--skip-import] [--skip-storm]

Import: one transaction Bundle per ``--patients`` patients of ``synthea_like`` (about 270 entries per
patient: the Patient, its Encounters, vital-sign Observations, Conditions and past Appointments). Every
entry is a POST with a ``urn:uuid:`` fullUrl, and references between entries are those urns;
Practitioners are referenced conditionally (``Practitioner?identifier=<cédula>``) and Locations by id,
both PUT once beforehand (untimed). Future (booked) Appointments are left out: across Bundles they would
collide in the practitioners' agendas, and the server rightly refuses double bookings. For each count in
``--clients``, that many processes (fork), each with one keep-alive connection, POST ``--bundles``
Bundles each; every body is serialised before the clock starts. Prints resources/s (entries committed),
bundles/s and p50/p95 latency per Bundle; every answer must be 200 with a 201 for each entry.

Booking storm: a new Practitioner and Schedule, ``--storm-slots`` free 30-minute Slots made by
``Schedule/{id}/$generate-slots`` and one Patient per client; then ``--storm-clients`` threads, each with
its own keep-alive connection, try to book every Slot once, each in its own random order, with
``PUT Appointment/<new id>`` (status booked, the client's Patient, the Practitioner and the Slot; the
server takes start and end from the Slot). Prints bookings/s, attempts/s and the answers (201 booked,
409 taken), then checks from the server that no Slot has two booked Appointments, that none of the
Practitioner's booked Appointments overlap and that every Slot is busy.

Loopback only: the script refuses other hosts. Every run creates new resources (fresh urns and ids), so
it can be repeated against the same server.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import multiprocessing as mp
import queue
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import synthea_like as data

Resource = dict[str, Any]
# The practitioners and locations every Bundle refers to: always the same ones.
SHARED_SEED = 1
# Appointment statuses that claim the practitioner's time (fhir_server/storage/claims.py).
ACTIVE = frozenset({"proposed", "pending", "booked", "arrived", "checked-in"})
SLOT_MINUTES = 30
DAY_OPENS = 7  # storm slots run from 07:00, at most until 21:00 on a day
SLOTS_PER_DAY = (21 - DAY_OPENS) * 60 // SLOT_MINUTES
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Target:
    host: str
    port: int
    path: str
    token: str | None

    @property
    def root(self) -> str:
        """The path to POST transactions to."""
        return self.path or "/"


def _headers(target: Target, body: bool) -> dict[str, str]:
    # English diagnostics, so that 409 reasons can be told apart.
    headers = {"Accept": "application/fhir+json", "Accept-Language": "en"}
    if body:
        headers["Content-Type"] = "application/fhir+json"
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    return headers


def _connect(target: Target) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(target.host, target.port, timeout=300)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class Client:
    """One keep-alive connection for setup and checks; a request the server never saw (closed idle
    connection) is sent again on a new connection."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.connection = _connect(target)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, bytes]:
        """(status, parsed JSON or None, raw body)."""
        payload = None if body is None else body if isinstance(body, bytes) else _dumps(body)
        for attempt in range(2):
            try:
                self.connection.request(method, path, payload, _headers(self.target, payload is not None))
                response = self.connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = _connect(self.target)
                if attempt == 1:
                    raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, raw

    def close(self) -> None:
        self.connection.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = fraction * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def _diagnostics(raw: bytes) -> str:
    try:
        outcome = json.loads(raw)
        issue = outcome["issue"][0]
        return str(issue.get("diagnostics") or issue.get("details", {}).get("text") or issue.get("code"))
    except (ValueError, KeyError, IndexError, TypeError):
        return raw[:300].decode(errors="replace")


# ---------------------------------------------------------------------------------------- import


def shared_bundle() -> bytes:
    """Practitioners and Locations as PUT entries of one transaction (idempotent)."""
    entries = [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in data.practitioners(SHARED_SEED) + data.locations(SHARED_SEED)
    ]
    return _dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def practitioner_links() -> dict[str, str]:
    """``Practitioner/prac-001`` -> ``Practitioner?identifier=<system>|<cédula>`` (a conditional reference)."""
    return {
        f"Practitioner/{p['id']}": "Practitioner?identifier="
        + quote(f"{p['identifier'][0]['system']}|{p['identifier'][0]['value']}", safe="|:/")
        for p in data.practitioners(SHARED_SEED)
    }


def patient_resources(k: int, seed: int) -> list[Resource]:
    """Patient k's record as synthea_like makes it, minus the appointments that claim agenda time."""
    return [
        data.patient(k, seed),
        *data.encounters(k, seed),
        *data.observations(k, seed),
        *data.conditions(k, seed),
        *(a for a in data.appointments(k, seed) if a["status"] not in ACTIVE),
    ]


def _relink(value: Any, links: dict[str, str]) -> Any:
    """A copy with every ``reference`` found in ``links`` replaced."""
    if isinstance(value, dict):
        return {
            key: links.get(item, item) if key == "reference" and isinstance(item, str) else _relink(item, links)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_relink(item, links) for item in value]
    return value


def transaction_bundle(first: int, patients: int, seed: int, conditional: dict[str, str]) -> tuple[bytes, int]:
    """The serialised transaction Bundle for patients first..first+patients-1, and its entry count."""
    entries = []
    for k in range(first, first + patients):
        resources = patient_resources(k, seed)
        urns = [f"urn:uuid:{uuid.uuid4()}" for _ in resources]
        links = dict(conditional)
        links.update({f"{r['resourceType']}/{r['id']}": urn for r, urn in zip(resources, urns, strict=True)})
        for resource, urn in zip(resources, urns, strict=True):
            body = _relink({key: value for key, value in resource.items() if key != "id"}, links)
            entries.append(
                {"fullUrl": urn, "resource": body, "request": {"method": "POST", "url": body["resourceType"]}}
            )
    return _dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}), len(entries)


def check_transaction(status: int, raw: bytes, expected: int) -> tuple[int, str | None]:
    """(entries committed, problem or None) for the answer to a transaction of ``expected`` entries."""
    if status != 200:
        return 0, f"HTTP {status}: {raw[:2000].decode(errors='replace')}"
    try:
        answer = json.loads(raw)
        statuses = [str(e["response"]["status"]) for e in answer.get("entry", [])]
    except (ValueError, KeyError, TypeError) as error:
        return 0, f"HTTP 200 but not a transaction-response ({error!r}): {raw[:500].decode(errors='replace')}"
    committed = sum(1 for s in statuses if s.startswith("2"))
    if answer.get("type") != "transaction-response" or len(statuses) != expected:
        return committed, f"HTTP 200, {answer.get('type')} with {len(statuses)} entries for {expected} sent"
    wrong = Counter(s for s in statuses if not s.startswith("201"))
    if wrong:
        return committed, f"HTTP 200 but entries not 201: {dict(wrong)}"
    return committed, None


def _import_worker(target: Target, bodies: list[tuple[bytes, int]], barrier: Any, results: Any) -> None:
    connection = _connect(target)
    latencies: list[float] = []
    committed = 0
    errors: list[str] = []
    try:
        connection.connect()
        barrier.wait()
        for body, count in bodies:
            started = time.perf_counter()
            try:
                connection.request("POST", target.root, body, _headers(target, True))
                response = connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, OSError) as error:
                # Not retried: a POST the server may have committed must not be sent twice.
                errors.append(f"connection: {error!r}")
                connection.close()
                connection = _connect(target)
                continue
            latencies.append(time.perf_counter() - started)
            done, problem = check_transaction(response.status, raw, count)
            committed += done
            if problem:
                errors.append(problem)
    except Exception as error:  # report anything rather than leave the parent waiting
        errors.append(f"worker: {error!r}")
    finally:
        connection.close()
    results.put((latencies, committed, errors))


def run_import(target: Target, clients: int, bundles: int, patients: int, seed: int, first: int) -> int:
    """Time ``clients`` processes POSTing ``bundles`` transactions each; print the figures; return errors."""
    conditional = practitioner_links()
    started = time.perf_counter()
    plan = [
        [transaction_bundle(first + (c * bundles + b) * patients, patients, seed, conditional) for b in range(bundles)]
        for c in range(clients)
    ]
    prepared = time.perf_counter() - started
    sizes = [len(body) for part in plan for body, _ in part]
    entries = [count for part in plan for _, count in part]
    context = mp.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results: mp.Queue[tuple[list[float], int, list[str]]] = context.Queue()
    processes = [context.Process(target=_import_worker, args=(target, part, barrier, results)) for part in plan]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    gathered: list[tuple[list[float], int, list[str]]] = []
    while len(gathered) < clients:
        try:
            gathered.append(results.get(timeout=1))
        except queue.Empty:
            if not any(p.is_alive() for p in processes):
                gathered.append(([], 0, ["a worker died without reporting"]))
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    latencies = [x for lat, _, _ in gathered for x in lat]
    committed = sum(c for _, c, _ in gathered)
    errors = [e for _, _, errs in gathered for e in errs]
    answered = len(latencies)
    name = f"import, {clients} client{'s' if clients > 1 else ''}"
    print(
        f"{name:<20} {committed / elapsed:8.0f} resources/s   {answered / elapsed:6.2f} bundles/s   "
        f"p50 {_percentile(latencies, 0.5) * 1000:7.0f} ms   p95 {_percentile(latencies, 0.95) * 1000:7.0f} ms   "
        f"errors {len(errors)}   ({answered} bundles, {committed} resources in {elapsed:.1f} s; "
        f"{sum(entries) / len(entries):.0f} entries, {sum(sizes) / len(sizes) / 1e6:.2f} MB per bundle; "
        f"bodies prepared in {prepared:.1f} s)"
    )
    for error in errors[:5]:
        print(f"  ERROR {error}")
    if len(errors) > 5:
        print(f"  ... and {len(errors) - 5} more errors")
    return len(errors)


def import_phase(target: Target, client_counts: list[int], bundles: int, patients: int, seed: int) -> int:
    client = Client(target)
    try:
        status, _, raw = client.request("POST", target.root, shared_bundle())
    finally:
        client.close()
    done, problem = check_transaction(status, raw, data.PRACTITIONERS + data.LOCATIONS)
    if status != 200 or done != data.PRACTITIONERS + data.LOCATIONS:
        print(f"shared Practitioners/Locations not stored: {problem}", file=sys.stderr)
        return 1
    one = transaction_bundle(1, patients, seed, practitioner_links())[1]
    print(
        f"import: transaction Bundles of {patients} patient{'s' if patients > 1 else ''} (~{one} POST entries, "
        f"urn:uuid references, conditional Practitioner references), {bundles} per client, seed {seed}"
    )
    errors = 0
    first = 1
    for clients in client_counts:
        errors += run_import(target, clients, bundles, patients, seed, first)
        first += clients * bundles * patients
    return errors


# ----------------------------------------------------------------------------------------- storm


@dataclass
class Attempt:
    status: int  # 0: connection failure
    slot: str
    finished: float  # perf_counter when the answer arrived
    latency: float
    reason: str


def _reason(status: int, raw: bytes) -> str:
    """A short class of answer: "201", "409 double booking (Slot)", "409 slot busy", "503 ..."."""
    if status in (200, 201):
        return str(status)
    text = _diagnostics(raw)
    if status == 409:
        taken = re.match(r"Time already taken: (\w+)/", text)
        if taken:
            return f"409 double booking ({taken[1]} claimed)"
        if text.startswith("Slot "):
            return "409 slot not available"
    return f"{status} {text[:160]}"


def generate_slots(client: Client, target: Target, schedule: str, count: int, first_day: date) -> list[Resource]:
    """``count`` free Slots of the Schedule, ``SLOTS_PER_DAY`` per day from ``first_day``."""
    slots: list[Resource] = []
    day = first_day
    while len(slots) < count:
        wanted = min(count - len(slots), SLOTS_PER_DAY)
        closes = datetime(2000, 1, 1, DAY_OPENS) + timedelta(minutes=wanted * SLOT_MINUTES)
        parameters = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueString": day.isoformat()},
                {"name": "end", "valueString": day.isoformat()},
                {"name": "slotMinutes", "valueInteger": SLOT_MINUTES},
                {
                    "name": "availableTime",
                    "part": [
                        {"name": "daysOfWeek", "valueCode": DAYS[day.weekday()]},
                        {"name": "availableStartTime", "valueString": f"{DAY_OPENS:02d}:00:00"},
                        {"name": "availableEndTime", "valueString": closes.strftime("%H:%M:%S")},
                    ],
                },
            ],
        }
        status, answer, raw = client.request("POST", f"{target.path}/Schedule/{schedule}/$generate-slots", parameters)
        if status != 200:
            raise RuntimeError(f"$generate-slots -> {status}: {raw[:2000].decode(errors='replace')}")
        made = [e["resource"] for e in answer.get("entry", [])]
        if len(made) != wanted:
            raise RuntimeError(f"$generate-slots made {len(made)} slots on {day}, {wanted} expected")
        slots += made
        day += timedelta(days=1)
    return slots


def _booker(
    target: Target, attempts: list[tuple[str, str, bytes]], barrier: threading.Barrier, out: list[Attempt]
) -> None:
    connection = _connect(target)
    with contextlib.suppress(OSError):
        connection.connect()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return
    for slot, path, body in attempts:
        started = time.perf_counter()
        try:
            connection.request("PUT", path, body, _headers(target, True))
            response = connection.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError) as error:
            now = time.perf_counter()
            out.append(Attempt(0, slot, now, now - started, f"connection: {error!r}"))
            connection.close()
            connection = _connect(target)
            continue
        now = time.perf_counter()
        out.append(Attempt(response.status, slot, now, now - started, _reason(response.status, raw)))
    connection.close()


def _setup_storm(target: Target, client: Client, tag: str, clients: int) -> str | None:
    """Practitioner, Schedule and one Patient per client; a problem or None."""
    practitioner = {
        "resourceType": "Practitioner",
        "id": tag,
        "identifier": [{"system": "urn:bench:storm", "value": tag}],
        "active": True,
        "name": [{"family": "Tormenta", "given": ["Inés"], "prefix": ["Dra."]}],
    }
    schedule = {
        "resourceType": "Schedule",
        "id": tag,
        "active": True,
        "actor": [{"reference": f"Practitioner/{tag}"}],
        "comment": "Agenda for the booking storm",
    }
    for resource in (practitioner, schedule):
        path = f"{target.path}/{resource['resourceType']}/{tag}"
        status, _, raw = client.request("PUT", path, resource)
        if status not in (200, 201):
            return f"PUT {resource['resourceType']}/{tag} -> {status}: {raw[:1000].decode(errors='replace')}"
    entries = [
        {
            "resource": {
                "resourceType": "Patient",
                "id": f"{tag}-{n:03d}",
                "name": [{"family": random.choice(data.FAMILY), "given": [random.choice(data.GIVEN_FEMALE)]}],
            },
            "request": {"method": "PUT", "url": f"Patient/{tag}-{n:03d}"},
        }
        for n in range(clients)
    ]
    status, _, raw = client.request(
        "POST", target.root, {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    )
    done, problem = check_transaction(status, raw, clients)
    if problem and done != clients:
        return f"storm patients: {problem}"
    return None


def storm_phase(target: Target, clients: int, slot_count: int, seed: int) -> int:
    """Set up, race, verify; print the figures; return the number of problems found."""
    tag = f"storm-{uuid.uuid4().hex[:10]}"
    client = Client(target)
    try:
        problem = _setup_storm(target, client, tag, clients)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        first_day = date.today() + timedelta(days=60)
        slots = generate_slots(client, target, tag, slot_count, first_day)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        client.close()
    slot_ids = [s["id"] for s in slots]
    not_free = [s["id"] for s in slots if s.get("status") != "free"]
    print(
        f"storm: Practitioner/{tag}, {len(slot_ids)} free {SLOT_MINUTES}-minute slots from {slots[0]['start']}, "
        f"{clients} clients (threads, one connection each) x {len(slot_ids)} attempts in random order"
    )
    if not_free:
        print(f"  WARNING {len(not_free)} generated slots are not free")
    rng = random.Random(seed)
    plans: list[list[tuple[str, str, bytes]]] = []
    for n in range(clients):
        order = slot_ids[:]
        rng.shuffle(order)
        plan = []
        for slot in order:
            appointment_id = f"{tag}-{n:03d}-{slot_ids.index(slot):03d}"
            body = {
                "resourceType": "Appointment",
                "id": appointment_id,
                "status": "booked",
                "description": "Consulta externa",
                "participant": [
                    {"actor": {"reference": f"Patient/{tag}-{n:03d}"}, "required": "required", "status": "accepted"},
                    {"actor": {"reference": f"Practitioner/{tag}"}, "required": "required", "status": "accepted"},
                ],
                "slot": [{"reference": f"Slot/{slot}"}],
            }
            plan.append((slot, f"{target.path}/Appointment/{appointment_id}", _dumps(body)))
        plans.append(plan)
    barrier = threading.Barrier(clients + 1)
    outcomes: list[list[Attempt]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=_booker, args=(target, plan, barrier, out), daemon=True)
        for plan, out in zip(plans, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    attempts = [a for out in outcomes for a in out]
    booked = [a for a in attempts if a.status == 201]
    conflicts = [a for a in attempts if a.status == 409]
    others = [a for a in attempts if a.status not in (201, 409)]
    all_booked = max((a.finished for a in booked), default=started) - started
    print(
        f"{'booking storm':<20} {len(booked) / elapsed:8.1f} bookings/s   {len(attempts) / elapsed:7.0f} attempts/s   "
        f"201 {len(booked)}   409 {len(conflicts)}   other {len(others)}   "
        f"({elapsed:.2f} s; attempt p50 "
        f"{_percentile([a.latency for a in attempts], 0.5) * 1000:.0f} ms, p95 "
        f"{_percentile([a.latency for a in attempts], 0.95) * 1000:.0f} ms)"
    )
    if booked:
        window = [a for a in attempts if a.finished - started <= all_booked]
        print(
            f"  until the last booking ({all_booked:.2f} s): {len(booked) / all_booked:.1f} bookings/s, "
            f"{len(window) / all_booked:.0f} attempts/s, booking latency p50 "
            f"{_percentile([a.latency for a in booked], 0.5) * 1000:.0f} ms, p95 "
            f"{_percentile([a.latency for a in booked], 0.95) * 1000:.0f} ms"
        )
    for reason, count in Counter(a.reason for a in attempts if a.status != 201).most_common():
        print(f"  {count:6d} x {reason}")
    problems = len(others)
    booked_slots = Counter(a.slot for a in booked)
    twice = {slot: n for slot, n in booked_slots.items() if n > 1}
    if twice:
        print(f"  ERROR slots answered 201 more than once: {twice}")
        problems += len(twice)
    return problems + verify(target, tag, slot_ids, len(booked))


def _all_pages(client: Client, path: str) -> tuple[list[Resource], str | None]:
    resources: list[Resource] = []
    next_path: str | None = path
    while next_path:
        status, page, raw = client.request("GET", next_path)
        if status != 200 or not isinstance(page, dict):
            return resources, f"GET {next_path} -> {status}: {raw[:1000].decode(errors='replace')}"
        resources += [
            e["resource"] for e in page.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"
        ]
        next_link = next((link["url"] for link in page.get("link", []) if link.get("relation") == "next"), None)
        if next_link:
            parts = urlsplit(next_link)
            next_path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        else:
            next_path = None
    return resources, None


def verify(target: Target, practitioner: str, slot_ids: list[str], booked: int) -> int:
    """Check the server's state after the storm; print what was found; return the number of problems."""
    client = Client(target)
    try:
        query = f"{target.path}/Appointment?practitioner=Practitioner/{practitioner}&status=booked&_count=1000"
        appointments, problem = _all_pages(client, query)
        if problem:
            print(f"  ERROR {problem}")
            return 1
        slot_status: Counter[str] = Counter()
        slot_times: dict[str, tuple[str, str]] = {}
        for slot in slot_ids:
            status, body, _ = client.request("GET", f"{target.path}/Slot/{slot}")
            if status != 200 or not isinstance(body, dict):
                slot_status[f"GET {status}"] += 1
                continue
            slot_status[str(body.get("status"))] += 1
            slot_times[slot] = (str(body.get("start")), str(body.get("end")))
    finally:
        client.close()
    per_slot = Counter(
        s["reference"].removeprefix("Slot/")
        for a in appointments
        for s in a.get("slot", [])
        if isinstance(s, dict) and str(s.get("reference", "")).startswith("Slot/")
    )
    same_slot = sum(n - 1 for n in per_slot.values() if n > 1)
    timed = []
    untimed = 0
    wrong_time = 0
    for a in appointments:
        try:
            timed.append((datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]), a))
        except (KeyError, ValueError):
            untimed += 1
            continue
        slot = next((s["reference"].removeprefix("Slot/") for s in a.get("slot", [])), "")
        if slot in slot_times and (a["start"], a["end"]) != slot_times[slot]:
            wrong_time += 1
    timed.sort(key=lambda item: item[0])
    overlaps = 0  # overlapping pairs that do not share a slot (those are counted in same_slot)
    for i, (_, end, a) in enumerate(timed):
        for other_start, _, other in timed[i + 1 :]:
            if other_start >= end:
                break
            if {s.get("reference") for s in a.get("slot", [])} != {s.get("reference") for s in other.get("slot", [])}:
                overlaps += 1
    double = same_slot + overlaps
    unbooked = [s for s in slot_ids if per_slot[s] == 0]
    busy = slot_status.get("busy", 0)
    print(
        f"  server: {len(appointments)} booked Appointments of Practitioner/{practitioner} "
        f"({booked} answered 201), {len(per_slot)} of {len(slot_ids)} slots booked"
    )
    print(f"  double bookings found: {double}  (same slot {same_slot}, overlapping times {overlaps})")
    print(f"  slots busy: {busy}/{len(slot_ids)}  {dict(slot_status)}")
    problems = double + (len(slot_ids) - busy) + len(unbooked) + untimed + wrong_time
    problems += abs(len(appointments) - booked)
    if untimed or wrong_time:
        print(f"  ERROR {untimed} booked Appointments without start/end, {wrong_time} with times not their slot's")
    if len(appointments) != booked:
        print(f"  ERROR the server holds {len(appointments)} booked Appointments but {booked} PUTs answered 201")
    if unbooked:
        print(f"  ERROR {len(unbooked)} slots never booked: {unbooked[:5]}")
    return problems


# ------------------------------------------------------------------------------------------ main


def _counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive numbers, e.g. 1,4")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="FHIR base URL on loopback, e.g. http://127.0.0.1:8080/fhir")
    parser.add_argument("--token", help="bearer token to send (to compare with other servers)")
    parser.add_argument("--patients", type=int, default=1, help="patients per transaction Bundle (~270 entries each)")
    parser.add_argument("--bundles", type=int, default=20, help="Bundles each client POSTs in an import run")
    parser.add_argument("--clients", type=_counts, default=[1, 4], help="concurrent import clients per run: 1,4")
    parser.add_argument("--storm-clients", type=int, default=200, help="concurrent booking clients")
    parser.add_argument("--storm-slots", type=int, default=20, help="free slots to fight over")
    parser.add_argument("--seed", type=int, help="data seed for the import (default: random)")
    parser.add_argument("--skip-import", action="store_true", help="no transaction import")
    parser.add_argument("--skip-storm", action="store_true", help="no booking storm")
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host", file=sys.stderr)
        return 2
    if min(args.patients, args.bundles, args.storm_clients, args.storm_slots) < 1:
        print("--patients, --bundles, --storm-clients and --storm-slots must be positive", file=sys.stderr)
        return 2
    if args.storm_clients > 999 or args.storm_slots > 999:
        print("--storm-clients and --storm-slots go up to 999", file=sys.stderr)
        return 2
    target = Target(url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/"), args.token)
    seed = args.seed if args.seed is not None else random.randrange(1, 10**6)
    print(f"target {args.base_url}")
    problems = 0
    if not args.skip_import:
        problems += import_phase(target, args.clients, args.bundles, args.patients, seed)
    if not args.skip_storm:
        problems += storm_phase(target, args.storm_clients, args.storm_slots, seed)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
