"""A messy legacy EHR, generated: realistic Spanish data with every trap of legacy-domain.md A.7 / C.12 planted.

``generate(conn, patients=..., consultations=...)`` fills an empty legacy schema (ehr_schema.DDL)
deterministically from ``seed`` with COPY, and returns what it planted: the findings the import
report must list, by (code, table, row). The codes planted once sit at fixed ids just after the
regular rows, so a bigger data set keeps the same traps.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

ZONE = ZoneInfo("America/Guayaquil")
BCRYPT = "$2a$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"  # a well-known sample hash

NOMBRES_F = ["María", "Ana", "Lucía", "Rosa", "Carmen", "Gabriela", "Daniela", "Verónica", "Mónica", "Inés", "Sofía"]
NOMBRES_M = ["José", "Luis", "Carlos", "Juan", "Andrés", "Jorge", "Raúl", "Iván", "Julián", "Tomás", "Martín"]
APELLIDOS = [
    "Pérez", "Gómez", "Rodríguez", "Sánchez", "Muñoz", "Chávez", "Quishpe", "Guamán", "Zambrano", "Cedeño",
    "Peña", "Ordóñez", "Vélez", "Andrade", "Jaramillo", "Cáceres", "Núñez", "Villacís", "Tapia", "Loor",
]  # fmt: skip
# (provincia, [(cantón, [parroquias])]); "Quito" is how the clinic typed the DPA's "Distrito Metropolitano de Quito".
GEOGRAFIA = [
    ("Azuay", [("Cuenca", ["Bellavista", "El Sagrario", "San Blas"]), ("Girón", ["Girón"])]),
    ("Guayas", [("Guayaquil", ["Tarqui", "Ximena", "Pascuales"]), ("Durán", ["Eloy Alfaro Norte"])]),
    ("Pichincha", [("Quito", ["Iñaquito"]), ("Cayambe", ["Cayambe"])]),
]
# CIE-10 rows as the clinic's catalog has them (codes with and without the dot, Spanish names).
CIE = [
    ("I10", "Hipertensión esencial (primaria)"),
    ("J00", "Rinofaringitis aguda [resfriado común]"),
    ("J02.9", "Faringitis aguda, no especificada"),
    ("J030", "Amigdalitis estreptocócica"),
    ("J06.9", "Infección aguda de las vías respiratorias superiores, no especificada"),
    ("J18.9", "Neumonía, no especificada"),
    ("R51", "Cefalea"),
]
MEDICAMENTOS = [
    ("Paracetamol", "Tempra", "tableta", "500 mg", "oral", "Analgésicos"),
    ("Amoxicilina", None, "suspensión", "250 mg/5 ml", "oral", "Antibióticos"),
    ("Losartán", "Cozaar", "tableta", "50 mg", "vía oral", "Antihipertensivos"),
    ("Ibuprofeno", "Advil", "tableta", "400 mg", "oral", "Antiinflamatorios"),
]
MOTIVOS = ["Dolor de garganta y fiebre", "Control de presión arterial", "Cefalea de tres días", "Tos con flema"]
# Patients.tipo_seguro as the clinic typed it, given out by patient id (no random draw: the other data stays as it was).
TIPOS_SEGURO = ["IESS", "Seguro Social Campesino", "ISSFA", "isspol", "Privado", "ninguno", None, "iess ",
                "Seguro privado", "Particular", "", "Policía"]  # fmt: skip
FAMILIAR_KEYS = ("cardiopatia", "diabetes", "enfermedad_cardiovascular", "hipertension", "cancer", "tuberculosis")


@dataclass
class Planted:
    """What the generator put in: row counts per table and the findings the report must list."""

    counts: dict[str, int] = field(default_factory=dict)
    findings: set[tuple[str, str, str]] = field(default_factory=set)  # (code, table, "id=N")
    spot_evolucion: int = 0  # an evolución with diagnoses and prescriptions, for read-back checks
    nil_family: int = 0  # an evolución with only "sin antecedentes" ticked, on an attended cita

    def plant(self, code: str, table: str, row_id: int) -> None:
        self.findings.add((code, table, f"id={row_id}"))


def cedula(rng: random.Random) -> str:
    """A valid cédula: province 01-24, third digit below 6, módulo-10 check digit."""
    digits = [*divmod(rng.randint(1, 24), 10), rng.randint(0, 5)] + [rng.randint(0, 9) for _ in range(6)]
    total = sum(d * c - 9 * (d * c > 9) for d, c in zip(digits, (2, 1, 2, 1, 2, 1, 2, 1, 2), strict=True))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


class _Tables:
    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, table: str, *values: Any) -> int:
        rows = self.rows.setdefault(table, [])
        rows.append(values)
        return len(rows)


COLUMNS = {
    "Provincias": ("id", "nombre"),
    "Cantones": ("id", "nombre", "provincia_id"),
    "Parroquias": ("id", "nombre", "canton_id"),
    "cie": ("id", "cie_id", "versioncie", "codigo", "nombre", "ctsexo_id", "estado"),
    "medicamentos": ("id", "nombre_generico", "nombre_comercial", "forma_farmaceutica", "concentracion",
                     "via_administracion", "categoria", "estado"),
    "Users": ("id", "username", "password", "role", "active", "cedula", "email", "empresa", "especialidad",
              "resetPasswordToken"),
    "Patients": ("id", "apellido_paterno", "apellido_materno", "primer_nombre", "segundo_nombre", "empresa", "cedula",
                 "fecha_nacimiento", "lugar_nacimiento", "nacionalidad", "sexo", "telefono", "grupo_cultural",
                 "direccion", "barrio", "provincia_id", "canton_id", "parroquia_id", "estado_civil", "instruccion",
                 "ocupacion", "contacto_emergencia", "parentesco_emergencia", "telefono_emergencia", "tipo_seguro"),
    "Consultorios": ("id", "numero", "descripcion", "doctorId", "estado"),
    "HorariosConsultorio": ("id", "consultorioId", "dia", "fecha", "horaInicio", "horaFin"),
    "Citas": ("id", "pacienteId", "consultorioId", "doctorId", "fecha", "hora", "estado", "notas", "created_at"),
    "VitalSigns": ("id", "fecha_medicion", "temperatura", "presion_arterial", "pulso", "frecuencia_respiratoria",
                   "peso", "talla", "imc", "citaId", "pacienteId", "enfermeroId"),
    "Evoluciones": ("id", "fecha", "motivo_consulta", "enfermedad_actual", "antecedentes_personales",
                    "antecedentes_familiares", "pacienteId", "medicoId", "signosVitalesId"),
    "diagnosticos": ("id", "evolucionid", "cieid", "tipo"),
    "Prescripciones": ("id", "fecha_emision", "nombre_generico", "nombre_comercial", "forma_farmaceutica",
                       "concentracion", "dosis", "frecuencia", "duracion_tratamiento", "via_administracion",
                       "indicaciones_adicionales", "estado", "evolucionId", "medicoId"),
}  # fmt: skip


def _catalogs(t: _Tables, planted: Planted) -> dict[str, list[tuple[int, list[int]]]]:
    geo: dict[str, list[tuple[int, list[int]]]] = {}
    for provincia, cantones in GEOGRAFIA:
        prov_id = t.add("Provincias", len(t.rows.get("Provincias", [])) + 1, provincia)
        for canton, parroquias in cantones:
            canton_id = t.add("Cantones", len(t.rows.get("Cantones", [])) + 1, canton, prov_id)
            if canton == "Quito":
                planted.plant("dpa-sin-codigo", "Cantones", canton_id)
            ids = []
            for parroquia in parroquias:
                ids.append(t.add("Parroquias", len(t.rows.get("Parroquias", [])) + 1, parroquia, canton_id))
                if canton == "Quito" or parroquia.startswith("Eloy"):
                    planted.plant("dpa-sin-codigo", "Parroquias", ids[-1])
            geo.setdefault(str(prov_id), []).append((canton_id, ids))
    for index, (code, name) in enumerate(CIE, start=1):
        t.add("cie", index, None, "CIE10", code, name, 3, 1)
    retired = t.add("cie", len(CIE) + 1, None, "CIE10", "J02.7", "Faringitis (código retirado)", 3, 0)
    planted.plant("cie-inactivo", "cie", retired)
    for index, med in enumerate(MEDICAMENTOS, start=1):
        t.add("medicamentos", index, *med, index != 3)
    return geo


def _users(t: _Tables, rng: random.Random, planted: Planted) -> dict[str, list[int]]:
    staff = [
        ("admin", "administrador", None, "DEFAULT1"),
        ("dr.garcia", "doctor", "Cardiologia Adultos", None),
        ("Dra. Lucía Paz", "doctor", "Medicina Interna", None),
        ("dr.viejo", "doctor", "cardiología", "DEFAULT4"),
        ("enf.rosa", "enfermera", None, None),
        ("enf.ines", "enfermera", None, None),
        ("secre.ana", "secretaria", None, None),
    ]
    roles: dict[str, list[int]] = {}
    for index, (username, role, especialidad, fixed_cedula) in enumerate(staff, start=1):
        value = fixed_cedula or cedula(rng)
        email = None if index == 4 else f"{username.split()[-1].lower()}@clinica.ec"
        token = "a3f1" * 16 if index == 2 else None  # a plaintext reset token left behind
        t.add("Users", index, username, BCRYPT, role, index != 6, value, email, "CARDIOVASC", especialidad, token)
        roles.setdefault(role, []).append(index)
        if fixed_cedula:
            planted.plant("cedula-invalida", "Users", index)
    planted.plant("usuario-renombrado", "Users", 3)
    planted.plant("especialidad-desconocida", "Users", 4)
    return roles


def _patient(t: _Tables, rng: random.Random, pid: int, geo: dict[str, list[tuple[int, list[int]]]]) -> None:
    female = rng.random() < 0.55
    given = rng.sample(NOMBRES_F if female else NOMBRES_M, 2)
    prov = rng.choice(list(geo))
    canton_id, parroquias = rng.choice(geo[prov])
    born = datetime(rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28), 5 * rng.randint(0, 1), tzinfo=UTC)
    t.add(
        "Patients",
        pid,
        rng.choice(APELLIDOS),
        rng.choice(APELLIDOS) if rng.random() < 0.95 else None,
        given[0],
        given[1] if rng.random() < 0.7 else None,
        rng.choice(["CARDIOVASC", "INVITROMED", "Sin empresa"]),
        cedula(rng),
        born,
        rng.choice(["Cuenca", "Guayaquil", "Quito", "Loja"]),
        rng.choice(["Ecuatoriana", "ecuatoriana", "Ecuador"]),
        "M" if female else "H",
        f"09{rng.randint(10_000_000, 99_999_999)}",
        rng.choice(["Mestizo", "mestiza", "Indígena", "Montubio", None]),
        f"Calle {rng.randint(1, 99)} y Av. {rng.choice(APELLIDOS)}",
        rng.choice(["El Vergel", "Totoracocha", None]),
        int(prov),
        canton_id,
        rng.choice(parroquias),
        rng.choice(["S", "C", "D", "V", "UL", None]),
        rng.choice(["Primaria", "Secundaria", "Superior", "Ninguna", None]),
        rng.choice(["Comerciante", "Profesora", "Agricultor", None]),
        f"{rng.choice(NOMBRES_F)} {rng.choice(APELLIDOS)}",
        rng.choice(["madre", "esposo", "hija", "vecina"]),
        f"07{rng.randint(1_000_000, 9_999_999)}",
        TIPOS_SEGURO[pid % len(TIPOS_SEGURO)],
    )


def _patients(t: _Tables, rng: random.Random, count: int, geo: dict[str, Any], planted: Planted) -> int:
    for pid in range(1, count + 1):
        _patient(t, rng, pid, geo)
    # Planted rows, after the regular ones.
    first = count + 1
    for pid in range(first, first + 6):
        _patient(t, rng, pid, geo)
    rows = t.rows["Patients"]
    cols = COLUMNS["Patients"]

    def patch(pid: int, **values: Any) -> None:
        row = list(rows[pid - 1])
        for name, value in values.items():
            row[cols.index(name)] = value
        rows[pid - 1] = tuple(row)

    patch(first, cedula="AB1234567", nacionalidad="colombiana")  # a passport typed as cédula
    planted.plant("cedula-invalida", "Patients", first)
    dup = rows[0][cols.index("cedula")]
    patch(first + 1, cedula=f" {dup[:9]}-{dup[9]}")  # the same person registered again, typed differently
    planted.plant("cedula-duplicada", "Patients", first + 1)
    patch(first + 2, provincia_id=1, canton_id=3, parroquia_id=6)  # Guayaquil filed under Azuay
    planted.plant("canton-fuera-de-provincia", "Patients", first + 2)
    patch(first + 3, provincia_id=1, canton_id=1, parroquia_id=6)  # a Guayaquil parish under Cuenca
    planted.plant("parroquia-fuera-de-canton", "Patients", first + 3)
    patch(first + 4, estado_civil="casada", instruccion="tercer nivel")  # free text after the VARCHAR change
    planted.plant("estado-civil-desconocido", "Patients", first + 4)
    patch(first + 4, tipo_seguro="Convenio municipal")  # names no kind of insurance
    planted.plant("seguro-desconocido", "Patients", first + 4)
    patch(first + 5, nacionalidad="marciana", tipo_seguro="IESS / privado")  # two at once: which one pays?
    planted.plant("nacionalidad-sin-codigo", "Patients", first + 5)
    planted.plant("seguro-desconocido", "Patients", first + 5)
    return first + 5


def _consultorios(t: _Tables, roles: dict[str, list[int]], planted: Planted) -> list[tuple[int, int]]:
    doctors = roles["doctor"]
    rooms = []
    for index, doctor in enumerate(doctors, start=1):
        t.add(
            "Consultorios",
            index,
            str(100 + index),
            f"Consultorio de {['cardiología', 'medicina', 'control'][index % 3]}",
            doctor,
            "activo",
        )
        rooms.append((index, doctor))
    horarios = [
        (1, "LUNES", time(8), time(12)),
        (1, "Martes", time(8), time(12)),
        (2, "miércoles", time(14), time(18)),
        (2, "JUEVES", time(8), time(13)),
        (3, "Funday", time(8), time(12)),
        (3, "VIERNES", time(12), time(9)),
    ]
    for index, (room, dia, start, end) in enumerate(horarios, start=1):
        t.add("HorariosConsultorio", index, room, dia, date(2025, 2, 10), start, end)
    planted.plant("dia-desconocido", "HorariosConsultorio", 5)
    planted.plant("horario-invertido", "HorariosConsultorio", 6)
    return rooms


def _familiares(rng: random.Random) -> str:
    flags: dict[str, bool | str] = {key: rng.random() < 0.15 for key in FAMILIAR_KEYS}
    flags.update(enfermedad_mental=False, enfermedad_infecciosa=False)
    flags["otro_antecedente"] = "Abuela con asma" if rng.random() < 0.05 else ""
    flags["sin_antecedentes"] = not any(flags.values())  # the form's "none" box: only when nothing else is
    return json.dumps(flags, ensure_ascii=False)


def _slot(rng: random.Random, day: date, room: int) -> tuple[date, time]:
    return day, time(8 + rng.randint(0, 8), 30 * rng.randint(0, 1))


def _consultation(t: _Tables, rng: random.Random, cid: int, patient: int, room: tuple[int, int], nurse: int) -> None:
    """A complete consultation: atendido cita, vitals, evolución, diagnoses, prescriptions."""
    day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 480))
    fecha, hora = _slot(rng, day, room[0])
    t.add("Citas", cid, patient, room[0], room[1], fecha, hora, "atendido", None, datetime(2023, 12, 1, tzinfo=UTC))
    measured = datetime.combine(fecha, hora, ZONE) + timedelta(minutes=10)
    peso, talla = Decimal(rng.randint(450, 950)) / 10, Decimal(rng.randint(1450, 1850)) / 10
    imc = (peso / (talla / 100) ** 2).quantize(Decimal("0.01"))
    pressure = f"{rng.randint(100, 150)}/{rng.randint(60, 95)}"
    temp = Decimal(rng.randint(360, 389)) / 10
    vid = t.add("VitalSigns", cid, measured, temp, pressure, rng.randint(60, 110), rng.randint(12, 22), peso, talla,
                imc, cid, patient, nurse)  # fmt: skip
    eid = t.add("Evoluciones", cid, measured + timedelta(minutes=20), rng.choice(MOTIVOS),
                "Paciente refiere cuadro de dos días de evolución, con malestar general.",
                rng.choice(["", "Apendicectomía en 2010.", "Niega alergias."]), _familiares(rng), patient, room[1],
                vid)  # fmt: skip
    for _ in range(rng.choice((1, 1, 2))):
        t.add("diagnosticos", len(t.rows.get("diagnosticos", [])) + 1, eid, rng.randint(1, len(CIE)),
              rng.choice(["PRE", "DEF", "DEF"]))  # fmt: skip
    for _ in range(rng.choice((1, 2, 2))):
        med = rng.choice(MEDICAMENTOS)
        t.add("Prescripciones", len(t.rows.get("Prescripciones", [])) + 1, measured + timedelta(minutes=25), med[0],
              med[1], med[2], med[3], "1 tableta", "cada 8 horas", "5 días", med[4], "Tomar después de las comidas",
              rng.choice(["activa", "activa", "completada", None]), eid, room[1])  # fmt: skip


def _plant_citas(t: _Tables, first: int, p: int, rooms: list[tuple[int, int]], roles: dict[str, list[int]],
                 planted: Planted) -> None:  # fmt: skip
    """The traps of the appointment flow, each on its own new rows."""
    nurse, secretaria = roles["enfermera"][0], roles["secretaria"][0]
    room, doctor = rooms[0]
    made = datetime(2024, 1, 1, tzinfo=UTC)
    future = date(2031, 3, 3)
    cid = first
    t.add("Citas", cid, 1, room, doctor, date(2024, 3, 1), time(9), "pendiente", None, made)  # past, never attended
    planted.plant("cita-pendiente-pasada", "Citas", cid)
    t.add("Citas", cid + 1, 2, room, doctor, future, time(10), "pendiente", "Control", made)
    t.add("Citas", cid + 2, 3, room, doctor, future, time(10), "pendiente", "Doble reserva", made)
    planted.plant("cita-superpuesta", "Citas", cid + 2)
    t.add("Citas", cid + 3, 4, room, roles["enfermera"][1], date(2024, 4, 2), time(11), "atendido", None, made)
    planted.plant("cita-sin-medico", "Citas", cid + 3)
    t.add("Citas", cid + 4, 5, room, doctor, date(2024, 4, 3), time(11), "histórico", None, made)
    planted.plant("cita-historico", "Citas", cid + 4)
    t.add("Citas", cid + 5, 6, room, doctor, date(2024, 4, 4), time(11), "cancelado", None, made)
    t.add("Citas", cid + 6, 7, room, doctor, future, time(11), "pendiente", None, made)  # vitals taken: arrived
    t.add("Citas", cid + 7, 8, room, doctor, date(2024, 4, 5), time(12), "atendido", None, made)
    planted.plant("cita-atendida-sin-registro", "Citas", cid + 7)
    at = datetime(2024, 5, 6, 9, tzinfo=ZONE)
    vid = first
    base = (Decimal("36.6"), "120/80", 72, 16, Decimal("70.00"), Decimal("170.00"))
    t.add("VitalSigns", vid, at, *base, Decimal("24.22"), cid + 6, 7, nurse)
    t.add("VitalSigns", vid + 1, at, *base, Decimal("24.22"), cid + 6, 9, nurse)  # another patient's vitals on the cita
    planted.plant("vitals-paciente-distinto", "VitalSigns", vid + 1)
    planted.plant("vitals-multiples", "VitalSigns", vid + 1)
    odd = (Decimal("37.0"), "80/120", 80, 18, Decimal("70.00"), Decimal("170.00"), Decimal("99.00"))
    t.add("VitalSigns", vid + 2, at, *odd, cid + 3, 4, nurse)
    planted.plant("presion-invertida", "VitalSigns", vid + 2)
    planted.plant("imc-inconsistente", "VitalSigns", vid + 2)
    eid = first
    t.add("Evoluciones", eid, at, "Chequeo", "Sin novedades.", "", '"ninguno"', 4, secretaria, vid + 2)
    planted.plant("evolucion-autor-no-medico", "Evoluciones", eid)
    planted.plant("antecedentes-ilegibles", "Evoluciones", eid)
    t.add("Evoluciones", eid + 1, at, "Dolor torácico", "Dolor opresivo.", "HTA", _familiares(random.Random(1)), 10,
          rooms[1][1], vid)  # fmt: skip
    planted.plant("evolucion-paciente-distinto", "Evoluciones", eid + 1)
    planted.plant("evolucion-medico-distinto", "Evoluciones", eid + 1)
    did = len(t.rows["diagnosticos"]) + 1
    t.add("diagnosticos", did, eid + 1, len(CIE) + 1, "DEF")  # the retired code: the server refuses it
    planted.plant("rechazado", "diagnosticos", did)
    t.add("diagnosticos", did + 1, eid + 1, 1, "principal")
    planted.plant("diagnostico-tipo-desconocido", "diagnosticos", did + 1)
    rid = len(t.rows["Prescripciones"]) + 1
    t.add("Prescripciones", rid, at, "Aspirina", None, "tableta", "100 mg", "1", "cada día", "30 días", "oral", None,
          "cancelada", eid + 1, doctor)  # fmt: skip
    planted.plant("prescripcion-medico-distinto", "Prescripciones", rid)
    del p


def _plant_family(t: _Tables, last: int, planted: Planted) -> None:
    """The last regular evolución ticks "sin antecedentes" and diabetes together; remember a clean "none"."""
    rows, column = t.rows["Evoluciones"], COLUMNS["Evoluciones"].index("antecedentes_familiares")
    contradictory = {**json.loads(rows[last - 1][column]), "diabetes": True, "sin_antecedentes": True}
    rows[last - 1] = (*rows[last - 1][:column], json.dumps(contradictory), *rows[last - 1][column + 1 :])
    planted.plant("antecedentes-contradictorios", "Evoluciones", last)
    nil = [row[0] for row in rows[: last - 1] if json.loads(row[column]).get("sin_antecedentes") is True]
    planted.nil_family = nil[0] if nil else 0


def generate(conn: psycopg.Connection[Any], *, patients: int = 40, consultations: int = 120, seed: int = 7) -> Planted:
    """Fill the legacy tables; returns the counts and the planted findings."""
    rng = random.Random(seed)
    t = _Tables()
    planted = Planted()
    geo = _catalogs(t, planted)
    roles = _users(t, rng, planted)
    last_patient = _patients(t, rng, patients, geo, planted)
    rooms = _consultorios(t, roles, planted)
    for cid in range(1, consultations + 1):
        room = rooms[cid % 2]  # the third consultorio (the DEFAULT doctor's) has no regular consultations
        _consultation(t, rng, cid, rng.randint(1, patients), room, roles["enfermera"][cid % 2])
    _plant_citas(t, consultations + 1, last_patient, rooms, roles, planted)
    _plant_family(t, consultations, planted)
    planted.spot_evolucion = 1
    with conn.cursor() as cursor:
        for table, rows in t.rows.items():
            columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {len(rows)})")
            planted.counts[table] = len(rows)
    conn.commit()
    return planted
