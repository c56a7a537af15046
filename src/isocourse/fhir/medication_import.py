"""MedicationRequests and MedicationStatements from an EHR into course-record terms.

Two readings, both failing closed with :class:`~isocourse.fhir.import_mapping.NotMapped`
and a plain reason rather than a guess:

- :func:`other_medication`: a medicine the patient takes (not isotretinoin) as a
  :class:`~isocourse.record.Medication`. It is matched by its RxNorm codes first, then
  by its name (``knowledge.drugs.match_coded``); when a code names the ingredient, the
  entry is written under the ingredient's name, so that the rules, which read names,
  see what the code said. Statuses that do not mean "taking it" (cancelled, entered in
  error, not taken, a draft that is not the order being signed) are not mapped.
- :func:`isotretinoin_order`: an isotretinoin order (by RxNorm ingredient or capsule
  code, else by name: "isotretinoin" or a product's brand name) as the course's
  proposed :class:`~isocourse.record.Prescription`, with its daily dose where the order
  states it in milligrams (or in capsules of a coded strength).

Pure: no I/O, no clock (``today`` is passed in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from isocourse.fhir.codes import RXNORM
from isocourse.fhir.import_mapping import NotMapped
from isocourse.fhir.json_access import as_list, calendar_day, codings, field, finite_number, text_at
from isocourse.knowledge.model import Knowledge
from isocourse.record import Medication, Prescription

Resource = dict[str, Any]

MEDICATION_TYPES: Final = frozenset({"MedicationRequest", "MedicationStatement"})
#: statuses that mean the patient takes (or is about to take) the medicine
_TAKING: Final = {
    "MedicationRequest": frozenset({"active", "on-hold", "completed"}),
    "MedicationStatement": frozenset({"active", "intended", "on-hold", "completed"}),
}
_ENDED: Final = frozenset({"completed"})
_DAYS: Final = {"d": 1, "day": 1, "days": 1, "wk": 7, "week": 7, "weeks": 7, "mo": 30}
_CAPSULE_UNITS: Final = frozenset({"{capsule}", "capsule", "capsules", "cap", "caps", "1"})
_WORD = re.compile(r"[a-z0-9]+")
#: a draft order without a stated supply: the days assumed (said in the answer)
ASSUMED_DAYS_SUPPLY: Final = 30


@dataclass(frozen=True)
class NamedMedicine:
    """What a resource says the medicine is: its RxNorm codes and its words."""

    rxnorm: tuple[str, ...]
    text: str


def named_medicine(resource: Resource) -> NamedMedicine:
    """The codes and name of ``medicationCodeableConcept``, or of a contained Medication."""
    concept = field(resource, "medicationCodeableConcept")
    if concept is None:
        reference = (text_at(resource, "medicationReference", "reference") or "").strip()
        if reference.startswith("#"):
            for contained in as_list(resource.get("contained")):
                if text_at(contained, "id") == reference[1:]:
                    concept = field(contained, "code")
        if concept is None:
            display = text_at(resource, "medicationReference", "display")
            if display:
                return NamedMedicine((), display)
            raise NotMapped("the medicine is not named (no medicationCodeableConcept)")
    codes = tuple(code for code, _ in codings(concept, RXNORM))
    names = [text_at(concept, "text")] + [
        text_at(coding, "display") for coding in as_list(field(concept, "coding"))
    ]
    text = next((name.strip() for name in names if name and name.strip()), "")
    if not codes and not text:
        raise NotMapped("the medicine has neither an RxNorm code nor a name")
    return NamedMedicine(codes, text)


def is_isotretinoin(medicine: NamedMedicine, knowledge: Knowledge) -> bool:
    """By an RxNorm code of isotretinoin, else by the word or a product's brand name."""
    codes = knowledge.products.rxnorm
    if any(codes.names_isotretinoin(code) for code in medicine.rxnorm):
        return True
    words = tuple(_WORD.findall(medicine.text.casefold()))
    names = {codes.ingredient_name} | {
        brand for product in knowledge.products.products.values() for brand in product.brand_names
    }
    return any(_contains(words, tuple(_WORD.findall(name.casefold()))) for name in names)


