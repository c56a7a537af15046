"""The course record: everything known about one patient's course up to a day.

This is the one input of the clinical core (format ``isocourse.course/1``, see
``course-record.md``). The types are frozen standard-library dataclasses; the
parser at the edge (:mod:`isocourse.record_parser`) validates JSON into them.

``__pydantic_config__`` is a plain mapping read by pydantic at the doors; the
core itself never imports pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

COURSE_FORMAT = "isocourse.course/1"

Programme = Literal["us-ipledge", "eu-ppp", "uk-mhra", "none"]
WeightUnit = Literal["kg", "lb"]
AcneSeverity = Literal[
    "severe_nodular", "severe", "moderate_treatment_resistant", "moderate_scarring", "other"
]
FailedTreatment = Literal[
    "oral_antibiotic",
    "topical_retinoid",
    "benzoyl_peroxide",
    "topical_antibiotic",
    "hormonal_therapy",
    "other",
]
ContraceptionMethod = Literal[
    "tubal_sterilisation",
    "partner_vasectomy",
    "iud_copper",
    "iud_hormonal",
    "implant",
    "combined_pill",
    "progestin_only_pill",
    "patch",
    "ring",
    "injection",
    "male_condom",
    "diaphragm",
    "cervical_cap",
    "sponge",
    "abstinence",
]
TestSetting = Literal["lab", "clinic", "office", "home"]
TestMethod = Literal["urine", "serum"]
TestResult = Literal["negative", "positive"]
CounsellingKind = Literal[
    "comprehension_confirmed",
    "risk_acknowledged",
    "mental_health_assessed",
    "sexual_function_assessed",
    "second_prescriber_agreed",
]
MoodInstrument = Literal["phq9", "phq2"]

_FORBID_EXTRA = {"extra": "forbid"}


@dataclass(frozen=True)
class Patient:
    __pydantic_config__ = _FORBID_EXTRA
    id: str
    birth_date: date
    can_get_pregnant: bool | None = None
    conditions: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Weight:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    value: float
    unit: WeightUnit


@dataclass(frozen=True)
class Indication:
    __pydantic_config__ = _FORBID_EXTRA
    acne: AcneSeverity
    failed_treatments: tuple[FailedTreatment, ...] = ()
    scarring: bool | None = None


@dataclass(frozen=True)
class Course:
    __pydantic_config__ = _FORBID_EXTRA
    product: str
    start_date: date | None = None
    target_mg_per_kg: float | None = None
    previous_course_end: date | None = None
    indication: Indication | None = None


@dataclass(frozen=True)
class AcneAssessment:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    nodules: int | None = None
    inflammatory_lesions: int | None = None
    global_score: int | None = None


@dataclass(frozen=True)
class DosePeriod:
    __pydantic_config__ = _FORBID_EXTRA
    start: date
    mg_per_day: float
    end: date | None = None


@dataclass(frozen=True)
class MissedDose:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    mg: float


@dataclass(frozen=True)
class LabResult:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    test: str
    value: float
    unit: str
    reference_low: float | None = None
    reference_high: float | None = None


@dataclass(frozen=True)
class PregnancyTest:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    result: TestResult
    method: TestMethod
    setting: TestSetting


@dataclass(frozen=True)
class Contraception:
    __pydantic_config__ = _FORBID_EXTRA
    method: ContraceptionMethod
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Medication:
    __pydantic_config__ = _FORBID_EXTRA
    name: str
    start: date
    end: date | None = None


@dataclass(frozen=True)
class MoodScreen:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    instrument: MoodInstrument
    items: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.items)


@dataclass(frozen=True)
class Symptom:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    text: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Counselling:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    kind: CounsellingKind


@dataclass(frozen=True)
class Prescription:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    days_supply: int
    mg_per_day: float | None = None


@dataclass(frozen=True)
class Dispense:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    days_supply: int


@dataclass(frozen=True)
class CourseRecord:
    """One patient's course as known on ``as_of``."""

    __pydantic_config__ = _FORBID_EXTRA
    format: Literal["isocourse.course/1"]
    as_of: date
    programme: Programme
    patient: Patient
    course: Course
    weights: tuple[Weight, ...] = ()
    acne_assessments: tuple[AcneAssessment, ...] = ()
    doses: tuple[DosePeriod, ...] = ()
    missed_doses: tuple[MissedDose, ...] = ()
    labs: tuple[LabResult, ...] = ()
    pregnancy_tests: tuple[PregnancyTest, ...] = ()
    contraception: tuple[Contraception, ...] = ()
    medications: tuple[Medication, ...] = ()
    mood_screens: tuple[MoodScreen, ...] = ()
    symptoms: tuple[Symptom, ...] = ()
    counselling: tuple[Counselling, ...] = ()
    prescriptions: tuple[Prescription, ...] = ()
    dispenses: tuple[Dispense, ...] = ()
    proposed_prescription: Prescription | None = None
