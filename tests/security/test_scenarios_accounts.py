"""Acceptance scenarios S1 (bootstrap, least privilege) and S12 (authentication lifecycle), over HTTP, both engines."""

from __future__ import annotations

import json
import re

import httpx

from fhir_server.auth.accounts import create_account
from fhir_server.auth.clients import create_client
from fhir_server.auth.mail import undelivered
from fhir_server.cli import main
from fhir_server.model import canonical as c
from tests.auth.fixtures import live_auth_server
from tests.auth.smart_app import SmartApp
from tests.clinic.conftest import new_cedula
from tests.security.logins import PASSWORD, REDIRECT, login, register

STAFF = "user/*.cruds"


def person(resource_type: str, family: str, cedula: str) -> dict[str, object]:
    identifier = {"system": c.CEDULA_SYSTEM, "value": cedula, "type": {"coding": [{"system": c.V2_0203, "code": "NI"}]}}
    return {"resourceType": resource_type, "active": True, "identifier": [identifier], "name": [{"family": family}]}


def role(practitioner: str, code: dict[str, str], **more: object) -> dict[str, object]:
    return {"resourceType": "PractitionerRole", "active": True, "practitioner": {"reference": practitioner},
            "code": [{"coding": [code]}], **more}  # fmt: skip


def test_s1_bootstrap_and_least_privilege(storage, auth_db, database_url, monkeypatch, capsys):
    # 1. No default password: the first administrator comes from a one-time command with a random password.
    monkeypatch.setenv("FHIR_DATABASE_URL", database_url)
    assert main(["create-first-admin"]) == 0
    printed = capsys.readouterr().out
    password = re.search(r"^\s*password:\s*(\S+)$", printed, re.MULTILINE)
    assert password is not None, printed
    assert main(["create-first-admin"]) == 0 and "password" not in capsys.readouterr().out.lower()
    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        admin_password = password[1]
        create_client(
            auth_db, "public", name="consola", client_id="consola", redirect_uris=(REDIRECT,), consent_required=False
        )
        console = SmartApp(http, base, "consola", REDIRECT)
        code, verifier = console.authorize_code(f"openid fhirUser {STAFF}", "admin", admin_password)
        adm = {"Authorization": f"Bearer {console.exchange(code, verifier).json()['access_token']}",
               "Content-Type": "application/fhir+json"}  # fmt: skip
        # 4. Anonymous callers get 401 everywhere but metadata and discovery.
        assert http.get(f"{base}/Patient").status_code == 401
        assert http.get(f"{base}/metadata").status_code == 200
        # 2. Organization, consultorio, and staff with valid cédulas and their roles.
        org = http.post(f"{base}/Organization", json={"resourceType": "Organization", "name": "CARDIOVASC", "active": True},
                        headers=adm)  # fmt: skip
        assert org.status_code == 201, org.text
        room = http.post(f"{base}/Location", headers=adm, json={
            "resourceType": "Location", "name": "Consultorio 101", "status": "active",
            "physicalType": {"coding": [{"system": c.LOCATION_PHYSICAL_TYPE, "code": "ro"}]}})  # fmt: skip
        assert room.status_code == 201
        people = {}
        for key, family in (("doc", "Andrade"), ("enf", "Quishpe"), ("sec", "Vera")):
            created = http.post(f"{base}/Practitioner", json=person("Practitioner", family, new_cedula()), headers=adm)
            assert created.status_code == 201, created.text
            people[key] = f"Practitioner/{created.json()['id']}"
        cardiology = {"coding": [{"system": c.SNOMED, "code": "394579002"}]}
        roles = [
            role(people["doc"], {"system": c.PRACTITIONER_ROLE, "code": "doctor"}, specialty=[cardiology],
                 location=[{"reference": f"Location/{room.json()['id']}"}]),
            role(people["enf"], {"system": c.PRACTITIONER_ROLE, "code": "nurse"}),
            role(people["sec"], {"system": c.CS_ROL_USUARIO, "code": "secretaria"}),
        ]  # fmt: skip
        for body in roles:
            assert http.post(f"{base}/PractitionerRole", json=body, headers=adm).status_code == 201
        taken = http.get(f"{base}/{people['doc']}", headers=adm).json()["identifier"][0]["value"]
        duplicate = http.post(f"{base}/Practitioner", json=person("Practitioner", "Otro", taken), headers=adm)
        assert duplicate.status_code == 409
        auth = base.removesuffix("/fhir") + "/auth/admin/users"
        admin_json = {"Authorization": adm["Authorization"]}
        for username, user_role in (("dr.andrade", "doctor"), ("enf.quishpe", "enfermera"), ("sec.vera", "secretaria")):
            fhir_user = people[{"doctor": "doc", "enfermera": "enf", "secretaria": "sec"}[user_role]]
            made = http.post(
                auth, json={"username": username, "role": user_role, "fhirUser": fhir_user}, headers=admin_json
            )
            assert made.status_code == 201, made.text
        # 3. The secretary can neither create accounts nor an administrator's PractitionerRole.
        sec_password = http.post(f"{auth}/sec.vera/password", json={}, headers=admin_json).json()["password"]
        code, verifier = console.authorize_code(f"openid fhirUser {STAFF}", "sec.vera", sec_password)
        sec = {"Authorization": f"Bearer {console.exchange(code, verifier).json()['access_token']}"}
        assert http.post(auth, json={"username": "intruso", "role": "administrador"}, headers=sec).status_code == 403
        admin_role = role(people["sec"], {"system": c.CS_ROL_USUARIO, "code": "administrador"})
        assert http.post(f"{base}/PractitionerRole", json=admin_role, headers=sec).status_code == 403


