"""Medly's MySQL schema (legacy-domain.md B.2), as its database existed before sequelize-auto read it.

No migrations ever existed: the tables were created by hand; roles and especialidades are seeded manually.
"""

from __future__ import annotations

from typing import Any

from pymysql.connections import Connection

DDL = (
    """CREATE TABLE roles (
  id INT NOT NULL AUTO_INCREMENT,
  nombre VARCHAR(50) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY nombre (nombre)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE usuarios (
  id INT NOT NULL AUTO_INCREMENT,
  nombre VARCHAR(100) NOT NULL,
  apellido VARCHAR(100) NOT NULL,
  email VARCHAR(150) NOT NULL,
  password VARCHAR(255) NOT NULL,
  activo TINYINT(1) DEFAULT 1,
  id_rol INT NOT NULL,
  expediente_id VARCHAR(100) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY email (email),
  KEY fk_usuarios_rol (id_rol),
  CONSTRAINT fk_usuarios_rol FOREIGN KEY (id_rol) REFERENCES roles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE especialidades (
  id INT NOT NULL AUTO_INCREMENT,
  nombre VARCHAR(100) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY nombre (nombre)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE medicos_especialidades (
  id_medico INT NOT NULL,
  id_especialidad INT NOT NULL,
  PRIMARY KEY (id_medico, id_especialidad),
  KEY fk_me_especialidad (id_especialidad),
  CONSTRAINT fk_me_medico FOREIGN KEY (id_medico) REFERENCES usuarios (id),
  CONSTRAINT fk_me_especialidad FOREIGN KEY (id_especialidad) REFERENCES especialidades (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE agenda_medica (
  id INT NOT NULL AUTO_INCREMENT,
  id_medico INT NOT NULL,
  fecha DATE NOT NULL,
  hora TIME NOT NULL,
  disponible TINYINT(1) DEFAULT 1,
  PRIMARY KEY (id),
  UNIQUE KEY id_medico (id_medico, fecha, hora),
  KEY idx_agenda_busqueda (fecha, id_medico, disponible),
  CONSTRAINT fk_agenda_medico FOREIGN KEY (id_medico) REFERENCES usuarios (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE citas (
  id INT NOT NULL AUTO_INCREMENT,
  id_agenda INT NOT NULL,
  id_paciente INT NOT NULL,
  id_medico INT NOT NULL,
  estado ENUM('pendiente','finalizada','cancelada') DEFAULT 'pendiente',
  PRIMARY KEY (id),
  KEY fk_citas_agenda (id_agenda),
  KEY fk_citas_paciente (id_paciente),
  KEY fk_citas_medico (id_medico),
  CONSTRAINT fk_citas_agenda FOREIGN KEY (id_agenda) REFERENCES agenda_medica (id),
  CONSTRAINT fk_citas_paciente FOREIGN KEY (id_paciente) REFERENCES usuarios (id),
  CONSTRAINT fk_citas_medico FOREIGN KEY (id_medico) REFERENCES usuarios (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
)


def create(connection: Connection[Any]) -> None:
    """Create every table on a PyMySQL connection."""
    with connection.cursor() as cursor:
        for statement in DDL:
            cursor.execute(statement)
    connection.commit()
