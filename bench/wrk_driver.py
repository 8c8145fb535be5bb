"""Drive wrk (the C load generator) with Lua scripts, for rates a Python client cannot reach."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, '
    .. '"p99": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, errors))
end
"""

CREATE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Accept"] = "application/fhir+json"
%(auth)s
local given = {"José", "María", "Luis", "Ana", "Carlos", "Rosa"}
local family = {"Pérez", "Guamán", "Núñez", "Quishpe", "Andrade", "Zambrano"}
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.218.1.1",'
    .. '"value":"%%d%%d"}],"name":[{"family":"%%s","given":["%%s"]}],"gender":"%%s",'
    .. '"birthDate":"19%%02d-0%%d-1%%d",'
    .. '"telecom":[{"system":"phone","value":"09%%08d"}],"address":[{"city":"Quito","country":"EC"}]}',
    math.random(1, 1000000), n, family[n %% 6 + 1], given[n %% 6 + 1], n %% 2 == 0 and "male" or "female",
    n %% 90 + 10, n %% 9 + 1, n %% 9, n)
  return wrk.format(nil, nil, nil, body)
end
"""

READ = """
wrk.headers["Accept"] = "application/fhir+json"
%(auth)s
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "%(path)s/Patient/" .. ids[n %% #ids + 1])
end
"""


def available() -> bool:
    """True when wrk is installed."""
    return shutil.which("wrk") is not None


def run(base_url: str, script: str, connections: int, seconds: int) -> dict[str, float]:
    """Run wrk with the script; return requests/s, latency percentiles (ms) and errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + DONE)
        path = handle.name
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", path, base_url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        Path(path).unlink()
    line = next(row for row in output.splitlines() if row.startswith("RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    result["rate"] = result["requests"] / result["seconds"]
    return result


def auth_line(token: str | None) -> str:
    """The Lua line that sets the bearer token, if any."""
    return f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