def _contains(words: tuple[str, ...], name: tuple[str, ...]) -> bool:
    size = len(name)
    return size > 0 and any(words[i : i + size] == name for i in range(len(words) - size + 1))


def other_medication(
    resource: Resource, knowledge: Knowledge, today: date, *, draft_order: bool = False
) -> Medication:
    """A medicine the patient takes, as a record entry (``source`` is ``import``).
    ``draft_order``: the resource is an order being signed with this one (taken from
    today)."""
    kind = text_at(resource, "resourceType") or ""
    if kind not in MEDICATION_TYPES:
        raise NotMapped(f"a {kind or 'resource'} is not a medication")
    medicine = named_medicine(resource)
    if is_isotretinoin(medicine, knowledge):
        raise NotMapped("isotretinoin itself: the course's own medicine")
    status = text_at(resource, "status") or ""
    if draft_order:
        start, end = today, None
    else:
        if status not in _TAKING[kind]:
            raise NotMapped(f"status {status!r}: not a medicine the patient takes")
        start = _start(resource, kind) or today
        end = _end(resource, kind, start) if status in _ENDED else None
        if status in _ENDED and end is None:
            raise NotMapped("completed, but when it ended is not stated")
    matched = knowledge.drugs.match_coded(medicine.rxnorm, medicine.text)
    coded = [code for code in medicine.rxnorm if knowledge.drugs.by_rxnorm(code) is not None]
    name = matched.ingredient if matched is not None and coded else medicine.text
    if not name:
        raise NotMapped(f"RxNorm {', '.join(medicine.rxnorm)} is not a code isocourse knows")
    start = min(start, today)
    if end is not None and end < start:
        raise NotMapped("it ends before it starts")
    return Medication(name=name[:200], start=start, end=end, source="import")


def _start(resource: Resource, kind: str) -> date | None:
    texts = (
        [
            text_at(resource, "authoredOn"),
            text_at(resource, "dispenseRequest", "validityPeriod", "start"),
        ]
        if kind == "MedicationRequest"
        else [
            text_at(resource, "effectivePeriod", "start"),
            text_at(resource, "effectiveDateTime"),
            text_at(resource, "dateAsserted"),
        ]
    )
    for text in texts:
        day = calendar_day(text) if text else None
        if day is not None:
            return day
    return None


def _end(resource: Resource, kind: str, start: date) -> date | None:
    if kind == "MedicationStatement":
        text = text_at(resource, "effectivePeriod", "end")
        return calendar_day(text) if text else None
    text = text_at(resource, "dispenseRequest", "validityPeriod", "end")
    if text:
        return calendar_day(text)
    days = supply_days(resource)
    return None if days is None else start + timedelta(days=days - 1)


def supply_days(resource: Resource) -> int | None:
    """``dispenseRequest.expectedSupplyDuration`` in whole days, if stated in time units."""
    duration = field(field(resource, "dispenseRequest"), "expectedSupplyDuration")
    value = finite_number(field(duration, "value"))
    unit = (text_at(duration, "code") or text_at(duration, "unit") or "").strip().casefold()
    if value is None or unit not in _DAYS or value <= 0:
        return None
    return round(value * _DAYS[unit])


@dataclass(frozen=True)
class IsotretinoinOrder:
    """An isotretinoin order read: the prescription it proposes and what was assumed."""

    prescription: Prescription
    product: str | None  # the product the order names, when it names one
    notes: tuple[str, ...]  # what was assumed or could not be read
    resource_id: str | None


