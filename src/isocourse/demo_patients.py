"""Fictional demo patients in telling situations, dated relative to a given day.

No real patient data: names and histories are invented. Each patient shows one
situation a clinic meets (a closing window, a red-flag symptom, a lab value ...),
so the demo and the tests see every part of the rules at work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Document = dict[str, Any]


@dataclass(frozen=True)
class DemoPatient:
    name: str
    story: str
    record: Document


def demo_records(today: date) -> list[Document]:
    """The demo patients' course records (format isocourse.course/1), as of ``today``."""
    return [patient.record for patient in demo_patients(today)]


def demo_patients(today: date) -> list[DemoPatient]:
    return [
        DemoPatient(name, story, build(_Course(today, index)))
        for index, (name, story, build) in enumerate(_SCENARIOS, start=1)
    ]


class _Course:
    """A plain course in progress on ``today``: day 61 of a 0.9 mg/kg/day course."""

    def __init__(self, today: date, index: int) -> None:
        self.today = today
        self.index = index

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    def base(
        self,
        *,
        programme: str = "us-ipledge",
        can_get_pregnant: bool = False,
        birth_year_offset: int = 22,
        weight: float = 68,
    ) -> Document:
        born = self.today.replace(year=self.today.year - birth_year_offset, day=1)
        return {
            "format": "isocourse.course/1",
            "as_of": self.day(0),
            "programme": programme,
            "patient": {
                "id": f"demo-{self.index:02d}",
                "birth_date": born.isoformat(),
                "can_get_pregnant": can_get_pregnant,
                "conditions": [],
                "allergies": [],
            },
            "weights": [{"date": self.day(-65), "value": weight, "unit": "kg"}],
            "course": {
                "start_date": self.day(-60),
                "product": "isotretinoin",
                "target_mg_per_kg": 150,
                "indication": {
                    "acne": "severe_nodular",
                    "scarring": True,
                    "failed_treatments": ["oral_antibiotic", "topical_retinoid"],
                },
            },
            "acne_assessments": [
                {
                    "date": self.day(-65),
                    "nodules": 10,
                    "inflammatory_lesions": 25,
                    "global_score": 4,
                }
            ],
            "doses": [
                {"start": self.day(-60), "end": self.day(-31), "mg_per_day": 40},
                {"start": self.day(-30), "end": None, "mg_per_day": 60},
            ],
            "missed_doses": [],
            "labs": [
                {
                    "date": self.day(-66),
                    "test": "alt",
                    "value": 22,
                    "unit": "U/L",
                    "reference_high": 40,
                },
                {"date": self.day(-66), "test": "triglycerides", "value": 120, "unit": "mg/dL"},
                {
                    "date": self.day(-5),
                    "test": "alt",
                    "value": 25,
                    "unit": "U/L",
                    "reference_high": 40,
                },
                {"date": self.day(-5), "test": "triglycerides", "value": 180, "unit": "mg/dL"},
            ],
            "pregnancy_tests": [],
            "contraception": [],
            "medications": [],
            "mood_screens": [
                {"date": self.day(-2), "instrument": "phq9", "items": [0, 1, 0, 1, 0, 0, 0, 0, 0]}
            ],
            "symptoms": [],
            "counselling": [
                {"date": self.day(-2), "kind": "comprehension_confirmed"},
                {"date": self.day(-62), "kind": "risk_acknowledged"},
                {"date": self.day(-62), "kind": "comprehension_confirmed"},
            ],
            "prescriptions": [
                {"date": self.day(-61), "days_supply": 30, "mg_per_day": 40},
                {"date": self.day(-31), "days_supply": 30, "mg_per_day": 60},
            ],
            "dispenses": [
                {"date": self.day(-60), "days_supply": 30},
                {"date": self.day(-30), "days_supply": 30},
            ],
            "proposed_prescription": {"date": self.day(0), "days_supply": 30, "mg_per_day": 60},
        }

    def can_get_pregnant(self, programme: str = "us-ipledge") -> Document:
        """A patient who can get pregnant, with every programme condition met today."""
        record = self.base(programme=programme, can_get_pregnant=True, weight=58)
        record["doses"] = [
            {"start": self.day(-60), "end": self.day(-31), "mg_per_day": 30},
            {"start": self.day(-30), "end": None, "mg_per_day": 50},
        ]
        record["prescriptions"] = [
            {"date": self.day(-61), "days_supply": 30, "mg_per_day": 30},
            {"date": self.day(-31), "days_supply": 30, "mg_per_day": 50},
        ]
        record["proposed_prescription"] = {"date": self.day(0), "days_supply": 30, "mg_per_day": 50}
        record["contraception"] = [
            {"method": "implant", "start": self.day(-200), "end": None},
            {"method": "male_condom", "start": self.day(-200), "end": None},
        ]
        record["pregnancy_tests"] = [
            {"date": self.day(-95), "result": "negative", "method": "urine", "setting": "office"},
            {"date": self.day(-63), "result": "negative", "method": "serum", "setting": "lab"},
            {"date": self.day(-33), "result": "negative", "method": "serum", "setting": "lab"},
            {"date": self.day(-1), "result": "negative", "method": "serum", "setting": "lab"},
        ]
        record["counselling"] += [{"date": self.day(-2), "kind": "mental_health_assessed"}]
        return record


