"""CRUD benchmark: sequential and 8-concurrent Patient creates, 16-concurrent reads by id.

Usage: python bench/crud.py BASE_URL [--token TOKEN] [--driver wrk|python] [--seconds N]

Driver ``wrk`` (default when installed) runs the C load generator with Lua scripts, so the
figures are the server's, not the client's. Driver ``python`` runs one process per simulated
client, each with one keep-alive HTTP/1.1 connection; on two cores those processes take CPU
from the server. Loopback only: the script refuses other hosts. Prints requests/s and
p50/p95/p99 latency for each phase.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import wrk_driver

GIVEN = ["José", "María", "Luis", "Ana", "Carlos", "Rosa", "Jorge", "Lucía"]
FAMILY = ["Pérez", "Guamán", "Núñez", "Quishpe", "Andrade", "Zambrano", "Torres", "Vera"]


@dataclass
class Target:
    host: str
    port: int
    path: str
    token: str | None


def patient_body(n: int) -> bytes:
    rng = random.Random(n)
    return json.dumps(
        {
            "resourceType": "Patient",
            "identifier": [{"system": "urn:oid:2.16.218.1.1", "value": f"{1700000000 + n}"}],
            "name": [{"family": rng.choice(FAMILY), "given": [rng.choice(GIVEN)]}],
            "gender": rng.choice(["male", "female"]),
            "birthDate": f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "telecom": [{"system": "phone", "value": f"09{rng.randint(10000000, 99999999)}"}],
            "address": [{"city": "Quito", "country": "EC"}],
        }
    ).encode()


def _headers(target: Target, body: bool) -> dict[str, str]:
    headers = {"Accept": "application/fhir+json"}
    if body:
        headers["Content-Type"] = "application/fhir+json"
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    return headers


def _worker(target: Target, kind: str, jobs: list[int], ids: list[str], barrier: Any, results: Any) -> None:
    connection = http.client.HTTPConnection(target.host, target.port, timeout=60)
    latencies: list[float] = []
    errors = 0
    created: list[str] = []
    barrier.wait()
    for job in jobs:
        started = time.perf_counter()
        if kind == "create":
            connection.request("POST", f"{target.path}/Patient", patient_body(job), _headers(target, True))
        else:
            connection.request("GET", f"{target.path}/Patient/{ids[job % len(ids)]}", headers=_headers(target, False))
        response = connection.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status not in (200, 201):
            errors += 1
        elif kind == "create" and len(created) < 2000:
            created.append(json.loads(payload)["id"])
    connection.close()
    results.put((latencies, errors, created))


def run_phase(target: Target, name: str, kind: str, clients: int, total: int, ids: list[str]) -> list[str]:
    jobs = [list(range(i, total, clients)) for i in range(clients)]
    barrier = mp.Barrier(clients + 1)
    results: mp.Queue[tuple[list[float], int, list[str]]] = mp.Queue()
    offset = random.randrange(10**6) * 10
    workers = [
        mp.Process(target=_worker, args=(target, kind, [offset + j for j in part], ids, barrier, results))
        for part in jobs
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    gathered = [results.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    latencies = sorted(x for lat, _, _ in gathered for x in lat)
    errors = sum(e for _, e, _ in gathered)
    created = [i for _, _, c in gathered for i in c]
    q = statistics.quantiles(latencies, n=100)
    rate = len(latencies) / elapsed
    detail = f"python, {len(latencies)} requests, {clients} client processes"
    _print(name, rate, q[49] * 1000, q[94] * 1000, q[98] * 1000, errors, detail)
    return created


def _print(name: str, rate: float, p50: float, p95: float, p99: float, errors: int, detail: str) -> None:
    print(
        f"{name:<28} {rate:8.0f} req/s   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   p99 {p99:6.2f} ms   "
        f"errors {errors}   ({detail})"
    )


def run_wrk(target: Target, base_url: str, seconds: int) -> None:
    """The three phases with wrk; ids for the read phase come from the creates."""
    auth = wrk_driver.auth_line(target.token)
    create_url = f"{base_url.rstrip('/')}/Patient"
    for name, clients in (("create, sequential", 1), ("create, 8 concurrent", 8)):
        result = wrk_driver.run(create_url, wrk_driver.CREATE % {"auth": auth}, clients, seconds)
        _print(name, result["rate"], result["p50"], result["p95"], result["p99"], int(result["errors"]),
               f"wrk, {int(result['requests'])} requests, {clients} connections")  # fmt: skip
    ids = _some_ids(target)
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as handle:
        handle.write("\n".join(ids))
    script = wrk_driver.READ % {"auth": auth, "ids": handle.name, "path": target.path}
    result = wrk_driver.run(base_url, script, 16, seconds)
    detail = f"wrk, {int(result['requests'])} requests over {len(ids)} ids, 16 connections"
    _print("read by id, 16 concurrent", result["rate"], result["p50"], result["p95"], result["p99"],
           int(result["errors"]), detail)  # fmt: skip


def _some_ids(target: Target) -> list[str]:
    connection = http.client.HTTPConnection(target.host, target.port, timeout=60)
    connection.request("GET", f"{target.path}/Patient?_count=1000&_elements=id", headers=_headers(target, False))
    bundle = json.loads(connection.getresponse().read())
    connection.close()
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", help="FHIR base URL on loopback, e.g. http://127.0.0.1:8080/fhir")
    parser.add_argument("--token", help="bearer token to send (to compare with other servers)")
    parser.add_argument("--creates", type=int, default=2000, help="creates per create phase")
    parser.add_argument("--reads", type=int, default=30000, help="reads in the read phase")
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk phase")
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host", file=sys.stderr)
        return 2
    target = Target(url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/"), args.token)
    driver = args.driver
    if driver == "auto":
        driver = "wrk" if wrk_driver.available() else "python"
    print(f"target {args.base_url}  driver {driver}")
    if driver == "wrk":
        run_wrk(target, args.base_url, args.seconds)
        return 0
    mp.set_start_method("fork")
    run_phase(target, "create, sequential", "create", 1, max(args.creates // 4, 100), [])
    ids = run_phase(target, "create, 8 concurrent", "create", 8, args.creates, [])
    run_phase(target, "read by id, 16 concurrent", "read", 16, args.reads, ids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
