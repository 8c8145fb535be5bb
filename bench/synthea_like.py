"""Deterministic Synthea-like FHIR R4 data for an Ecuadorian outpatient clinic.

``generate(patients, seed)`` yields ``(resourceType, id, resource)`` in dependency order:
Practitioners, Locations, Patients, Encounters, then Observations, Conditions and Appointments.
Per patient: one Patient with a cédula, about 8 ambulatory Encounters over five years, about 250
vital-sign Observations taken during those Encounters, about 5 ICD-10 Conditions and about 3
Appointments: roughly 270 resources per patient. Ids are chosen by the client (``pat-00001``,
``enc-00001-01``, ``obs-00001-0001``...) and references are relative, so a PUT of every resource
loads the set idempotently. Every piece is a function of (seed, patient number) only, so a part of
the set (``part``/``parts``) or one patient's data can be regenerated without the rest.

Usage: python bench/synthea_like.py [--patients N] [--seed S] [--ndjson]   (counts, or NDJSON)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

Resource = dict[str, Any]
Item = tuple[str, str, Resource]

CEDULA = "https://www.registrocivil.gob.ec/cedula"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
LOCATION_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"

ECUADOR = timezone(timedelta(hours=-5))
# The five years the data covers; fixed so that every run produces the same resources.
START = datetime(2020, 7, 1, tzinfo=ECUADOR)
END = datetime(2025, 7, 1, tzinfo=ECUADOR)
# Booked appointments fall in the six months after END (the clinic's "future").
BOOKING_DAYS = 180

PRACTITIONERS = 10
LOCATIONS = 5

GIVEN_MALE = ["José", "Luis", "Carlos", "Jorge", "Andrés", "Julián", "Ramón", "Sebastián", "Darío", "Fabián",
              "Iván", "Germán", "Joaquín", "Martín", "Nicolás", "Efraín"]  # fmt: skip
GIVEN_FEMALE = ["María", "Ana", "Rosa", "Lucía", "Mónica", "Verónica", "Inés", "Belén", "Sofía", "Raquel",
                "Dolores", "Nathalí", "Jimena", "Gabriela", "Tránsito", "Araceli"]  # fmt: skip
FAMILY = ["Núñez", "Guamán", "Pérez", "Ibáñez", "Quishpe", "Andrade", "Zambrano", "Chávez", "Muñoz",
          "Sánchez", "Gómez", "Jiménez", "Tapia", "Caiza", "Tenesaca", "Pilataxi", "Córdova", "Yánez",
          "Chimbo", "Álvarez", "Benítez", "León", "Ordóñez", "Vásquez", "Cevallos", "Tituaña"]  # fmt: skip
CITIES = [  # city, province, cédula province code
    ("Quito", "Pichincha", 17), ("Cuenca", "Azuay", 1), ("Guayaquil", "Guayas", 9),
    ("Riobamba", "Chimborazo", 6), ("Ambato", "Tungurahua", 18), ("Loja", "Loja", 11),
    ("Otavalo", "Imbabura", 10), ("Latacunga", "Cotopaxi", 5),
]  # fmt: skip
STREETS = ["Av. 10 de Agosto", "Av. Amazonas", "Calle Bolívar", "Av. de los Shyris", "Calle Sucre",
           "Av. Simón Bolívar", "Calle García Moreno", "Av. Solano", "Calle Olmedo",
           "Av. Quitumbe Ñan"]  # fmt: skip
SPECIALTIES = ["Medicina General", "Medicina Familiar", "Pediatría", "Medicina Interna", "Ginecología"]

# (code, Spanish display, weight): the ICD-10 diagnoses of the clinic.
DIAGNOSES = [
    ("J45.0", "Asma predominantemente alérgica", 3),
    ("J45.1", "Asma no alérgica", 1),
    ("J45.9", "Asma, no especificada", 2),
    ("E11.9", "Diabetes mellitus tipo 2 sin mención de complicación", 5),
    ("I10", "Hipertensión esencial (primaria)", 6),
    ("K29.7", "Gastritis, no especificada", 6),
    ("J06.9", "Infección aguda de las vías respiratorias superiores, no especificada", 8),
    ("J02.9", "Faringitis aguda, no especificada", 5),
    ("E66.9", "Obesidad, no especificada", 4),
    ("E78.5", "Hiperlipidemia, no especificada", 4),
    ("N39.0", "Infección de vías urinarias, sitio no especificado", 4),
    ("A09", "Diarrea y gastroenteritis de presunto origen infeccioso", 4),
    ("B82.9", "Parasitosis intestinal, sin otra especificación", 3),
    ("D50.9", "Anemia por deficiencia de hierro sin otra especificación", 3),
    ("M54.5", "Lumbago no especificado", 4),
    ("R51", "Cefalea", 3),
]
ACUTE = {"J06.9", "J02.9", "N39.0", "A09", "B82.9", "R51"}

# LOINC vital signs: (code, display, unit, UCUM code).
TEMPERATURE = ("8310-5", "Body temperature", "°C", "Cel")
HEART_RATE = ("8867-4", "Heart rate", "/min", "/min")
RESPIRATORY_RATE = ("9279-1", "Respiratory rate", "/min", "/min")
WEIGHT = ("29463-7", "Body weight", "kg", "kg")
HEIGHT = ("8302-2", "Body height", "cm", "cm")
BMI = ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2")
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
VITAL_CODES = [c[0] for c in (TEMPERATURE, HEART_RATE, RESPIRATORY_RATE, WEIGHT, HEIGHT, BMI, BLOOD_PRESSURE)]


def practitioner_id(n: int) -> str:
    return f"prac-{n:03d}"


def location_id(n: int) -> str:
    return f"loc-{n:02d}"


def patient_id(k: int) -> str:
    return f"pat-{k:05d}"


def unaccented(text: str) -> str:
    """Lowercase without diacritics: "Núñez" -> "nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def cedula(province: int, third: int, serial: int) -> str:
    """A valid 10-digit Ecuadorian cédula (module-10 check digit) from its first 9 digits."""
    digits = [int(d) for d in f"{province:02d}{third}{serial:06d}"]
    total = 0
    for index, digit in enumerate(digits):
        product = digit * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _reference(type_name: str, id_: str) -> dict[str, str]:
    return {"reference": f"{type_name}/{id_}"}


