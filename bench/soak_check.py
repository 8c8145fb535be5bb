"""After the soak: every acknowledged write present, no duplicate conditional creates, no double booking."""

from __future__ import annotations

import http.client
import json
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlsplit

from soak_traffic import COND_SYSTEM, ClientReport, Target, headers

ACTIVE = {"proposed", "pending", "booked", "arrived", "checked-in", "waitlist"}


class Reader:
    """Sequential GET/POST over one connection, for the check (not timed)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.connection = http.client.HTTPConnection(target.host, target.port, timeout=120)

    def get(self, path: str) -> dict[str, Any]:
        self.connection.request("GET", path, headers=headers(self.target))
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        result: dict[str, Any] = json.loads(body)
        return result

    def every(self, path: str) -> list[dict[str, Any]]:
        """All resources of a search, following the next links."""
        found: list[dict[str, Any]] = []
        url: str | None = self.target.path + path
        while url:
            bundle = self.get(url)
            found += [entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry]
            link = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
            url = None if link is None else urlsplit(link).path + "?" + urlsplit(link).query
        return found


def check(target: Target, reports: list[ClientReport]) -> list[str]:
    """Problems found (empty: consistent); prints what it counted."""
    reader = Reader(target)
    problems: list[str] = []
    by_type: dict[str, list[str]] = defaultdict(list)
    for report in reports:
        for type_name, res_id in report.created:
            by_type[type_name].append(res_id)
    missing = 0
    for type_name, ids in by_type.items():
        for start in range(0, len(ids), 200):
            chunk = ids[start : start + 200]
            found = reader.every(f"/{type_name}?_id={','.join(chunk)}&_count=200&_elements=id")
            missing += len(set(chunk) - {r["id"] for r in found})
    acknowledged = sum(len(ids) for ids in by_type.values())
    print(f"acknowledged creates: {acknowledged}, missing afterwards: {missing}")
    if missing:
        problems.append(f"{missing} acknowledged creates are missing")

    values = set().union(*(r.conditional for r in reports))
    patients = reader.every(f"/Patient?identifier={COND_SYSTEM}|&_count=1000&_elements=identifier")
    counts = Counter(i["value"] for p in patients for i in p.get("identifier", []) if i.get("system") == COND_SYSTEM)
    duplicates = {value: n for value, n in counts.items() if n > 1}
    absent = values - set(counts)
    print(f"conditional creates: {len(values)} identifiers acknowledged, {len(duplicates)} duplicated, "
          f"{len(absent)} missing")  # fmt: skip
    if duplicates:
        problems.append(f"duplicate conditional creates: {sorted(duplicates.items())[:10]}")
    if absent:
        problems.append(f"acknowledged conditional creates missing: {sorted(absent)[:10]}")

    booked: dict[str, str] = {}
    cancelled: set[str] = set()
    for report in reports:
        booked |= report.booked
        cancelled |= report.cancelled
    appointments = reader.every("/Appointment?actor=Practitioner/soak-dr&_count=1000")
    status = {a["id"]: a["status"] for a in appointments}
    per_slot: Counter[str] = Counter()
    for appointment in appointments:
        if appointment["status"] in ACTIVE:
            for slot in appointment.get("slot", []):
                per_slot[slot["reference"]] += 1
    double = {slot: n for slot, n in per_slot.items() if n > 1}
    lost = [aid for aid in booked if status.get(aid) is None]
    wrong = [aid for aid in booked if aid in cancelled and status.get(aid) != "cancelled"]
    wrong += [aid for aid in booked if aid not in cancelled and status.get(aid) not in (None, "booked")]
    slots = {s["id"]: s["status"] for s in reader.every("/Slot?schedule=Schedule/soak-s&_count=100")}
    stale = [s for s, st in slots.items() if (st == "busy") != (per_slot[f"Slot/{s}"] > 0)]
    print(f"bookings: {len(booked)} acknowledged, {len(cancelled)} cancelled, {len(double)} slots double-booked, "
          f"{len(lost)} lost, {len(wrong)} in the wrong status, {len(stale)} slots whose status disagrees")  # fmt: skip
    if double:
        problems.append(f"double bookings: {double}")
    if lost or wrong:
        problems.append(f"bookings lost {lost[:10]} or in the wrong status {wrong[:10]}")
    if stale:
        problems.append(f"slot status disagrees with its appointments: {stale[:10]}")
    reader.connection.close()
    return problems
