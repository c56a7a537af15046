"""Fictional but realistic registries: course records generated from a seed.

Nothing here is real patient data. Each patient is generated from ``(seed, index)``
alone, so a registry is reproducible, can be generated in parallel, and streams in
constant memory. Rates of problems are chosen to resemble a clinic's case mix
(the Absorica label, section 5.8 and 5.10, and Barbieri et al., JAAD 2020, give the
orders of magnitude: triglycerides rise in about 25%, liver enzymes in about 15%, severe
values in under 1%); they are
simulation settings, not clinical facts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Document = dict[str, Any]


@dataclass(frozen=True)
class SynthRates:
    """How often each situation occurs (fractions of patients)."""

    can_get_pregnant: float = 0.45
    screening: float = 0.10
    finished: float = 0.12
    tg_raised: float = 0.25
    tg_high: float = 0.02
    tg_severe: float = 0.004
    alt_high: float = 0.01
    tetracycline: float = 0.02
    vitamin_a: float = 0.01
    unmapped_medication: float = 0.04
    one_contraceptive_only: float = 0.05
    late_pregnancy_test: float = 0.08
    positive_pregnancy_test: float = 0.001
    moderate_depression: float = 0.05
    suicidal_item: float = 0.01
    common_symptom: float = 0.25
    red_flag_symptom: float = 0.015
    missed_doses: float = 0.30


PROGRAMMES = (("us-ipledge", 0.6), ("eu-ppp", 0.25), ("uk-mhra", 0.15))
PRODUCTS = {
    "us-ipledge": (
        ("isotretinoin", 0.5),
        ("absorica", 0.2),
        ("claravis", 0.1),
        ("zenatane", 0.1),
        ("absorica-ld", 0.1),
    ),
    "eu-ppp": (("isotretinoin", 1.0),),
    "uk-mhra": (("isotretinoin", 1.0),),
}
STRENGTH_STEP_MG = {"absorica-ld": 8}
COMMON_SYMPTOMS = (
    "dry lips",
    "my skin is very dry",
    "dry eyes in the morning",
    "nosebleed",
    "mild joint pain after running",
    "no headache, just dry lips",
)
RED_FLAGS = (
    "terrible headache and I threw up",
    "yellow eyes and dark urine",
    "severe stomach pain going through to the back",
    "blood in my stool",
    "hearing loss in one ear",
)
OTHER_MEDICATIONS = ("ibuprofen 400 mg", "cetirizine", "Xyzal 5mg", "mystery tonic")


def synth_records(
    count: int, *, seed: int, today: date, rates: SynthRates | None = None, start: int = 0
) -> Iterator[Document]:
    """``count`` fictional course records as of ``today`` (patients ``start`` onwards)."""
    chosen = rates or SynthRates()
    for index in range(start, start + count):
        yield synth_record(index, seed=seed, today=today, rates=chosen)


def synth_record(index: int, *, seed: int, today: date, rates: SynthRates) -> Document:
    rng = random.Random(f"{seed}:{index}")
    patient = _Patient(rng, index, today, rates)
    return patient.document()


class _Patient:
    def __init__(self, rng: random.Random, index: int, today: date, rates: SynthRates) -> None:
        self.rng = rng
        self.today = today
        self.rates = rates
        self.index = index
        self.programme = _weighted(rng, PROGRAMMES)
        self.product = _weighted(rng, PRODUCTS[self.programme])
        self.can_get_pregnant = rng.random() < rates.can_get_pregnant
        self.weight_kg = round(rng.uniform(45, 105), 1)
        stage = rng.random()
        self.screening = stage < rates.screening
        self.finished = not self.screening and stage < rates.screening + rates.finished
        # a finished course ran at least two months (its last dose period then ends
        # three days ago, after it began); an ongoing one is anywhere in its course
        self.course_days = 0 if self.screening else rng.randint(60 if self.finished else 1, 170)
        self.start = today - timedelta(days=self.course_days - 1)

    def chance(self, rate: float) -> bool:
        return self.rng.random() < rate

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    def document(self) -> Document:
        age = self.rng.randint(14, 45)
        birth = self.today.replace(year=self.today.year - age, month=self.rng.randint(1, 12), day=1)
        document: Document = {
            "format": "isocourse.course/1",
            "as_of": self.today.isoformat(),
            "programme": self.programme,
            "patient": {
                "id": f"synth-{self.index:07d}",
                "birth_date": birth.isoformat(),
                "can_get_pregnant": self.can_get_pregnant,
            },
            "weights": [
                {
                    "date": self.day(-self.course_days - self.rng.randint(1, 20)),
                    "value": self.weight_kg,
                    "unit": "kg",
                }
            ],
            "course": {
                "product": self.product,
                "target_mg_per_kg": self.rng.choice((120, 150)),
                "indication": {
                    "acne": self.rng.choice(("severe_nodular", "severe", "moderate_scarring")),
                    "failed_treatments": ["oral_antibiotic"],
                },
            },
        }
        if not self.screening:
            document["course"]["start_date"] = self.start.isoformat()
        document.update(self.dosing())
        document.update(self.monitoring())
        document.update(self.pregnancy_prevention())
        document.update(self.safety())
        return document

    def daily_mg(self, mg_per_kg: float) -> int:
        step = STRENGTH_STEP_MG.get(self.product, 10)
        return max(2 * step, round(mg_per_kg * self.weight_kg / step) * step)

    def dosing(self) -> Document:
        if self.screening:
            return {
                "proposed_prescription": {
                    "date": self.day(0),
                    "days_supply": 30,
                    "mg_per_day": self.daily_mg(0.5),
                }
            }
        first, second = self.daily_mg(0.5), self.daily_mg(self.rng.uniform(0.6, 1.0))
        switch = min(30, self.course_days - 1)
        doses = [
            {
                "start": self.start.isoformat(),
                "end": (self.start + timedelta(days=max(switch - 1, 0))).isoformat(),
                "mg_per_day": first,
            }
        ]
        if self.course_days > 30:
            doses.append(
                {
                    "start": (self.start + timedelta(days=30)).isoformat(),
                    "end": self.day(-3) if self.finished else None,
                    "mg_per_day": second,
                }
            )
        months = range(0, self.course_days, 30)
        prescriptions = [
            {
                "date": (self.start + timedelta(days=m - 1)).isoformat(),
                "days_supply": 30,
                "mg_per_day": first if m == 0 else second,
            }
            for m in months
        ]
        dispenses = [
            {"date": (self.start + timedelta(days=m)).isoformat(), "days_supply": 30}
            for m in months
        ]
        missed = []
        if self.chance(self.rates.missed_doses) and self.course_days > 5:
            missed = [{"date": self.day(-self.rng.randint(1, self.course_days - 1)), "mg": first}]
        plan: Document = {
            "doses": doses,
            "prescriptions": prescriptions,
            "dispenses": dispenses,
            "missed_doses": missed,
        }
        if not self.finished:
            plan["proposed_prescription"] = {
                "date": self.day(0),
                "days_supply": 30,
                "mg_per_day": second,
            }
        return plan

    def monitoring(self) -> Document:
        baseline = -self.course_days - self.rng.randint(2, 20)
        tg = self.rng.uniform(60, 160)
        labs = [
            {
                "date": self.day(baseline),
                "test": "triglycerides",
                "value": round(tg),
                "unit": "mg/dL",
            },
            {
                "date": self.day(baseline),
                "test": "alt",
                "value": self.rng.randint(10, 35),
                "unit": "U/L",
                "reference_high": 40,
            },
        ]
        if self.course_days > 60:
            labs += self.peak_labs(tg)
        screens = [
            {"date": self.day(-self.rng.randint(0, 25)), "instrument": "phq9", "items": self.phq9()}
        ]
        return {
            "labs": labs,
            "mood_screens": screens,
            "acne_assessments": [{"date": self.day(baseline), "nodules": self.rng.randint(3, 20)}],
        }

    def peak_labs(self, baseline_tg: float) -> list[Document]:
        tg = baseline_tg * (
            self.rng.uniform(1.3, 2.5) if self.chance(self.rates.tg_raised) else 1.0
        )
        if self.chance(self.rates.tg_high):
            tg = self.rng.uniform(500, 870)
        if self.chance(self.rates.tg_severe):
            tg = self.rng.uniform(880, 1500)
        alt = (
            self.rng.randint(130, 260)
            if self.chance(self.rates.alt_high)
            else self.rng.randint(10, 45)
        )
        day = self.day(-self.rng.randint(0, self.course_days - 55))
        return [
            {"date": day, "test": "triglycerides", "value": round(tg / 88.57, 2), "unit": "mmol/L"},
            {"date": day, "test": "alt", "value": alt, "unit": "U/L", "reference_high": 40},
        ]

    def phq9(self) -> list[int]:
        items = [self.rng.choice((0, 0, 0, 1)) for _ in range(9)]
        if self.chance(self.rates.moderate_depression):
            items = [self.rng.choice((1, 2)) for _ in range(8)] + [0]
        if self.chance(self.rates.suicidal_item):
            items[8] = 1
        items[8] = min(items[8], 3)
        return items

    def pregnancy_prevention(self) -> Document:
        counselling = [
            {"date": self.day(-self.rng.randint(0, 20)), "kind": "comprehension_confirmed"},
            {"date": self.day(-self.course_days - 5), "kind": "risk_acknowledged"},
        ]
        if self.programme == "uk-mhra":
            counselling.append(
                {"date": self.day(-self.rng.randint(0, 20)), "kind": "mental_health_assessed"}
            )
        if not self.can_get_pregnant:
            return {"counselling": counselling}
        methods = (
            ["implant", "male_condom"]
            if self.rng.random() < 0.5
            else ["combined_pill", "male_condom"]
        )
        if self.chance(self.rates.one_contraceptive_only):
            methods = ["male_condom"]
        contraception = [
            {"method": m, "start": self.day(-self.course_days - 60), "end": None} for m in methods
        ]
        latest = (
            -self.rng.randint(8, 12)
            if self.chance(self.rates.late_pregnancy_test)
            else -self.rng.randint(0, 3)
        )
        result = "positive" if self.chance(self.rates.positive_pregnancy_test) else "negative"
        tests = [
            {
                "date": self.day(-self.course_days - 25),
                "result": "negative",
                "method": "urine",
                "setting": "office",
            },
            {
                "date": self.day(-self.course_days - 2),
                "result": "negative",
                "method": "serum",
                "setting": "lab",
            },
            {"date": self.day(latest), "result": result, "method": "serum", "setting": "lab"},
        ]
        return {
            "counselling": counselling,
            "contraception": contraception,
            "pregnancy_tests": tests,
        }

    def safety(self) -> Document:
        medications = []
        for rate, name in (
            (self.rates.tetracycline, "doxycycline hyclate 100mg"),
            (self.rates.vitamin_a, "vitamin A 10000 IU"),
            (self.rates.unmapped_medication, self.rng.choice(OTHER_MEDICATIONS)),
        ):
            if self.chance(rate):
                medications.append(
                    {"name": name, "start": self.day(-self.rng.randint(1, 40)), "end": None}
                )
        symptoms = []
        if self.chance(self.rates.common_symptom):
            symptoms.append(
                {
                    "date": self.day(-self.rng.randint(0, 20)),
                    "text": self.rng.choice(COMMON_SYMPTOMS),
                }
            )
        if self.chance(self.rates.red_flag_symptom):
            symptoms.append(
                {"date": self.day(-self.rng.randint(0, 5)), "text": self.rng.choice(RED_FLAGS)}
            )
        return {"medications": medications, "symptoms": symptoms}


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(names, weights=weights, k=1)[0]
