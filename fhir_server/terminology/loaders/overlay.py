"""Small CSV files the clinic supplies: rows of cells, and the CIE-10 display overlay (``code,display``)."""

from __future__ import annotations

import csv
from pathlib import Path

from fhir_server.terminology.loaders.cie10_sources import dotted


class BadFile(ValueError):
    """A user file that cannot be read as CIE-10."""


def rows_of(path: Path) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [[cell.strip() for cell in row] for row in csv.reader(handle) if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadFile(f"{path}: {exc}") from exc
    if rows and rows[0] and rows[0][0].lower() in ("code", "codigo", "código"):
        rows = rows[1:]
    return rows


def read_overlay(path: Path) -> dict[str, str]:
    """code -> display from a ``code,display`` CSV."""
    overlay = {}
    for number, row in enumerate(rows_of(path), start=1):
        if len(row) < 2 or not row[0] or not row[1]:
            raise BadFile(f"{path}: row {number} is not code,display")
        overlay[dotted(row[0])] = " ".join(row[1].split())
    return overlay
