"""Cost of authorization per request: ``authenticate(bearer)`` alone, and a read by id with and without it.

Usage: python bench/auth.py [--calls N] [--postgres ADMIN_URL | --no-postgres]

Runs on a scratch SQLite file and on a scratch PostgreSQL database (created on the server at
ADMIN_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, dropped afterwards). Calls
the functions in-process, as the HTTP layer will, through the read engine the API uses (autocommit
on PostgreSQL). Prints p50/p95 in microseconds and the ratio read-with-token / read-without.

Once the FHIR routes enforce tokens, the same figures over HTTP come from bench/crud.py with a token.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fhir_server.auth.accounts import create_account
from fhir_server.auth.grant import TokenAuthenticator
from fhir_server.auth.tokens import Issued, LaunchContext, new_token_values, store_tokens
from fhir_server.interactions.context import RequestContext
from fhir_server.interactions.crud import read, update
from fhir_server.storage.engine import make_engine, make_read_engine
from fhir_server.storage.migrate import upgrade
from fhir_server.storage.params.common import ExtractContext
from fhir_server.storage.repository import SqlStorage

AUDIENCE = "http://127.0.0.1:8080/fhir"
ZONE = ZoneInfo("America/Guayaquil")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.95)] * 1e6


def measure(work: Callable[[], object], calls: int) -> tuple[float, float]:
    for _ in range(min(200, calls)):  # warm pools and caches
        work()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench-auth.sqlite3'}"


@contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_auth_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(label: str, url: str, calls: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    read_engine = make_read_engine(engine)
    try:
        storage = SqlStorage(engine, read_engine, ExtractContext(ZONE, AUDIENCE))
        ctx = RequestContext(base_url=AUDIENCE, language="es", zone=ZONE)
        res_id = "bench-patient"
        update(storage, ctx, "Patient", res_id, b'{"resourceType":"Patient","id":"bench-patient","gender":"female"}')
        account = create_account(engine, "bench-doctor", "bench-password-1", "doctor", "Practitioner/bench")
        issued: Issued = new_token_values(False)
        store_tokens(
            engine,
            issued,
            family_id="bench",
            client_id="bench",
            account_id=account.id,
            scope="openid fhirUser user/*.cruds",
            context=LaunchContext(),
            audience=AUDIENCE,
            access_seconds=3600,
            refresh_seconds=0,
        )
        authenticator = TokenAuthenticator(read_engine, AUDIENCE)
        assert authenticator.authenticate(issued.access_token) is not None

        auth_p50, auth_p95 = measure(lambda: authenticator.authenticate(issued.access_token), calls)
        open_p50, open_p95 = measure(lambda: read(storage, ctx, "Patient", res_id), calls)

        def read_with_token() -> object:
            assert authenticator.authenticate(issued.access_token) is not None
            return read(storage, ctx, "Patient", res_id)

        token_p50, token_p95 = measure(read_with_token, calls)
        print(f"{label:<10} authenticate            p50 {auth_p50:7.0f} µs   p95 {auth_p95:7.0f} µs")
        print(f"{label:<10} read by id, no token    p50 {open_p50:7.0f} µs   p95 {open_p95:7.0f} µs")
        print(f"{label:<10} read by id + token      p50 {token_p50:7.0f} µs   p95 {token_p95:7.0f} µs")
        print(f"{label:<10} ratio with/without      {token_p50 / open_p50:.2f} (p50)")
    finally:
        read_engine.dispose()
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5000, help="timed calls per figure")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with sqlite_url() as url:
        run("sqlite", url, args.calls)
    if not args.no_postgres:
        with postgres_url(args.postgres) as url:
            run("postgresql", url, args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