def _plain(c: _Course) -> Document:
    return c.base()


def _window_open(c: _Course) -> Document:
    return c.can_get_pregnant()


def _positive_test(c: _Course) -> Document:
    record = c.can_get_pregnant()
    record["pregnancy_tests"][-1] = {
        "date": c.day(-1),
        "result": "positive",
        "method": "urine",
        "setting": "lab",
    }
    return record


def _suicidal(c: _Course) -> Document:
    record = c.base()
    record["mood_screens"] = [
        {"date": c.day(-1), "instrument": "phq9", "items": [2, 2, 2, 1, 1, 2, 1, 1, 1]}
    ]
    return record


def _headache_and_doxycycline(c: _Course) -> Document:
    record = c.base()
    record["medications"] = [
        {"name": "Doxycycline hyclate 100 mg", "start": c.day(-10), "end": None}
    ]
    record["symptoms"] = [
        {"date": c.day(-1), "text": "really bad headache and blurry vision in the mornings"}
    ]
    return record


def _triglycerides_severe(c: _Course) -> Document:
    record = c.base()
    record["labs"][-1] = {
        "date": c.day(-3),
        "test": "triglycerides",
        "value": 10.4,
        "unit": "mmol/L",
    }
    return record


def _alt_high(c: _Course) -> Document:
    record = c.base()
    record["labs"][-2] = {
        "date": c.day(-4),
        "test": "alt",
        "value": 150,
        "unit": "U/L",
        "reference_high": 45,
    }
    return record


def _window_missed(c: _Course) -> Document:
    record = c.can_get_pregnant()
    record["pregnancy_tests"][-1]["date"] = c.day(-9)
    record["proposed_prescription"]["date"] = c.day(-8)
    return record


def _condom_only(c: _Course) -> Document:
    record = c.can_get_pregnant()
    record["contraception"] = [{"method": "male_condom", "start": c.day(-200), "end": None}]
    return record


def _new_patient_no_labs(c: _Course) -> Document:
    record = c.base(birth_year_offset=17)
    record["course"].pop("start_date")
    record["doses"], record["prescriptions"], record["dispenses"] = [], [], []
    record["labs"] = []
    record["counselling"] = [{"date": c.day(0), "kind": "comprehension_confirmed"}]
    record["proposed_prescription"] = {"date": c.day(0), "days_supply": 30, "mg_per_day": 30}
    return record


def _eu_allowed(c: _Course) -> Document:
    return c.can_get_pregnant("eu-ppp")


def _uk_no_mental_health(c: _Course) -> Document:
    record = c.can_get_pregnant("uk-mhra")
    record["counselling"] = [
        e for e in record["counselling"] if e["kind"] != "mental_health_assessed"
    ]
    return record


def _target_reached(c: _Course) -> Document:
    record = c.base(weight=55)
    record["course"]["start_date"] = c.day(-150)
    record["doses"] = [{"start": c.day(-150), "end": None, "mg_per_day": 60}]
    record["weights"] = [{"date": c.day(-20), "value": 55, "unit": "kg"}]
    return record


def _dose_too_high(c: _Course) -> Document:
    record = c.base(weight=45)
    record["proposed_prescription"]["mg_per_day"] = 100
    return record


