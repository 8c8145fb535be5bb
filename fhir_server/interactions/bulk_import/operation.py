"""``$import``: kick-off, status, manifest, error files and cancel of Bulk Data import jobs.

The Bulk Data import proposal's "ping and pull" flow with a manifest of NDJSON URLs
(https://github.com/smart-on-fhir/bulk-import, as HAPI and Smile CDR implement ``$import``), limited
to files already on this server (``operation_sources``). The kick-off answers 202 with the status
URL; polling answers 202 with ``X-Progress`` while the job runs and then 200 with the manifest:
``output`` has one entry per input (resources imported or found unchanged), ``error`` one entry per
input with failed lines, pointing at an NDJSON file of OperationOutcomes (one per failed line).
``DELETE`` on the status URL stops the job; what it already imported stays (each batch committed on
its own, as ``fhir-server import`` does).

Only the caller that started a job sees it: any other caller gets 404, as for ``$export``.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fhir_server.errors import Invalid, NotFound
from fhir_server.i18n import translate
from fhir_server.interactions.audited import audited
from fhir_server.interactions.bulk_export.principal import dump_principal, owner_of
from fhir_server.interactions.bulk_import.operation_request import (
    Params,
    from_manifest,
    parse_request,
    require_importer,
    require_writes,
)
from fhir_server.interactions.bulk_import.operation_runner import FILE_LINE, MAX_LISTED_ERRORS
from fhir_server.interactions.bulk_import.operation_sources import FileStore, locate
from fhir_server.interactions.context import RequestContext, Result
from fhir_server.interactions.job_status import owned, status_answer
from fhir_server.interactions.operations import parameters_from_body
from fhir_server.model.canonical import CANONICAL_BASE
from fhir_server.model.instants import fhir_instant, now_us
from fhir_server.model.json import dumps
from fhir_server.storage.export_jobs import ExportJobs
from fhir_server.storage.import_jobs import ACTIVE, COMPLETED, ImportJob, ImportJobs

STATUS_PATH = "$import-status"
ERROR_PATH = "$import-error"
ERROR_MEDIA_TYPE = "application/fhir+ndjson"
_ERROR_FILE = re.compile(r"^([0-9]{1,4})\.ndjson$")
# For the CapabilityStatement (system level). No HL7 OperationDefinition exists for $import yet.
IMPORT_OPERATION = {
    "name": "import",
    "definition": f"{CANONICAL_BASE}/OperationDefinition/import",
    "documentation": "Bulk Data import (ping and pull): a manifest of NDJSON files of this server "
    "($export output files, or the import folder); Prefer: respond-async",
}


def request_params(body: Any) -> Params:
    """The kick-off body as parameters: a Parameters resource, or the proposal's JSON object."""
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        return parameters_from_body(body)
    if isinstance(body, dict) and "resourceType" not in body:
        return from_manifest(body)
    raise Invalid("bulk-import-body", code="invalid")


def kickoff(
    jobs: ImportJobs,
    exports: ExportJobs,
    store: FileStore,
    ctx: RequestContext,
    body: Any,
    *,
    lenient: bool,
    request_url: str,
) -> Result:
    """Check the caller, the parameters and every URL; queue the job; 202 with the status URL."""
    with audited(ctx, "operation", None, None, operation="import"):
        require_importer(ctx)
        request = parse_request(request_params(body), lenient=lenient)
        require_writes(ctx, request.types)  # 403 before any URL is looked at: no probing of others' jobs
        owner = owner_of(ctx.principal)
        sources = [locate(url, store, exports, owner) for _, url in request.inputs]
        job_id = uuid.uuid4().hex
        now = now_us()
        parameters = {"inputSource": request.input_source, "language": ctx.language}
        values = {
            "job_id": job_id, "parameters": json.dumps(parameters), "request_url": request_url,
            "client_id": ctx.principal.client_id, "owner": owner, "principal": dump_principal(ctx.principal),
            "status": "queued", "progress": None, "cancelled": False, "error": None, "transaction_time": now,
            "created_us": now, "updated_us": now, "lease_until_us": None, "worker": None,
        }  # fmt: skip
        inputs = [
            {"position": position, "res_type": type_name, "url": url, "source": source, "line": 0, "written": 0,
             "unchanged": 0, "failed": 0, "done": False}
            for position, ((type_name, url), source) in enumerate(zip(request.inputs, sources, strict=True), 1)
        ]  # fmt: skip
        jobs.create(values, inputs)
    return Result(202, headers={"Content-Location": f"{ctx.base_url}/{STATUS_PATH}/{job_id}"})


def _owned(jobs: ImportJobs, ctx: RequestContext, job_id: str) -> ImportJob:
    return owned(jobs, ctx, job_id, "bulk-import-job-unknown")


def _manifest(jobs: ImportJobs, ctx: RequestContext, job: ImportJob) -> dict[str, Any]:
    inputs = jobs.inputs(job.job_id)
    errors = f"{ctx.base_url}/{ERROR_PATH}/{job.job_id}"
    return {
        "transactionTime": fhir_instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": i.res_type, "inputUrl": i.url, "count": i.written + i.unchanged} for i in inputs],
        "error": [
            {"type": "OperationOutcome", "inputUrl": i.url, "count": i.failed, "url": f"{errors}/{i.position}.ndjson"}
            for i in inputs
            if i.failed > 0
        ],
    }


def status(jobs: ImportJobs, ctx: RequestContext, job_id: str) -> Result:
    """202 with X-Progress while running, 200 with the manifest when done, 500 when the job failed."""
    job = _owned(jobs, ctx, job_id)
    return status_answer(job, lambda: _manifest(jobs, ctx, job), "bulk-import-job-failed")


def cancel(jobs: ImportJobs, ctx: RequestContext, job_id: str) -> Result:
    """Stop the job before its next batch; its status URL answers 404 from now on."""
    job = _owned(jobs, ctx, job_id)
    jobs.cancel(job.job_id, now_us())
    if job.status not in ACTIVE:
        jobs.remove(job.job_id)  # no worker holds it: nothing else will clean it up sooner
    return Result(202)


def _outcome(text: str) -> bytes:
    issue = {"severity": "error", "code": "processing", "diagnostics": text}
    return dumps({"resourceType": "OperationOutcome", "issue": [issue]}) + b"\n"


def error_file(jobs: ImportJobs, ctx: RequestContext, job_id: str, name: str) -> bytes:
    """One input's failed lines as NDJSON OperationOutcomes (404 for anything but a listed error file)."""
    job = _owned(jobs, ctx, job_id)
    match = _ERROR_FILE.match(name)
    position = int(match.group(1)) if match else -1
    item = next((i for i in jobs.inputs(job.job_id) if i.position == position), None)
    if job.status != COMPLETED or item is None or item.failed == 0:
        raise NotFound("bulk-import-error-file-unknown", name=name)
    lines = []
    for number, text in jobs.errors(job.job_id, position):
        if number == FILE_LINE:
            lines.append(_outcome(f"{item.url}: {text}"))
        else:
            lines.append(_outcome(translate("bulk-import-line", ctx.language, {"url": item.url, "line": number,
                                                                               "text": text})))  # fmt: skip
    if item.failed > MAX_LISTED_ERRORS:
        more = {"count": item.failed - len(lines), "url": item.url}
        lines.append(_outcome(translate("bulk-import-more-errors", ctx.language, more)))
    return b"".join(lines)