def _rng(seed: int, k: int, what: str) -> random.Random:
    # String seeds are hashed with SHA-512: the same across runs and processes.
    return random.Random(f"{seed}:{k}:{what}")


# ---------------------------------------------------------------------------------------- shared


def practitioners(seed: int = 1) -> list[Resource]:
    result = []
    for n in range(1, PRACTITIONERS + 1):
        rng = _rng(seed, n, "practitioner")
        female = rng.random() < 0.5
        given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
        result.append(
            {
                "resourceType": "Practitioner",
                "id": practitioner_id(n),
                "identifier": [{"system": CEDULA, "value": cedula(17, 1, 900000 + n)}],
                "active": True,
                "name": [
                    {
                        "use": "official",
                        "text": f"{'Dra.' if female else 'Dr.'} {given} {family}",
                        "family": family,
                        "given": [given],
                        "prefix": ["Dra." if female else "Dr."],
                    }
                ],
                "telecom": [{"system": "phone", "value": f"02{rng.randint(2000000, 3999999)}", "use": "work"}],
                "gender": "female" if female else "male",
                "qualification": [{"code": {"text": SPECIALTIES[(n - 1) % len(SPECIALTIES)]}}],
            }
        )
    return result


def locations(seed: int = 1) -> list[Resource]:
    del seed  # the consultorios do not vary
    return [
        {
            "resourceType": "Location",
            "id": location_id(n),
            "status": "active",
            "name": f"Consultorio {n}",
            "description": f"Consultorio {n} de {SPECIALTIES[(n - 1) % len(SPECIALTIES)]}",
            "mode": "instance",
            "physicalType": {
                "coding": [{"system": LOCATION_TYPE, "code": "ro", "display": "Room"}],
                "text": "Consultorio",
            },
            "address": {
                "line": ["Av. 10 de Agosto N24-35 y Luis Cordero"],
                "city": "Quito",
                "state": "Pichincha",
                "country": "EC",
            },
        }
        for n in range(1, LOCATIONS + 1)
    ]


# --------------------------------------------------------------------------------------- patient


@dataclass(frozen=True)
class Person:
    k: int
    id: str
    cedula: str
    given: list[str]
    family: str
    female: bool
    birth: date


def person(k: int, seed: int = 1) -> Person:
    """The facts about patient k that queries need (cheap: no resources built)."""
    rng = _rng(seed, k, "patient")
    female = rng.random() < 0.55
    names = GIVEN_FEMALE if female else GIVEN_MALE
    given = rng.sample(names, 2) if rng.random() < 0.7 else [rng.choice(names)]
    family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 82))
    province = rng.choice(CITIES)[2]
    # 104729 is prime: k -> serial is one-to-one below 10**6, so cédulas are unique.
    number = cedula(province, rng.randrange(6), (k * 104729 + seed) % 1_000_000)
    return Person(k, patient_id(k), number, given, family, female, birth)


