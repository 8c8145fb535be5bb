"""The Medly legacy source: a live MySQL/MariaDB database plus the ``mongoexport`` file of ``expedientes``.

Tables stream through server-side cursors (one row in memory at a time); what a row needs to know
about other rows (roles of users, citas of a slot, consultations of a cita) is read first into an
Index of keys only. The password column is never selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pymysql
import pymysql.cursors

from fhir_server.mappings.legacy.medly import agenda, consultas, people
from fhir_server.mappings.legacy.medly.common import Clock, CodeTables, clean, default_mappings_dir, folded
from fhir_server.mappings.legacy.medly.extjson import as_int, read_lines
from fhir_server.mappings.legacy.medly.findings import finding
from fhir_server.mappings.legacy.medly.index import Cita, Index, User
from fhir_server.mappings.legacy.records import Mapped, TableRun

CODE_TABLES = ("medly-rol", "medly-especialidad", "medly-cita-estado", "medly-agenda-disponible", "medly-tipo-sangre")
_QUERIES: dict[str, tuple[str, str]] = {
    # table: (SELECT streamed in key order, COUNT)
    "roles": ("SELECT id, nombre FROM roles ORDER BY id", "SELECT COUNT(*) FROM roles"),
    "especialidades": ("SELECT id, nombre FROM especialidades ORDER BY id", "SELECT COUNT(*) FROM especialidades"),
    "usuarios": (  # never the password column
        "SELECT id, nombre, apellido, email, activo, id_rol, expediente_id FROM usuarios ORDER BY id",
        "SELECT COUNT(*) FROM usuarios",
    ),
    "medicos_especialidades": (
        "SELECT id_medico, id_especialidad FROM medicos_especialidades ORDER BY id_medico, id_especialidad",
        "SELECT COUNT(*) FROM medicos_especialidades",
    ),
    "agenda_medica": (
        "SELECT id, id_medico, fecha, hora, disponible FROM agenda_medica ORDER BY id",
        "SELECT COUNT(*) FROM agenda_medica",
    ),
    "citas": (
        "SELECT c.id, c.id_agenda, c.id_paciente, c.id_medico, c.estado, a.fecha, a.hora, a.id_medico AS agenda_medico "
        "FROM citas c LEFT JOIN agenda_medica a ON a.id = c.id_agenda ORDER BY c.id",
        "SELECT COUNT(*) FROM citas",
    ),
}
_MAPPERS: dict[str, Callable[[dict[str, Any], Index], Mapped]] = {
    "roles": people.map_role,
    "especialidades": people.map_specialty,
    "usuarios": people.map_user,
    "medicos_especialidades": people.map_link,
    "agenda_medica": agenda.map_slot,
    "citas": agenda.map_cita,
}


def connect(mysql_url: str) -> pymysql.connections.Connection[Any]:
    """A connection from ``mysql://user:pass@host:port/db`` (``mysql+pymysql://`` accepted too)."""
    parts = urlsplit(mysql_url)
    if not parts.scheme.startswith("mysql") or not parts.path.strip("/"):
        raise ValueError("expected mysql://user:password@host:port/database")
    return pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        database=parts.path.strip("/"),
        charset="utf8mb4",
        cursorclass=pymysql.cursors.DictCursor,
    )


