"""The legacy EHR schema as a live database has it (legacy-domain.md part A), for tests and benchmarks.

Quoted mixed-case table names as the legacy Sequelize app created them; the tables without a
migration (Users, diagnosticos, cie, medicamentos) as ``sync()`` built them from the models; the
migrated drift kept: ``estado_civil`` VARCHAR, leftover text geography columns on Patients, the
horarios table under the model's name with a free-text ``dia``, ``Citas.fecha`` a DATE.
"""

from __future__ import annotations

from typing import Any

import psycopg

DDL = """
CREATE TYPE "enum_Patients_sexo" AS ENUM ('H', 'M');
CREATE TYPE "enum_Prescripciones_estado" AS ENUM ('activa', 'completada', 'cancelada');
CREATE TYPE "enum_Consultorios_estado" AS ENUM ('activo', 'inactivo');

CREATE TABLE "Provincias" (
  id SERIAL PRIMARY KEY,
  nombre VARCHAR(255) NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE "Cantones" (
  id SERIAL PRIMARY KEY,
  nombre VARCHAR(255) NOT NULL,
  provincia_id INTEGER NOT NULL REFERENCES "Provincias"(id) ON UPDATE CASCADE ON DELETE RESTRICT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE "Parroquias" (
  id SERIAL PRIMARY KEY,
  nombre VARCHAR(255) NOT NULL,
  canton_id INTEGER NOT NULL REFERENCES "Cantones"(id) ON UPDATE CASCADE ON DELETE RESTRICT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE cie (
  id SERIAL PRIMARY KEY,
  cie_id INTEGER REFERENCES cie(id),
  versioncie VARCHAR(255),
  codigo VARCHAR(255),
  nombre VARCHAR(255),
  ctsexo_id INTEGER,
  edadmin INTEGER,
  unidadedadmin VARCHAR(255),
  edadmax INTEGER,
  unidadedadmax VARCHAR(255),
  estado INTEGER
);

CREATE TABLE medicamentos (
  id SERIAL PRIMARY KEY,
  nombre_generico VARCHAR(255) NOT NULL,
  nombre_comercial VARCHAR(255),
  forma_farmaceutica VARCHAR(100) NOT NULL,
  concentracion VARCHAR(100) NOT NULL,
  via_administracion VARCHAR(100) NOT NULL,
  categoria VARCHAR(100),
  estado BOOLEAN DEFAULT true,
  created_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ
);

CREATE TABLE "Users" (
  id SERIAL PRIMARY KEY,
  username VARCHAR(255) NOT NULL UNIQUE,
  password VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  active BOOLEAN DEFAULT true,
  cedula VARCHAR(10) NOT NULL UNIQUE,
  email VARCHAR(255) UNIQUE,
  empresa VARCHAR(255) NOT NULL DEFAULT 'Sin empresa',
  especialidad VARCHAR(255),
  "resetPasswordToken" VARCHAR(255),
  "resetPasswordExpires" TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_cedula_unique ON "Users" (cedula);

CREATE TABLE "Patients" (
  id SERIAL PRIMARY KEY,
  apellido_paterno VARCHAR(255) NOT NULL,
  apellido_materno VARCHAR(255),
  primer_nombre VARCHAR(255) NOT NULL,
  segundo_nombre VARCHAR(255),
  empresa VARCHAR(255) NOT NULL DEFAULT 'Sin empresa',
  cedula VARCHAR(255) NOT NULL UNIQUE,
  fecha_nacimiento TIMESTAMPTZ NOT NULL,
  lugar_nacimiento VARCHAR(255) NOT NULL,
  nacionalidad VARCHAR(255) NOT NULL,
  sexo "enum_Patients_sexo" NOT NULL,
  telefono VARCHAR(255),
  grupo_cultural VARCHAR(255),
  direccion VARCHAR(255),
  barrio VARCHAR(255),
  provincia VARCHAR(255),
  canton VARCHAR(255),
  parroquia VARCHAR(255),
  provincia_id INTEGER REFERENCES "Provincias"(id) ON UPDATE CASCADE ON DELETE SET NULL,
  canton_id INTEGER REFERENCES "Cantones"(id) ON UPDATE CASCADE ON DELETE SET NULL,
  parroquia_id INTEGER REFERENCES "Parroquias"(id) ON UPDATE CASCADE ON DELETE SET NULL,
  estado_civil VARCHAR(255),
  instruccion VARCHAR(255),
  ocupacion VARCHAR(255),
  empresa_trabajo VARCHAR(255),
  tipo_seguro VARCHAR(255),
  contacto_emergencia VARCHAR(255),
  parentesco_emergencia VARCHAR(255),
  direccion_emergencia VARCHAR(255),
  telefono_emergencia VARCHAR(255),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE "Consultorios" (
  id SERIAL PRIMARY KEY,
  numero VARCHAR(255) NOT NULL UNIQUE,
  descripcion VARCHAR(255),
  "doctorId" INTEGER NOT NULL REFERENCES "Users"(id),
  estado "enum_Consultorios_estado" DEFAULT 'activo',
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE "HorariosConsultorio" (
  id SERIAL PRIMARY KEY,
  "consultorioId" INTEGER NOT NULL REFERENCES "Consultorios"(id) ON DELETE CASCADE,
  dia VARCHAR(255) NOT NULL,
  fecha DATE NOT NULL DEFAULT CURRENT_DATE,
  "horaInicio" TIME NOT NULL,
  "horaFin" TIME NOT NULL,
  "createdAt" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE "Citas" (
  id SERIAL PRIMARY KEY,
  "pacienteId" INTEGER NOT NULL REFERENCES "Patients"(id) ON UPDATE CASCADE ON DELETE CASCADE,
  "consultorioId" INTEGER NOT NULL REFERENCES "Consultorios"(id),
  "doctorId" INTEGER NOT NULL REFERENCES "Users"(id),
  fecha DATE NOT NULL,
  hora TIME NOT NULL,
  estado VARCHAR(255) DEFAULT 'pendiente',
  notas TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE "VitalSigns" (
  id SERIAL PRIMARY KEY,
  fecha_medicion TIMESTAMPTZ NOT NULL,
  temperatura DECIMAL(4,1) NOT NULL,
  presion_arterial VARCHAR(255) NOT NULL,
  pulso INTEGER NOT NULL,
  frecuencia_respiratoria INTEGER NOT NULL,
  peso DECIMAL(6,2) NOT NULL,
  talla DECIMAL(5,2) NOT NULL,
  imc DECIMAL(5,2),
  "citaId" INTEGER NOT NULL REFERENCES "Citas"(id) ON DELETE CASCADE,
  "pacienteId" INTEGER NOT NULL REFERENCES "Patients"(id) ON DELETE CASCADE,
  "enfermeroId" INTEGER NOT NULL REFERENCES "Users"(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX vital_signs_fecha_medicion ON "VitalSigns" (fecha_medicion);
CREATE INDEX vital_signs_cita_id ON "VitalSigns" ("citaId");

CREATE TABLE "Evoluciones" (
  id SERIAL PRIMARY KEY,
  fecha TIMESTAMPTZ NOT NULL DEFAULT now(),
  motivo_consulta TEXT NOT NULL,
  enfermedad_actual TEXT NOT NULL,
  antecedentes_personales TEXT NOT NULL,
  antecedentes_familiares JSON NOT NULL,
  "pacienteId" INTEGER NOT NULL REFERENCES "Patients"(id) ON DELETE CASCADE,
  "medicoId" INTEGER NOT NULL REFERENCES "Users"(id) ON DELETE CASCADE,
  "signosVitalesId" INTEGER NOT NULL REFERENCES "VitalSigns"(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE diagnosticos (
  id SERIAL PRIMARY KEY,
  evolucionid INTEGER NOT NULL REFERENCES "Evoluciones"(id) ON DELETE CASCADE,
  cieid INTEGER NOT NULL REFERENCES cie(id),
  tipo VARCHAR(255) NOT NULL,
  created_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ
);

CREATE TABLE "Prescripciones" (
  id SERIAL PRIMARY KEY,
  fecha_emision TIMESTAMPTZ DEFAULT now(),
  nombre_generico VARCHAR(255),
  nombre_comercial VARCHAR(255),
  forma_farmaceutica VARCHAR(255),
  concentracion VARCHAR(255),
  dosis VARCHAR(255),
  frecuencia VARCHAR(255),
  duracion_tratamiento VARCHAR(255),
  via_administracion VARCHAR(255),
  indicaciones_adicionales TEXT,
  estado "enum_Prescripciones_estado" DEFAULT 'activa',
  "evolucionId" INTEGER NOT NULL REFERENCES "Evoluciones"(id) ON DELETE CASCADE,
  "medicoId" INTEGER NOT NULL REFERENCES "Users"(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""


def create_schema(connection: psycopg.Connection[Any]) -> None:
    """Build the legacy tables on an open psycopg connection (an empty database)."""
    connection.execute(DDL)
