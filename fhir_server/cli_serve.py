"""What `fhir-server serve` prepares for its worker processes: their count and the shared metrics folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """Tell workers how many they are (each enforces its share of the rate limits) and, with more
    than one, give them a fresh folder to pool their metrics in; remove it when serving ends."""
    os.environ["FHIR_WORKERS"] = str(workers)
    if workers <= 1 or os.environ.get(MULTIPROC_VARIABLE):
        yield
        return
    folder = tempfile.mkdtemp(prefix="fhir-server-metrics-")
    os.environ[MULTIPROC_VARIABLE] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_VARIABLE, None)
        shutil.rmtree(folder, ignore_errors=True)