class MedlySource:
    """Medly opened for reading (LegacySource)."""

    name = "medly"

    def __init__(self, mysql_url: str, expedientes: Path, clock: Clock, mappings_dir: Path) -> None:
        self.expedientes = expedientes
        self._meta = connect(mysql_url)  # counts and the index
        self._stream = connect(mysql_url)  # one streaming cursor at a time
        self.index = Index(clock, CodeTables.load(mappings_dir, CODE_TABLES))
        self._load_index()

    def _all(self, sql: str) -> list[dict[str, Any]]:
        with self._meta.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def _load_index(self) -> None:
        index = self.index
        for row in self._all("SELECT id, nombre FROM roles"):
            target = index.codes.target("medly-rol", folded(clean(row["nombre"])))
            index.roles[int(row["id"])] = target[1] if target else None
        index.specialties = {
            int(r["id"]): clean(r["nombre"]) for r in self._all("SELECT id, nombre FROM especialidades")
        }
        for row in self._all("SELECT id, nombre, apellido, email, id_rol, expediente_id FROM usuarios ORDER BY id"):
            user = User(
                int(row["id"]),
                index.roles.get(int(row["id_rol"])),
                clean(row["email"]).lower(),
                folded(f"{clean(row['nombre'])} {clean(row['apellido'])}"),
                clean(row["expediente_id"]) or None,
            )
            index.users[user.id] = user
            index.first_email.setdefault(user.email, user.id)
            if user.role == "paciente":
                index.first_name.setdefault(user.name, user.id)
        for row in self._all("SELECT id_medico, id_especialidad FROM medicos_especialidades ORDER BY id_especialidad"):
            index.doctor_specialties.setdefault(int(row["id_medico"]), []).append(int(row["id_especialidad"]))
        booked: dict[tuple[str, object, object, object], int] = {}
        sql = (
            "SELECT c.id, c.id_agenda, c.id_paciente, c.id_medico, c.estado, a.fecha, a.hora "
            "FROM citas c LEFT JOIN agenda_medica a ON a.id = c.id_agenda ORDER BY c.id"
        )
        for row in self._all(sql):
            estado = str(row["estado"] or "pendiente")
            cita = Cita(int(row["id"]), int(row["id_agenda"]), int(row["id_paciente"]), int(row["id_medico"]), estado)
            index.citas[cita.id] = cita
            index.citas_by_slot.setdefault(cita.agenda, []).append(cita.id)
            if estado == "pendiente":
                self._claim(booked, cita, row["fecha"], row["hora"])
        for line in read_lines(self.expedientes):
            index.documents += 1  # unreadable lines too: each is reported as a row
            if line.document is None:
                continue
            patient = as_int(line.document.get("id_paciente_sql"))
            if patient is not None:
                index.expediente_of_patient.setdefault(patient, str(line.document.get("_id")))
            for consulta in line.document.get("historial_consultas") or []:
                index.consultas += 1
                cita_id = as_int(consulta.get("id_cita_sql")) if isinstance(consulta, dict) else None
                if cita_id is not None and patient is not None and index.is_role(patient, "paciente"):
                    index.consultas_by_cita.setdefault(cita_id, []).append(str(consulta.get("_id")))

    def _claim(
        self, booked: dict[tuple[str, object, object, object], int], cita: Cita, day: object, at: object
    ) -> None:
        """The server refuses overlapping active appointments: find the later of two colliding pending citas."""
        keys = [
            ("horario", cita.agenda, None, None),
            ("médico", cita.doctor, day, at),
            ("paciente", cita.patient, day, at),
        ]
        for key in keys:
            earlier = booked.get(key)
            if earlier is not None:
                self.index.collisions[cita.id] = (earlier, key[0])
                return
        for key in keys:
            booked[key] = cita.id

    def _count(self, table: str) -> int:
        return int(self._all(_QUERIES[table][1])[0]["COUNT(*)"])

    def _stream_rows(self, table: str) -> Iterator[Mapped]:
        mapper = _MAPPERS[table]
        with self._stream.cursor(pymysql.cursors.SSDictCursor) as cursor:
            cursor.execute(_QUERIES[table][0])
            for row in cursor:
                yield mapper(row, self.index)

    def tables(self) -> Iterator[TableRun]:
        for table in _QUERIES:
            yield TableRun(table, self._count(table), self._stream_rows(table))
        yield TableRun(consultas.DOCS_TABLE, self.index.documents, self._documents())
        yield TableRun(consultas.CONSULTAS_TABLE, self.index.consultas, self._consultas())

    def _documents(self) -> Iterator[Mapped]:
        for line in read_lines(self.expedientes):
            if line.document is None:
                row = f"linea={line.number}"
                bad = finding(
                    "linea-ilegible", consultas.DOCS_TABLE, row, "skipped", linea=line.number, error=line.error
                )
                yield Mapped(consultas.DOCS_TABLE, row, findings=[bad])
                continue
            yield consultas.map_document(_normalised(line.document), self.index)

    def _consultas(self) -> Iterator[Mapped]:
        seen: set[int] = set()
        for line in read_lines(self.expedientes):
            if line.document is None:
                continue
            document = _normalised(line.document)
            for consulta in document.get("historial_consultas") or []:
                if isinstance(consulta, dict):
                    yield consultas.map_consulta(document, consulta, seen, self.index)

    def close(self) -> None:
        for connection in (self._stream, self._meta):
            if connection.open:
                connection.close()


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Integer keys as integers whatever numeric form the export used."""
    document["id_paciente_sql"] = as_int(document.get("id_paciente_sql"))
    for consulta in document.get("historial_consultas") or []:
        if isinstance(consulta, dict):
            consulta["id_cita_sql"] = as_int(consulta.get("id_cita_sql"))
    return document


def open_medly_source(
    mysql_url: str,
    expedientes: Path,
    *,
    zone: str = "America/Guayaquil",
    today: date | None = None,
    slot_minutes: int = 30,
    mappings_dir: Path | None = None,
) -> MedlySource:
    """Medly's MySQL database and expedientes export, opened for the import runner.

    ``zone`` reads Medly's naive dates; ``today`` decides which pending citas are in the past.
    """
    tz = ZoneInfo(zone)
    clock = Clock(tz, today or datetime.now(tz).date(), slot_minutes)
    return MedlySource(mysql_url, expedientes, clock, mappings_dir or default_mappings_dir())
