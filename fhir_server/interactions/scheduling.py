"""Scheduling rules that run with every write: Slot status follows the appointments booked on it."""

from __future__ import annotations

from fhir_server.interactions.context import RequestContext
from fhir_server.storage.records import Stored
from fhir_server.storage.writer import Writer


def after_save(writer: Writer, ctx: RequestContext, saved: Stored, previous: Stored | None) -> None:
    """Hook after a version is written in a transaction (Appointments update their Slots)."""
    del writer, ctx, saved, previous
