"""An R4 example query set, written from the search page of the specification, against a fixed dataset.

https://hl7.org/fhir/R4/search.html — each case is ``(query, expected ids)``: the query is what
follows ``[base]/`` (``"?..."`` for a system-level search, ``"POST Type/_search?..."`` for a search
whose parameters travel in a form body, ``"POST Type/_search?a=1 -d b=2"`` for URL plus body), and
the expected ids are exactly the entries with ``search.mode == "match"``. The dataset (tests/search/spec_example_data.py) is loaded once per test
through the HTTP API; ``Patient/p6`` and ``Observation/obs-del`` are deleted and never match.

Every request asks for strict handling (``Prefer: handling=strict``), so a parameter the server does
not understand fails the case instead of being silently ignored.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.fhir_helpers import FHIR_JSON
from tests.search.spec_example_data import DELETED, EARLIER_VERSIONS, RESOURCES

STRICT = {"Prefer": "handling=strict"}

Case = tuple[str, set[str]]

CASES: list[Case] = [
    # --- string: case- and accent-insensitive starts-with on any part of a HumanName / Address ------
    ("Patient?name=jose", {"p1", "p3"}),  # José Antonio Núñez, Josefina Pérez (p6 José is deleted)
    ("Patient?name=JOSÉ", {"p1", "p3"}),
    ("Patient?name=Jose\u0301", {"p1", "p3"}),  # decomposed accent (NFD)
    ("Patient?name=nunez", {"p1", "p4"}),  # Núñez, Nunez
    ("Patient?name=Núñez", {"p1", "p4"}),
    ("Patient?name:exact=Núñez", {"p1"}),  # :exact is case- and accent-sensitive, whole string
    ("Patient?name:exact=Nunez", {"p4"}),
    ("Patient?name:exact=núñez", set()),
    ("Patient?name:exact=José", {"p1"}),
    ("Patient?name:contains=ÑEZ", {"p1", "p4"}),
    ("Patient?given=antonio", {"p1"}),  # a second given name is a part of the name too
    ("Patient?family=pe", {"p3"}),  # family only: Pedro (a given name) does not count
    ("Patient?name=jose&name=nunez", {"p1"}),  # AND: repeat the parameter
    ("Patient?name=guaman,torres", {"p2", "p5"}),  # OR: comma-separated values
    ("Patient?address-city=quito", {"p1"}),
    ("Patient?address=pichincha", {"p1"}),  # address matches any part (here the state)
    ("Patient?address:exact=Calle Larga 7-11\\, piso 2", {"p2"}),  # an escaped comma is not an OR
    ("Practitioner?name=dr", {"pr1"}),  # HumanName.prefix is searched as well
    ("Organization?name=hospital", {"org2"}),
    ("Organization?name=clinico", set()),  # "Laboratorio Clínico Central" does not start with it
    ("Organization?name:contains=clinico", {"org3"}),
    ("Organization?name:contains=%", set()),  # no wildcards in search values
    ("Observation?value-string=paciente", {"obs9"}),
    ("Observation?value-string:exact=Paciente en ayunas", {"obs9"}),
    # only current versions are searched: p2 and org3 were first loaded with other values
    ("Patient?address-city=loja", set()),
    ("Patient?name=viejo", set()),
    ("Patient?birthdate=1975-12-30", set()),
    ("Patient?gender=male", {"p1"}),
    ("Organization?name=antiguo", set()),
    # --- token ---------------------------------------------------------------------------------------
    ("Observation?code=15074-8", {"obs1", "obs6", "obs7", "obs10"}),
    ("Observation?code=http://loinc.org|15074-8", {"obs1", "obs6", "obs7", "obs10"}),
    ("Observation?code=http://snomed.info/sct|15074-8", set()),
    ("Observation?code=http://loinc.org|15074-8,http://loinc.org|2345-7", {"obs1", "obs2", "obs6", "obs7", "obs10"}),
    ("Observation?combo-code=8480-6", {"obs4", "obs5"}),  # component codes count for combo-code
    ("Observation?category=laboratory", {"obs1", "obs2", "obs6", "obs7", "obs8", "obs10", "obs12"}),
    (
        "Observation?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs",
        {"obs3", "obs4", "obs5", "obs11"},
    ),
    ("Observation?category:missing=true", {"obs9"}),
    ("Observation?value-concept=http://snomed.info/sct|112144000", {"obs8"}),
    ("Observation?status:not=final", {"obs7", "obs9", "obs10"}),
    ("Observation?code=15074-8&status=final", {"obs1", "obs6"}),
    ("Observation?code=15074-8&status=final,amended", {"obs1", "obs6", "obs7"}),
    ("Observation?status=final&status=amended", set()),  # AND on a single-valued element
    ("Encounter?class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB", {"enc1", "enc2"}),  # a Coding
    ("MedicationRequest?intent=order&status:not=active", {"mr2"}),
    ("Patient?identifier=https://registrocivil.gob.ec/cedula|1710034065", {"p1"}),
    ("Patient?identifier=MRN-002", {"p2"}),
    ("Patient?identifier=https://registrocivil.gob.ec/cedula|1710034065,MRN-002", {"p1", "p2"}),
    ("Patient?identifier=|MRN-003", {"p3"}),  # |code: the identifier has no system
    ("Patient?identifier=|MRN-001", set()),  # MRN-001 has a system
    ("Patient?identifier=http://hospital-metropolitano.ec/mrn|", {"p1", "p2"}),  # system|: any code
    ("Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-003", {"p3"}),
    ("Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NI|MRN-001", set()),
    ("Patient?identifier:text=cedula", {"p1", "p2"}),  # Identifier.type.text "Cédula de identidad"
    ("Patient?gender=female", {"p2", "p3", "p5"}),
    ("Patient?gender:not=male", {"p2", "p3", "p4", "p5"}),  # :not includes p4, who has no gender
    ("Patient?active=true", {"p1", "p2", "p5"}),
    ("Patient?telecom=email|jose.nunez@example.ec", {"p1"}),
    ("Patient?email=ana.torres@example.ec", {"p5"}),
    ("Condition?code=J45", {"c1"}),
    ("Condition?code:below=http://hl7.org/fhir/sid/icd-10|J45", {"c1", "c2", "c3"}),  # not J46
    ("Condition?code:below=http://hl7.org/fhir/sid/icd-10|E11", {"c4", "c6"}),
    ("Condition?code:above=http://hl7.org/fhir/sid/icd-10|J45.0", {"c1", "c2"}),  # J45 subsumes J45.0
    ("Condition?code=http://hl7.org/fhir/sid/icd-10|", {"c1", "c2", "c3", "c4", "c5", "c6"}),
    ("Condition?code:in=http://example.org/fhir/ValueSet/asthma", {"c2", "c3"}),
    ("Condition?code:not-in=http://example.org/fhir/ValueSet/asthma", {"c1", "c4", "c5", "c6", "c7"}),
    ("Observation?code:in=http://example.org/fhir/ValueSet/glucose", {"obs1", "obs2", "obs6", "obs7", "obs10"}),
    # :text searches CodeableConcept.text or Coding.display (c1, c3, c7: text; c2: display)
    ("Condition?code:text=asma", {"c1", "c2", "c3"}),
    ("Condition?code:text=asthma", {"c1", "c3"}),
    ("Condition?code:text=hipertension", {"c7"}),
    ("Observation?code:text=glucose", {"obs1", "obs2", "obs6", "obs7", "obs10"}),
    ("Observation?value-concept:text=blood group", {"obs8"}),
    ("Condition?clinical-status=active", {"c1", "c2", "c4", "c7"}),
    ("Condition?clinical-status:not=active", {"c3", "c5", "c6"}),  # c6 has no clinical status
    # --- date: [low, high) ranges by precision; naive values in America/Guayaquil (UTC-5) ------------
    ("Patient?birthdate=2013", {"p3", "p4"}),  # p4 is "2013": the year range is inside the year
    ("Patient?birthdate=2013-01", {"p3"}),  # ... but not inside January
    ("Patient?birthdate=eq2013-01-15", {"p3"}),
    ("Patient?birthdate=ne1980-04-01", {"p2", "p3", "p4", "p5"}),
    ("Patient?birthdate=lt1980-04-01", {"p2"}),
    ("Patient?birthdate=le1980-04-01", {"p1", "p2"}),
    ("Patient?birthdate=gt2013-01-01", {"p3", "p4"}),  # "2013" extends above 2013-01-01
    ("Patient?birthdate=ge2013", {"p3", "p4"}),
    ("Patient?birthdate=ge1980-04-01T10:00:00-05:00", {"p1", "p3", "p4", "p5"}),  # the day extends above
    ("Patient?birthdate=sa2013-01-01", {"p3"}),  # "2013" overlaps 2013-01-01: does not start after
    ("Patient?birthdate=eb1980", {"p2"}),
    ("Patient?birthdate=ap1990-06-15", {"p5"}),  # 10% of ~36 years either side
    ("Patient?birthdate=ge1975&birthdate=lt1985", {"p1", "p2"}),
    ("Observation?date=2013-01", {"obs1", "obs2", "obs3"}),  # obs2, obs3: 31 Jan local, 1 Feb UTC
    ("Observation?date=2013-01-31", {"obs2", "obs3"}),
    ("Observation?date=2013-02-01", {"obs9"}),
    ("Observation?date=2024-05-11", {"obs5"}),  # obs8 (2024-05-11T00:30Z) is on 10 May locally
    ("Observation?date=2013-01-10T09:30:00-05:00", {"obs1"}),
    ("Observation?date=2013-01-10T14:30:00Z", {"obs1"}),  # the same instant in UTC
    ("Observation?date=2013-01-31T23:30:00", {"obs2"}),  # no offset: the server's zone
    ("Observation?date=lt2013-02-01T00:00:00Z", {"obs1"}),  # with an offset: obs2, obs3 are after
    ("Observation?date=eb2013-02", {"obs1", "obs2", "obs3"}),
    ("Observation?date=eq2024-05-10", {"obs4", "obs8"}),  # obs8 is 2024-05-11T00:30Z = 19:30 local
    ("Observation?date=gt2024-05-10T08:10:00-05:00", {"obs4", "obs5", "obs8", "obs11"}),  # obs4 ends 08:15
    ("Observation?date=sa2024-05-10", {"obs5", "obs11"}),
    ("Observation?date=ne2013-01", {"obs4", "obs5", "obs6", "obs7", "obs8", "obs9", "obs11", "obs12"}),
    ("Observation?date=gt2030-01-01", {"obs11"}),  # a Period without end is open
    ("Observation?date=ge2023-06&date=lt2023-07-01", {"obs6"}),
    ("Encounter?date=2013-01-10", {"enc1"}),
    ("Encounter?date=2013-01-10T09:30:00-05:00", set()),  # one second does not contain the hour-long period
    ("Encounter?date=ge2013-01-10T09:30:00-05:00", {"enc1", "enc2"}),
    ("Encounter?date=le2013-01-10T09:30:00-05:00", {"enc1"}),
    ("Encounter?date=ne2013-01-10", {"enc2"}),
    ("Condition?onset-date=2013-01", {"c2"}),
    ("Condition?onset-date=2015", {"c3"}),
    ("Condition?onset-date=gt2015", {"c4", "c6", "c7"}),
    ("Condition?onset-date=le2010", {"c1"}),
    ("Condition?onset-date:missing=true", {"c5"}),
    ("Appointment?date=ge2024-06-01T09:15:00-05:00", {"ap2"}),  # Appointment date is the start only
    ("MedicationRequest?authoredon=lt2024", {"mr2"}),
    ("Patient?_lastUpdated=gt2000-01-01", {"p1", "p2", "p3", "p4", "p5"}),
    ("Patient?_lastUpdated=lt2000-01-01", set()),
    ("Patient?_lastUpdated=lt2100-01-01&gender=female", {"p2", "p3", "p5"}),
    # --- number: implicit precision for eq/ne, exact for the other prefixes --------------------------
    ("RiskAssessment?probability=gt0.5", {"ra1"}),
    ("RiskAssessment?probability=0.8", {"ra1"}),
    ("RiskAssessment?probability=0.3", {"ra2"}),  # 0.27 is in [0.25, 0.35)
    ("RiskAssessment?probability=ne0.8", {"ra2"}),
    # --- quantity ------------------------------------------------------------------------------------
    ("Observation?value-quantity=5.4|http://unitsofmeasure.org|mmol/L", {"obs1", "obs6"}),  # 5.41 in range
    ("Observation?value-quantity=5.4", {"obs1", "obs6"}),  # 5.46 is outside [5.35, 5.45)
    ("Observation?value-quantity=5.4||mmol/L", {"obs1", "obs6"}),
    ("Observation?value-quantity=5.40|http://unitsofmeasure.org|mmol/L", {"obs1"}),  # [5.395, 5.405)
    ("Observation?value-quantity=5|http://unitsofmeasure.org|mmol/L", {"obs1", "obs6", "obs7"}),  # [4.5, 5.5)
    ("Observation?value-quantity=gt5.4|http://unitsofmeasure.org|mmol/L", {"obs6", "obs7"}),
    ("Observation?value-quantity=le5.4|http://unitsofmeasure.org|mmol/L", {"obs1"}),
    ("Observation?value-quantity=ne5.4|http://unitsofmeasure.org|mmol/L", {"obs7"}),
    ("Observation?value-quantity=100||mg/dL", {"obs2"}),
    ("Observation?value-quantity=gt1|http://unitsofmeasure.org|kg", {"obs3"}),  # 1500 g
    ("Observation?value-quantity=1.5|http://unitsofmeasure.org|kg", {"obs3"}),
    ("Observation?value-quantity=1|http://unitsofmeasure.org|g/L", {"obs2"}),  # 100 mg/dL
    ("Observation?value-quantity=0.1|http://unitsofmeasure.org|g/dL", {"obs2"}),
    ("Observation?value-quantity=ap37|http://unitsofmeasure.org|Cel", {"obs11"}),
    ("Observation?value-quantity=lt40", {"obs1", "obs6", "obs7", "obs11", "obs12"}),
    ("Observation?value-quantity:missing=true", {"obs4", "obs5", "obs8", "obs9", "obs10"}),
    # --- reference -----------------------------------------------------------------------------------
    ("Observation?subject=Patient/p1", {"obs1", "obs4", "obs9"}),
    ("Observation?subject:Patient=p1", {"obs1", "obs4", "obs9"}),
    ("Observation?subject=p1", {"obs1", "obs4", "obs9"}),
    ("Observation?patient=http://testserver/fhir/Patient/p1", {"obs1", "obs4", "obs9"}),
    ("Observation?subject=http://other.org/fhir/Patient/p1", set()),  # another server's Patient/p1
    ("Observation?subject:Device=p1", set()),
    ("Observation?subject=Patient/p4", {"obs11"}),  # stored as this server's absolute URL
    ("Observation?subject:identifier=https://registrocivil.gob.ec/cedula|0102030405", {"obs8"}),
    ("Observation?subject:identifier=https://registrocivil.gob.ec/cedula|", {"obs8"}),  # token system|
    ("Observation?encounter=enc1", {"obs1"}),
    ("Patient?general-practitioner=Practitioner/pr1", {"p1", "p5"}),
    ("Patient?general-practitioner:missing=true", {"p3", "p4"}),
    ("Patient?link=Patient/p4", {"p3"}),
    ("Patient?link:missing=false", {"p3"}),
    ("Organization?partof=org1", {"org2"}),
    ("DiagnosticReport?result=Observation/obs1", {"dr1", "dr3"}),
    ("Appointment?actor=Practitioner/pr1", {"ap1"}),
    ("Appointment?patient=p2", {"ap2"}),
    ("MedicationRequest?requester=Practitioner/pr1&code=http://www.whocc.no/atc|A10BA02", {"mr1"}),
    # --- :missing ------------------------------------------------------------------------------------
    ("Patient?gender:missing=true", {"p4"}),
    ("Patient?gender:missing=false", {"p1", "p2", "p3", "p5"}),
    ("Patient?active:missing=true", {"p4"}),
    ("Condition?abatement-date:missing=false", {"c3"}),
    # --- uri -----------------------------------------------------------------------------------------
    ("ValueSet?url=http://example.org/fhir/ValueSet/asthma", {"vs1"}),
    ("ValueSet?url:below=http://example.org/fhir/ValueSet/", {"vs1", "vs2"}),
    ("ValueSet?url:above=http://example.org/fhir/ValueSet/asthma/_history/2", {"vs1"}),
    # --- composite: both components from the same root ------------------------------------------------
    ("Observation?code-value-quantity=http://loinc.org|15074-8$gt5", {"obs1", "obs6", "obs7"}),
    ("Observation?code-value-quantity=http://loinc.org|2345-7$gt5", {"obs2"}),
    ("Observation?code-value-quantity=http://loinc.org|15074-8$5.4|http://unitsofmeasure.org|mmol/L", {"obs1", "obs6"}),
    (
        "Observation?code-value-quantity=http://loinc.org|2345-7$gt5,http://loinc.org|29463-7$gt1000",
        {"obs2", "obs3"},
    ),
    ("Observation?component-code-value-quantity=http://loinc.org|8480-6$gt140", {"obs4"}),
    ("Observation?component-code-value-quantity=http://loinc.org|8462-4$gt90", {"obs4"}),
    ("Observation?component-code-value-quantity=http://loinc.org|8462-4$gt140", set()),  # 150 is systolic
    ("Observation?combo-code-value-quantity=http://loinc.org|8480-6$gt140", {"obs4"}),
    ("Observation?code-value-concept=http://loinc.org|883-9$http://snomed.info/sct|112144000", {"obs8"}),
    # --- parameters for all resources -----------------------------------------------------------------
    ("Patient?_id=p1,p3", {"p1", "p3"}),
    ("Patient?_id=p6", set()),
    ("Observation?_tag=http://example.org/tags|research", {"obs1", "obs6"}),
    (
        "Observation?_tag:not=http://example.org/tags|research",
        {"obs2", "obs3", "obs4", "obs5", "obs7", "obs8", "obs9", "obs10", "obs11", "obs12"},
    ),
    ("Observation?_profile=http://hl7.org/fhir/StructureDefinition/bp", {"obs4", "obs5"}),
    ("Observation?_profile:below=http://hl7.org/fhir/StructureDefinition/", {"obs3", "obs4", "obs5", "obs11"}),
    ("Observation?_profile:missing=true", {"obs6", "obs7", "obs8", "obs9", "obs10", "obs12"}),
    ("Observation?_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", {"obs5"}),
    ("Patient?_list=list1", {"p1", "p2"}),
    ("Patient?_list=list1&gender=male", {"p1"}),
    # --- _has (reverse chaining) ----------------------------------------------------------------------
    ("Patient?_has:Observation:patient:code=15074-8", {"p1", "p3", "p5"}),
    ("Patient?_has:Observation:subject:code=http://loinc.org|85354-9", {"p1", "p2"}),
    ("Patient?_has:Observation:patient:code=2093-3", set()),  # only the deleted obs-del has it
    ("Patient?_has:Observation:patient:code=8310-5", {"p4"}),  # obs11 refers to p4 by absolute URL
    ("Patient?_has:Observation:subject:_id=obs4", {"p1"}),
    ("Patient?_has:Observation:subject:date=2013-01", {"p1", "p2", "p3"}),
    ("Patient?_has:Observation:patient:status:not=final", {"p1", "p3", "p5"}),
    ("Patient?_has:Condition:subject:code:in=http://example.org/fhir/ValueSet/asthma", {"p2", "p3"}),
    ("Patient?_has:Observation:patient:_has:DiagnosticReport:result:status=final", {"p1"}),
    ("Observation?_has:DiagnosticReport:result:status=final", {"obs1", "obs9"}),
    ("Encounter?_has:Observation:encounter:code=15074-8", {"enc1"}),
    ("Practitioner?_has:Patient:general-practitioner:gender=male", {"pr1"}),  # p6 (pr3) is deleted
    # --- chaining -------------------------------------------------------------------------------------
    ("Observation?subject:Patient.name=guaman", {"obs2", "obs5", "obs8"}),
    ("Observation?patient.name=guaman", {"obs2", "obs5", "obs8"}),
    ("Observation?subject:Patient.name:exact=Guamán", {"obs2", "obs5", "obs8"}),
    ("Observation?subject:Patient._id=p2", {"obs2", "obs5", "obs8"}),
    ("Observation?subject:Patient.identifier=https://registrocivil.gob.ec/cedula|0102030405", {"obs2", "obs5", "obs8"}),
    ("Observation?subject:Patient.gender:missing=true", {"obs11"}),
    (
        "Observation?subject:Patient.general-practitioner:Practitioner.name=andrade",
        {"obs1", "obs4", "obs9", "obs6", "obs7"},
    ),
    ("Observation?subject:Patient.organization.name=laboratorio", {"obs2", "obs5", "obs8"}),
    ("Observation?subject:Patient.birthdate=2013", {"obs3", "obs10", "obs11"}),
    ("Observation?subject:Patient.name=borrado", set()),  # the target p6 is deleted
    ("Observation?encounter.date=2013-01-10", {"obs1"}),
    ("Patient?organization.partof.name=hospital", {"p2"}),
    ("Patient?organization.partof:Organization.name=ministerio", {"p1"}),
    ("Encounter?service-provider.name=hospital", {"enc1"}),
    ("DiagnosticReport?result.code=2345-7", {"dr2"}),
    # --- system level, compartments, POST -------------------------------------------------------------
    ("?_type=Patient,Practitioner&name=jose", {"p1", "p3", "pr3"}),
    ("?_type=Patient,Practitioner&gender=female", {"p2", "p3", "p5", "pr2"}),
    ("?_type=Observation,Condition&patient=Patient/p2", {"obs2", "obs5", "obs8", "c2", "c7"}),
    ("?_type=Observation,Condition&patient.name=guaman", {"obs2", "obs5", "obs8", "c2", "c7"}),
    ("?_tag=http://example.org/tags|research", {"obs1", "obs6"}),
    ("?_id=p1,obs1,p6", {"p1", "obs1"}),
    ("Patient/p1/Observation", {"obs1", "obs4", "obs9"}),
    ("Patient/p1/Observation?code=15074-8", {"obs1"}),
    ("Patient/p4/Observation", {"obs11"}),
    ("Patient/p1/Condition", {"c1", "c4"}),
    ("Patient/p1/DiagnosticReport", {"dr1", "dr3"}),
    ("Patient/p2/Appointment", {"ap2"}),
    ("POST Patient/_search?name=jose&gender=male", {"p1"}),
    ("POST Patient/_search?name=jose&name=perez", {"p3"}),
    ("POST Patient/_search?gender=female -d name=jose", {"p3"}),  # URL and body parameters combine
    ("POST Patient/_search?name=jose -d name=perez", {"p3"}),
    ("POST Observation/_search?code=http://loinc.org|85354-9&date=2024-05", {"obs4", "obs5"}),
]

# (query, expected matches, expected included resources)
INCLUDE_CASES: list[tuple[str, set[str], set[str]]] = [
    ("Observation?_id=obs1&_include=Observation:subject", {"obs1"}, {"p1"}),
    ("Observation?_id=obs11&_include=Observation:subject", {"obs11"}, {"p4"}),  # absolute URL of this server
    ("Observation?code=http://loinc.org|85354-9&_include=Observation:patient", {"obs4", "obs5"}, {"p1", "p2"}),
    ("Condition?subject=Patient/p1&_include=Condition:subject", {"c1", "c4"}, {"p1"}),  # included once
    ("Patient?_id=p1&_revinclude=Observation:subject", {"p1"}, {"obs1", "obs4", "obs9"}),
    ("Patient?_id=p1&_revinclude=List:item", {"p1"}, {"list1"}),
    ("DiagnosticReport?_id=dr3&_include=DiagnosticReport:result", {"dr3"}, {"obs1"}),  # obs-del is deleted
    ("Observation?_id=obs12&_include=Observation:subject", {"obs12"}, set()),  # p6 is deleted
    ("Practitioner?_id=pr3&_revinclude=Patient:general-practitioner", {"pr3"}, set()),  # p6 is deleted
    (
        "Patient?_id=p1&_include=Patient:general-practitioner&_include=Patient:organization",
        {"p1"},
        {"pr1", "org2"},
    ),
    (
        "Patient?_id=p2&_include=Patient:organization&_include:iterate=Organization:partof",
        {"p2"},
        {"org3", "org2", "org1"},
    ),
    ("Organization?_id=org1&_revinclude:iterate=Organization:partof", {"org1"}, {"org2", "org3"}),
    ("MedicationRequest?_id=mr1&_include=MedicationRequest:requester:Practitioner", {"mr1"}, {"pr1"}),
    ("Encounter?_id=enc1&_include=*", {"enc1"}, {"p1", "pr1", "org2"}),
    (
        "Observation?_id=obs1&_include=Observation:encounter&_revinclude=DiagnosticReport:result",
        {"obs1"},
        {"enc1", "dr1", "dr3"},
    ),
]


def load_dataset(client: TestClient) -> None:
    """PUT earlier versions, then every resource with its own id, then delete the ones in DELETED."""
    for resource in [*EARLIER_VERSIONS, *RESOURCES]:
        path = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = client.put(path, content=json.dumps(resource), headers=FHIR_JSON)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
    for type_name, resource_id in DELETED:
        response = client.delete(f"/fhir/{type_name}/{resource_id}")
        assert response.status_code in (200, 204), (type_name, resource_id, response.status_code, response.text)


def _pairs(query_string: str) -> list[tuple[str, str]]:
    return [(name, value) for name, _, value in (item.partition("=") for item in query_string.split("&") if item)]


def _request(client: TestClient, query: str) -> httpx2.Response:
    """Run one case's query (with ``_count=100`` unless it sets one) and return the response.

    ``POST Type/_search?a=1`` sends ``a=1`` as a form body; ``POST Type/_search?a=1 -d b=2`` sends
    ``a=1`` in the URL and ``b=2`` in the body.
    """
    post = query.startswith("POST ")
    path, _, query_string = query.removeprefix("POST ").partition("?")
    url_part, _, body_part = query_string.partition(" -d ") if post else (query_string, "", "")
    if post and not body_part:
        url_part, body_part = "", url_part
    url_params, body_params = _pairs(url_part), _pairs(body_part)
    if not any(name == "_count" for name, _ in [*url_params, *body_params]):
        (body_params if post else url_params).append(("_count", "100"))
    url = (f"/fhir/{path}" if path else "/fhir") + (f"?{urlencode(url_params)}" if url_params else "")
    if post:
        headers = {**STRICT, "Content-Type": "application/x-www-form-urlencoded"}
        return client.post(url, content=urlencode(body_params), headers=headers)
    return client.get(url, headers=STRICT)


def _ids(bundle: dict[str, Any], mode: str) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == mode]


def _outcome(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        return "; ".join(str(i.get("diagnostics") or i.get("details", {}).get("text") or i) for i in body["issue"])
    return json.dumps(body)[:300]


def _mismatch(client: TestClient, query: str, expected: set[str]) -> str | None:
    response = _request(client, query)
    if response.status_code != 200:
        return f"{query}\n    expected {sorted(expected)}\n    got HTTP {response.status_code}: {_outcome(response)}"
    found = _ids(response.json(), "match")
    if len(found) != len(set(found)) or set(found) != expected:
        return (
            f"{query}\n    expected {sorted(expected)}\n    got      {sorted(found)}"
            f"\n    missing  {sorted(expected - set(found))}  unexpected {sorted(set(found) - expected)}"
        )
    return None


def test_case_count() -> None:
    assert len(CASES) >= 60
    assert len({query for query, _ in CASES}) == len(CASES), "duplicate queries"


def test_dataset_ids_are_unique() -> None:
    ids = [resource["id"] for resource in RESOURCES]
    assert len(ids) == len(set(ids))
    assert 40 <= len(RESOURCES) <= 70


def test_spec_example_queries(client: TestClient) -> None:
    """Every example query returns exactly its expected ids (all mismatches reported at once)."""
    load_dataset(client)
    mismatches = [m for query, expected in CASES if (m := _mismatch(client, query, expected)) is not None]
    assert len(mismatches) == 0, f"{len(mismatches)} of {len(CASES)} queries differ:\n" + "\n".join(mismatches)


@pytest.mark.parametrize(("query", "matches", "included"), INCLUDE_CASES, ids=[c[0] for c in INCLUDE_CASES])
def test_include_examples(client: TestClient, query: str, matches: set[str], included: set[str]) -> None:
    load_dataset(client)
    response = _request(client, query)
    assert response.status_code == 200, _outcome(response)
    bundle = response.json()
    assert set(_ids(bundle, "match")) == matches
    found = _ids(bundle, "include")
    assert len(found) == len(set(found)), f"included twice: {found}"
    assert set(found) == included
