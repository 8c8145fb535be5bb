"""Soak: mixed traffic at 8-32 clients for a fixed time, then a consistency check.

Usage:
  python bench/soak.py --spawn [--admin-url URL] [--workers 2] [--clients 16] [--seconds 60] [--mix writes|clinic]
                       [--rate REQUESTS_PER_S]
  python bench/soak.py BASE_URL [--server-pid PID] [--token TOKEN] [--clients 16] [--seconds 60] [--rate R]

``--spawn`` creates a scratch PostgreSQL database, migrates it, runs ``fhir-server serve --workers N``
on a free loopback port with authorization off (FHIR_AUTH_ENABLED=false; audit on), and drops the
database afterwards. The spawned server runs the code of the checkout this script lives in
(``python -m fhir_server`` from its root): to compare two commits, run each one's own script.
Otherwise the soak drives the server at BASE_URL (loopback only; ``--token``
for a server with authorization on, ``--server-pid`` to report its memory).

Clients are separate processes (multiprocessing), one keep-alive HTTP/1.1 connection each, so the
figures are measured from outside the server; on two cores the clients take CPU from the server.
The mix: reads by id, searches, creates, conditional creates over a shared identifier pool,
transaction bundles, and appointment bookings (and cancellations) contending for a few slots.
Without ``--rate`` each client sends its next request as soon as the last is answered (closed loop:
the server's saturation throughput, with latency growing with the number of clients). With ``--rate``
the clients together offer that many requests per second, each on its own schedule (open loop, as
wrk2 does): a latency counts from the moment its request was due, so a server that cannot hold the
rate shows it in every percentile. ``--warmup S`` runs the same traffic for S seconds before timing
starts (a new server's first requests build its caches and connections); writes made during the
warm-up are checked like the others, and the CPU and memory figures cover the timed part only.
Prints requests/s by kind, p50/p95/p99, non-2xx by status, 5xx, server RSS at start and end, the
server's CPU, with ``--spawn`` the CPU of its database's PostgreSQL backends, and the share of all the
machine's cores busy during the timed part (clients, server and PostgreSQL share them), then checks:
every acknowledged write present, no duplicate conditional create, no double booking.
Exit status 1 when the check finds a problem or a 5xx occurred.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from pg_scratch import BackendCpu, libpq_url, process_cpu
from soak_check import check
from soak_traffic import MIXES, ClientReport, Target, headers, run_client, seed_resources

ROOT = Path(__file__).resolve().parents[1]


def rss_kib(pid: int) -> dict[int, int]:
    """VmRSS of the process and all its descendants, by pid (from /proc)."""
    result: dict[int, int] = {}
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
        result[current] = int(line.split()[1])
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process and all its descendants (from /proc)."""
    return sum(process_cpu(current) or 0.0 for current in rss_kib(pid))


