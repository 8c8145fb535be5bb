"""Two surnames in one family: a search by either finds the patient, accents and case aside."""

from __future__ import annotations

from tests.api.search_helpers import idset, put


def test_either_surname_finds_the_patient(client):
    put(
        client, {"resourceType": "Patient", "id": "ana", "name": [{"family": "Pérez Gómez", "given": ["Ana", "María"]}]}
    )
    put(client, {"resourceType": "Patient", "id": "luis", "name": [{"family": "De la Torre", "given": ["Luis"]}]})
    put(client, {"resourceType": "Practitioner", "id": "dra", "name": [{"family": "Gómez Ruiz"}]})
    assert idset(client, "/fhir/Patient", family="gomez") == {"ana"}
    assert idset(client, "/fhir/Patient", family="PEREZ") == {"ana"}
    assert idset(client, "/fhir/Patient", family="perez gom") == {"ana"}
    assert idset(client, "/fhir/Patient", name="gómez") == {"ana"}
    assert idset(client, "/fhir/Patient", family="torre") == {"luis"}
    assert idset(client, "/fhir/Patient", family="maria") == set()
    assert idset(client, "/fhir/Patient", **{"family:exact": "Pérez Gómez"}) == {"ana"}
    assert idset(client, "/fhir/Practitioner", family="ruiz") == {"dra"}
