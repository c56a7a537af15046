"""The forms that record each kind of clinical event, and their parsing.

A form field turns text into the course-record entry's value; a bad value is
refused with the field's name, before anything reaches the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_args

from isocourse.errors import InvalidInput
from isocourse.knowledge.model import Knowledge
from isocourse.record import ContraceptionMethod, CounsellingKind, TestMethod, TestSetting
from isocourse.words import Words, plain

Parser = Callable[[str], Any]


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as error:
        raise ValueError("a date as YYYY-MM-DD") from error


def _number(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError as error:
        raise ValueError("a number") from error
    return int(value) if value.is_integer() else value


def _items(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as error:
        raise ValueError("item scores separated by commas, e.g. 0,1,0,0,2,0,0,0,0") from error


def _text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    parse: Parser = _text
    input_type: str = "text"
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    step: str = ""
    default: str = ""


@dataclass(frozen=True)
class EventForm:
    kind: str
    title: str
    fields: tuple[FormField, ...] = field(default_factory=tuple)

    def entry(self, submitted: Mapping[str, str]) -> dict[str, Any]:
        """The course-record entry the form describes; refuses bad values by field."""
        entry: dict[str, Any] = {}
        for form_field in self.fields:
            text = str(submitted.get(form_field.name, "")).strip()
            if not text:
                if form_field.required:
                    raise InvalidInput(form_field.name, "required")
                continue
            try:
                entry[form_field.name] = form_field.parse(text)
            except ValueError as error:
                raise InvalidInput(form_field.name, f"expected {error}") from error
        return entry

    def in_words(self, error: InvalidInput) -> str:
        """The refusal with the field named by its label, as the form shows it: the
        record's ``entry.mg_per_day: must be ...`` reads ``mg per day: must be ...``."""
        name = error.field.removeprefix("entry.")
        base = re.split(r"[.\[]", name, maxsplit=1)[0]
        label = next((f.label for f in self.fields if f.name == base), None)
        if label is None:
            return error.message
        detail = error.message.removeprefix(f"{error.field}: ")
        return f"{label}{name[len(base):]}: {detail}"


def _choices(
    values: tuple[str, ...], name: Callable[[str], str] = plain
) -> tuple[tuple[str, str], ...]:
    """Each code with its words (:mod:`isocourse.words`)."""
    return tuple((value, name(value)) for value in values)


def event_forms(knowledge: Knowledge, today: date) -> tuple[EventForm, ...]:
    day = today.isoformat()
    words = Words(knowledge)

    def when(name: str = "date", label: str = "Date") -> FormField:
        return FormField(name, label, _date, "date", default=day)

    lab_tests = tuple((test.name, test.label) for test in knowledge.labs.tests)
    return (
        EventForm(
            "weight",
            "Weight",
            (
                when(),
                FormField("value", "Weight", _number, "number", step="any"),
                FormField("unit", "Unit", choices=_choices(("kg", "lb")), default="kg"),
            ),
        ),
        EventForm(
            "lab_result",
            "Lab result",
            (
                when(),
                FormField("test", "Test", choices=lab_tests),
                FormField("value", "Value", _number, "number", step="any"),
                FormField("unit", "Unit", hint="as the lab reports it: mg/dL, mmol/L, U/L"),
                FormField(
                    "reference_high",
                    "Lab's upper limit",
                    _number,
                    "number",
                    required=False,
                    step="any",
                    hint="optional, in the same unit",
                ),
            ),
        ),
        EventForm(
            "pregnancy_test",
            "Pregnancy test",
            (
                when(label="Specimen collected"),
                FormField("result", "Result", choices=_choices(("negative", "positive"))),
                FormField("method", "Method", choices=_choices(get_args(TestMethod))),
                FormField("setting", "Setting", choices=_choices(get_args(TestSetting))),
            ),
        ),
        EventForm(
            "mood_screen",
            "Mood screen",
            (
                when(),
                FormField(
                    "instrument", "Instrument", choices=(("phq9", "PHQ-9"), ("phq2", "PHQ-2"))
                ),
                FormField("items", "Item scores", _items, hint="0-3 each, separated by commas"),
            ),
        ),
        EventForm("symptom", "Symptom", (when(), FormField("text", "What the patient describes"))),
        EventForm(
            "medication",
            "Medication",
            (
                FormField("name", "Name", hint="generic or brand, with strength"),
                when("start", "Start"),
                FormField("end", "End", _date, "date", required=False),
            ),
        ),
        EventForm(
            "contraception",
            "Contraception",
            (
                FormField(
                    "method",
                    "Method",
                    choices=_choices(get_args(ContraceptionMethod), words.method),
                ),
                when("start", "Start"),
                FormField("end", "End", _date, "date", required=False),
            ),
        ),
        EventForm(
            "counselling",
            "Counselling",
            (
                when(),
                FormField(
                    "kind", "Kind", choices=_choices(get_args(CounsellingKind), words.counselling)
                ),
            ),
        ),
        EventForm(
            "dose_period",
            "Dose period",
            (
                when("start", "From"),
                FormField(
                    "end", "To", _date, "date", required=False, hint="empty while it goes on"
                ),
                FormField("mg_per_day", "mg per day", _number, "number", step="any"),
            ),
        ),
        EventForm(
            "missed_dose",
            "Missed dose",
            (when(), FormField("mg", "mg missed", _number, "number", step="any")),
        ),
        EventForm(
            "acne_assessment",
            "Acne assessment",
            (
                when(),
                FormField("nodules", "Nodules", _number, "number", required=False),
                FormField(
                    "inflammatory_lesions",
                    "Inflammatory lesions",
                    _number,
                    "number",
                    required=False,
                ),
                FormField(
                    "global_score",
                    "Global score",
                    _number,
                    "number",
                    required=False,
                    hint="0 clear to 4 severe",
                ),
            ),
        ),
    )


def form_for(kind: str, knowledge: Knowledge, today: date) -> EventForm:
    for form in event_forms(knowledge, today):
        if form.kind == kind:
            return form
    raise InvalidInput("kind", f"no form records {kind!r}")