def machine_busy() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Spawned:
    """A scratch database and a `fhir-server serve` on it."""

    def __init__(self, admin_url: str, workers: int) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"fhir_soak_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        url = sa.make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)
        self.admin_dsn = libpq_url(admin_url)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}/fhir"
        env = {**os.environ, "FHIR_DATABASE_URL": url, "FHIR_AUTH_ENABLED": "false", "FHIR_BASE_URL": self.base,
               "FHIR_LOG_LEVEL": "warning"}  # fmt: skip
        command = [sys.executable, "-m", "fhir_server"]
        subprocess.run([*command, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        self.process = subprocess.Popen([*command, "serve", "--port", str(port), "--workers", str(workers)],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/metadata", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise RuntimeError("the server did not start")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def seed(target: Target) -> None:
    import http.client

    connection = http.client.HTTPConnection(target.host, target.port, timeout=60)
    for resource in seed_resources():
        path = f"{target.path}/{resource['resourceType']}/{resource['id']}"
        connection.request("PUT", path, json.dumps(resource).encode(), headers(target, "application/fhir+json"))
        response = connection.getresponse()
        body = response.read()
        if response.status not in (200, 201):
            raise RuntimeError(f"seeding {path}: {response.status} {body[:300]!r}")
    connection.close()


def run(
    target: Target, clients: int, mix: str, seconds: float, rate: float, warmup: float, timed: Callable[[], None]
) -> tuple[list[ClientReport], float]:
    """Runs the clients; ``timed`` is called when the timed part begins (after the warm-up)."""
    barrier = mp.Barrier(clients + 1)
    results: mp.Queue[ClientReport] = mp.Queue()
    per_client = rate / clients
    processes = [
        mp.Process(target=run_client, args=(target, 1000 + n, mix, seconds, barrier, results, per_client, warmup))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    time.sleep(warmup)
    started = time.monotonic()
    timed()
    reports = [results.get(timeout=warmup + seconds + 120) for _ in processes]
    elapsed = time.monotonic() - started
    for process in processes:
        process.join()
    return reports, elapsed


def _ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def report(reports: list[ClientReport], elapsed: float) -> int:
    """Prints the figures; returns the count of 5xx."""
    by_kind: dict[str, list[float]] = {}
    for r in reports:
        for kind, _, latency in r.timeline:
            by_kind.setdefault(kind, []).append(latency)
    kinds = sorted(by_kind)
    every: list[float] = []
    statuses: Counter[int] = Counter()
    print(f"{'kind':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for kind in kinds:
        latencies = by_kind[kind]
        by_status: Counter[int] = sum((r.statuses.get(kind, Counter()) for r in reports), Counter())
        statuses += by_status
        every += latencies
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items()))
        print(f"{kind:<12} {len(latencies) / elapsed:8.0f} {_ms(latencies, 50):8.2f} {_ms(latencies, 95):8.2f} "
              f"{_ms(latencies, 99):8.2f}  {shown}")  # fmt: skip
    print(f"{'all':<12} {len(every) / elapsed:8.0f} {_ms(every, 50):8.2f} {_ms(every, 95):8.2f} {_ms(every, 99):8.2f}"
          f"  {len(every)} requests in {elapsed:.1f} s")  # fmt: skip
    non_2xx = {s: n for s, n in sorted(statuses.items()) if not 200 <= s < 300}
    server_errors = sum(n for s, n in non_2xx.items() if s >= 500)
    failures = sum(r.failures for r in reports)
    print(f"non-2xx by status: {non_2xx or 'none'} (409: bookings that lost the race for a slot)")
    print(f"5xx: {server_errors}   connection failures: {failures}")
    _timeline([(due, latency) for r in reports for _, due, latency in r.timeline])
    return server_errors + failures


def _timeline(points: list[tuple[float, float]]) -> None:
    """Per-second p99 and worst latency: a tail made of a few stalls looks different from one spread evenly."""
    if not points:
        return
    start = min(due for due, _ in points)
    seconds: dict[int, list[float]] = {}
    for due, latency in points:
        seconds.setdefault(int(due - start), []).append(latency)
    buckets = [seconds.get(n, [0.0]) for n in range(max(seconds) + 1)]  # a second with no request counts as 0
    p99s = [_ms(bucket, 99) for bucket in buckets]
    worst = [max(bucket) * 1000 for bucket in buckets]
    over = sum(1 for value in p99s if value > 100)
    print(f"seconds whose p99 is over 100 ms: {over} of {len(p99s)}")
    print("p99 ms by second:", " ".join(f"{value:.0f}" for value in p99s))
    print("max ms by second:", " ".join(f"{value:.0f}" for value in worst))


def _rss_line(label: str, pid: int | None) -> None:
    if pid is None:
        print(f"server RSS {label}: unknown (give --server-pid)")
        return
    sizes = rss_kib(pid)
    detail = ", ".join(f"{p}: {kib / 1024:.0f}" for p, kib in sorted(sizes.items()))
    print(f"server RSS {label}: {sum(sizes.values()) / 1024:.0f} MiB total ({detail} MiB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base_url", nargs="?")
    parser.add_argument("--spawn", action="store_true", help="start a server on a scratch PostgreSQL database")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--mix", choices=sorted(MIXES), default="writes", help="request mix (weights in soak_traffic)")
    parser.add_argument("--rate", type=float, default=0, help="offered requests/s in all (0: closed loop)")
    parser.add_argument("--warmup", type=float, default=0, help="seconds of the same traffic before timing starts")
    parser.add_argument("--token")
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be between 1 and 64")
    if args.rate < 0 or args.warmup < 0:
        parser.error("--rate and --warmup must not be negative")
    spawned = Spawned(args.admin_url, args.workers) if args.spawn else None
    base_url = spawned.base if spawned else args.base_url
    if not base_url:
        parser.error("give BASE_URL or --spawn")
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the soak only drives a server on the loopback interface")
    target = Target(parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/"), args.token)
    pid = spawned.process.pid if spawned else args.server_pid
    try:
        seed(target)
        mode = f"spawned, {args.workers} workers, auth off" if spawned else base_url
        weights = ", ".join(f"{k} {v}" for k, v in MIXES[args.mix].items())
        pacing = f"paced at {args.rate:g} requests/s in all" if args.rate > 0 else "closed loop"
        if args.warmup > 0:
            pacing += f", after {args.warmup:g} s of untimed warm-up"
        print(f"soak: {args.clients} client processes, {args.seconds:.0f} s, {pacing}, mix {args.mix} ({weights}), "
              f"server {mode}")  # fmt: skip
        cpu_before: list[float] = []
        machine_before: list[tuple[int, int]] = []
        backends: list[BackendCpu] = []
        if args.warmup > 0:
            _rss_line("before the warm-up", pid)

        def timed() -> None:
            _rss_line("at start" + (" of the timed part" if args.warmup > 0 else ""), pid)
            if pid:
                cpu_before.append(cpu_seconds(pid))
            machine_before.append(machine_busy())
            if spawned:
                backends.append(BackendCpu(spawned.admin_dsn, [spawned.name]))
                backends[0].start()

        reports, elapsed = run(target, args.clients, args.mix, args.seconds, args.rate, args.warmup, timed)
        errors = report(reports, elapsed)
        total = sum(len(r.timeline) for r in reports)
        if pid and cpu_before:
            used = cpu_seconds(pid) - cpu_before[0]
            print(f"server CPU: {used:.1f} s in {elapsed:.1f} s ({used / elapsed:.2f} cores), "
                  f"{1000 * used / max(total, 1):.2f} ms per request")  # fmt: skip
        if backends and spawned:
            used = backends[0].finish()[spawned.name]
            print(f"PostgreSQL CPU (the scratch database's backends): {used:.1f} s ({used / elapsed:.2f} cores), "
                  f"{1000 * used / max(total, 1):.2f} ms per request")  # fmt: skip
        if machine_before:
            busy, ticks = (now - then for now, then in zip(machine_busy(), machine_before[0], strict=True))
            print(f"machine: {100 * busy / max(ticks, 1):.0f} % of all cores busy during the timed part")
        generator = sum(r.cpu_s for r in reports)
        ran = elapsed + args.warmup
        print(f"load generator CPU ({args.clients} client processes, warm-up included): {generator:.1f} s, "
              f"{generator / ran:.2f} cores")  # fmt: skip
        _rss_line("at end", pid)
        problems = check(target, reports)
    finally:
        if spawned:
            spawned.close()
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("consistency: OK" if not problems else f"consistency: {len(problems)} problems")
    return 1 if problems or errors else 0


if __name__ == "__main__":
    sys.exit(main())
