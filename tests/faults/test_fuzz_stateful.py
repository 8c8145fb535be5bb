"""A hypothesis state machine over the running server: create -> read -> update -> patch -> search -> delete.

The server's OpenAPI document has no links, so the sequences are explicit rules. A model of what each
resource should be is kept; every read must agree with it, every answer passes the checks of
``Checked`` (no 5xx, OperationOutcome errors, true to the OpenAPI document), and nothing hangs.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, rule, run_state_machine_as_test

from tests.faults.fuzzing import EXAMPLES, Checked
from tests.faults.server import FHIR_JSON

pytestmark = pytest.mark.slow
families = st.sampled_from(["Pérez", "Guamán", "Núñez", "O'Brien", "Zambrano", "ñ", "x" * 200])


class Lifecycle(RuleBasedStateMachine):
    server: Checked  # set by the test

    created = Bundle("created")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()

    @rule(target=created, family=families, conditional=st.booleans())
    def create(self, family: str, conditional: bool) -> str:
        body = {"resourceType": "Patient", "name": [{"family": family}], "active": True}
        headers = {**FHIR_JSON, **({"If-None-Exist": "_id=no-such-id"} if conditional else {})}
        response = self.server.request("POST", "/Patient", json=body, headers=headers)
        assert response.status_code == 201, response.text
        res_id: str = response.json()["id"]
        self.model[res_id] = {"family": family, "version": "1"}
        return res_id

    @rule(res_id=created)
    def read(self, res_id: str) -> None:
        response = self.server.request("GET", f"/Patient/{res_id}")
        if res_id in self.deleted:
            assert response.status_code == 410, response.text
            return
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"][0]["family"] == self.model[res_id]["family"]
        assert body["meta"]["versionId"] == self.model[res_id]["version"]

    @rule(res_id=created, family=families, stale=st.booleans())
    def update(self, res_id: str, family: str, stale: bool) -> None:
        if res_id in self.deleted:
            return
        version = self.model[res_id]["version"]
        match = f'W/"{int(version) - 1 if stale else version}"'
        body = {"resourceType": "Patient", "id": res_id, "name": [{"family": family}]}
        response = self.server.request("PUT", f"/Patient/{res_id}", json=body, headers={**FHIR_JSON, "If-Match": match})
        if stale:
            assert response.status_code in (409, 412), response.text
            return
        assert response.status_code == 200, response.text
        self.model[res_id] = {"family": family, "version": response.json()["meta"]["versionId"]}

    @rule(res_id=created, family=families)
    def patch(self, res_id: str, family: str) -> None:
        operations = [{"op": "replace", "path": "/name/0/family", "value": family}]
        response = self.server.request("PATCH", f"/Patient/{res_id}", json=operations,
                                       headers={"Content-Type": "application/json-patch+json"})  # fmt: skip
        if res_id in self.deleted:
            assert response.status_code in (404, 410), response.text
            return
        assert response.status_code == 200, response.text
        self.model[res_id] = {"family": family, "version": response.json()["meta"]["versionId"]}

    @rule(res_id=created)
    def search(self, res_id: str) -> None:
        response = self.server.request("GET", "/Patient", params={"_id": res_id})
        assert response.status_code == 200, response.text
        found = [entry["resource"]["id"] for entry in response.json().get("entry", [])]
        assert found == ([] if res_id in self.deleted else [res_id])

    @rule(res_id=created)
    def delete(self, res_id: str) -> None:
        if res_id in self.deleted:
            return
        response = self.server.request("DELETE", f"/Patient/{res_id}")
        assert response.status_code in (200, 204), response.text
        self.deleted.add(res_id)
        self.model.pop(res_id, None)


def test_lifecycle_state_machine(live_server):
    Lifecycle.server = Checked(live_server)
    try:
        run_state_machine_as_test(Lifecycle, settings=settings(
            max_examples=max(EXAMPLES // 3, 5), stateful_step_count=12, deadline=None,
            suppress_health_check=list(HealthCheck), database=None))  # fmt: skip
    finally:
        Lifecycle.server.close()
