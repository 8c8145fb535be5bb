"""Messages of the legacy import: the findings of each legacy row and the report (Spanish and English)."""

from __future__ import annotations

FINDINGS: dict[str, dict[str, str]] = {
    "legacy-cedula-invalida": {
        "es": "Cédula inválida «{value}»: se conserva como identificador antiguo, sin el identificador oficial",
        "en": "Invalid cédula '{value}': kept as an old identifier, without the official identifier",
    },
    "legacy-cedula-pasaporte": {
        "es": "«{value}» no es una cédula válida: se registra como pasaporte; revise el documento",
        "en": "'{value}' is not a valid cédula: recorded as a passport; check the document",
    },
    "legacy-cedula-duplicada": {
        "es": "La cédula {value} ya pertenece al paciente id={first}: importado sin cédula oficial, revise si es "
        "la misma persona",
        "en": "Cédula {value} already belongs to patient id={first}: imported without the official cédula, check "
        "whether it is the same person",
    },
    "legacy-canton-fuera-de-provincia": {
        "es": "El cantón {canton} no pertenece a la provincia {provincia}: la dirección conserva solo la provincia "
        "codificada y los nombres",
        "en": "Canton {canton} is not in province {provincia}: the address keeps only the coded province and the names",
    },
    "legacy-parroquia-fuera-de-canton": {
        "es": "La parroquia {parroquia} no pertenece al cantón {canton}: la parroquia queda sin código",
        "en": "Parish {parroquia} is not in canton {canton}: the parish is left without a code",
    },
    "legacy-dpa-sin-codigo": {
        "es": "{level} «{name}» no coincide con ningún nombre de la DPA del INEC: las direcciones lo llevan sin código",
        "en": "{level} '{name}' matches no INEC DPA name: addresses carry it without a code",
    },
    "legacy-estado-civil-desconocido": {
        "es": "Estado civil «{value}» desconocido: se guarda solo como texto",
        "en": "Unknown marital status '{value}': kept as text only",
    },
    "legacy-seguro-desconocido": {
        "es": "Tipo de seguro «{value}» no reconocido (ninguno conocido, o varios): la cobertura se importa con el "
        "texto, sin tipo codificado ni aseguradora; revise quién paga",
        "en": "Unrecognised insurance type '{value}' (no known kind, or several): the coverage is imported with the "
        "text, without a coded type or insurer; check who pays",
    },
    "legacy-nacionalidad-sin-codigo": {
        "es": "Nacionalidad «{value}» sin código ISO 3166: no se registra la extensión de nacionalidad",
        "en": "Nationality '{value}' has no ISO 3166 code: the nationality extension is not recorded",
    },
    "legacy-usuario-renombrado": {
        "es": "El usuario «{old}» no es un nombre de cuenta válido: la cuenta se llama {new}",
        "en": "User name '{old}' is not a valid account name: the account is called {new}",
    },
    "legacy-especialidad-desconocida": {
        "es": "Especialidad «{value}» fuera del catálogo de la clínica: se guarda solo como texto",
        "en": "Specialty '{value}' is not in the clinic's catalogue: kept as text only",
    },
    "legacy-rol-desconocido": {
        "es": "Rol «{value}» desconocido: se importa el profesional sin rol ni cuenta",
        "en": "Unknown role '{value}': the practitioner is imported without a role or an account",
    },
    "legacy-personal-sin-nombre": {
        "es": "El sistema anterior no guardaba nombres del personal: el nombre es el usuario «{username}»; "
        "registre nombres y registro profesional",
        "en": "The old system kept no staff names: the name is the user name '{username}'; record names and "
        "professional registration",
    },
    "legacy-cuenta-existente": {
        "es": "Ya existe la cuenta {username} para otro usuario: no se creó la cuenta de este registro",
        "en": "Account {username} already exists for someone else: no account was created for this row",
    },
    "legacy-dia-desconocido": {
        "es": "Día «{value}» ilegible: el horario no se importa",
        "en": "Unreadable day '{value}': the schedule row is not imported",
    },
    "legacy-dia-ortografia": {
        "es": "Día escrito «{value}» (el sistema anterior solo reconocía MAYÚSCULAS): se interpreta como {day}",
        "en": "Day written '{value}' (the old system only matched UPPERCASE): read as {day}",
    },
    "legacy-horario-invertido": {
        "es": "El horario termina ({end}) antes de empezar ({start}): no se importa",
        "en": "The schedule ends ({end}) before it starts ({start}): not imported",
    },
    "legacy-cita-pendiente-pasada": {
        "es": "Cita pendiente del {fecha}, ya pasada y sin atención: queda reservada con la etiqueta revisar-noshow",
        "en": "Pending appointment of {fecha}, in the past and never attended: kept booked, tagged revisar-noshow",
    },
    "legacy-cita-superpuesta": {
        "es": "La cita choca con la cita id={other} (mismo horario y participante): el servidor no admite dobles "
        "reservas; no se importa",
        "en": "The appointment collides with appointment id={other} (same time and participant): the server "
        "refuses double booking; not imported",
    },
    "legacy-cita-sin-medico": {
        "es": "La cita asigna como médico al usuario id={user}, que es {role}: consulta sin médico",
        "en": "The appointment names user id={user} as its doctor, who is {role}: consultation without a doctor",
    },
    "legacy-cita-historico": {
        "es": "Estado «histórico» (marca transitoria del sistema anterior): importada como {status}",
        "en": "Status 'histórico' (a transient marker of the old system): imported as {status}",
    },
    "legacy-cita-atendida-sin-registro": {
        "es": "Cita atendida sin signos vitales ni evolución: la consulta se importa finalizada y vacía",
        "en": "Attended appointment without vital signs or progress note: the consultation is imported finished "
        "and empty",
    },
    "legacy-cita-estado-desconocido": {
        "es": "Estado de cita «{value}» desconocido: no se importa",
        "en": "Unknown appointment status '{value}': not imported",
    },
    "legacy-cita-cancelada-con-registro": {
        "es": "Cita cancelada que tiene signos vitales o evolución: la consulta se importa igualmente",
        "en": "Cancelled appointment with vital signs or a progress note: the consultation is imported anyway",
    },
    "legacy-vitals-paciente-distinto": {
        "es": "Los signos vitales son del paciente id={vitals_patient} pero la cita es del paciente id={cita_patient}: "
        "se importan para el paciente registrado, sin enlazarlos a la consulta",
        "en": "The vital signs belong to patient id={vitals_patient} but the appointment to patient "
        "id={cita_patient}: imported for the recorded patient, not linked to the consultation",
    },
    "legacy-vitals-multiples": {
        "es": "La cita id={cita} tiene más de un registro de signos vitales",
        "en": "Appointment id={cita} has more than one vital-signs row",
    },
    "legacy-presion-invertida": {
        "es": "Presión arterial {value}: la sistólica no supera a la diastólica; se omite la presión, el resto "
        "se importa",
        "en": "Blood pressure {value}: systolic is not above diastolic; the pressure is left out, the rest imported",
    },
    "legacy-presion-ilegible": {
        "es": "Presión arterial «{value}» ilegible: se omite",
        "en": "Unreadable blood pressure '{value}': left out",
    },
    "legacy-imc-inconsistente": {
        "es": "IMC registrado {legacy} no corresponde a peso y talla ({computed}): se guarda el calculado",
        "en": "Recorded BMI {legacy} does not match weight and height ({computed}): the computed one is stored",
    },
    "legacy-evolucion-autor-no-medico": {
        "es": "La evolución la escribió el usuario id={user}, que es {role}",
        "en": "The progress note was written by user id={user}, who is {role}",
    },
    "legacy-evolucion-medico-distinto": {
        "es": "El autor de la evolución (id={medico}) no es el médico de la cita (id={doctor})",
        "en": "The author of the progress note (id={medico}) is not the appointment's doctor (id={doctor})",
    },
    "legacy-evolucion-paciente-distinto": {
        "es": "La evolución es del paciente id={evol_patient} pero sus signos vitales del paciente id={vitals_patient}",
        "en": "The progress note is for patient id={evol_patient} but its vital signs for patient id={vitals_patient}",
    },
    "legacy-antecedentes-ilegibles": {
        "es": "Antecedentes familiares ilegibles ({value}): se guardan como nota de texto",
        "en": "Unreadable family history ({value}): kept as a text note",
    },
    "legacy-antecedentes-contradictorios": {
        "es": "Antecedentes familiares marcados «sin antecedentes» y a la vez con: {items}. Se importan los "
        "antecedentes marcados, sin la lista «ninguno conocido»",
        "en": "Family history ticked 'none' and also: {items}. The ticked conditions are imported, without the "
        "'none known' list",
    },
    "legacy-diagnostico-tipo-desconocido": {
        "es": "Tipo de diagnóstico «{value}» desconocido: verificación sin confirmar, el tipo original se conserva",
        "en": "Unknown diagnosis type '{value}': verification unconfirmed, the original type is kept",
    },
    "legacy-cie-inactivo": {
        "es": "El código CIE-10 {code} está inactivo en el catálogo anterior",
        "en": "CIE-10 code {code} is inactive in the old catalogue",
    },
    "legacy-cie-version": {
        "es": "Código de la versión «{value}», no CIE10: los diagnósticos que lo usen se rechazarán",
        "en": "Code of version '{value}', not CIE10: diagnoses using it will be refused",
    },
    "legacy-prescripcion-medico-distinto": {
        "es": "La prescripción la firma el usuario id={medico}, no el autor de la evolución (id={author})",
        "en": "The prescription is signed by user id={medico}, not by the progress note's author (id={author})",
    },
    "legacy-referencia-omitida": {
        "es": "{table} id={key}, al que remite esta fila, no se importó: la fila no se importa",
        "en": "{table} id={key}, which this row refers to, was not imported: the row is not imported",
    },
    "legacy-rechazado": {
        "es": "El servidor rechazó la fila: {detail}",
        "en": "The server refused the row: {detail}",
    },
}