def patient(k: int, seed: int = 1) -> Resource:
    who = person(k, seed)
    rng = _rng(seed, k, "patient-details")
    city, province, _ = rng.choice(CITIES)
    return {
        "resourceType": "Patient",
        "id": who.id,
        "identifier": [
            {
                "use": "official",
                "type": {"text": "Cédula de identidad"},
                "system": CEDULA,
                "value": who.cedula,
            }
        ],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": f"{' '.join(who.given)} {who.family}",
                "family": who.family,
                "given": who.given,
            }
        ],
        "telecom": [{"system": "phone", "value": f"09{rng.randint(60000000, 99999999)}", "use": "mobile"}],
        "gender": "female" if who.female else "male",
        "birthDate": who.birth.isoformat(),
        "address": [
            {
                "use": "home",
                "line": [f"{rng.choice(STREETS)} N{rng.randint(10, 80)}-{rng.randint(10, 250)}"],
                "city": city,
                "state": province,
                "country": "EC",
            }
        ],
        "maritalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                    "code": rng.choice(["S", "M", "W", "D"]),
                }
            ]
        },
        "communication": [
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es-EC"}], "text": "Español"},
                "preferred": True,
            }
        ],
    }


# ------------------------------------------------------------------------------------ encounters


@dataclass(frozen=True)
class Visit:
    id: str
    start: datetime
    end: datetime
    practitioner: str
    location: str
    rounds: int  # vital-sign rounds taken during the visit


def visits(k: int, seed: int = 1) -> list[Visit]:
    """Patient k's encounters, oldest first: 6 to 10 over the five years, weekdays 07:00-17:00."""
    rng = _rng(seed, k, "visits")
    count = rng.randint(6, 10)
    span = (END - START).days
    days = sorted(rng.sample(range(span), count))
    result = []
    for index, offset in enumerate(days, start=1):
        day = START + timedelta(days=offset)
        if day.weekday() > 4:
            day -= timedelta(days=day.weekday() - 4)
        start = day.replace(hour=rng.randint(7, 16), minute=rng.choice((0, 15, 30, 45)))
        rounds = rng.randint(5, 9)
        result.append(
            Visit(
                id=f"enc-{k:05d}-{index:02d}",
                start=start,
                end=start + timedelta(minutes=20 + 5 * rounds),
                practitioner=practitioner_id(rng.randint(1, PRACTITIONERS)),
                location=location_id(rng.randint(1, LOCATIONS)),
                rounds=rounds,
            )
        )
    return result


def encounters(k: int, seed: int = 1) -> list[Resource]:
    subject = _reference("Patient", patient_id(k))
    return [
        {
            "resourceType": "Encounter",
            "id": visit.id,
            "status": "finished",
            "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
            "type": [
                {
                    "coding": [{"system": SNOMED, "code": "185349003", "display": "Encounter for check up"}],
                    "text": "Consulta externa",
                }
            ],
            "subject": subject,
            "participant": [
                {
                    "type": [{"coding": [{"system": PARTICIPATION_TYPE, "code": "PPRF"}]}],
                    "individual": _reference("Practitioner", visit.practitioner),
                }
            ],
            "period": {"start": _instant(visit.start), "end": _instant(visit.end)},
            "location": [{"location": _reference("Location", visit.location), "status": "completed"}],
        }
        for visit in visits(k, seed)
    ]


# ---------------------------------------------------------------------------------- observations


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


