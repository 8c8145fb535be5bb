"""Bulk import: NDJSON files and FHIR Bundles written through the server's own write rules, without HTTP.

What it keeps from the REST path, and what it saves:

- Every resource is parsed and validated like a REST write (structure, required bindings, cardinality,
  then the clinic profiles and unique national identifiers inside the transaction: ``rules.before_save``),
  and indexed in the same transaction (``Writer.create_many``: one multi-row INSERT or COPY per table).
  What it saves is per-request cost: HTTP, one transaction per resource, one INSERT per row.
- NDJSON: one transaction per batch of lines (``--batch``). A resource with an id keeps it (PUT semantics:
  update-as-create; a line equal to the stored version writes nothing, so re-running an import changes
  nothing); one without an id gets a server id (re-running imports it again). An invalid line is reported
  (file, line, OperationOutcome text) and skipped; the rest of its batch commits. When a batch fails as a
  whole (a rule that writes, a database error), each of its lines is retried alone, so nothing is ever
  half-written.
- References in NDJSON are not checked for existence, as on the REST path (FHIR allows dangling references;
  the clinic profiles resolve the ones they must, and the batch's own resources count). So the order of
  files and lines does not matter, and workers write in parallel.
- Transaction bundles (Synthea output) keep their all-or-nothing meaning: each bundle is one transaction
  through ``transaction.process_in``, with ``urn:uuid`` fullUrls and conditional references (``Patient?identifier=``)
  resolved exactly as ``POST [base]`` does. A collection bundle is imported the same way (entries with an id are
  PUTs, the others POSTs), so references between its entries resolve. A batch bundle's entries succeed or
  fail one by one. Bundles named ``hospitalInformation*`` or ``practitionerInformation*`` (Synthea's shared
  organisations, practitioners and locations) are imported before the others; a bundle whose conditional
  reference found nothing is retried once after all the others.
- Audit: one Provenance per committed batch or bundle (targets: every version it wrote; author: the server)
  in the batch's own transaction, and one AuditEvent per import run recording its outcome and counts. A
  Provenance per resource (the REST path's choice) doubles the rows written; see the README's figures.
"""