def test_s12_authentication_lifecycle(storage, auth_db, database_url):
    with live_auth_server(storage, database_url, auth_enabled=True) as base, httpx.Client(timeout=30) as http:
        admin = login(http, auth_db, base, register(auth_db, "administrador", None), STAFF)
        admin_json = {"Authorization": admin["Authorization"]}
        users = base.removesuffix("/fhir") + "/auth/admin/users"
        # 1. Wrong password and unknown user: the same answer.
        create_client(auth_db, "public", name="web", client_id="web", redirect_uris=(REDIRECT,), consent_required=False)
        web = SmartApp(http, base, "web", REDIRECT)
        nurse_name = register(auth_db, "enfermera", "Practitioner/enf")
        wrong = web.login(web.authorize(STAFF)[0], nurse_name, "no-es-la-clave")
        unknown = web.login(web.authorize(STAFF)[0], "nadie-conocido", "no-es-la-clave")
        assert wrong.status_code == unknown.status_code == 401
        strip = lambda page: re.sub(r'value="[^"]*"', "", page.text)  # noqa: E731
        assert strip(wrong) == strip(unknown)
        # 2. Forgot password: same answer for known and unknown, one-time link, old tokens revoked after reset.
        create_account(auth_db, "dr.lopez", PASSWORD, "doctor", "Practitioner/doc", email="lopez@clinica.ec")
        doctor = login(http, auth_db, base, "dr.lopez", STAFF)
        assert http.get(f"{base}/Patient", headers=doctor).status_code == 200
        auth = base.removesuffix("/fhir") + "/auth"
        answers = []
        for identifier in ("dr.lopez", "desconocido@clinica.ec"):
            page = http.get(f"{auth}/forgot")
            csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
            assert csrf is not None
            answers.append(http.post(f"{auth}/forgot", data={"identifier": identifier, "csrf": csrf[1]}).text)
        assert answers[0] == answers[1]
        (mail,) = undelivered(auth_db)
        link = re.findall(r"^(http\S+)$", mail.body, re.MULTILINE)[0]
        assert link.startswith(auth)
        form = http.get(link)
        fields = {"token": link.split("token=")[1], "csrf": re.findall(r'name="csrf" value="([^"]*)"', form.text)[0],
                  "password": "otra frase de paso 9", "confirmation": "otra frase de paso 9"}  # fmt: skip
        assert http.post(f"{auth}/reset", data=fields).status_code == 200
        assert http.get(link).status_code != 200  # single use
        assert http.get(f"{base}/Patient", headers=doctor).status_code == 401
        # 3. Deactivating the nurse: her next request is refused and her Practitioner/roles become inactive.
        nurse = login(http, auth_db, base, nurse_name, STAFF)
        storage_write = json.dumps({"resourceType": "Practitioner", "id": "enf", "active": True})
        assert http.put(f"{base}/Practitioner/enf", content=storage_write, headers=admin).status_code in (200, 201)
        assert http.get(f"{base}/Patient", headers=nurse).status_code == 200
        assert http.post(f"{users}/{nurse_name}/deactivate", headers=admin_json).status_code == 200
        assert http.get(f"{base}/Patient", headers=nurse).status_code == 401
        assert http.get(f"{base}/Practitioner/enf", headers=admin).json()["active"] is False
        # 4. A role change applies to the next request.
        doc_name = register(auth_db, "doctor", "Practitioner/doc")
        doc = login(http, auth_db, base, doc_name, STAFF)
        assert http.get(f"{base}/Observation", headers=doc).status_code == 200
        changed = http.put(f"{users}/{doc_name}/role", json={"role": "secretaria"}, headers=admin_json)
        assert changed.status_code == 200, changed.text
        assert http.get(f"{base}/Observation", headers=doc).status_code == 403
