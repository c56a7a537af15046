"""Words for people: codes, kinds, methods, programmes, numbers and dates, in one place.

The pages, the course summary PDF and the work-list name things through this module,
so a clinician or a patient reads "Comprehension confirmed", "Copper intrauterine
device", "iPLEDGE REMS (US)" or "Pregnancy test positive" where the record holds
``comprehension_confirmed``, ``iud_copper``, ``us-ipledge`` or
``PP_PREGNANCY_TEST_POSITIVE``. A code may still be shown, small, as a secondary label
(a clinician quoting an alert to a colleague), never instead of the words.

The names come from the knowledge (the alert catalogue's titles, the programmes',
methods', counselling kinds' and lab tests' names) where it has them; what only the
software names (event kinds, due tasks, who recorded an entry) is named here.

Numbers and dates, the same on every page and in the PDF:

- cumulative mg/kg with one decimal (``42.2 mg/kg``);
- a daily mg/kg with up to two decimals (``0.44 mg/kg/day``: the label's ranges, such
  as 0.4-0.8, need the second decimal to tell below from within);
- mg as whole numbers (``60 mg``, ``5513 mg``); a dose that is not whole (``22.5``)
  keeps its one decimal rather than be shown as a dose nobody prescribed;
- dates for patients spelled out (``4 December 2026``), for staff ISO with the weekday
  (``2026-12-04 Fri``).

Pure: no I/O, no clock. The knowledge comes in as an argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from isocourse.knowledge.model import Knowledge

#: what stands for a missing number or date
NOTHING: Final = "—"

#: each event kind of the store, as the timeline names it
EVENT_KINDS: Final[Mapping[str, str]] = {
    "weight": "Weight",
    "acne_assessment": "Acne assessment",
    "dose_period": "Dose period",
    "missed_dose": "Missed dose",
    "lab_result": "Lab result",
    "pregnancy_test": "Pregnancy test",
    "contraception": "Contraception",
    "medication": "Other medication",
    "mood_screen": "Mood screen",
    "symptom": "Symptom",
    "counselling": "Counselling",
    "prescription": "Prescription",
    "prescription_proposed": "Proposed prescription",
    "prescription_cancelled": "Prescription cancelled",
    "dispense": "Dispense",
    "review": "Review of an unrecognised entry",
    "patient_details": "Patient details",
    "programme": "Programme",
    "course_details": "Course details",
    "dose_check_in": "Dose check-in",
    "reminder_preference": "Reminder preference",
    "entered_in_error": "Correction (entered in error)",
}

#: each due task, as the clinic's pages name it
TASKS: Final[Mapping[str, str]] = {
    "weight": "weight check",
    "labs": "blood tests (liver, lipids)",
    "mood_screen": "mood screen",
    "pregnancy_test": "pregnancy test",
    "counselling": "counselling",
    "end_of_course_pregnancy_test": "end-of-course pregnancy test",
    "post_course_pregnancy_test": "pregnancy test one month after the course",
    "dispense_window_closes": "dispense window closes",
}

#: each due task, as the patient's pages name it
PATIENT_TASKS: Final[Mapping[str, str]] = {
    "pregnancy_test": "Pregnancy test",
    "labs": "Blood test (liver and blood fats)",
    "mood_screen": "Mood check",
    "weight": "Weigh-in",
    "counselling": "Talk with your prescriber",
    "end_of_course_pregnancy_test": "Pregnancy test at the end of treatment",
    "post_course_pregnancy_test": "Pregnancy test one month after treatment",
    "dispense_window_closes": "Last day to collect your capsules",
}

#: who recorded an entry (the entry's ``source``)
SOURCES: Final[Mapping[str, str]] = {
    "clinician": "clinician",
    "patient": "the patient",
    "lab": "lab feed",
    "import": "imported",
}

#: an alert's severity, as a badge says it
SEVERITIES: Final[Mapping[str, str]] = {
    "stop": "Stop",
    "urgent": "Urgent",
    "block": "Blocks prescribing",
    "warning": "Warning",
    "info": "For information",
}

#: the record's other small codes, in words
CHOICES: Final[Mapping[str, str]] = {
    "phq9": "PHQ-9",
    "phq2": "PHQ-2",
    "not_relevant": "not relevant",
    "acted_on": "acted on",
    "severe_nodular": "severe nodular",
    "moderate_treatment_resistant": "moderate, treatment-resistant",
    "moderate_scarring": "moderate, scarring",
    "oral_antibiotic": "oral antibiotic",
    "topical_retinoid": "topical retinoid",
    "benzoyl_peroxide": "benzoyl peroxide",
    "topical_antibiotic": "topical antibiotic",
    "hormonal_therapy": "hormonal therapy",
}

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def staff_date(day: date | str | None) -> str:
    """A date as the clinic's pages show it: ``2026-12-04 Fri``."""
    found = _day(day)
    return NOTHING if found is None else f"{found.isoformat()} {_WEEKDAYS[found.weekday()]}"