def isotretinoin_order(resource: Resource, knowledge: Knowledge, today: date) -> IsotretinoinOrder:
    """A draft isotretinoin MedicationRequest as the proposed prescription, dated today."""
    if text_at(resource, "resourceType") != "MedicationRequest":
        raise NotMapped("not a MedicationRequest")
    medicine = named_medicine(resource)
    if not is_isotretinoin(medicine, knowledge):
        raise NotMapped("not an isotretinoin order")
    notes: list[str] = []
    days = supply_days(resource)
    if days is None:
        days = ASSUMED_DAYS_SUPPLY
        notes.append(
            f"the order states no supply duration; {ASSUMED_DAYS_SUPPLY} days were assumed"
        )
    strength = _coded_strength(medicine, knowledge)
    mg_per_day = daily_mg(resource, strength)
    if mg_per_day is None:
        notes.append("the order's daily dose in mg could not be read; dose checks were not made")
    prescription = Prescription(
        date=today, days_supply=days, mg_per_day=mg_per_day, source="import"
    )
    return IsotretinoinOrder(
        prescription, _product(medicine, knowledge), tuple(notes), text_at(resource, "id")
    )


def _coded_strength(medicine: NamedMedicine, knowledge: Knowledge) -> float | None:
    for code in medicine.rxnorm:
        drug = knowledge.products.rxnorm.drug(code)
        if drug is not None:
            return drug.strength_mg
    return None


def _product(medicine: NamedMedicine, knowledge: Knowledge) -> str | None:
    for code in medicine.rxnorm:
        drug = knowledge.products.rxnorm.drug(code)
        if drug is not None and drug.product is not None:
            return drug.product
    words = tuple(_WORD.findall(medicine.text.casefold()))
    named = [
        (len(brand), product_id)
        for product_id, product in knowledge.products.products.items()
        for brand in product.brand_names
        if brand.casefold() != knowledge.products.rxnorm.ingredient_name
        and _contains(words, tuple(_WORD.findall(brand.casefold())))
    ]
    return max(named)[1] if named else None


def daily_mg(resource: Resource, strength_mg: float | None) -> float | None:
    """The order's mg per day: a rate in mg/d, or a dose in mg (or in capsules of a
    coded strength) times its frequency per day. None when any part is not stated."""
    instructions = as_list(resource.get("dosageInstruction"))
    if len(instructions) != 1:
        return None
    instruction = instructions[0]
    for dose_and_rate in as_list(field(instruction, "doseAndRate")):
        ratio = field(dose_and_rate, "rateRatio")
        if ratio is not None:
            return _mg_per_day_ratio(ratio)
        dose = field(dose_and_rate, "doseQuantity")
        if dose is not None:
            per_day = _times_per_day(instruction)
            mg = _dose_mg(dose, strength_mg)
            return None if per_day is None or mg is None else mg * per_day
    return None


def _mg_per_day_ratio(ratio: object) -> float | None:
    numerator, denominator = field(ratio, "numerator"), field(ratio, "denominator")
    mg = finite_number(field(numerator, "value"))
    over = finite_number(field(denominator, "value"))
    unit = (text_at(numerator, "code") or text_at(numerator, "unit") or "").strip()
    per = (text_at(denominator, "code") or text_at(denominator, "unit") or "").strip().casefold()
    if mg is None or over is None or over <= 0 or unit != "mg" or per not in _DAYS:
        return None
    return mg / (over * _DAYS[per])


def _dose_mg(dose: object, strength_mg: float | None) -> float | None:
    value = finite_number(field(dose, "value"))
    unit = (text_at(dose, "code") or text_at(dose, "unit") or "").strip()
    if value is None or value <= 0:
        return None
    if unit == "mg":
        return value
    if unit.casefold() in _CAPSULE_UNITS and strength_mg is not None:
        return value * strength_mg
    return None


def _times_per_day(instruction: object) -> float | None:
    repeat = field(field(instruction, "timing"), "repeat")
    frequency = finite_number(field(repeat, "frequency"))
    period = finite_number(field(repeat, "period"))
    unit = (text_at(repeat, "periodUnit") or "").strip().casefold()
    if frequency is None or period is None or period <= 0 or unit not in _DAYS:
        return None
    return frequency / (period * _DAYS[unit])
