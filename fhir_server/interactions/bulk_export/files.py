"""Where an export's files live: one folder per job under FHIR_BULK_DIR, one NDJSON file per type."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_FILE_NAME = re.compile(r"^[0-9]{3}-[A-Za-z]{1,64}\.ndjson$")
MEDIA_TYPE = "application/fhir+ndjson"


def file_name(position: int, type_name: str) -> str:
    return f"{position:03d}-{type_name}.ndjson"


def valid_job_id(job_id: str) -> bool:
    return bool(_JOB_ID.match(job_id))


def job_folder(root: Path, job_id: str) -> Path:
    """The folder of a job (the id is checked, so no path can escape the root)."""
    if not valid_job_id(job_id):
        raise ValueError("not a job id")
    return root / job_id


def job_file(root: Path, job_id: str, name: str) -> Path | None:
    """The path of one output file, or None for a name no export writes."""
    if not valid_job_id(job_id) or not _FILE_NAME.match(name):
        return None
    return root / job_id / name


def remove_files(root: Path, job_id: str) -> None:
    """Delete a job's folder and everything in it (nothing left behind after a cancel or expiry)."""
    if valid_job_id(job_id):
        shutil.rmtree(root / job_id, ignore_errors=True)