def patient_date(day: date | str | None) -> str:
    """A date as a patient reads it: ``4 December 2026``."""
    found = _day(day)
    return NOTHING if found is None else f"{found.day} {_MONTHS[found.month - 1]} {found.year}"


def _day(day: date | str | None) -> date | None:
    if day is None or day == "":
        return None
    if isinstance(day, datetime):
        return day.date()
    return day if isinstance(day, date) else date.fromisoformat(str(day)[:10])


def mg(value: float | None) -> str:
    """A number of mg: whole (``60``); one decimal only if it is not whole (``22.5``)."""
    if value is None or not math.isfinite(value):
        return NOTHING
    whole = round(value)
    return str(whole) if abs(value - whole) < 0.05 else f"{value:.1f}"


def mg_per_kg(value: float | None) -> str:
    """A cumulative dose in mg/kg, one decimal: ``42.2``."""
    if value is None or not math.isfinite(value):
        return NOTHING
    return f"{value:.1f}"


def mg_per_kg_per_day(value: float | None) -> str:
    """A daily dose in mg/kg/day, up to two decimals: ``0.44``, ``0.5``, ``1.25``."""
    if value is None or not math.isfinite(value):
        return NOTHING
    return f"{round(value, 2):g}"


def kg(value: float | None) -> str:
    """A weight in kg, up to one decimal: ``62``, ``62.5``."""
    if value is None or not math.isfinite(value):
        return NOTHING
    return f"{round(value, 1):g}"


def patient_label(name: str | None, record_id: str) -> str:
    """A patient as the pages, the PDF and the CLI name them: ``Jordan Blake (demo-04)``,
    or the clinic's number alone when the clinic gave no name."""
    return f"{name} ({record_id})" if name else record_id


def event_kind(kind: str) -> str:
    """An event kind in words (``Lab result``), for the timeline."""
    return EVENT_KINDS.get(kind, plain(kind).capitalize())


def task(name: str) -> str:
    """A due task as the clinic's pages name it (``weight check``)."""
    return TASKS.get(name, plain(name))


def patient_task(name: str) -> str:
    """A due task as the patient's pages name it (``Weigh-in``)."""
    return PATIENT_TASKS.get(name, plain(name).capitalize())


def source(name: str | None) -> str:
    """Who recorded an entry, in words."""
    return "" if not name else SOURCES.get(name, plain(name))


def severity(name: str) -> str:
    """An alert's severity as its badge says it."""
    return SEVERITIES.get(name, plain(name).capitalize())


def plain(code: str) -> str:
    """A code nobody named, made readable: ``some_code`` reads ``some code``."""
    return CHOICES.get(code, code.replace("_", " "))


def plain_text(text: str) -> str:
    """Every ``snake_case`` token of ``text`` in words (the last resort for a value
    that reaches a page without a name)."""
    return _SNAKE.sub(lambda match: plain(match.group(0)), text)


@dataclass(frozen=True)
class Words:
    """The names the knowledge holds: alert titles, programmes, rule sets, contraception
    methods, counselling kinds, lab tests and products."""

    knowledge: Knowledge

    def alert(self, code: str) -> str:
        """An alert code's title (``Pregnancy test positive``)."""
        definition = self.knowledge.alerts.get(code)
        return definition.title if definition is not None else plain(code).capitalize()

    def programme(self, programme: str) -> str:
        """A programme id's title (``iPLEDGE REMS (US)``)."""
        return self.knowledge.programmes.title_of(programme)

    def ruleset(self, ruleset_id: str) -> str:
        """A rule set id as a message names it (``iPLEDGE (rules from 2026-08-08)``)."""
        catalogue = self.knowledge.programmes
        found = next((r for r in catalogue.rulesets if r.id == ruleset_id), None)
        return ruleset_id if found is None else catalogue.ruleset_words(found)

    def method(self, code: str) -> str:
        """A contraception method's title (``Copper intrauterine device``)."""
        entry = self.knowledge.programmes.methods.get(code)
        return entry.title if entry is not None else plain(code).capitalize()

    def counselling(self, kind: str) -> str:
        """A counselling kind's title (``Comprehension confirmed``)."""
        entry = self.knowledge.programmes.counselling_kinds.get(kind)
        return entry.title if entry is not None else plain(kind).capitalize()

    def lab_test(self, name: str) -> str:
        """A lab test's label (``ALT``)."""
        found = self.knowledge.labs.resolve(name)
        return found.label if found is not None else plain(name)

    def product(self, product: str) -> str:
        """A product id's name (``Absorica LD``)."""
        entry = self.knowledge.products.products.get(product)
        return entry.name if entry is not None else plain(product)

    def value(self, field: str, value: object) -> str:
        """One value of a record entry in words, by the field that holds it."""
        text = str(value)
        named = {
            "method": self.method,
            "kind": self.counselling,
            "test": self.lab_test,
            "programme": self.programme,
            "product": self.product,
            "source": source,
        }.get(field)
        return named(text) if named is not None else plain(text)
