"""Per-client token buckets, charged by the cost of each interaction (docs/adr/0012).

Under ``serve --workers N`` the buckets live in a file all workers map, so the limit is the client's
whatever worker answers; a worker started otherwise keeps its own buckets and enforces its share
(the limit divided by the worker count). A bundle is charged its base
cost up front and one unit per entry once its body has been read: a large transaction may take the
bucket below zero, and the client then waits until the debt is repaid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fhir_server.api.rate_buckets import Buckets, LocalBuckets, SharedBuckets
from fhir_server.api.route_label import RouteLabel

DEFAULT_WEIGHTS: dict[str, int] = {
    "read": 1,
    "vread": 1,
    "capabilities": 1,
    "auth": 1,
    "other": 1,
    "create": 2,
    "update": 2,
    "patch": 2,
    "delete": 2,
    "search": 3,
    "history": 3,
    "bundle": 2,
    "transaction": 2,
    "batch": 2,
    "entry": 1,  # per bundle entry, on top of the bundle's own cost
    "operation": 5,
    "$everything": 10,
    "$export": 20,
    "$export-status": 1,  # polling a job
    "$export-file": 1,
    "$import": 20,
    "$import-status": 1,
    "$import-error": 1,
    "ops": 0,
}


class RateLimiter:
    """Token buckets per client key: ``capacity`` units, refilled at capacity per minute.

    With ``shared_file`` every worker of the host draws on the same buckets (the whole limit); without
    it each worker holds its share (the limit divided by the worker count)."""

    def __init__(
        self,
        per_minute: int,
        *,
        workers: int = 1,
        weights: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        shared_file: Path | None = None,
    ) -> None:
        self.capacity = max(per_minute / (1 if shared_file else max(workers, 1)), 1.0)
        self.rate = self.capacity / 60.0  # units per second
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.clock = clock
        self.buckets: Buckets = (
            SharedBuckets(self.capacity, self.rate, shared_file)
            if shared_file
            else LocalBuckets(self.capacity, self.rate)
        )

    def cost(self, route: RouteLabel) -> int:
        """Units one request of this kind costs before its body is known."""
        if route.operation and route.operation in self.weights:
            return self.weights[route.operation]
        return self.weights.get(route.interaction, 1)

    def take(self, key: str, cost: int) -> float:
        """Spend ``cost`` units: 0 when allowed, else the seconds until the bucket holds enough."""
        if cost <= 0:
            return 0.0
        with self.buckets.bucket(key, self.clock()) as bucket:
            # A request dearer than a full bucket still passes when the bucket is full (then owes the rest).
            needed = min(float(cost), self.capacity)
            if bucket[0] < needed:
                return (needed - bucket[0]) / self.rate
            bucket[0] -= cost
            return 0.0

    def charge(self, key: str, cost: int) -> None:
        """Spend units already consumed (a bundle's entries), going into debt if need be."""
        if cost > 0:
            with self.buckets.bucket(key, self.clock()) as bucket:
                bucket[0] -= cost


def retry_after_seconds(wait: float) -> int:
    """The Retry-After header value for a wait: whole seconds, at least one."""
    return max(1, math.ceil(wait))


def client_key(scope: Mapping[str, Any]) -> str:
    """Whose bucket a request draws on: the token's user, else its client, else the caller's address."""
    grant = scope.get("state", {}).get("grant")
    if grant is not None:
        if grant.account_id:
            return f"user:{grant.account_id}"
        return f"client:{grant.client_id}"
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"
