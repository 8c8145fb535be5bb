"""Search benchmark on a Synthea-like Ecuadorian clinic: load the data set, then time nine query shapes.

Usage: python bench/search.py BASE_URL [--patients N] [--token T] [--skip-load] [--seconds S] [--clients 8]

Loading PUTs every resource of ``synthea_like.generate`` (about 270 per patient) to ``Type/id``
from several worker processes, each with one keep-alive connection, phase by phase (shared
resources, Patients, Encounters, the rest) so that references always point backwards. PUT with a
client id creates or updates, so a rerun is safe; ``--skip-load`` reuses what is there. Any
non-2xx answer aborts the load.

Then each query shape is issued once and its Bundle checked against the generated data (a
warning, not an abort, when the server rejects or ignores a parameter), and timed with wrk for
``--seconds`` over ``--clients`` connections, rotating through concrete URLs made from the data
(different patients, names, codes, days). Loopback only: the script refuses other hosts. Prints
requests/s, p50/p95/p99 latency and errors per shape.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import synthea_like as data
import wrk_driver

ROTATE = """
wrk.headers["Accept"] = "application/fhir+json"
%(auth)s
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[n %% #paths + 1])
end
"""

PROGRESS_EVERY = 10_000
LAST_PHASE = max(data.PHASES.values())
Bundle = dict[str, Any]


@dataclass
class Target:
    host: str
    port: int
    path: str
    token: str | None


def _headers(target: Target, body: bool) -> dict[str, str]:
    headers = {"Accept": "application/fhir+json"}
    if body:
        headers["Content-Type"] = "application/fhir+json"
        headers["Prefer"] = "return=minimal"
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    return headers


def _connect(target: Target) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(target.host, target.port, timeout=120)


# ------------------------------------------------------------------------------------------ load


def _put(
    target: Target, connection: http.client.HTTPConnection, path: str, body: bytes
) -> tuple[http.client.HTTPConnection, int, bytes]:
    """PUT, reconnecting and retrying (PUT is idempotent) when the connection drops."""
    for attempt in range(3):
        try:
            connection.request("PUT", path, body, _headers(target, True))
            response = connection.getresponse()
            return connection, response.status, response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            if attempt == 2:
                raise
            time.sleep(0.5)
            connection = _connect(target)
    raise AssertionError("unreachable")


def _post_bundle(
    target: Target, connection: http.client.HTTPConnection, entries: list[dict[str, Any]]
) -> tuple[http.client.HTTPConnection, int, bytes]:
    """POST a transaction Bundle of PUT entries (idempotent, so retried on a dropped connection)."""
    body = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}, ensure_ascii=False).encode()
    for attempt in range(3):
        try:
            connection.request("POST", target.path, body, _headers(target, True))
            response = connection.getresponse()
            return connection, response.status, response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            if attempt == 2:
                raise
            time.sleep(0.5)
            connection = _connect(target)
    raise AssertionError("unreachable")


def _load_worker(
    target: Target,
    patients: int,
    seed: int,
    part: int,
    parts: int,
    barrier: Any,
    counter: Any,
    results: Any,
    bundle_size: int = 0,
) -> None:
    """Load one part of the data set, waiting on the barrier between phases.

    With ``bundle_size`` the resources go as PUT entries of transaction Bundles of that size.
    """
    connection = _connect(target)
    phase = pending = created = updated = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal pending
        with counter.get_lock():
            counter.value += pending
        pending = 0

    def send() -> bool:
        nonlocal connection, created, updated, pending
        if not batch:
            return True
        connection, status, answer = _post_bundle(target, connection, batch)
        if status != 200:
            results.put(("error", f"transaction of {len(batch)} -> {status}\n{answer.decode(errors='replace')}"))
            barrier.abort()
            return False
        for entry in json.loads(answer)["entry"]:
            if entry["response"]["status"].startswith("201"):
                created += 1
            else:
                updated += 1
        pending += len(batch)
        batch.clear()
        flush()
        return True

    try:
        for type_name, id_, resource in data.generate(patients, seed, part, parts):
            while data.PHASES[type_name] > phase:
                if not send():
                    return
                flush()
                barrier.wait()
                phase += 1
            if bundle_size:
                batch.append({"resource": resource, "request": {"method": "PUT", "url": f"{type_name}/{id_}"}})
                if len(batch) >= bundle_size and not send():
                    return
                continue
            body = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
            path = f"{target.path}/{type_name}/{id_}"
            connection, status, answer = _put(target, connection, path, body)
            if status == 201:
                created += 1
            elif 200 <= status < 300:
                updated += 1
            else:
                results.put(("error", f"PUT {type_name}/{id_} -> {status}\n{answer.decode(errors='replace')}"))
                barrier.abort()
                return
            pending += 1
            if pending == 100:
                flush()
        if not send():
            return
        flush()
        while phase < LAST_PHASE:
            barrier.wait()
            phase += 1
    except threading.BrokenBarrierError:
        results.put(("aborted", ""))
        return
    except Exception as error:  # report anything to the parent rather than hang its barrier
        barrier.abort()
        results.put(("error", f"worker {part}: {error!r}"))
        return
    finally:
        connection.close()
    results.put(("ok", (created, updated)))


def load(target: Target, patients: int, seed: int, workers: int, bundle_size: int = 0) -> bool:
    """PUT the whole data set; print progress and the rate; False (after printing why) on failure."""
    context = mp.get_context("fork")
    barrier = context.Barrier(workers)
    counter = context.Value("q", 0)
    results: mp.Queue[tuple[str, Any]] = context.Queue()
    processes = [
        context.Process(
            target=_load_worker, args=(target, patients, seed, part, workers, barrier, counter, results, bundle_size)
        )
        for part in range(workers)
    ]
    print(f"loading {patients} patients (about {patients * 270:,} resources) with {workers} workers")
    started = time.perf_counter()
    for process in processes:
        process.start()
    answers: list[tuple[str, Any]] = []
    mark = PROGRESS_EVERY
    while len(answers) < workers:
        try:
            answers.append(results.get(timeout=0.5))
        except queue.Empty:
            if not any(p.is_alive() for p in processes):
                answers.append(("error", "a load worker died without reporting"))
        count = int(counter.value)
        while count >= mark:
            elapsed = time.perf_counter() - started
            print(f"  {mark:>9,} resources  {elapsed:7.1f} s  {mark / elapsed:7.0f}/s", flush=True)
            mark += PROGRESS_EVERY
        if any(kind == "error" for kind, _ in answers):
            barrier.abort()
            deadline = time.monotonic() + 2
            while len(answers) < workers and time.monotonic() < deadline:
                with contextlib.suppress(queue.Empty):
                    answers.append(results.get(timeout=0.2))
            break
    elapsed = time.perf_counter() - started
    errors = [detail for kind, detail in answers if kind == "error"]
    for process in processes:
        if errors and process.is_alive():
            process.terminate()
        process.join()
    if errors:
        print(f"load aborted after {int(counter.value):,} resources; first failures:", file=sys.stderr)
        for detail in errors[:5]:
            print(detail[:2000], file=sys.stderr)
        return False
    created = sum(detail[0] for kind, detail in answers if kind == "ok")
    updated = sum(detail[1] for kind, detail in answers if kind == "ok")
    total = created + updated
    print(
        f"loaded {total:,} resources ({created:,} created, {updated:,} updated) in {elapsed:.1f} s: "
        f"{total / elapsed:.0f} resources/s with {workers} workers"
    )
    return True


# --------------------------------------------------------------------------------------- queries


@dataclass
class Shape:
    """A query shape: concrete request paths (path + query) and a check of the first one's answer."""

    name: str
    paths: list[str]
    check: Callable[[Bundle], list[str]]
    notes: list[str] = field(default_factory=list)


def _q(value: str) -> str:
    """A query value, percent-encoded; ``|``, ``:`` and ``/`` are legal in a query and stay."""
    return quote(value, safe="|:/")


def _matches(bundle: Bundle, type_name: str | None = None) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle.get("entry", [])
        if entry.get("search", {}).get("mode", "match") == "match"
        and (type_name is None or entry.get("resource", {}).get("resourceType") == type_name)
    ]


