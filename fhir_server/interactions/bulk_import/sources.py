"""Input files: NDJSON (``.ndjson``, ``.ndjson.gz``) and Bundles (``.json``, ``.json.gz``); directories recursively."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

import orjson

from fhir_server.interactions.bulk_import.resources import Line

NDJSON = (".ndjson", ".ndjson.gz")
BUNDLES = (".json", ".json.gz")
# Synthea writes the organisations, practitioners and locations that patients' bundles refer to
# (conditionally) in these files: they go first.
SHARED_PREFIXES = ("hospitalInformation", "practitionerInformation")


class UnsupportedFile(ValueError):
    """A file named on the command line that is neither NDJSON nor a Bundle."""


def is_ndjson(path: Path) -> bool:
    return path.name.endswith(NDJSON)


def _importable(path: Path) -> bool:
    return path.name.endswith(NDJSON + BUNDLES) and not path.name.startswith(".")


def discover(paths: Iterable[Path]) -> list[Path]:
    """The files to import, in a stable order; directories are walked recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _importable(p)))
        elif path.is_file() and _importable(path):
            found.append(path)
        else:
            raise UnsupportedFile(f"{path}: not an .ndjson, .ndjson.gz, .json or .json.gz file")
    return list(dict.fromkeys(found))


def is_shared(path: Path) -> bool:
    """True for the bundles of shared resources other bundles refer to."""
    return path.name.startswith(SHARED_PREFIXES)


def _open(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.name.endswith(".gz") else path.open("rb")


def read_bytes(path: Path) -> bytes:
    with _open(path) as handle:
        return handle.read()


def ndjson_batches(path: Path, size: int) -> Iterator[list[Line]]:
    """The file's lines in batches of ``size`` non-empty lines, numbered from 1."""
    batch: list[Line] = []
    with _open(path) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            batch.append(Line(number, text))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def count_resources(path: Path) -> int:
    """How many resources a file holds (for the progress bar; 0 when it cannot tell)."""
    if is_ndjson(path):
        with _open(path) as handle:
            return sum(1 for text in handle if text.strip())
    try:
        value = orjson.loads(read_bytes(path))
    except (orjson.JSONDecodeError, OSError):
        return 0
    entries = value.get("entry") if isinstance(value, dict) else None
    return len(entries) if isinstance(entries, list) else 0
