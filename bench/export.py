"""Bulk $export benchmark: load N resources into a scratch PostgreSQL database, export them, print the figures.

Usage: python bench/export.py [--resources 300000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                              [--batch-size 5000] [--keep]

Loading writes Synthea-like resources (``synthea_like.generate``) straight into the ``resource``
table with COPY: the fastest path, and enough for a system export, which reads only that table
(search index tables stay empty, so this database is not for searching). Then ``fhir-server
serve`` starts on a free loopback port, a system ``$export`` runs to its manifest, and the script
prints resources/s (kick-off to manifest) and the growth of the server's RSS (VmRSS, sampled every
50 ms). The scratch database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson
import synthea_like as data
from pg_scratch import scratch_database

from fhir_server.storage.bulk import bulk_insert
from fhir_server.storage.engine import make_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.schema import resource

ROOT = Path(__file__).resolve().parents[1]
PER_PATIENT = 250  # about 270 on average; a margin so the set never runs short


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(url: str, total: int) -> int:
    """COPY about ``total`` resources into the resource table; returns how many."""
    engine = make_engine(url)
    upgrade(engine)
    stamp = int(time.time() * 1_000_000)
    instant = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows: list[dict[str, object]] = []
    written = 0
    with engine.begin() as connection:
        for type_name, res_id, body in data.generate(patients=total // PER_PATIENT + 1):
            if written + len(rows) >= total:
                break
            body["meta"] = {"versionId": "1", "lastUpdated": instant}
            rows.append({"res_type": type_name, "res_id": res_id, "version": 1, "last_updated": stamp,
                         "deleted": False, "content": orjson.dumps(body)})  # fmt: skip
            if len(rows) == 20_000:
                bulk_insert(connection, resource, rows)
                written += len(rows)
                rows = []
        bulk_insert(connection, resource, rows)
        written += len(rows)
        connection.exec_driver_sql("ANALYZE resource")
    engine.dispose()
    return written


def rss_kb(pid: int) -> int:
    """VmRSS of the process and its children (uvicorn workers), in kB."""
    pids = [pid]
    pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def serve(url: str, port: int, bulk_dir: str, batch_size: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FHIR_DATABASE_URL": url, "FHIR_BASE_URL": f"http://127.0.0.1:{port}/fhir",
           "FHIR_AUTH_ENABLED": "false", "FHIR_AUDIT_ENABLED": "false", "FHIR_LOG_LEVEL": "warning",
           "FHIR_BULK_DIR": bulk_dir, "FHIR_BULK_BATCH_SIZE": str(batch_size),
           "FHIR_BULK_POLL_SECONDS": "0.05"}  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "fhir_server", "serve", "--port", str(port)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def _run(url: str, resources: int, batch_size: int) -> None:
    server = None
    try:
        started = time.monotonic()
        count = load(url, resources)
        print(f"loaded {count} resources in {time.monotonic() - started:.1f} s (COPY into the resource table)")
        port = _free_port()
        with tempfile.TemporaryDirectory() as bulk_dir:
            server = serve(url, port, bulk_dir, batch_size)
            base = f"http://127.0.0.1:{port}/fhir"
            baseline = rss_kb(server.pid)
            peak = [baseline]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kb(server.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            begin = time.monotonic()
            kicked = httpx.get(f"{base}/$export", headers={"Prefer": "respond-async"}, timeout=30)
            assert kicked.status_code == 202, kicked.text
            status_url = kicked.headers["content-location"]
            while True:
                polled = httpx.get(status_url, timeout=30)
                if polled.status_code != 202:
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - begin
            done.set()
            sampler.join()
            assert polled.status_code == 200, polled.text
            exported = sum(o["count"] for o in polled.json()["output"])
            size = sum(f.stat().st_size for f in Path(bulk_dir).rglob("*.ndjson"))
            print(f"exported {exported} resources ({size / 1e6:.0f} MB NDJSON) in {elapsed:.2f} s: "
                  f"{exported / elapsed:,.0f} resources/s")  # fmt: skip
            print(f"server RSS: {baseline / 1024:.0f} MB before, {peak[0] / 1024:.0f} MB peak, "
                  f"growth {(peak[0] - baseline) / 1024:.0f} MB")  # fmt: skip
    finally:
        if server is not None:
            server.kill()
            server.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=300_000)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with scratch_database(args.admin_url, "fhir_bench_export", keep=args.keep) as (_, url):
        _run(url, args.resources, args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