def _entries(bundle: Bundle, mode: str) -> list[dict[str, Any]]:
    return [e.get("resource", {}) for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode]


def _has_next(bundle: Bundle) -> bool:
    return any(link.get("relation") == "next" for link in bundle.get("link", []))


def _others(resources: list[dict[str, Any]], type_name: str) -> list[str]:
    wrong = sorted({r.get("resourceType", "?") for r in resources} - {type_name})
    return [f"entries of other types: {', '.join(wrong)}"] if wrong else []


def _pat_number(reference: str) -> int | None:
    """k for "Patient/pat-0000k" (a generated patient), else None."""
    id_ = reference.removeprefix("Patient/")
    if reference.startswith("Patient/pat-") and id_[4:].isdigit():
        return int(id_[4:])
    return None


def _name_words(resource: dict[str, Any]) -> list[str]:
    words = []
    for name in resource.get("name", []):
        parts = [
            name.get("text", ""),
            name.get("family", ""),
            *name.get("given", []),
            *name.get("prefix", []),
        ]
        words += [data.unaccented(word) for part in parts for word in part.split()]
    return words


def _person_matches(person: data.Person, prefix: str) -> bool:
    return any(data.unaccented(w).startswith(prefix) for w in [*person.given, *person.family.split()])


def _day(instant: str) -> str:
    return instant[:10]


