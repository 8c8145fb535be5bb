"""Users -> Practitioner + PractitionerRole + an account pending activation; Patients -> Patient + Coverage
(C.1, C.2).

Legacy password hashes and reset tokens are never selected from the database, so they cannot reach
a resource, a report or a log.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.mappings.legacy.ehr.common import State, birth_date, finding, ident, meta, ref, rid
from fhir_server.mappings.legacy.ehr.coverage import coverage
from fhir_server.mappings.legacy.ehr.geography import address
from fhir_server.mappings.legacy.records import LegacyAccount, Mapped
from fhir_server.model import canonical as c
from fhir_server.model.profiles.cedula import cedula_problem
from fhir_server.search.values import fold

ROLE_CODES = {"doctor": ("doctor", "Doctor"), "enfermera": ("nurse", "Nurse")}
SPECIALTIES = {
    "cardiologia adultos": "cardiologia-adultos",
    "cardiologia pediatrica": "cardiologia-pediatrica",
    "angiologia": "angiologia",
    "nefrologia": "nefrologia",
    "endocrinologia": "endocrinologia",
    "medicina interna": "medicina-interna",
    "geriatria": "geriatria",
    "nutricion": "nutricion",
}
MARITAL = {"S": ("S", "Never Married"), "C": ("M", "Married"), "D": ("D", "Divorced"), "V": ("W", "Widowed")}
NATIONALITIES = {
    "ecuatoriana": "EC", "ecuatoriano": "EC", "ecuador": "EC", "ec": "EC", "colombiana": "CO", "colombiano": "CO",
    "colombia": "CO", "peruana": "PE", "peruano": "PE", "peru": "PE", "venezolana": "VE", "venezolano": "VE",
    "venezuela": "VE", "cubana": "CU", "cubano": "CU", "chilena": "CL", "argentina": "AR", "estadounidense": "US",
    "espanola": "ES", "espanol": "ES",
}  # fmt: skip
ETHNICITY = {"mestizo": "mestizo", "mestiza": "mestizo", "indigena": "indigena", "montubio": "montubio",
             "montubia": "montubio", "afroecuatoriano": "afroecuatoriano", "afroecuatoriana": "afroecuatoriano",
             "negro": "negro", "negra": "negro", "mulato": "mulato", "mulata": "mulato", "blanco": "blanco",
             "blanca": "blanco", "otro": "otro", "otra": "otro"}  # fmt: skip
EDUCATION = {"ninguna": "ninguno", "ninguno": "ninguno", "primaria": "primaria", "secundaria": "secundaria",
             "bachillerato": "bachillerato", "superior": "superior", "universitaria": "superior",
             "postgrado": "postgrado", "posgrado": "postgrado", "basica": "educacion-basica"}  # fmt: skip
KINSHIP = {"madre": "MTH", "padre": "FTH", "esposo": "HUSB", "esposa": "WIFE", "hijo": "SON", "hija": "DAU",
           "hermano": "BRO", "hermana": "SIS", "amigo": "FRND", "amiga": "FRND", "vecino": "NBOR",
           "vecina": "NBOR"}  # fmt: skip
_USERNAME_CHARS = re.compile(r"[^a-z0-9._@\-]+")


def normalise_cedula(value: str) -> str:
    return re.sub(r"[\s\-.]", "", value or "")


def _coded(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    return {"coding": [coding], **({"text": text} if text else {})}


def account_name(username: str) -> str:
    """A legacy user name as the account rules accept it (lower case, no accents, no spaces)."""
    name = re.sub(r"\.{2,}", ".", _USERNAME_CHARS.sub(".", fold(username).strip())).strip(".")
    return name if len(name) >= 2 else f"usuario.{name or 'ehr'}"


def empresa(name: str, state: State) -> dict[str, Any]:
    """An Organization for one legacy empresa (a company the clinic serves, E26)."""
    res_id = rid("empresa", name)
    state.empresas[name] = res_id
    return {
        "resourceType": "Organization",
        "id": res_id,
        "meta": meta(c.PROFILE_ORGANIZATION),
        "identifier": [ident("empresa", name)],
        "active": True,
        "name": name,
    }


def _specialty(row: dict[str, Any], mapped: Mapped) -> list[dict[str, Any]]:
    text = (row.get("especialidad") or "").strip()
    if not text or row["role"] != "doctor":
        return []
    code = SPECIALTIES.get(" ".join(fold(text).split()))
    if code is None:
        mapped.findings.append(finding("especialidad-desconocida", "Users", row["id"], value=text))
        return [{"text": text}]
    return [_coded(c.CS_ESPECIALIDAD, code, text=text)]


def user(row: dict[str, Any], state: State) -> Mapped:
    """A staff member; everyone gets a Practitioner so every legacy author stays referable."""
    key = row["id"]
    mapped = Mapped("Users", f"id={key}")
    state.roles[key] = row["role"]
    state.users.add(key)
    practitioner_id = rid("Users", key)
    identifiers = [ident("Users", key)]
    value = normalise_cedula(row["cedula"])
    profile: str | None = c.PROFILE_PRACTITIONER
    if cedula_problem(value) is None:
        identifiers.insert(0, {"use": "official", "type": _coded(c.V2_0203, "NI"), "system": c.CEDULA_SYSTEM,
                               "value": value})  # fmt: skip
    else:
        identifiers.append(ident("Users.cedula", row["cedula"]))
        mapped.findings.append(finding("cedula-invalida", "Users", key, value=row["cedula"]))
        profile = None  # ec-practitioner requires a valid cédula: collected before go-live (C.12.7)
    mapped.findings.append(finding("personal-sin-nombre", "Users", key, username=row["username"]))
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": practitioner_id,
        "meta": meta(profile, *(() if profile else ("cedula-invalida",))),
        "identifier": identifiers,
        "active": bool(row["active"] if row["active"] is not None else True),
        "name": [{"use": "usual", "text": row["username"]}],
    }
    if row.get("email"):
        practitioner["telecom"] = [{"system": "email", "value": row["email"]}]
    mapped.resources.append(practitioner)
    role = row["role"]
    if role not in ("administrador", "doctor", "secretaria", "enfermera"):
        mapped.findings.append(finding("rol-desconocido", "Users", key, value=role))
        return mapped
    codes = [{"system": c.CS_ROL_USUARIO, "code": role}]
    if role in ROLE_CODES:
        codes.append({"system": c.PRACTITIONER_ROLE, "code": ROLE_CODES[role][0], "display": ROLE_CODES[role][1]})
    practitioner_role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": rid("Users", key, "role"),
        "meta": meta(c.PROFILE_PRACTITIONER_ROLE),
        "identifier": [ident("Users", key)],
        "active": practitioner["active"],
        "practitioner": {"reference": f"Practitioner/{practitioner_id}"},
        "code": [{"coding": codes, "text": role}],
    }
    if row.get("empresa") in state.empresas:
        practitioner_role["organization"] = {"reference": f"Organization/{state.empresas[row['empresa']]}"}
    specialty = _specialty(row, mapped)
    if specialty:
        practitioner_role["specialty"] = specialty
    mapped.resources.append(practitioner_role)
    name = account_name(row["username"])
    if name != row["username"]:
        mapped.findings.append(finding("usuario-renombrado", "Users", key, old=row["username"], new=name))
    email = row.get("email") or None
    mapped.accounts.append(LegacyAccount(name, role, f"Practitioner/{practitioner_id}", email, practitioner["active"]))
    return mapped


def _identifiers(row: dict[str, Any], mapped: Mapped, seen: dict[str, int]) -> tuple[list[Any], bool]:
    """Cédula (or passport) and the legacy id; False when the patient cannot claim ec-patient."""
    key, raw = row["id"], row["cedula"]
    value = normalise_cedula(raw)
    identifiers: list[dict[str, Any]] = [ident("Patients", key)]
    if value in seen:
        mapped.findings.append(finding("cedula-duplicada", "Patients", key, value=raw.strip(), first=seen[value]))
        identifiers.append(ident("Patients.cedula", raw))
        return identifiers, False
    seen[value] = key
    if cedula_problem(value) is None:
        official = {"use": "official", "type": _coded(c.V2_0203, "NI"), "system": c.CEDULA_SYSTEM, "value": value}
    else:
        mapped.findings.append(finding("cedula-invalida", "Patients", key, message="cedula-pasaporte", value=raw))
        official = {"use": "official", "type": _coded(c.V2_0203, "PPN"), "system": c.PASSPORT_SYSTEM, "value": value}
    return [official, *identifiers], True


def _name(row: dict[str, Any]) -> dict[str, Any]:
    paterno, materno = row["apellido_paterno"].strip(), (row.get("apellido_materno") or "").strip()
    given = [g.strip() for g in (row["primer_nombre"], row.get("segundo_nombre")) if g and g.strip()]
    surnames = [{"url": c.EXT_FATHERS_FAMILY, "valueString": paterno}]
    if materno:
        surnames.append({"url": c.EXT_MOTHERS_FAMILY, "valueString": materno})
    family = " ".join(p for p in (paterno, materno) if p)
    return {"use": "official", "text": " ".join([*given, family]), "family": family,
            "_family": {"extension": surnames}, "given": given}  # fmt: skip


def _extensions(row: dict[str, Any], mapped: Mapped) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    nationality = (row.get("nacionalidad") or "").strip()
    country = NATIONALITIES.get(fold(nationality))
    if country is not None:
        concept = _coded(c.ISO3166, country, text=nationality)
        found.append({"url": c.EXT_NATIONALITY, "extension": [{"url": "code", "valueCodeableConcept": concept}]})
    elif nationality:
        mapped.findings.append(finding("nacionalidad-sin-codigo", "Patients", row["id"], value=nationality))
    if row.get("lugar_nacimiento"):
        found.append({"url": c.EXT_BIRTHPLACE, "valueAddress": {"text": row["lugar_nacimiento"]}})
    for column, url, system, table in (
        ("grupo_cultural", c.EXT_GRUPO_CULTURAL, c.CS_ETNIA, ETHNICITY),
        ("instruccion", c.EXT_NIVEL_INSTRUCCION, c.CS_NIVEL_INSTRUCCION, EDUCATION),
    ):
        text = (row.get(column) or "").strip()
        if text:
            code = table.get(fold(text))
            concept = _coded(system, code, text=text) if code else {"text": text}
            found.append({"url": url, "valueCodeableConcept": concept})
    if row.get("ocupacion"):
        found.append({"url": c.EXT_OCUPACION, "valueCodeableConcept": {"text": row["ocupacion"]}})
    return found


def _marital(row: dict[str, Any], mapped: Mapped) -> dict[str, Any] | None:
    value = (row.get("estado_civil") or "").strip()
    if not value:
        return None
    if value.upper() == "UL":
        return _coded(c.V3_MARITAL, "T", "Domestic partner", "Unión libre")
    if value.upper() in MARITAL:
        code, display = MARITAL[value.upper()]
        return _coded(c.V3_MARITAL, code, display, value)
    mapped.findings.append(finding("estado-civil-desconocido", "Patients", row["id"], value=value))
    return {"text": value}


def _contact(row: dict[str, Any]) -> dict[str, Any] | None:
    if not row.get("contacto_emergencia"):
        return None
    kinship = (row.get("parentesco_emergencia") or "").strip()
    codings = [{"system": c.V2_0131, "code": "C", "display": "Emergency Contact"}]
    if fold(kinship) in KINSHIP:
        codings.append({"system": c.V3_ROLE, "code": KINSHIP[fold(kinship)]})
    contact: dict[str, Any] = {
        "relationship": [{"coding": codings, **({"text": kinship} if kinship else {})}],
        "name": {"text": row["contacto_emergencia"]},
    }
    if row.get("telefono_emergencia"):
        contact["telecom"] = [{"system": "phone", "value": row["telefono_emergencia"]}]
    if row.get("direccion_emergencia"):
        contact["address"] = {"text": row["direccion_emergencia"]}
    return contact


def patient(row: dict[str, Any], state: State, seen: dict[str, int]) -> Mapped:
    key = row["id"]
    mapped = Mapped("Patients", f"id={key}")
    identifiers, conforms = _identifiers(row, mapped, seen)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": rid("Patients", key),
        "meta": meta(c.PROFILE_PATIENT if conforms else None, *(() if conforms else ("datos-incompletos",))),
        "identifier": identifiers,
        "active": True,
        "name": [_name(row)],
        "gender": {"H": "male", "M": "female"}.get(str(row["sexo"]), "unknown"),
        "birthDate": birth_date(row["fecha_nacimiento"]),
    }
    extensions = _extensions(row, mapped)
    if extensions:
        resource["extension"] = extensions
    if row.get("telefono"):
        resource["telecom"] = [{"system": "phone", "value": row["telefono"]}]
    home = address(row, state, mapped)
    if home is not None:
        resource["address"] = [home]
    marital = _marital(row, mapped)
    if marital is not None:
        resource["maritalStatus"] = marital
    contacts = [x for x in (_contact(row),) if x]
    if row.get("empresa_trabajo"):
        contacts.append(
            {"relationship": [_coded(c.V2_0131, "E", "Employer")], "name": {"text": row["empresa_trabajo"]}}
        )
    if contacts:
        resource["contact"] = contacts
    if row.get("empresa") in state.empresas:
        resource["managingOrganization"] = {"reference": f"Organization/{state.empresas[row['empresa']]}"}
    state.patients.add(key)
    mapped.resources += [resource, *coverage(row, mapped)]
    return mapped


__all__ = ["account_name", "empresa", "patient", "ref", "user"]
