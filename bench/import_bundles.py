"""Bulk import of Synthea-like transaction bundles with `fhir-server import` into a scratch PostgreSQL database.

The bundles look like Synthea's output: one transaction Bundle per patient whose entries are POSTs with
``urn:uuid:`` fullUrls, references between them by urn, and conditional references
(``Practitioner?identifier=...``, ``Location?identifier=...``) to the clinic's staff and rooms, which
come in a ``practitionerInformation`` bundle of conditional creates (imported first, as with Synthea).

Usage: python bench/import_bundles.py [--patients 60] [--workers N] [--keep]
Prints the resources/s the import reached (target: 5,000/s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthea_like

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LOCATION_SYSTEM = "https://clinica.example.ec/consultorio"
NAMESPACE = uuid.UUID("6f0c2a52-8d65-4c1e-9a57-0b7c1d0e3f11")


def _urn(type_name: str, id_: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{type_name}/{id_}')}"


def _conditional(type_name: str, id_: str, identifiers: dict[str, str]) -> str:
    return f"{type_name}?identifier={identifiers[f'{type_name}/{id_}']}"


def _rewrite(value: Any, local: set[str], identifiers: dict[str, str]) -> Any:
    """References to this patient's resources become urns; to staff and rooms, conditional references."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key == "reference" and isinstance(item, str) and "/" in item:
                type_name, id_ = item.split("/", 1)
                result[key] = _urn(type_name, id_) if item in local else _conditional(type_name, id_, identifiers)
            else:
                result[key] = _rewrite(item, local, identifiers)
        return result
    if isinstance(value, list):
        return [_rewrite(item, local, identifiers) for item in value]
    return value


def _shared_bundle(seed: int) -> tuple[dict[str, Any], dict[str, str]]:
    identifiers: dict[str, str] = {}
    entries = []
    for resource in synthea_like.practitioners(seed) + synthea_like.locations(seed):
        resource = dict(resource)
        type_name, id_ = resource["resourceType"], resource.pop("id")
        if type_name == "Location":
            resource["identifier"] = [{"system": LOCATION_SYSTEM, "value": id_}]
        token = f"{resource['identifier'][0]['system']}|{resource['identifier'][0]['value']}"
        identifiers[f"{type_name}/{id_}"] = token
        entries.append(
            {
                "fullUrl": _urn(type_name, id_),
                "resource": resource,
                "request": {"method": "POST", "url": type_name, "ifNoneExist": f"identifier={token}"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}, identifiers


def _patient_bundle(k: int, seed: int, identifiers: dict[str, str]) -> dict[str, Any]:
    resources = [synthea_like.patient(k, seed), *synthea_like.encounters(k, seed)]
    resources += [*synthea_like.observations(k, seed), *synthea_like.conditions(k, seed)]
    resources += synthea_like.appointments(k, seed)
    local = {f"{r['resourceType']}/{r['id']}" for r in resources}
    entries = []
    for resource in resources:
        type_name, id_ = resource["resourceType"], resource["id"]
        body = _rewrite({k: v for k, v in resource.items() if k != "id"}, local, identifiers)
        entries.append(
            {"fullUrl": _urn(type_name, id_), "resource": body, "request": {"method": "POST", "url": type_name}}
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def write_bundles(directory: Path, patients: int, seed: int = 1) -> int:
    """Synthea-like bundles into ``directory``; returns how many resources they hold."""
    shared, identifiers = _shared_bundle(seed)
    (directory / "practitionerInformation.json").write_text(json.dumps(shared, ensure_ascii=False))
    total = len(shared["entry"])
    for k in range(1, patients + 1):
        bundle = _patient_bundle(k, seed, identifiers)
        total += len(bundle["entry"])
        (directory / f"patient-{k:05d}.json").write_text(json.dumps(bundle, ensure_ascii=False))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="import workers (default: CPU count)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--provenance-per-resource", action="store_true", help="measure the per-resource audit")
    args = parser.parse_args()

    name = f"fhir_bench_import_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "FHIR_DATABASE_URL": url}
    cli = str(Path(sys.executable).with_name("fhir-server"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            total = write_bundles(Path(tmp), args.patients, args.seed)
            print(f"{args.patients} patient bundles, {total} resources in {tmp}")
            subprocess.run([cli, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
            command = [cli, "import", tmp] + (["--workers", str(args.workers)] if args.workers else [])
            command += ["--provenance-per-resource"] if args.provenance_per_resource else []
            started = time.perf_counter()
            # Exit status 1 means some bundles were refused (listed above, e.g. a generated double booking).
            status = subprocess.run(command, env=env, check=False).returncode
            elapsed = time.perf_counter() - started
        print(f"wall clock (process start to exit): {elapsed:.1f} s, {total / elapsed:,.0f} resources/s")
        if status not in (0, 1):
            return status
    finally:
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