def prepare(base_path: str, patients: int, seed: int, per_shape: int) -> list[Shape]:
    """The nine shapes, with up to ``per_shape`` concrete paths each, from the generated data."""
    rng = random.Random(seed)
    sample = sorted(rng.sample(range(1, patients + 1), min(per_shape, patients)))
    rng.shuffle(sample)
    people = {k: data.person(k, seed) for k in range(1, patients + 1)}
    first = sample[0]
    shapes: list[Shape] = []

    # 1. Patient by cédula.
    def check_identifier(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        ids = [r.get("id") for r in found]
        if ids != [people[first].id]:
            return [f"expected exactly [{people[first].id}], got {len(ids)} matches {ids[:3]}"]
        return []

    shapes.append(
        Shape(
            "Patient?identifier=cedula",
            [f"{base_path}/Patient?identifier={_q(f'{data.CEDULA}|{people[k].cedula}')}" for k in sample],
            check_identifier,
        )
    )

    # 2. Patient by name prefix (lowercase, unaccented: "nun" finds Núñez).
    prefixes: list[str] = []
    for k in sample:
        who = people[k]
        word = data.unaccented(rng.choice([*who.given, who.family.split()[0]]))
        prefixes.append(word[: rng.randint(3, min(5, len(word)))])
    # At least these: a given name or the whole family string starting with the prefix (a server
    # may also match the second surname, and the checks accept that).
    name_expected = sum(
        1
        for who in people.values()
        if any(data.unaccented(n).startswith(prefixes[0]) for n in [*who.given, who.family])
    )

    def check_name(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Patient")
        wrong = [r.get("id") for r in found if not any(w.startswith(prefixes[0]) for w in _name_words(r))]
        if wrong:
            problems.append(f"{len(wrong)} of {len(found)} Patients have no name starting {prefixes[0]!r}")
        if len(found) < name_expected and not _has_next(bundle):
            problems.append(f"{len(found)} matches, at least {name_expected} expected and no next link")
        return problems

    shapes.append(Shape("Patient?name=prefix", [f"{base_path}/Patient?name={_q(p)}" for p in prefixes], check_name))

    # 3. One patient's heart rates over a year, newest first.
    windows: list[tuple[int, date, date]] = []
    for k in sample:
        visit = rng.choice(data.visits(k, seed))
        low = visit.start.date() - timedelta(days=rng.randint(0, 200))
        windows.append((k, low, low + timedelta(days=365)))
    k0, low0, high0 = windows[0]
    heart_rates = [o for o in data.observations(k0, seed) if o["code"]["coding"][0]["code"] == data.HEART_RATE[0]]
    expected_rates = [
        o["effectiveDateTime"]
        for o in heart_rates
        if low0.isoformat() <= _day(o["effectiveDateTime"]) < high0.isoformat()
    ]

    def check_observations(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Observation")
        times = [r.get("effectiveDateTime", "") for r in found]
        wrong = [
            r.get("id")
            for r in found
            if r.get("subject", {}).get("reference") != f"Patient/{data.patient_id(k0)}"
            or r.get("code", {}).get("coding", [{}])[0].get("code") != data.HEART_RATE[0]
            or not low0.isoformat() <= _day(r.get("effectiveDateTime", "")) < high0.isoformat()
        ]
        if wrong:
            problems.append(f"{len(wrong)} of {len(found)} Observations outside subject/code/date")
        if times != sorted(times, reverse=True):
            problems.append("not sorted by -date")
        if len(found) != len(expected_rates) and not (len(found) < len(expected_rates) and _has_next(bundle)):
            problems.append(f"{len(found)} matches, {len(expected_rates)} expected")
        return problems

    shapes.append(
        Shape(
            "Observation?subject&code&date&_sort",
            [
                f"{base_path}/Observation?subject=Patient/{data.patient_id(k)}"
                f"&code={_q(f'{data.LOINC}|{data.HEART_RATE[0]}')}"
                f"&date=ge{low.isoformat()}&date=lt{high.isoformat()}&_sort=-date"
                for k, low, high in windows
            ],
            check_observations,
        )
    )

    # 4. Conditions under an ICD-10 category (J45 finds J45.0, J45.1, J45.9).
    categories = sorted({code.split(".")[0] for code, _, _ in data.DIAGNOSES})
    categories.remove("J45")
    categories.insert(0, "J45")

    def check_below(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Condition")
        wrong = [
            r.get("id")
            for r in found
            if not any(
                c.get("system") == data.ICD10 and c.get("code", "").split(".")[0] == "J45"
                for c in r.get("code", {}).get("coding", [])
            )
        ]
        if wrong:
            problems.append(f"{len(wrong)} of {len(found)} Conditions not under J45")
        if not found:
            problems.append("no matches")
        return problems

    shapes.append(
        Shape(
            "Condition?code:below",
            [f"{base_path}/Condition?code:below={_q(f'{data.ICD10}|{c}')}" for c in categories],
            check_below,
        )
    )

    # 5. A practitioner's booked appointments on a day.
    slots: list[tuple[str, str, str]] = []  # (day, practitioner, appointment id)
    for k in range(1, patients + 1):
        slots += [
            (_day(b.start.isoformat()), b.practitioner, b.id) for b in data.bookings(k, seed) if b.status == "booked"
        ]
        if len(slots) >= per_shape:
            del slots[per_shape:]
            break
    appointment_shape = Shape("Appointment?date&practitioner&status", [], lambda _: [])
    if slots:
        day0, practitioner0, appointment0 = slots[0]

        def check_appointments(bundle: Bundle) -> list[str]:
            found = _matches(bundle)
            problems = _others(found, "Appointment")
            wrong = [
                r.get("id")
                for r in found
                if r.get("status") != "booked"
                or _day(r.get("start", "")) != day0
                or f"Practitioner/{practitioner0}"
                not in [p.get("actor", {}).get("reference") for p in r.get("participant", [])]
            ]
            if wrong:
                problems.append(f"{len(wrong)} of {len(found)} Appointments not booked/{day0}/{practitioner0}")
            if appointment0 not in [r.get("id") for r in found] and not _has_next(bundle):
                problems.append(f"{appointment0} missing")
            return problems

        appointment_shape.check = check_appointments
        appointment_shape.paths = [
            f"{base_path}/Appointment?date={day}&practitioner=Practitioner/{practitioner}&status=booked"
            for day, practitioner, _ in slots
        ]
    shapes.append(appointment_shape)

    # 6. Patients with a BMI (adults at some visit), reverse chaining.
    def check_has(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Patient")
        without = [
            r.get("id")
            for r in found
            if (k := _pat_number(f"Patient/{r.get('id')}")) is not None and k <= patients and not _has_bmi(k, seed)
        ]
        if without:
            problems.append(f"{len(without)} of {len(found)} Patients have no BMI: {without[:3]}")
        if not found or len(found) > 20:
            problems.append(f"{len(found)} matches, 1 to 20 expected")
        return problems

    shapes.append(
        Shape(
            "Patient?_has:Observation:subject:code",
            [f"{base_path}/Patient?_has:Observation:subject:code={_q(f'{data.LOINC}|{data.BMI[0]}')}&_count=20"],
            check_has,
        )
    )

    # 7. Observations of patients by name prefix, chaining.
    def check_chain(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Observation")
        wrong = []
        for r in found:
            k = _pat_number(r.get("subject", {}).get("reference", ""))
            if k is None or k > patients or not _person_matches(people[k], prefixes[0]):
                wrong.append(r.get("id"))
        if wrong:
            problems.append(f"{len(wrong)} of {len(found)} Observations of a patient not named {prefixes[0]!r}")
        if not found or len(found) > 20:
            problems.append(f"{len(found)} matches, 1 to 20 expected")
        return problems

    shapes.append(
        Shape(
            "Observation?subject:Patient.name",
            [f"{base_path}/Observation?subject:Patient.name={_q(p)}&_count=20" for p in prefixes],
            check_chain,
        )
    )

    # 8. One patient's encounters with the patient included.
    encounters0 = {v.id for v in data.visits(first, seed)}

    def check_include(bundle: Bundle) -> list[str]:
        found = _matches(bundle)
        problems = _others(found, "Encounter")
        if {r.get("id") for r in found} != encounters0:
            problems.append(f"{len(found)} Encounters, expected {len(encounters0)}")
        included = [f"{r.get('resourceType')}/{r.get('id')}" for r in _entries(bundle, "include")]
        if included != [f"Patient/{data.patient_id(first)}"]:
            problems.append(f"included {included}, expected [Patient/{data.patient_id(first)}]")
        return problems

    shapes.append(
        Shape(
            "Encounter?_include=Encounter:patient",
            [f"{base_path}/Encounter?_include=Encounter:patient&patient=Patient/{data.patient_id(k)}" for k in sample],
            check_include,
        )
    )

    # 9. How many temperatures.
    temperatures = sum(v.rounds for k in range(1, patients + 1) for v in data.visits(k, seed))

    def check_count(bundle: Bundle) -> list[str]:
        problems = []
        if _entries(bundle, "match") or _entries(bundle, "include"):
            problems.append("entries returned with _summary=count")
        total = bundle.get("total")
        if not isinstance(total, int):
            problems.append("no total")
        elif total != temperatures:
            problems.append(f"total {total}, {temperatures} expected from {patients} generated patients")
        return problems

    shapes.append(
        Shape(
            "Observation?code&_summary=count",
            [f"{base_path}/Observation?code={_q(f'{data.LOINC}|{data.TEMPERATURE[0]}')}&_summary=count"],
            check_count,
        )
    )
    return shapes


def _has_bmi(k: int, seed: int) -> bool:
    birth = data.person(k, seed).birth
    return any((v.start.date() - birth).days / 365.25 >= 18 for v in data.visits(k, seed))


def preflight(target: Target, shape: Shape) -> str:
    """Issue the shape's first query once; print warnings; return a short status for the figures."""
    connection = _connect(target)
    started = time.perf_counter()
    try:
        connection.request("GET", shape.paths[0], headers=_headers(target, False))
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    try:
        bundle: Bundle = json.loads(payload)
    except ValueError:
        bundle = {}
    if response.status != 200:
        issues = "; ".join(_diagnostics(bundle)) or payload[:300].decode(errors="replace")
        print(f"  WARNING {shape.name}: {response.status} ({issues})")
        return f"preflight {response.status}"
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "searchset":
        print(f"  WARNING {shape.name}: 200 but not a searchset Bundle")
        return "preflight: not a searchset"
    outcomes = [d for r in _entries(bundle, "outcome") for d in _diagnostics(r)]
    problems = shape.check(bundle)
    for outcome in outcomes:
        print(f"  WARNING {shape.name}: server says: {outcome}")
    for problem in problems:
        print(f"  WARNING {shape.name}: {problem}")
    if not outcomes and not problems:
        print(f"  ok      {shape.name}: {len(_matches(bundle))} matches, {elapsed:.0f} ms")
        return "preflight ok"
    return "preflight: ignored parameters" if outcomes else "preflight: unexpected content"


def _diagnostics(resource: dict[str, Any]) -> list[str]:
    if resource.get("resourceType") != "OperationOutcome":
        return []
    return [issue.get("diagnostics") or issue.get("details", {}).get("text", "") for issue in resource.get("issue", [])]


@dataclass
class Figures:
    rate: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int


def time_shape(base_url: str, target: Target, shape: Shape, clients: int, seconds: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\n".join(shape.paths) + "\n")
    try:
        script = ROTATE % {"auth": wrk_driver.auth_line(target.token), "paths": handle.name}
        result = wrk_driver.run(base_url, script, clients, seconds)
    finally:
        Path(handle.name).unlink()
    return Figures(
        result["rate"],
        result["p50"],
        result["p95"],
        result["p99"],
        int(result["errors"]),
        int(result["requests"]),
    )


def _print(name: str, figures: Figures, detail: str) -> None:
    print(
        f"{name:<38} {figures.rate:8.0f} req/s   p50 {figures.p50:7.2f} ms   p95 {figures.p95:7.2f} ms   "
        f"p99 {figures.p99:7.2f} ms   errors {figures.errors}   ({detail})"
    )


def _paths_summary(shapes: list[Shape]) -> Iterator[str]:
    for shape in shapes:
        yield f"  {shape.name:<38} {len(shape.paths):4d} URLs, e.g. {shape.paths[0] if shape.paths else '-'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="FHIR base URL on loopback, e.g. http://127.0.0.1:8080/fhir")
    parser.add_argument("--patients", type=int, default=1000, help="patients to generate (~270 resources each)")
    parser.add_argument("--token", help="bearer token to send (to compare with other servers)")
    parser.add_argument("--skip-load", action="store_true", help="query what is already loaded")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each timed shape")
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections per shape")
    parser.add_argument("--load-workers", type=int, default=4, help="worker processes for the load")
    parser.add_argument("--bundle", type=int, default=500, help="PUT entries per transaction Bundle (0: one PUT each)")
    parser.add_argument("--urls", type=int, default=200, help="concrete URLs per shape")
    parser.add_argument("--seed", type=int, default=1, help="data set seed (same seed, same resources)")
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host", file=sys.stderr)
        return 2
    if args.patients < 1 or args.load_workers < 1 or args.clients < 1:
        print("--patients, --load-workers and --clients must be positive", file=sys.stderr)
        return 2
    target = Target(url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/"), args.token)
    print(f"target {args.base_url}  patients {args.patients}  seed {args.seed}")
    if not args.skip_load and not load(target, args.patients, args.seed, args.load_workers, args.bundle):
        return 1
    started = time.perf_counter()
    shapes = prepare(target.path, args.patients, args.seed, args.urls)
    print(f"query URLs prepared in {time.perf_counter() - started:.1f} s:")
    for line in _paths_summary(shapes):
        print(line)
    print("checks (first URL of each shape):")
    statuses = [preflight(target, shape) if shape.paths else "no URLs" for shape in shapes]
    if not wrk_driver.available():
        print("wrk is not installed: no timings", file=sys.stderr)
        return 1
    print(f"timings: wrk, {args.clients} connections, {args.seconds} s per shape")
    for shape, status in zip(shapes, statuses, strict=True):
        if not shape.paths:
            continue
        figures = time_shape(args.base_url, target, shape, args.clients, args.seconds)
        _print(shape.name, figures, f"{figures.requests} requests over {len(shape.paths)} URLs, {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
