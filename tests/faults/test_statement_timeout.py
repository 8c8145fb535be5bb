"""A tiny statement timeout: an expensive search answers 503 with an OperationOutcome, never a 500 or a trace.

503 like every other "cannot act now" answer (database down, request time limit): the same search can
succeed later or with narrower criteria.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import _postgres_database
from tests.faults.server import FHIR_JSON, FULL, Server, is_outcome, migrate, report

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
PATIENTS = 3000 if FULL else 150


def test_statement_timeout_answers_cleanly(tmp_path, capsys):
    for url in _postgres_database():
        migrate(url)
        with Server(url, tmp_path) as seeding, httpx.Client(timeout=120) as http:
            entries = [{"resource": {"resourceType": "Patient", "name": [{"family": f"Apellido{n}", "given": ["Ana"]}]},
                        "request": {"method": "POST", "url": "Patient"}} for n in range(PATIENTS)]  # fmt: skip
            seeded = http.post(seeding.base, json={"resourceType": "Bundle", "type": "batch", "entry": entries},
                               headers=FHIR_JSON)  # fmt: skip
            assert seeded.status_code == 200, seeded.text[:500]
        statuses: dict[int, int] = {}
        with Server(url, tmp_path, FHIR_DB_STATEMENT_TIMEOUT_MS="1") as server, httpx.Client(timeout=60) as http:
            for _ in range(20):
                response = http.get(f"{server.base}/Patient", params={
                    "name:contains": "ellido", "_total": "accurate", "_sort": "-family", "_count": "100"})  # fmt: skip
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code in (200, 503), response.text[:500]
                if response.status_code == 503:
                    assert is_outcome(response), response.text[:500]
                    issue = response.json()["issue"][0]
                    report(capsys, f"statement timeout: {response.status_code} {issue['code']}: {issue['diagnostics']}")
                    break
            else:
                pytest.fail(f"the 1 ms statement timeout never fired: {statuses}")