def _stale_weight(c: _Course) -> Document:
    record = c.base()
    record["weights"] = [{"date": c.day(-130), "value": 150, "unit": "lb"}]
    return record


def _second_course_soon(c: _Course) -> Document:
    record = _new_patient_no_labs(c)
    record["course"]["previous_course_end"] = c.day(-30)
    record["labs"] = [
        {"date": c.day(-2), "test": "alt", "value": 20, "unit": "U/L"},
        {"date": c.day(-2), "test": "triglycerides", "value": 100, "unit": "mg/dL"},
    ]
    return record


def _moderate_depression(c: _Course) -> Document:
    record = c.base()
    record["patient"]["conditions"] = ["depression"]
    record["mood_screens"] = [
        {"date": c.day(-1), "instrument": "phq9", "items": [2, 2, 1, 2, 1, 1, 2, 1, 0]}
    ]
    return record


def _low_dose_absorica_ld(c: _Course) -> Document:
    record = c.base(weight=80)
    record["course"]["product"] = "absorica-ld"
    record["doses"] = [{"start": c.day(-60), "end": None, "mg_per_day": 24}]
    record["prescriptions"] = [
        {"date": c.day(-61), "days_supply": 30, "mg_per_day": 24},
        {"date": c.day(-31), "days_supply": 30, "mg_per_day": 24},
    ]
    record["proposed_prescription"] = {"date": c.day(0), "days_supply": 30, "mg_per_day": 24}
    return record


def _st_johns_wort(c: _Course) -> Document:
    record = c.can_get_pregnant()
    record["contraception"] = [
        {"method": "combined_pill", "start": c.day(-200), "end": None},
        {"method": "male_condom", "start": c.day(-200), "end": None},
    ]
    record["medications"] = [{"name": "St. John's Wort 300mg", "start": c.day(-7), "end": None}]
    return record


def _jaundice(c: _Course) -> Document:
    record = c.base()
    record["symptoms"] = [{"date": c.day(-1), "text": "my eyes look yellow, no fever"}]
    return record


def _nodules_cleared(c: _Course) -> Document:
    record = c.base()
    record["acne_assessments"].append({"date": c.day(-3), "nodules": 2, "global_score": 1})
    return record


_Builder = Callable[[_Course], Document]
_SCENARIOS: tuple[tuple[str, str, _Builder], ...] = (
    ("Sam Okafor", "mid-course, nothing to act on", _plain),
    (
        "Maya Lindqvist",
        "can get pregnant, every iPLEDGE condition met: dispense window open",
        _window_open,
    ),
    ("Priya Nair", "positive pregnancy test: stop now", _positive_test),
    ("Jordan Blake", "PHQ-9 item 9 scored: suicidal thoughts", _suicidal),
    (
        "Leo Marchetti",
        "severe headache with blurred vision while on doxycycline",
        _headache_and_doxycycline,
    ),
    ("Aisha Rahman", "triglycerides 10.4 mmol/L (about 920 mg/dL)", _triglycerides_severe),
    ("Tom Hughes", "ALT over three times the lab's upper limit", _alt_high),
    ("Chloe Martin", "pregnancy-test window missed: a new test is needed", _window_missed),
    ("Nina Petrova", "only condoms: contraception does not meet iPLEDGE", _condom_only),
    ("Ethan Kim", "first prescription, no baseline labs yet", _new_patient_no_labs),
    ("Lucia Fernandez", "EU programme, every condition met", _eu_allowed),
    ("Harriet Cole", "UK: no mental-health assessment this month", _uk_no_mental_health),
    ("Omar Haddad", "cumulative target reached", _target_reached),
    ("Grace Liu", "proposed dose above the label maximum", _dose_too_high),
    ("Ben Carter", "weight last measured four months ago (in pounds)", _stale_weight),
    ("Zoe Adams", "second course a month after the first ended", _second_course_soon),
    ("Ivan Novak", "depression history, PHQ-9 total 12", _moderate_depression),
    ("Rosa Alvarez", "Absorica LD low-dose regimen", _low_dose_absorica_ld),
    ("Mia Svensson", "St John's wort with a combined pill", _st_johns_wort),
    ("Daniel Osei", "yellow eyes: possible hepatitis", _jaundice),
    ("Ella Brooks", "nodules down by 80%", _nodules_cleared),
)
