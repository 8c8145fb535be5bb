"""What authorization costs a read by id over HTTP: the same database served open and secured, same run.

Usage: python bench/auth_http.py --open URL --secured URL --token TOKEN [--reads N]

Start two servers on one database, one with FHIR_AUTH_ENABLED=false and one with true, and get a token
with `fhir-server issue-token --username <a doctor or administrator>`. The script creates a Patient
through the open server, then alternates reads of it on one keep-alive connection per server and
prints p50/p95 of each, the difference and the ratio. Target (issue 7): under 0.5 ms at p50.
Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from urllib.parse import urlsplit


class Server:
    def __init__(self, base: str, token: str | None) -> None:
        url = urlsplit(base)
        if url.hostname not in ("127.0.0.1", "localhost"):
            sys.exit("bench/auth_http.py only drives servers on the loopback address")
        self.path = url.path.rstrip("/")
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 80)
        self.headers = {"Accept": "application/fhir+json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: str | None = None) -> tuple[float, int, bytes]:
        headers = {**self.headers, **({"Content-Type": "application/fhir+json"} if body else {})}
        started = time.perf_counter()
        self.connection.request(method, f"{self.path}/{path}", body, headers)
        response = self.connection.getresponse()
        payload = response.read()
        return (time.perf_counter() - started) * 1000, response.status, payload


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", required=True, help="base URL of the server with authorization off")
    parser.add_argument("--secured", required=True, help="base URL of the server with authorization on")
    parser.add_argument("--token", required=True)
    parser.add_argument("--reads", type=int, default=5000)
    args = parser.parse_args()
    open_server, secured = Server(args.open, None), Server(args.secured, args.token)
    patient = json.dumps({"resourceType": "Patient", "name": [{"family": "Benchmark"}], "gender": "female"})
    _, status, body = open_server.call("POST", "Patient", patient)
    if status != 201:
        sys.exit(f"create: HTTP {status} {body[:200]!r}")
    path = f"Patient/{json.loads(body)['id']}"
    for server in (open_server, secured):  # warm both
        for _ in range(200):
            _, status, body = server.call("GET", path)
            if status != 200:
                sys.exit(f"read: HTTP {status} {body[:200]!r}")
    plain: list[float] = []
    with_token: list[float] = []
    for _ in range(args.reads):
        plain.append(open_server.call("GET", path)[0])
        with_token.append(secured.call("GET", path)[0])
    p50_open, p50_secured = statistics.median(plain), statistics.median(with_token)
    print(f"reads by id: {args.reads} on each server, alternating, one keep-alive connection each")
    print(f"open (no token)     p50 {p50_open:.3f} ms  p95 {p95(plain):.3f} ms")
    print(f"secured (token)     p50 {p50_secured:.3f} ms  p95 {p95(with_token):.3f} ms")
    cost = p50_secured - p50_open
    print(f"authorization cost  p50 {cost:+.3f} ms  ratio {p50_secured / p50_open:.2f}  (target < 0.5 ms)")


if __name__ == "__main__":
    main()