REPORT: dict[str, dict[str, str]] = {
    "legacy-report-title": {"es": "Informe de importación: {source}", "en": "Import report: {source}"},
    "legacy-report-dry-run": {
        "es": "Simulación (--dry-run): nada se escribió",
        "en": "Dry run (--dry-run): nothing was written",
    },
    "legacy-report-tables": {
        "es": "Tabla anterior: leídas, importadas, omitidas",
        "en": "Legacy table: read, imported, skipped",
    },
    "legacy-report-types": {
        "es": "Tipo FHIR: creados, actualizados, sin cambios",
        "en": "FHIR type: created, updated, unchanged",
    },
    "legacy-report-accounts": {
        "es": "Cuentas (inactivas hasta restablecer la contraseña): {created} creadas, {existing} ya existían",
        "en": "Accounts (inactive until a password reset): {created} created, {existing} already existed",
    },
    "legacy-report-findings": {"es": "Hallazgos ({count})", "en": "Findings ({count})"},
    "legacy-report-by-code": {"es": "Hallazgos por tipo", "en": "Findings by kind"},
    "legacy-report-kept": {"es": "importada", "en": "imported"},
    "legacy-report-skipped": {"es": "omitida", "en": "skipped"},
    "legacy-report-total": {
        "es": "Total: {read} filas leídas, {imported} importadas, {skipped} omitidas en {seconds} s ({rate} filas/s)",
        "en": "Total: {read} rows read, {imported} imported, {skipped} skipped in {seconds} s ({rate} rows/s)",
    },
}

MESSAGES: dict[str, dict[str, str]] = {**FINDINGS, **REPORT}
