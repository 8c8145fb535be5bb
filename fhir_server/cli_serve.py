"""What `fhir-server serve` prepares for its worker processes: their count, the shared metrics folder
and the shared rate-limit buckets."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS_VARIABLE = "FHIR_RATE_LIMIT_SHARED_FILE"


@contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """Tell workers how many they are and, with more than one, give them a fresh folder holding their
    pooled metrics and their rate-limit buckets (unless the operator named their own); remove it when
    serving ends."""
    os.environ["FHIR_WORKERS"] = str(workers)
    if workers <= 1:
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="fhir-server-workers-"))
    added = []
    if not os.environ.get(MULTIPROC_VARIABLE):
        (folder / "metrics").mkdir()
        os.environ[MULTIPROC_VARIABLE] = str(folder / "metrics")
        added.append(MULTIPROC_VARIABLE)
    if not os.environ.get(BUCKETS_VARIABLE):
        os.environ[BUCKETS_VARIABLE] = str(folder / "rate-limit-buckets")
        added.append(BUCKETS_VARIABLE)
    try:
        yield
    finally:
        for variable in added:
            os.environ.pop(variable, None)
        shutil.rmtree(folder, ignore_errors=True)
