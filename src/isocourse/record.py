"""The course record: everything known about one patient's course up to a day.

This is the one input of the clinical core (format ``isocourse.course/1``, see
docs/course-record.md). The types are frozen standard-library dataclasses; the
parser at the edge (:mod:`isocourse.record_parser`) validates JSON into them.

``__pydantic_config__`` is a plain mapping read by pydantic at the doors; the
core itself never imports pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

COURSE_FORMAT = "isocourse.course/1"
#: the calendar a record may speak of: every date of a record, and every day a door
#: takes (an ``as_of``, a birth date), falls in it
EARLIEST_DAY: Final = date(1900, 1, 1)
LATEST_DAY: Final = date(2100, 12, 31)
#: ``date`` under another name, for fields declared after a field named ``date``
Day = date

#: a course record's ``programme`` without a pregnancy-prevention programme; any other
#: value is a programme id of the knowledge (``programmes.toml``), checked by the parser
NO_PROGRAMME: Final = "none"
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
#: who recorded an entry: the store sets it from the signed-in user, never from a
#: patient's request body (a record without it means what it meant before: clinician)
Source = Literal["clinician", "patient", "lab", "import"]
ReviewKind = Literal["medication", "symptom"]
ReviewOutcome = Literal["not_relevant", "acted_on"]

#: read by pydantic at the doors: unknown fields and non-finite numbers are refused
_FORBID_EXTRA = {"extra": "forbid", "allow_inf_nan": False}


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
    source: Source = "clinician"


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
    source: Source = "clinician"


@dataclass(frozen=True)
class DosePeriod:
    __pydantic_config__ = _FORBID_EXTRA
    start: date
    mg_per_day: float
    end: date | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class MissedDose:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    mg: float
    source: Source = "clinician"


@dataclass(frozen=True)
class LabResult:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    test: str
    value: float
    unit: str
    reference_low: float | None = None
    reference_high: float | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class PregnancyTest:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    result: TestResult
    method: TestMethod
    setting: TestSetting
    source: Source = "clinician"


@dataclass(frozen=True)
class Contraception:
    __pydantic_config__ = _FORBID_EXTRA
    method: ContraceptionMethod
    start: date
    end: date | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class Medication:
    __pydantic_config__ = _FORBID_EXTRA
    name: str
    start: date
    end: date | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class MoodScreen:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    instrument: MoodInstrument
    items: tuple[int, ...]
    source: Source = "clinician"

    @property
    def total(self) -> int:
        return sum(self.items)


@dataclass(frozen=True)
class Symptom:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    text: str | None = None
    code: str | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class Counselling:
    __pydantic_config__ = _FORBID_EXTRA
    date: date
    kind: CounsellingKind
    source: Source = "clinician"


@dataclass(frozen=True)
class Prescription:
    """A prescription written on ``date``. ``id`` names it where the store knows it;
    ``cancelled`` is the day a prescriber cancelled it (it can no longer be dispensed)."""

    __pydantic_config__ = _FORBID_EXTRA
    date: date
    days_supply: int
    mg_per_day: float | None = None
    id: str | None = None
    cancelled: Day | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class Dispense:
    """A supply handed over on ``date``; ``prescription_id`` names the prescription it
    filled, where known (else it fills the latest unfilled one written on or before it)."""

    __pydantic_config__ = _FORBID_EXTRA
    date: date
    days_supply: int
    prescription_id: str | None = None
    source: Source = "clinician"


@dataclass(frozen=True)
class Review:
    """A clinician's review of free text the program could not map: the exact medication
    name or symptom text, and what the clinician concluded."""

    __pydantic_config__ = _FORBID_EXTRA
    date: date
    kind: ReviewKind
    text: str
    outcome: ReviewOutcome
    source: Source = "clinician"


@dataclass(frozen=True)
class CourseRecord:
    """One patient's course as known on ``as_of``."""

    __pydantic_config__ = _FORBID_EXTRA
    format: Literal["isocourse.course/1"]
    as_of: date
    programme: str
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
    reviews: tuple[Review, ...] = ()
    proposed_prescription: Prescription | None = None
