"""A messy Medly, generated: Spanish users, slots, citas and an expedientes export with every trap of
legacy-domain.md B.6 / C.12 planted.

``generate(conn, expedientes_path, patients=..., consultations=...)`` fills an empty Medly schema
(medly_schema.DDL) deterministically from ``seed`` and writes the ``mongoexport`` file (JSON lines,
MongoDB Extended JSON, canonical and relaxed forms mixed). It returns what it planted: the findings
the import must report, by (code, table, row), and the counts the import must reconcile with.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bson import json_util
from bson.objectid import ObjectId
from pymysql.connections import Connection

ZONE = ZoneInfo("America/Guayaquil")
TODAY = date(2025, 12, 1)  # the import's "today": decides which pending citas are in the past
BCRYPT = "$2b$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

NOMBRES = ["María José", "Ana", "Lucía", "Rosa", "Carmen", "José Luis", "Andrés", "Iván", "Julián", "Tomás", "Sofía"]
APELLIDOS = ["Pérez", "Gómez", "Muñoz", "Chávez", "Quishpe", "Guamán", "Zambrano", "Peña", "Ordóñez", "Núñez"]
ESPECIALIDADES = ["Cardiología", "Medicina Interna", "Nefrología", "Endocrinología", "Geriatría", "Nutrición"]
UNCODED_SPECIALTY = "Dermatología"  # no clinic code: imported as text only
DIAGNOSTICOS = ["Hipertensión arterial", "Faringitis aguda", "Diabetes mellitus tipo 2", "Lumbalgia", "Gastritis"]
RECETA = [
    ("Paracetamol 500 mg", "1 tableta", "cada 8 horas"),
    ("Losartán 50 mg", "1 tableta", "1 vez al día"),
    ("Omeprazol 20 mg", "1 cápsula", "en ayunas"),
    ("Ibuprofeno 400 mg", "1 tableta", "cada 12 horas por 3 días"),
]
SANGRE = ["O+", "A+", "B−", "AB+", "O positivo", "A Rh-"]


@dataclass
class Planted:
    findings: set[tuple[str, str, str]] = field(default_factory=set)  # (code, table, row)
    counts: dict[str, int] = field(default_factory=dict)  # legacy table -> rows
    patients: int = 0
    doctors: int = 0
    consultations: int = 0  # consultations imported (not from orphan expedientes)
    prescriptions: int = 0
    allergies: int = 0
    spot: dict[str, Any] = field(default_factory=dict)  # a consultation to read back

    def add(self, code: str, table: str, row: str) -> None:
        self.findings.add((code, table, row))


def _oid(rng: random.Random) -> ObjectId:
    return ObjectId(f"{rng.getrandbits(96):024x}")


def _people(rng: random.Random, first_id: int, count: int) -> Iterator[tuple[int, str, str]]:
    for user_id in range(first_id, first_id + count):
        yield user_id, rng.choice(NOMBRES), f"{rng.choice(APELLIDOS)} {rng.choice(APELLIDOS)}"


def _insert(conn: Connection[Any], table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join(["%s"] * len(columns.split(",")))
    with conn.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def generate(
    conn: Connection[Any], expedientes_path: Path, *, patients: int = 30, consultations: int = 60, seed: int = 8
) -> Planted:
    rng = random.Random(seed)
    planted = Planted()
    roles = [(1, "Administrador"), (2, "Medico"), (3, "Paciente"), (4, "Recepción")]
    planted.add("rol-desconocido", "roles", "id=4")
    specialties = [(i, name) for i, name in enumerate([*ESPECIALIDADES, UNCODED_SPECIALTY], start=1)]
    planted.add("especialidad-sin-codigo", "especialidades", f"id={len(specialties)}")
    doctors = max(3, patients // 10)
    users: list[tuple[Any, ...]] = [(1, "Admin", "Medly", "admin@medly.mx", BCRYPT, 1, 1, None)]
    doctor_ids = []
    for user_id, nombre, apellido in _people(rng, 2, doctors):
        activo = 0 if user_id == 2 + doctors - 1 else 1
        if not activo:
            planted.add("usuario-inactivo", "usuarios", f"id={user_id}")
        users.append((user_id, nombre, apellido, f"dr{user_id}@medly.mx", BCRYPT, activo, 2, None))
        doctor_ids.append(user_id)
    first_patient = 2 + doctors
    patient_ids, expedientes = [], {}
    for user_id, nombre, apellido in _people(rng, first_patient, patients):
        oid = _oid(rng)
        expedientes[user_id] = oid
        users.append((user_id, nombre, apellido, f"paciente{user_id}@correo.ec", BCRYPT, 1, 3, str(oid)))
        patient_ids.append(user_id)
    # Traps on users, at fixed positions among the patients.
    bad_email, twin_a, twin_b, no_record, mismatch = patient_ids[:5]
    users[users.index(next(u for u in users if u[0] == bad_email))] = (
        bad_email, "Inés", "Vélez Loor", "ines.velez@gmail", BCRYPT, 1, 3, str(expedientes[bad_email]),
    )  # fmt: skip
    planted.add("email-invalido", "usuarios", f"id={bad_email}")
    for twin in (twin_a, twin_b):
        row = next(u for u in users if u[0] == twin)
        users[users.index(row)] = (twin, "José Luis", "Quishpe Guamán", *row[3:])
    planted.add("paciente-posible-duplicado", "usuarios", f"id={twin_b}")
    row = next(u for u in users if u[0] == no_record)
    users[users.index(row)] = (*row[:7], None)  # registered before expediente_id existed; no document either
    del expedientes[no_record]
    planted.add("paciente-sin-expediente", "usuarios", f"id={no_record}")
    stranger = 900 + first_patient + patients
    users.append((stranger, "Kevin", "Zapata", "recepcion@medly.mx", BCRYPT, 1, 4, None))
    planted.add("usuario-rol-desconocido", "usuarios", f"id={stranger}")
    links = [(d, 1 + (d % len(ESPECIALIDADES))) for d in doctor_ids] + [(doctor_ids[0], len(specialties))]
    links.append((patient_ids[-1], 1))  # a patient listed as a doctor of Cardiología
    planted.add(
        "medico-especialidad-invalida", "medicos_especialidades", f"id_medico={patient_ids[-1]} id_especialidad=1"
    )

    slots: list[tuple[Any, ...]] = []
    citas: list[tuple[Any, ...]] = []

    def slot(doctor: int, day: date, hour: int, disponible: int) -> int:
        slot_id = len(slots) + 1
        slots.append((slot_id, doctor, day, time(hour, 30 * (slot_id % 2)), disponible))
        return slot_id

    def cita(slot_id: int, patient: int, doctor: int, estado: str) -> int:
        citas.append((len(citas) + 1, slot_id, patient, doctor, estado))
        return len(citas)

    consultas: dict[int, list[dict[str, Any]]] = {p: [] for p in expedientes}
    start = TODAY - timedelta(days=150)
    for n in range(consultations):
        patient = patient_ids[5 + n % (len(patient_ids) - 5)] if len(patient_ids) > 5 else patient_ids[-1]
        doctor = doctor_ids[n % len(doctor_ids)]
        day = start + timedelta(days=n % 140)
        slot_id = slot(doctor, day, 8 + n % 9, 0)
        cita_id = cita(slot_id, patient, doctor, "finalizada")
        consultas[patient].append(_consulta(rng, cita_id, day, 8 + n % 9, slot_id))
    planted.consultations = consultations
    # Closing interrupted between MongoDB and MySQL: consultation present, cita still pendiente.
    p = patient_ids[6 % len(patient_ids)]
    c = cita(slot(doctor_ids[0], TODAY - timedelta(days=3), 9, 0), p, doctor_ids[0], "pendiente")
    consultas[p].append(_consulta(rng, c, TODAY - timedelta(days=3), 9, 0))
    planted.consultations += 1
    _pending_row = (p, c)
    # Cancelled after being attended (M9): the slot was re-opened.
    c2 = cita(slot(doctor_ids[1], TODAY - timedelta(days=4), 10, 1), p, doctor_ids[1], "cancelada")
    consultas[p].append(_consulta(rng, c2, TODAY - timedelta(days=4), 10, 0))
    planted.consultations += 1
    planted.add("cita-cancelada-con-consulta", "citas", f"id={c2}")
    # A retry pushed the same consultation twice (M5).
    first_cita = citas[0][0]
    owner = citas[0][2]
    consultas[owner].append(_consulta(rng, first_cita, start, 8, 0))
    planted.consultations += 1
    # Finished but its consultation was $pulled by a concurrent submission's compensation.
    c3 = cita(
        slot(doctor_ids[0], TODAY - timedelta(days=5), 11, 0),
        patient_ids[7 % len(patient_ids)],
        doctor_ids[0],
        "finalizada",
    )
    planted.add("cita-finalizada-sin-consulta", "citas", f"id={c3}")
    # Past pending without consultation (no-show to review); future pending ones are fine.
    c4 = cita(
        slot(doctor_ids[1], TODAY - timedelta(days=20), 12, 0),
        patient_ids[8 % len(patient_ids)],
        doctor_ids[1],
        "pendiente",
    )
    planted.add("cita-pendiente-pasada", "citas", f"id={c4}")
    for k in range(3):
        cita(
            slot(doctor_ids[k % len(doctor_ids)], TODAY + timedelta(days=7 + k), 9, 0),
            patient_ids[k],
            doctor_ids[k % len(doctor_ids)],
            "pendiente",
        )
    # The un-awaited "disponible=0" update failed: pending cita on a slot still marked free.
    s5 = slot(doctor_ids[0], TODAY + timedelta(days=12), 15, 1)
    cita(s5, patient_ids[9 % len(patient_ids)], doctor_ids[0], "pendiente")
    planted.add("agenda-disponible-incoherente", "agenda_medica", f"id={s5}")
    # Double booking on one slot, and a cita whose doctor is not the slot's owner.
    s6 = slot(doctor_ids[1], TODAY + timedelta(days=13), 16, 0)
    cita(s6, patient_ids[10 % len(patient_ids)], doctor_ids[1], "pendiente")
    c6 = cita(s6, patient_ids[11 % len(patient_ids)], doctor_ids[1], "pendiente")
    planted.add("cita-doble-reserva", "citas", f"id={c6}")
    c7 = cita(
        slot(doctor_ids[2], TODAY + timedelta(days=14), 9, 0),
        patient_ids[12 % len(patient_ids)],
        doctor_ids[0],
        "pendiente",
    )
    planted.add("cita-medico-distinto", "citas", f"id={c7}")
    # A cita whose "patient" is a doctor account; and a slot published by the admin.
    c8 = cita(slot(doctor_ids[0], TODAY + timedelta(days=15), 9, 0), doctor_ids[1], doctor_ids[0], "pendiente")
    planted.add("cita-referencia-invalida", "citas", f"id={c8}")
    s9 = slot(1, TODAY + timedelta(days=16), 9, 1)
    planted.add("agenda-medico-invalido", "agenda_medica", f"id={s9}")
    for _ in range(4):  # free slots nobody booked
        slot(doctor_ids[-1], TODAY + timedelta(days=20 + len(slots) % 5), 8 + len(slots) % 9, 1)

    _insert(conn, "roles", "id, nombre", roles)
    _insert(conn, "especialidades", "id, nombre", specialties)
    _insert(conn, "usuarios", "id, nombre, apellido, email, password, activo, id_rol, expediente_id", users)
    _insert(conn, "medicos_especialidades", "id_medico, id_especialidad", links)
    _insert(conn, "agenda_medica", "id, id_medico, fecha, hora, disponible", slots)
    _insert(conn, "citas", "id, id_agenda, id_paciente, id_medico, estado", citas)
    conn.commit()

    documents = _documents(rng, users, expedientes, consultas, planted, mismatch)
    _write_export(expedientes_path, documents)
    interrupted = _consulta_row(documents, *_pending_row)
    planted.add("consulta-cita-no-finalizada", "historial_consultas", interrupted)
    planted.add("consulta-cita-no-finalizada", "historial_consultas", _consulta_row(documents, p, c2))
    dup = next(d for d in documents if d.get("id_paciente_sql") == owner)
    planted.add(
        "consulta-duplicada",
        "historial_consultas",
        f"expediente={dup['_id']} _id={dup['historial_consultas'][-1]['_id']}",
    )
    planted.add("linea-ilegible", "expedientes", f"linea={len(documents) + 1}")
    planted.counts = {
        "roles": len(roles), "especialidades": len(specialties), "usuarios": len(users),
        "medicos_especialidades": len(links), "agenda_medica": len(slots), "citas": len(citas),
        "expedientes": len(documents) + 1,  # + the truncated last line
        "historial_consultas": sum(len(d["historial_consultas"]) for d in documents),
    }  # fmt: skip
    planted.patients, planted.doctors = len(patient_ids), len(doctor_ids)
    return planted


def _consulta(rng: random.Random, cita_id: int, day: date, hour: int, _slot: int) -> dict[str, Any]:
    """A consultation as Mongoose stored it: no id_medico_sql, no signos_vitales (both stripped)."""
    when = datetime.combine(day, time(hour, 20), tzinfo=ZONE).astimezone(UTC)
    lines = rng.sample(RECETA, rng.randint(0, 2))
    return {
        "_id": _oid(rng),
        "id_cita_sql": cita_id,
        "fecha": when,
        "diagnostico": rng.choice(DIAGNOSTICOS),
        "receta": [{"medicamento": m, "dosis": d, "frecuencia": f, "_id": _oid(rng)} for m, d, f in lines],
        "notas_adicionales": rng.choice(["Control en 15 días.", "Reposo relativo; hidratación abundante.", ""]),
    }


def _consulta_row(documents: list[dict[str, Any]], patient: int, cita_id: int) -> str:
    document = next(d for d in documents if d.get("id_paciente_sql") == patient)
    consulta = next(c for c in document["historial_consultas"] if c["id_cita_sql"] == cita_id)
    return f"expediente={document['_id']} _id={consulta['_id']}"


def _documents(
    rng: random.Random,
    users: list[tuple[Any, ...]],
    expedientes: dict[int, ObjectId],
    consultas: dict[int, list[dict[str, Any]]],
    planted: Planted,
    mismatch: int,
) -> list[dict[str, Any]]:
    names = {u[0]: f"{u[1]} {u[2]}" for u in users}
    documents = []
    for position, (patient, oid) in enumerate(sorted(expedientes.items())):
        alergias = rng.sample(["Penicilina", "Sulfas", "Ácaros del polvo", "Mariscos"], rng.randint(0, 2))
        planted.allergies += len(alergias)
        document: dict[str, Any] = {
            "_id": oid if patient != mismatch else _oid(rng),
            "id_paciente_sql": patient,
            "nombre_paciente": names[patient],
            "alergias": alergias,
            "historial_consultas": consultas.get(patient, []),
            "__v": 0,
        }
        if position % 3:
            document["tipo_sangre"] = SANGRE[position % len(SANGRE)]
        documents.append(document)
    mismatched = next(d for d in documents if d["id_paciente_sql"] == mismatch)
    planted.add("expediente-id-distinto", "expedientes", f"_id={mismatched['_id']}")
    # A blood type typed with a zero, a consultation pointing to a cita that does not exist, odd receta lines.
    odd = documents[1]
    odd["tipo_sangre"] = "0+"
    planted.add("tipo-sangre-no-reconocido", "expedientes", f"_id={odd['_id']}")
    lost = _consulta(rng, 99_999, TODAY - timedelta(days=40), 9, 0)
    lost["receta"] = [{"medicamento": "", "dosis": "1", "frecuencia": "", "_id": _oid(rng)},
                      {"medicamento": "Amoxicilina 500 mg", "dosis": "", "frecuencia": "", "_id": _oid(rng)}]  # fmt: skip
    odd["historial_consultas"].append(lost)
    planted.consultations += 1
    row = f"expediente={odd['_id']} _id={lost['_id']}"
    for code in ("consulta-cita-inexistente", "receta-sin-medicamento", "receta-sin-indicacion"):
        planted.add(code, "historial_consultas", row)
    # Orphans of failed registrations (their usuarios row was rolled back), one with a consultation.
    for number, history in ((1, []), (2, [_consulta(rng, 1, TODAY - timedelta(days=60), 9, 0)])):
        orphan = {"_id": _oid(rng), "id_paciente_sql": 5_000 + number, "nombre_paciente": "Registro Fallido",
                  "alergias": [], "historial_consultas": history, "__v": 0}  # fmt: skip
        documents.append(orphan)
        planted.add("expediente-huerfano", "expedientes", f"_id={orphan['_id']}")
        for consulta in history:
            row = f"expediente={orphan['_id']} _id={consulta['_id']}"
            planted.add("consulta-de-expediente-huerfano", "historial_consultas", row)
    for document in documents:
        if document["id_paciente_sql"] < 5_000:
            for consulta in document["historial_consultas"]:
                planted.prescriptions += sum(1 for line in consulta["receta"] if line["medicamento"])
    # The consultation to read back: a regular one, with a prescription.
    spot_doc, spot = next(
        (d, c)
        for d in documents
        for c in d["historial_consultas"]
        if d["id_paciente_sql"] < 5_000 and c["id_cita_sql"] != 99_999 and c["receta"]
    )
    planted.spot = {"document": spot_doc, "consulta": spot}
    return documents


def _write_export(path: Path, documents: list[dict[str, Any]]) -> None:
    """mongoexport output: canonical Extended JSON for every other document, relaxed for the rest, and a last
    line cut short (the export was interrupted)."""
    with path.open("w", encoding="utf-8") as handle:
        for position, document in enumerate(documents):
            mode = json_util.CANONICAL_JSON_OPTIONS if position % 2 else json_util.RELAXED_JSON_OPTIONS
            handle.write(json_util.dumps(document, json_options=mode, ensure_ascii=False) + "\n")
        handle.write('{"_id": {"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}, "id_paciente_sql": {"$numberInt": "7"}, "nombre\n')
