"""Client threads for the fault tests: conditional creates with unique identifiers, and reads.

Every create carries a fresh identifier and If-None-Exist; a failed create is retried with the same
identifier, so an ambiguous failure (committed, but the answer was lost) can never produce a duplicate.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.faults.server import FHIR_JSON, is_outcome

SYSTEM = "urn:fhir-server:test:fault"


@dataclass
class Seen:
    """What the clients saw, shared between threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # identifier value -> resource id
    bad_errors: list[str] = field(default_factory=list)  # 5xx without an OperationOutcome, or a 500
    hangs: int = 0  # requests that hit the client timeout
    refused: int = 0  # connection errors (the server itself was down)
    last_ok: float = 0.0

    def record(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if 200 <= response.status_code < 300:
                self.last_ok = time.monotonic()
            elif response.status_code >= 500 and (response.status_code == 500 or not is_outcome(response)):
                self.bad_errors.append(f"{response.request.method} {response.request.url.path}: "
                                       f"{response.status_code} {response.text[:300]}")  # fmt: skip


class Load:
    """Writer and reader threads against one base URL until ``stop()``."""

    def __init__(
        self, base: str, *, writers: int = 3, readers: int = 2, prefix: str = "v", timeout: float = 15
    ) -> None:
        self.base = base
        self.seen = Seen()
        self.timeout = timeout
        self._stop = threading.Event()
        self._numbers = itertools.count()
        self._prefix = prefix
        self.threads = [threading.Thread(target=self._writer, daemon=True) for _ in range(writers)]
        self.threads += [threading.Thread(target=self._reader, daemon=True) for _ in range(readers)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)

    def _send(self, http: httpx.Client, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        try:
            response = http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException:
            with self.seen.lock:
                self.seen.hangs += 1
            return None
        except httpx.TransportError:
            with self.seen.lock:
                self.seen.refused += 1
            time.sleep(0.05)
            return None
        self.seen.record(response)
        return response

    def _writer(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            value = f"{self._prefix}{next(self._numbers)}"
            while not self._stop.is_set():
                body = {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": value}]}
                response = self._send(http, "POST", f"{self.base}/Patient", json=body,
                                      headers={**FHIR_JSON, "If-None-Exist": f"identifier={SYSTEM}|{value}"})  # fmt: skip
                if response is not None and response.status_code in (200, 201):
                    with self.seen.lock:
                        self.seen.acknowledged[value] = response.json()["id"]
                    value = f"{self._prefix}{next(self._numbers)}"
                elif response is None or response.status_code >= 500:
                    time.sleep(0.02)  # the same identifier again: a retry must not duplicate

    def _reader(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            while not self._stop.is_set():
                with self.seen.lock:
                    known = list(self.seen.acknowledged.values())[-20:]
                if known:
                    self._send(http, "GET", f"{self.base}/Patient/{known[0]}")
                self._send(http, "GET", f"{self.base}/Patient", params={"identifier": f"{SYSTEM}|", "_count": "5"})


def check_acknowledged(base: str, seen: Seen) -> tuple[int, dict[str, int], list[str]]:
    """(acknowledged, duplicated values, missing values) after the fault."""
    from tests.faults.server import count_by_identifier

    with httpx.Client(timeout=60) as http:
        counts = count_by_identifier(http, base, SYSTEM)
    duplicates = {value: n for value, n in counts.items() if n > 1}
    missing = sorted(value for value in seen.acknowledged if value not in counts)
    return len(seen.acknowledged), duplicates, missing