VITAL_SIGNS = [_concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")]


def observations(k: int, seed: int = 1) -> Iterator[Resource]:
    """About 250 vital signs: per visit, weight/height (and BMI for adults) once, then several
    rounds of temperature, heart rate, respiratory rate and blood pressure."""
    who = person(k, seed)
    rng = _rng(seed, k, "observations")
    subject = _reference("Patient", who.id)
    adult_height = rng.gauss(165.0 if not who.female else 153.0, 6.0)
    weight_factor = rng.uniform(0.85, 1.35)
    hypertensive = rng.random() < 0.25
    n = 0

    def vital(visit: Visit, when: datetime, spec: tuple[str, str, str, str], value: float) -> Resource:
        return observation(visit, when, spec[:2], valueQuantity=_quantity(value, *spec[2:]))

    def observation(visit: Visit, when: datetime, code: tuple[str, ...], **value: Any) -> Resource:
        nonlocal n
        n += 1
        return {
            "resourceType": "Observation",
            "id": f"obs-{k:05d}-{n:04d}",
            "status": "final",
            "category": VITAL_SIGNS,
            "code": _concept(LOINC, code[0], code[1]),
            "subject": subject,
            "encounter": _reference("Encounter", visit.id),
            "effectiveDateTime": _instant(when),
            "performer": [_reference("Practitioner", visit.practitioner)],
            **value,
        }

    for visit in visits(k, seed):
        age = (visit.start.date() - who.birth).days / 365.25
        when = visit.start + timedelta(minutes=5)
        height = adult_height * (0.3 + 0.7 * (max(age, 0.0) / 18) ** 0.5) if age < 18 else adult_height
        height = round(height, 1)
        weight = round(weight_factor * (21.5 if age >= 18 else 16.0) * (height / 100) ** 2, 1)
        yield vital(visit, when, WEIGHT, weight)
        yield vital(visit, when, HEIGHT, height)
        if age >= 18:
            bmi = round(weight / (height / 100) ** 2, 1)
            yield vital(visit, when, BMI, bmi)
        for round_ in range(visit.rounds):
            when = visit.start + timedelta(minutes=10 + 5 * round_)
            temperature = round(rng.gauss(36.7, 0.35), 1)
            yield vital(visit, when, TEMPERATURE, temperature)
            pulse = rng.randint(60, 100) if age >= 12 else rng.randint(80, 130)
            yield vital(visit, when, HEART_RATE, pulse)
            breaths = rng.randint(12, 20) if age >= 12 else rng.randint(18, 30)
            yield vital(visit, when, RESPIRATORY_RATE, breaths)
            systolic = rng.randint(135, 165) if hypertensive else rng.randint(100, 130)
            diastolic = rng.randint(85, 100) if hypertensive else rng.randint(60, 84)
            yield observation(
                visit,
                when,
                BLOOD_PRESSURE,
                component=[
                    {"code": _concept(LOINC, *part), "valueQuantity": _quantity(value, "mmHg", "mm[Hg]")}
                    for part, value in ((SYSTOLIC, systolic), (DIASTOLIC, diastolic))
                ],
            )


# ------------------------------------------------------------------------------------ conditions


def diagnoses(k: int, seed: int = 1) -> list[tuple[str, str, Visit]]:
    """Patient k's diagnoses: (ICD-10 code, display, visit that recorded it), 3 to 7 of them."""
    rng = _rng(seed, k, "conditions")
    patient_visits = visits(k, seed)
    weights = [w for _, _, w in DIAGNOSES]
    chosen: dict[str, str] = {}
    wanted = rng.randint(3, 7)
    while len(chosen) < wanted:
        code, display, _ = rng.choices(DIAGNOSES, weights)[0]
        chosen[code] = display
    return [(code, display, rng.choice(patient_visits)) for code, display in chosen.items()]


def conditions(k: int, seed: int = 1) -> list[Resource]:
    subject = _reference("Patient", patient_id(k))
    result = []
    for n, (code, display, visit) in enumerate(diagnoses(k, seed), start=1):
        acute = code in ACUTE
        condition: Resource = {
            "resourceType": "Condition",
            "id": f"cond-{k:05d}-{n:02d}",
            "clinicalStatus": _concept(
                CONDITION_CLINICAL, *(("resolved", "Resolved") if acute else ("active", "Active"))
            ),
            "verificationStatus": _concept(CONDITION_VERIFICATION, "confirmed", "Confirmed"),
            "category": [
                _concept(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")
                if acute
                else _concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")
            ],
            "code": _concept(ICD10, code, display, display),
            "subject": subject,
            "encounter": _reference("Encounter", visit.id),
            "onsetDateTime": _instant(visit.start - timedelta(days=3 if acute else 90)),
            "recordedDate": _instant(visit.start + timedelta(minutes=15)),
            "recorder": _reference("Practitioner", visit.practitioner),
        }
        if acute:
            condition["abatementDateTime"] = _instant(visit.start + timedelta(days=10))
        result.append(condition)
    return result


# ---------------------------------------------------------------------------------- appointments


@dataclass(frozen=True)
class Booking:
    id: str
    status: str
    start: datetime
    practitioner: str
    location: str


_SLOTS_PER_DAY = 30  # 20-minute slots from 07:00 to 17:00
_FIRST_MONDAY = END + timedelta(days=(7 - END.weekday()) % 7)


def _booked_start(k: int, n: int) -> datetime:
    """A weekday slot of its own for patient k's n-th appointment, from the Monday after the data's end:
    booked appointments claim their practitioner's and room's time, and the server refuses overlaps."""
    weekday, slot = divmod((k - 1) * 4 + (n - 1), _SLOTS_PER_DAY)
    day = _FIRST_MONDAY + timedelta(days=weekday // 5 * 7 + weekday % 5)
    return day.replace(hour=7) + timedelta(minutes=20 * slot)


def bookings(k: int, seed: int = 1) -> list[Booking]:
    """Patient k's appointments: 2 to 4; fulfilled ones match a visit, booked ones are after the data's
    end (each in a slot of its own, so none overlaps another), cancelled ones anywhere."""
    rng = _rng(seed, k, "appointments")
    patient_visits = visits(k, seed)
    result = []
    for n in range(1, rng.randint(2, 4) + 1):
        status = rng.choices(("booked", "fulfilled", "cancelled"), (5, 4, 1))[0]
        if status == "fulfilled":
            visit = rng.choice(patient_visits)
            start, practitioner, location = visit.start, visit.practitioner, visit.location
        else:
            base = END if status == "booked" else START
            days = BOOKING_DAYS if status == "booked" else (END - START).days
            day = base + timedelta(days=rng.randrange(days))
            day -= timedelta(days=max(0, day.weekday() - 4))
            start = day.replace(hour=rng.randint(7, 16), minute=rng.choice((0, 20, 40)))
            if status == "booked":  # the draws above still happen, so every other value stays as it was
                start = _booked_start(k, n)
            practitioner = practitioner_id(rng.randint(1, PRACTITIONERS))
            location = location_id(rng.randint(1, LOCATIONS))
        result.append(Booking(f"appt-{k:05d}-{n:02d}", status, start, practitioner, location))
    return result


def appointments(k: int, seed: int = 1) -> list[Resource]:
    result = []
    for booking in bookings(k, seed):
        declined = "declined" if booking.status == "cancelled" else "accepted"
        participants = [
            ("Patient", patient_id(k), declined),
            ("Practitioner", booking.practitioner, "accepted"),
            ("Location", booking.location, "accepted"),
        ]
        appointment: Resource = {
            "resourceType": "Appointment",
            "id": booking.id,
            "status": booking.status,
            "serviceType": [{"text": "Consulta externa"}],
            "appointmentType": _concept(
                "http://terminology.hl7.org/CodeSystem/v2-0276", "ROUTINE", "Routine appointment"
            ),
            "description": "Control médico",
            "start": _instant(booking.start),
            "end": _instant(booking.start + timedelta(minutes=20)),
            "minutesDuration": 20,
            "created": _instant(booking.start - timedelta(days=14)),
            "participant": [
                {
                    "actor": _reference(type_name, id_),
                    "required": "required",
                    "status": status,
                }
                for type_name, id_, status in participants
            ],
        }
        if booking.status == "cancelled":
            appointment["cancelationReason"] = _concept(
                "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason", "pat", "Patient"
            )
        result.append(appointment)
    return result


# ------------------------------------------------------------------------------------- generator

# Resources of a phase only reference resources of earlier phases.
PHASES = {"Practitioner": 0, "Location": 0, "Patient": 1, "Encounter": 2,
          "Observation": 3, "Condition": 3, "Appointment": 3}  # fmt: skip


def generate(patients: int = 1000, seed: int = 1, part: int = 0, parts: int = 1) -> Iterator[Item]:
    """(resourceType, id, resource) in dependency order (see PHASES). With ``parts`` > 1, only the
    shared resources (part 0) and the patients k with k % parts == part."""
    if part == 0:
        for resource in practitioners(seed) + locations(seed):
            yield resource["resourceType"], resource["id"], resource
    mine = range(1 + part, patients + 1, parts)
    for k in mine:
        resource = patient(k, seed)
        yield "Patient", resource["id"], resource
    for k in mine:
        for resource in encounters(k, seed):
            yield "Encounter", resource["id"], resource
    for k in mine:
        for resource in [*observations(k, seed), *conditions(k, seed), *appointments(k, seed)]:
            yield resource["resourceType"], resource["id"], resource


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ndjson", action="store_true", help="write the resources as NDJSON to stdout")
    args = parser.parse_args()
    counts: dict[str, int] = {}
    for type_name, _, resource in generate(args.patients, args.seed):
        counts[type_name] = counts.get(type_name, 0) + 1
        if args.ndjson:
            sys.stdout.write(json.dumps(resource, ensure_ascii=False) + "\n")
    if not args.ndjson:
        for type_name, count in counts.items():
            print(f"{type_name:<14} {count:8d}")
        print(f"{'total':<14} {sum(counts.values()):8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
