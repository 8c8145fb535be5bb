"""What the mapping must know about other rows while it streams one table (read once, before streaming).

Small compared with the data: one entry per usuario, cita and consultation, no free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_server.mappings.legacy.medly.common import Clock, CodeTables


@dataclass(frozen=True, slots=True)
class User:
    id: int
    role: str | None  # clinic role code (administrador, doctor, paciente) or None when unknown
    email: str
    name: str  # folded "nombre apellido", to spot duplicates
    expediente_id: str | None


@dataclass(frozen=True, slots=True)
class Cita:
    id: int
    agenda: int
    patient: int
    doctor: int
    estado: str


@dataclass(slots=True)
class Index:
    clock: Clock
    codes: CodeTables
    roles: dict[int, str | None] = field(default_factory=dict)  # roles.id -> clinic role code
    specialties: dict[int, str] = field(default_factory=dict)  # especialidades.id -> nombre
    users: dict[int, User] = field(default_factory=dict)
    doctor_specialties: dict[int, list[int]] = field(default_factory=dict)
    citas: dict[int, Cita] = field(default_factory=dict)
    citas_by_slot: dict[int, list[int]] = field(default_factory=dict)
    # Pending citas booked over an earlier pending one (same slot, doctor or patient and time) -> (earlier, who)
    collisions: dict[int, tuple[int, str]] = field(default_factory=dict)
    # From the expedientes export
    consultas_by_cita: dict[int, list[str]] = field(default_factory=dict)  # cita id -> consulta _ids, file order
    expediente_of_patient: dict[int, str] = field(default_factory=dict)  # id_paciente_sql -> expediente _id
    documents: int = 0
    consultas: int = 0
    first_email: dict[str, int] = field(default_factory=dict)  # folded e-mail -> lowest usuario id
    first_name: dict[str, int] = field(default_factory=dict)  # folded patient name -> lowest usuario id

    def is_role(self, user_id: int, role: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and user.role == role

    def doctor_of_cita(self, cita_id: int) -> int | None:
        cita = self.citas.get(cita_id)
        return cita.doctor if cita is not None and self.is_role(cita.doctor, "doctor") else None
