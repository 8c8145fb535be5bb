"""Which files ``$import`` may read: only this server's own file store, named by URLs under its base.

Two forms are accepted, nothing else (no fetch of any URL: no request to another host, no SSRF):

- ``{base}/$export-file/{job}/{name}``: an output file of a finished ``$export`` job of the same
  caller, exactly as its manifest names it (the job id and file name pass the export's strict checks);
- ``{base}/$import-file/{path}``: an ``.ndjson`` or ``.ndjson.gz`` file in the import folder
  (``FHIR_IMPORT_DIR``; unset: this form is refused). Each path segment is letters, digits, ``.``,
  ``_`` or ``-`` and starts with a letter or digit, so ``..``, hidden files and absolute paths never
  pass, and the resolved file must still lie inside the folder (no way out through a symbolic link).

A job stores the checked location (``export:{job}/{name}`` or ``folder:{path}``), not the URL, and
the worker checks it again when it opens the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fhir_server.errors import Invalid
from fhir_server.interactions.bulk_export.files import job_file
from fhir_server.interactions.bulk_export.jobs import FILE_PATH as EXPORT_FILE_PATH
from fhir_server.storage.export_jobs import COMPLETED, ExportJobs

IMPORT_FILE_PATH = "$import-file"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SUFFIXES = (".ndjson", ".ndjson.gz")
_MAX_DEPTH = 8
EXPORT, FOLDER = "export", "folder"


@dataclass(frozen=True, slots=True)
class FileStore:
    """This server's files: its public base URL, the export folder and the optional import folder."""

    base_url: str
    export_root: Path
    import_dir: Path | None


def _segments(url: str, base_url: str) -> list[str]:
    """The decoded path segments after the base, for a URL on this server (400 otherwise)."""
    try:
        parts, base = urlsplit(url), urlsplit(base_url)
    except ValueError:
        raise Invalid("bulk-import-url-foreign", code="value", url=url, base=base_url) from None
    prefix = base.path.rstrip("/") + "/"
    same_server = (parts.scheme.lower(), parts.netloc.lower()) == (base.scheme.lower(), base.netloc.lower())
    if not same_server or parts.query or parts.fragment or not parts.path.startswith(prefix):
        raise Invalid("bulk-import-url-foreign", code="value", url=url, base=base_url)
    # Split before decoding: an encoded "/" (%2F) stays inside its segment and fails the segment check.
    return [unquote(segment) for segment in parts.path[len(prefix) :].split("/")]


def _folder_path(import_dir: Path | None, segments: list[str]) -> Path | None:
    """The file in the import folder these segments name, or None when they name none there."""
    if import_dir is None or not segments or len(segments) > _MAX_DEPTH:
        return None
    if not all(_SEGMENT.match(s) for s in segments) or not segments[-1].endswith(_SUFFIXES):
        return None
    root = import_dir.resolve()
    path = root.joinpath(*segments).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def locate(url: str, store: FileStore, exports: ExportJobs, owner: str) -> str:
    """The checked location of a file the caller may import (400 for any other URL)."""
    segments = _segments(url, store.base_url)
    kind, rest = segments[0], segments[1:]
    if kind == EXPORT_FILE_PATH:
        if len(rest) != 2 or job_file(store.export_root, rest[0], rest[1]) is None:
            raise Invalid("bulk-import-url-path", code="value", url=url)
        job_id, name = rest
        job = exports.get(job_id)
        if job is None or job.owner != owner or job.cancelled or job.status != COMPLETED:
            raise Invalid("bulk-import-url-export", code="value", url=url)
        part = next((p for p in exports.parts(job_id) if p.file_name == name and p.count > 0), None)
        path = job_file(store.export_root, job_id, name)
        if part is None or path is None or not path.is_file():
            raise Invalid("bulk-import-url-export", code="value", url=url)
        return f"{EXPORT}:{job_id}/{name}"
    if kind == IMPORT_FILE_PATH:
        if not rest or not all(_SEGMENT.match(s) for s in rest):
            raise Invalid("bulk-import-url-path", code="value", url=url)
        if _folder_path(store.import_dir, rest) is None:
            raise Invalid("bulk-import-url-folder", code="value", url=url)
        return f"{FOLDER}:{'/'.join(rest)}"
    raise Invalid("bulk-import-url-foreign", code="value", url=url, base=store.base_url)


def open_path(location: str, store: FileStore) -> Path | None:
    """The file a stored location names, checked again now; None when it is gone or no longer allowed."""
    kind, _, rest = location.partition(":")
    if kind == EXPORT:
        job_id, _, name = rest.partition("/")
        path = job_file(store.export_root, job_id, name)
        return path if path is not None and path.is_file() else None
    if kind == FOLDER:
        return _folder_path(store.import_dir, rest.split("/"))
    return None
