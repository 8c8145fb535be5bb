"""Terminology benchmark: ValueSet/$expand with text filters over the whole CIE-10, and $validate-code.

Usage: python bench/terminology.py BASE_URL [--requests N] [--clients C] [--token TOKEN]

Checks first that CIE-10 is loaded (`fhir-server load-terminology`), then runs each phase with one
client (latency) and with C concurrent clients (throughput), each client a process with one
keep-alive HTTP/1.1 connection. Prints requests/s and p50/p95/p99 latency per phase. Targets
(issue 6): $expand with a filter under 30 ms p95, $validate-code under 5 ms p95. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import statistics
import sys
import time
from typing import Any
from urllib.parse import quote, urlsplit

ICD10 = "http://hl7.org/fhir/sid/icd-10"
DIAGNOSIS = "https://fhir.consultorio.ec/fhir/ValueSet/cie10-activos"
ALL_CODES = "https://fhir.consultorio.ec/fhir/ValueSet/cie10"
# Common words and their prefixes (cold caches), codes, multi-word and very broad filters ("a", "de").
_WORDS = [
    "faringitis",
    "hipertension",
    "diabetes",
    "cefalea",
    "neumonia",
    "fractura",
    "infeccion",
    "gastritis",
    "lumbago",
    "asma",
    "anemia",
    "dermatitis",
    "conjuntivitis",
    "otitis",
    "bronquitis",
    "migrana",
    "obesidad",
    "depresion",
    "ansiedad",
    "artritis",
    "cistitis",
    "embarazo",
    "tumor",
    "quemadura",
    "intoxicacion",
    "hepatitis",
    "colitis",
    "sinusitis",
    "amigdalitis",
    "varicela",
    "dengue",
    "paludismo",
    "tuberculosis",
    "insuficiencia",
    "cardiaca",
]
FILTERS = [w[:n] for w in _WORDS for n in (4, 6, len(w))] + [
    "J02",
    "J06.9",
    "I10",
    "E11",
    "K29.7",
    "diabetes tipo 2",
    "infeccion aguda vias",
    "dolor abdo",
    "fractura de femur",
    "a",
    "de",
]
CODES = ["J06.9", "I10", "E11.9", "K29.7", "N39.0", "M54.5", "R51", "Z00.0", "J02.9", "A09.9", "J06", "Q99.99"]
TARGETS = {"expand": 30.0, "validate-code": 5.0}


def _paths(base: str, kind: str, count: int) -> list[str]:
    paths = []
    for n in range(count):
        if kind == "expand":
            value_set = DIAGNOSIS if n % 3 else ALL_CODES
            text = FILTERS[n % len(FILTERS)]
            paths.append(f"{base}/ValueSet/$expand?url={quote(value_set)}&filter={quote(text)}&count=20")
        else:
            code = CODES[n % len(CODES)]
            paths.append(
                f"{base}/ValueSet/$validate-code?url={quote(DIAGNOSIS)}&system={quote(ICD10)}&code={quote(code)}"
            )
    return paths


def _worker(host: str, port: int, headers: dict[str, str], paths: list[str], barrier: Any, results: Any) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=60)
    latencies: list[float] = []
    errors = 0
    barrier.wait()
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        errors += response.status != 200
    connection.close()
    results.put((latencies, errors))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_phase(host: str, port: int, headers: dict[str, str], paths: list[str], clients: int) -> dict[str, float]:
    """Spread the paths over ``clients`` processes; latencies in ms, throughput in requests/s."""
    barrier = mp.Barrier(clients + 1)
    results: Any = mp.Queue()
    chunks = [paths[i::clients] for i in range(clients)]
    workers = [mp.Process(target=_worker, args=(host, port, headers, c, barrier, results)) for c in chunks]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        chunk_latencies, chunk_errors = results.get(timeout=600)
        latencies += chunk_latencies
        errors += chunk_errors
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": _percentile(latencies, 0.50) * 1000,
        "p95": _percentile(latencies, 0.95) * 1000,
        "p99": _percentile(latencies, 0.99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
    }


def check_loaded(host: str, port: int, base: str, headers: dict[str, str]) -> str:
    """The CIE-10 version the server holds (exits when it holds none)."""
    connection = http.client.HTTPConnection(host, port, timeout=120)
    connection.request("GET", f"{base}/CodeSystem/$lookup?system={quote(ICD10)}&code=J06.9", headers=headers)
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    if response.status != 200:
        sys.exit(f"CIE-10 is not loaded (HTTP {response.status}): run `fhir-server load-terminology` first")
    # Warm the expansions each worker process builds on first use.
    for _ in range(4):
        for value_set in (DIAGNOSIS, ALL_CODES):
            connection.request(
                "GET", f"{base}/ValueSet/$expand?url={quote(value_set)}&filter=j&count=1", headers=headers
            )
            connection.getresponse().read()
    connection.close()
    params = {p["name"]: p.get("valueString") for p in body.get("parameter", [])}
    return f"{params.get('version')} — J06.9 {params.get('display')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--requests", type=int, default=3000, help="requests per concurrent phase")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--token")
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("refusing a non-loopback target")
    host, port, base = url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/")
    headers = {"Accept": "application/fhir+json"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    print(f"CIE-10: {check_loaded(host, port, base, headers)}")
    print(f"{'phase':<34}{'requests':>9}{'errors':>7}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind in ("expand", "validate-code"):
        for clients, count in ((1, max(200, args.requests // 5)), (args.clients, args.requests)):
            stats = run_phase(host, port, headers, _paths(base, kind, count), clients)
            name = f"{kind} ({clients} client{'s' if clients > 1 else ''})"
            print(
                f"{name:<34}{stats['requests']:>9.0f}{stats['errors']:>7.0f}{stats['rps']:>9.0f}"
                f"{stats['p50']:>9.2f}{stats['p95']:>9.2f}{stats['p99']:>9.2f}"
                f"   target p95 < {TARGETS[kind]:.0f} ms"
            )


if __name__ == "__main__":
    main()
