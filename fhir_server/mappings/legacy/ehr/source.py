"""The live legacy EHR database (PostgreSQL) as a LegacySource: its tables streamed in dependency order.

Rows are read with server-side cursors (a few thousand at a time), so memory stays flat however big
the clinic's history is; what later tables need from earlier ones (who is a doctor, which cita has
vitals, each evolución's diagnoses) is kept as small facts, not rows. Columns are named one by one:
password hashes and reset tokens are never selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from fhir_server.mappings.legacy.ehr import agenda, clinical, coverage, geography, orders, people
from fhir_server.mappings.legacy.ehr.common import ZONE, State
from fhir_server.mappings.legacy.ehr.geography import DpaIndex
from fhir_server.mappings.legacy.records import Mapped, TableRun

_PATIENT_COLUMNS = (
    "id, apellido_paterno, apellido_materno, primer_nombre, segundo_nombre, empresa, cedula, fecha_nacimiento, "
    "lugar_nacimiento, nacionalidad, sexo::text AS sexo, telefono, grupo_cultural, direccion, barrio, provincia_id, "
    "canton_id, parroquia_id, estado_civil::text AS estado_civil, instruccion, ocupacion, empresa_trabajo, "
    "tipo_seguro, contacto_emergencia, parentesco_emergencia, direccion_emergencia, telefono_emergencia"
)
# (table, SELECT ... without ORDER BY)
QUERIES = {
    "Provincias": 'SELECT id, nombre FROM "Provincias"',
    "Cantones": 'SELECT id, nombre, provincia_id FROM "Cantones"',
    "Parroquias": 'SELECT id, nombre, canton_id FROM "Parroquias"',
    "cie": "SELECT id, versioncie, codigo, nombre, estado FROM cie",
    "medicamentos": "SELECT id, nombre_generico, nombre_comercial, forma_farmaceutica, concentracion, "
    "via_administracion, categoria, estado FROM medicamentos",
    "Users": 'SELECT id, username, role, active, cedula, email, empresa, especialidad FROM "Users"',
    "Patients": f'SELECT {_PATIENT_COLUMNS} FROM "Patients"',  # noqa: S608 - constant text
    "Consultorios": 'SELECT id, numero, descripcion, "doctorId", estado::text AS estado FROM "Consultorios"',
    "HorariosConsultorio": 'SELECT id, "consultorioId", dia::text AS dia, "horaInicio", "horaFin" '
    'FROM "HorariosConsultorio"',
    "Citas": 'SELECT id, "pacienteId", "consultorioId", "doctorId", fecha, hora, estado::text AS estado, notas, '
    'created_at FROM "Citas"',
    "VitalSigns": "SELECT id, fecha_medicion, temperatura, presion_arterial, pulso, frecuencia_respiratoria, peso, "
    'talla, imc, "citaId", "pacienteId", "enfermeroId" FROM "VitalSigns"',
    "Evoluciones": "SELECT id, fecha, motivo_consulta, enfermedad_actual, antecedentes_personales, "
    'antecedentes_familiares, "pacienteId", "medicoId", "signosVitalesId" FROM "Evoluciones"',
    "diagnosticos": "SELECT id, evolucionid, cieid, tipo FROM diagnosticos",
    "Prescripciones": "SELECT id, fecha_emision, nombre_generico, nombre_comercial, forma_farmaceutica, "
    "concentracion, dosis, frecuencia, duracion_tratamiento, via_administracion, indicaciones_adicionales, "
    'estado::text AS estado, "evolucionId", "medicoId" FROM "Prescripciones"',
}
ORDER = tuple(QUERIES)


def _postgres_url(url: str) -> str:
    """psycopg wants a plain libpq URL (SQLAlchemy's ``+psycopg`` suffix removed)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class EhrSource:
    """A legacy EHR database opened for reading (one connection, one read-only transaction)."""

    name = "ehr"

    def __init__(self, url: str, *, dpa: DpaIndex | None = None, today: date | None = None,
                 key_range: tuple[int, int] | None = None) -> None:  # fmt: skip
        self.conn: psycopg.Connection[dict[str, Any]] = psycopg.connect(_postgres_url(url), row_factory=dict_row)
        self.conn.read_only = True
        self.dpa = dpa or DpaIndex()
        self.today = today or datetime.now(ZONE).date()
        self.state = State()
        self.key_range = key_range

    def close(self) -> None:
        self.conn.close()

    def _count(self, table: str) -> int:
        row = self.conn.execute(f"SELECT count(*) AS n FROM ({QUERIES[table]}) AS t").fetchone()  # noqa: S608
        return int(row["n"]) if row else 0

    def _rows(self, table: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
        with self.conn.cursor(name=f"legacy_{table.lower()}") as cursor:
            cursor.itersize = batch
            cursor.execute(f"{QUERIES[table]} ORDER BY id")
            yield from cursor

    def _all(self, sql: str) -> list[dict[str, Any]]:
        return self.conn.execute(sql).fetchall()

    def _prescan(self) -> None:
        """Facts about later tables that earlier rows need (read once, kept small)."""
        state = self.state
        for row in self._all('SELECT "citaId" AS cita, id FROM "VitalSigns" ORDER BY id'):
            state.vitals_by_cita.setdefault(row["cita"], []).append(row["id"])
        sql = (
            'SELECT v."citaId" AS cita, e.id, e."medicoId" AS medico, e.motivo_consulta AS motivo '
            'FROM "Evoluciones" e JOIN "VitalSigns" v ON v.id = e."signosVitalesId" ORDER BY e.id'
        )
        for row in self._all(sql):
            state.evoluciones_by_cita.setdefault(row["cita"], []).append((row["id"], row["medico"], row["motivo"]))
        for row in self._all("SELECT evolucionid AS evol, id FROM diagnosticos ORDER BY id"):
            state.diagnoses_by_evolucion.setdefault(row["evol"], []).append(row["id"])

    def _empresas(self) -> TableRun:
        names = [
            r["empresa"]
            for r in self._all(
                'SELECT DISTINCT empresa FROM (SELECT empresa FROM "Users" UNION SELECT empresa FROM "Patients") e '
                "WHERE empresa IS NOT NULL AND empresa <> 'Sin empresa' ORDER BY empresa"
            )
        ]

        def rows() -> Iterator[Mapped]:
            yield agenda.clinic_site()
            for name in names:
                mapped = Mapped("empresa", f"id={name}")
                mapped.resources.append(people.empresa(name, self.state))
                yield mapped

        return TableRun("empresa", len(names) + 1, rows())

    def _aseguradoras(self) -> TableRun:
        """The insurers the patients' tipo_seguro names (derived: the legacy system had no such table)."""
        values = self._all('SELECT DISTINCT tipo_seguro FROM "Patients" WHERE tipo_seguro IS NOT NULL')
        named = {coverage.insurer_of(r["tipo_seguro"]) for r in values}
        keys = [key for key in coverage.INSURERS if key in named]
        return TableRun("aseguradora", len(keys), (coverage.insurer(key) for key in keys))

    def _run(self, table: str, mapper: Callable[[dict[str, Any]], Mapped]) -> TableRun:
        return TableRun(table, self._count(table), (mapper(row) for row in self._rows(table)))

    def tables(self) -> Iterator[TableRun]:
        state, dpa = self.state, self.dpa
        self._prescan()
        yield self._run("Provincias", lambda r: geography.provincia(r, state, dpa))
        yield self._run("Cantones", lambda r: geography.canton(r, state, dpa))
        yield self._run("Parroquias", lambda r: geography.parroquia(r, state, dpa))
        yield self._run("cie", lambda r: orders.cie(r, state))
        yield self._run("medicamentos", lambda r: orders.medicamento(r, state))
        yield self._empresas()
        yield self._aseguradoras()
        yield self._run("Users", lambda r: people.user(r, state))
        seen: dict[str, int] = {}
        yield self._run("Patients", lambda r: people.patient(r, state, seen))
        horarios: dict[int, list[dict[str, Any]]] = {}
        for row in self._all(f"{QUERIES['HorariosConsultorio']} ORDER BY id"):
            horarios.setdefault(row["consultorioId"], []).append(row)
        yield self._run("Consultorios", lambda r: agenda.consultorio(r, horarios.get(r["id"], [])))
        yield self._run("HorariosConsultorio", agenda.horario)
        citas = agenda.CitaMapper(state, self.today)
        yield self._run("Citas", citas.map)
        yield self._run("VitalSigns", lambda r: clinical.vital_signs(r, state))
        yield self._run("Evoluciones", lambda r: clinical.evolucion(r, state))
        yield self._run("diagnosticos", lambda r: orders.diagnostico(r, state))
        yield self._run("Prescripciones", lambda r: orders.prescripcion(r, state))


def open_ehr_source(url: str, *, dpa: DpaIndex | None = None, today: date | None = None) -> EhrSource:
    """Open a live legacy EHR database (``postgresql://user@host/db``) for reading."""
    return EhrSource(url, dpa=dpa, today=today)
