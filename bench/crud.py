"""CRUD benchmark: sequential and concurrent Patient creates, concurrent reads by id.

Usage: python bench/crud.py BASE_URL [--token TOKEN] [--creates N] [--reads N]

Each simulated client is its own process with one keep-alive HTTP/1.1 connection, so the load
generator is not limited by one interpreter. Loopback only: the script refuses other hosts.
Prints requests/s and p50/p95/p99 latency for each phase.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

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


def _worker(target: Target, kind: str, jobs: list[int], ids: list[str], barrier, results) -> None:
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
            connection.request(
                "GET", f"{target.path}/Patient/{ids[job % len(ids)]}", headers=_headers(target, False)
            )
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
    print(
        f"{name:<28} {len(latencies) / elapsed:8.0f} req/s   p50 {q[49] * 1000:6.2f} ms   "
        f"p95 {q[94] * 1000:6.2f} ms   p99 {q[98] * 1000:6.2f} ms   errors {errors}   "
        f"({len(latencies)} requests, {clients} clients)"
    )
    return created


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base_url", help="FHIR base URL on loopback, e.g. http://127.0.0.1:8080/fhir")
    parser.add_argument("--token", help="bearer token to send (to compare with other servers)")
    parser.add_argument("--creates", type=int, default=2000, help="creates per create phase")
    parser.add_argument("--reads", type=int, default=30000, help="reads in the read phase")
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("refusing to load a non-loopback host", file=sys.stderr)
        return 2
    target = Target(url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/"), args.token)
    mp.set_start_method("fork")
    print(f"target {args.base_url}")
    run_phase(target, "create, sequential", "create", 1, max(args.creates // 4, 100), [])
    ids = run_phase(target, "create, 8 concurrent", "create", 8, args.creates, [])
    run_phase(target, "read by id, 16 concurrent", "read", 16, args.reads, ids)
    return 0


if __name__ == "__main__":
    sys.exit(main())
