"""Every Medly inconsistency the import reports (legacy-domain.md B.6 and C.12), in Spanish and English."""

from __future__ import annotations

from typing import Any

from fhir_server.mappings.legacy.records import Finding, Outcome

# code: (Spanish, English); parameters are filled with str.format.
MESSAGES: dict[str, tuple[str, str]] = {
    "rol-desconocido": (
        "Rol «{nombre}» sin equivalente en la clínica; sus usuarios no se importan.",
        "Role '{nombre}' has no clinic equivalent; its users are not imported.",
    ),
    "especialidad-sin-codigo": (
        "Especialidad «{nombre}» sin código de la clínica: se importa solo como texto.",
        "Specialty '{nombre}' has no clinic code: imported as text only.",
    ),
    "usuario-rol-desconocido": (
        "Usuario con id_rol={rol} desconocido: no se importa.",
        "User with unknown id_rol={rol}: not imported.",
    ),
    "email-invalido": (
        "Correo «{email}» no es una dirección válida; se conserva tal cual y la cuenta necesita revisión.",
        "E-mail '{email}' is not a valid address; kept as is and the account needs review.",
    ),
    "email-duplicado": (
        "El correo coincide (sin distinguir mayúsculas) con el del usuario id={other}: dos cuentas con el mismo inicio "
        "de sesión; no se crea su cuenta.",
        "The e-mail matches (ignoring case) that of user id={other}: two accounts with the same login; its account "
        "is not created.",
    ),
    "paciente-posible-duplicado": (
        "Mismo nombre y apellido que el paciente id={other}: posible paciente duplicado (no se fusiona).",
        "Same name and surname as patient id={other}: possible duplicate patient (not merged).",
    ),
    "usuario-inactivo": (
        "Usuario inactivo (activo=0) que el sistema anterior dejaba iniciar sesión; se importa inactivo.",
        "Inactive user (activo=0) the legacy system still let log in; imported as inactive.",
    ),
    "paciente-sin-expediente": (
        "Paciente sin expediente (expediente_id vacío o inexistente en la exportación).",
        "Patient without an expediente (expediente_id empty or missing from the export).",
    ),
    "medico-especialidad-invalida": (
        "Especialidad asignada a un usuario que no es médico (rol {rol}); no se importa.",
        "Specialty assigned to a user who is not a doctor (role {rol}); not imported.",
    ),
    "agenda-medico-invalido": (
        "Horario publicado por un usuario que no es médico (id_medico={medico}); no se importa.",
        "Slot published by a user who is not a doctor (id_medico={medico}); not imported.",
    ),
    "agenda-disponible-incoherente": (
        "Horario marcado disponible={disponible} pero con citas {estados}: el sistema anterior no actualizó el "
        "indicador; el Slot queda {status}.",
        "Slot marked disponible={disponible} but with citas {estados}: the legacy system did not update the flag; "
        "the Slot is {status}.",
    ),
    "cita-referencia-invalida": (
        "La cita apunta a {campo}={valor}, que no es un {esperado} importado; no se importa.",
        "The cita points to {campo}={valor}, which is not an imported {esperado}; not imported.",
    ),
    "cita-medico-distinto": (
        "El médico de la cita (id={cita}) no es el dueño del horario (id={agenda}).",
        "The cita's doctor (id={cita}) is not the slot's owner (id={agenda}).",
    ),
    "cita-doble-reserva": (
        "Cita pendiente que choca con la cita {otra} ({quien}, misma hora): doble reserva; se importa en lista de "
        "espera (waitlist) para que la clínica la resuelva.",
        "Pending cita that collides with cita {otra} ({quien}, same time): double booking; imported as waitlist "
        "for the clinic to resolve.",
    ),
    "cita-pendiente-pasada": (
        "Cita pendiente con fecha pasada ({fecha}): posible inasistencia, por revisar.",
        "Pending cita dated in the past ({fecha}): possible no-show, to review.",
    ),
    "cita-finalizada-sin-consulta": (
        "Cita finalizada sin consulta en el expediente: la consulta se perdió (compensación $pull).",
        "Finished cita without a consultation in the expediente: the consultation was lost (compensating $pull).",
    ),
    "cita-cancelada-con-consulta": (
        "Cita cancelada que tiene una consulta registrada: se canceló después de atenderse.",
        "Cancelled cita that has a recorded consultation: it was cancelled after being attended.",
    ),
    "linea-ilegible": (
        "Línea {linea} de la exportación no es un documento JSON extendido válido: {error}.",
        "Line {linea} of the export is not a valid Extended JSON document: {error}.",
    ),
    "expediente-huerfano": (
        "Expediente huérfano: id_paciente_sql={paciente} no es un paciente de usuarios ({consultas} consultas); "
        "no se importa.",
        "Orphan expediente: id_paciente_sql={paciente} is not a patient in usuarios ({consultas} consultations); "
        "not imported.",
    ),
    "expediente-id-distinto": (
        "usuarios.expediente_id={usuario} no coincide con el _id del expediente ({documento}).",
        "usuarios.expediente_id={usuario} does not match the expediente _id ({documento}).",
    ),
    "tipo-sangre-no-reconocido": (
        "Tipo de sangre «{valor}» no reconocido: se importa solo como texto.",
        "Blood type '{valor}' not recognised: imported as text only.",
    ),
    "consulta-sin-medico": (
        "Consulta sin id_medico_sql (el sistema anterior lo descartaba); médico recuperado de la cita: {medico}.",
        "Consultation without id_medico_sql (the legacy system discarded it); doctor recovered from the cita: "
        "{medico}.",
    ),
    "signos-vitales-perdidos": (
        "Los signos vitales de esta consulta se perdieron en el sistema anterior y no pueden recuperarse.",
        "This consultation's vital signs were lost by the legacy system and cannot be recovered.",
    ),
    "signos-vitales-texto": (
        "La consulta trae signos_vitales; se conservan como nota de texto, sin Observations codificadas.",
        "The consultation carries signos_vitales; kept as a text note, without coded Observations.",
    ),
    "consulta-cita-inexistente": (
        "La consulta apunta a id_cita_sql={cita}, que no existe en citas: sin cita ni médico.",
        "The consultation points to id_cita_sql={cita}, which is not in citas: no appointment and no doctor.",
    ),
    "consulta-cita-otro-paciente": (
        "La cita {cita} de esta consulta pertenece a otro paciente (id={paciente}).",
        "Cita {cita} of this consultation belongs to another patient (id={paciente}).",
    ),
    "consulta-cita-no-finalizada": (
        "La consulta existe pero su cita {cita} está «{estado}» (cierre interrumpido entre MongoDB y MySQL).",
        "The consultation exists but its cita {cita} is '{estado}' (closing interrupted between MongoDB and MySQL).",
    ),
    "consulta-duplicada": (
        "Segunda consulta para la misma cita {cita} (reintento o envío doble); se importan ambas.",
        "Second consultation for the same cita {cita} (retry or double submission); both are imported.",
    ),
    "consulta-sin-diagnostico": (
        "Consulta sin diagnóstico: no se crea Condition.",
        "Consultation without a diagnosis: no Condition is created.",
    ),
    "consulta-de-expediente-huerfano": (
        "Consulta de un expediente huérfano (id_paciente_sql={paciente}); no se importa.",
        "Consultation of an orphan expediente (id_paciente_sql={paciente}); not imported.",
    ),
    "receta-sin-medicamento": (
        "Línea de receta {linea} sin medicamento; no se importa.",
        "Prescription line {linea} without a medicine; not imported.",
    ),
    "receta-sin-indicacion": (
        "Línea de receta {linea} sin dosis ni frecuencia.",
        "Prescription line {linea} without dose or frequency.",
    ),
}


def finding(code: str, table: str, row: str, outcome: Outcome, **params: Any) -> Finding:
    """A Finding with its two messages filled in."""
    spanish, english = MESSAGES[code]
    return Finding(code, table, row, spanish.format(**params), english.format(**params), outcome)
