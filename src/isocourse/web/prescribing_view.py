"""The prescriber's and the pharmacist's views in words: alerts by their catalogue titles
(the code only as a small label), doses and dates as staff read them (the formats of
:mod:`isocourse.words`: ``2026-12-21 Mon``, ``60`` mg, ``1.25`` mg/kg/day)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from isocourse.assessment import SEVERITIES, Assessment
from isocourse.knowledge.model import Knowledge
from isocourse.service.prescription_review import PrescriptionReview
from isocourse.store.event_history import RecordedEvent
from isocourse.words import Words, kg, mg, mg_per_kg_per_day, severity, staff_date

#: refusals that are not alerts of the catalogue, by their code
REFUSAL_TITLES: Final[Mapping[str, str]] = {
    "ALREADY_DISPENSED": "Already dispensed",
    "PRESCRIPTION_CANCELLED": "Cancelled by the prescriber",
    "CHECK_FAILED": "The safety check could not run",
    "NOT_ALLOWED": "The rules do not allow it",
}
STATE_WORDS: Final[Mapping[str, str]] = {
    "open": "issued, not yet dispensed",
    "dispensed": "dispensed",
    "cancelled": "cancelled",
    "lapsed": "lapsed (not dispensed in time)",
}


class WrittenPrescription(Protocol):
    """A written prescription and where it stands (the service's prescription states)."""

    @property
    def state(self) -> str: ...


def _rank(name: str) -> int:
    """Most severe first: stop, urgent, block, warning, info."""
    return -SEVERITIES.index(name) if name in SEVERITIES else 1


@dataclass(frozen=True)
class Reason:
    """One finding in words: its severity's word, its title, what to do, and its code."""

    severity: str
    heading: str
    title: str
    message: str
    code: str
    new: bool = False


def reasons(
    alerts: Iterable[Any],
    knowledge: Knowledge,
    new_codes: frozenset[str] = frozenset(),
) -> list[Reason]:
    """Alerts (values or their JSON) as reasons, in the order given."""
    found = []
    for alert in alerts:
        fields = alert if isinstance(alert, Mapping) else vars(alert)
        code, level = str(fields["code"]), str(fields["severity"])
        found.append(
            Reason(
                severity=level,
                heading=severity(level),
                title=_title(code, knowledge),
                message=str(fields.get("message", "")),
                code=code,
                new=code in new_codes,
            )
        )
    return found


def _title(code: str, knowledge: Knowledge) -> str:
    if code in REFUSAL_TITLES and code not in knowledge.alerts:
        return REFUSAL_TITLES[code]
    return Words(knowledge).alert(code)


@dataclass(frozen=True)
class PrescriptionToday:
    """The course page's "Prescription today" box: may one be written, and if not why."""

    #: "allowed", "open" (one is issued and waiting at the pharmacy) or "refused"
    state: str
    window_closes: str
    open: WrittenPrescription | None
    reasons: tuple[Reason, ...]


def prescription_today(
    assessment: Assessment, states: Sequence[WrittenPrescription], knowledge: Knowledge
) -> PrescriptionToday:
    dispense = assessment.dispense
    opened = next((state for state in states if state.state == "open"), None)
    blocking = set(dispense.blocking)
    if opened is not None:
        blocking.discard("PRESCRIPTION_OPEN")  # said by the box itself
    alerts: list[Mapping[str, str]] = [
        {"code": alert.code, "severity": alert.severity, "message": alert.message}
        for alert in assessment.alerts
        if alert.code in blocking
    ]
    named = {alert["code"] for alert in alerts}
    alerts += [{"code": code, "severity": "block"} for code in sorted(blocking - named)]
    ordered = sorted(alerts, key=lambda alert: _rank(alert["severity"]))
    if opened is not None:
        state = "open"
    else:
        state = "allowed" if dispense.allowed and not dispense.blocking else "refused"
    closes = dispense.window_closes
    return PrescriptionToday(
        state=state,
        window_closes=staff_date(closes) if closes else "",
        open=opened,
        reasons=tuple(reasons(ordered, knowledge)),
    )


@dataclass(frozen=True)
class DoseCheck:
    """The rule check's dose line and what changed, in words."""

    dose: str
    range: str
    position: str
    change: str


POSITION_WORDS: Final[Mapping[str, str]] = {
    "below": "below the usual range",
    "within": "within the usual range",
    "above": "above the usual range",
    "over": "over the label maximum",
    "unknown": "no weight recorded: the dose per kg cannot be told",
}


def dose_check(review: PrescriptionReview) -> DoseCheck:
    order, limits = review.order, review.dose_range
    dose = f"{mg(order.mg_per_day)} mg a day for {order.days_supply} days"
    if review.mg_per_kg_per_day is not None and review.weight_kg is not None:
        dose += (
            f" = {mg_per_kg_per_day(review.mg_per_kg_per_day)} mg/kg/day"
            f" at {kg(review.weight_kg)} kg (weighed {staff_date(review.weighed_on)})"
        )
    span = f"{limits.low_mg_per_kg:g}–{limits.high_mg_per_kg:g}"
    return DoseCheck(
        dose=dose,
        range=(
            f"{limits.product_name}: usually {span} mg/kg/day, "
            f"at most {limits.max_mg_per_kg:g} mg/kg/day"
        ),
        position=POSITION_WORDS[review.position],
        change=_change(review),
    )


def _change(review: PrescriptionReview) -> str:
    current, order = review.current, review.order
    if current is None:
        return "The first prescription of this course."
    was = current.mg_per_day or review.current_mg_per_day
    parts = []
    if was is None or was == order.mg_per_day:
        parts.append("same daily dose")
    else:
        step = order.mg_per_day - was
        sign = "+" if step > 0 else "−"
        parts.append(f"daily dose {mg(was)} → {mg(order.mg_per_day)} mg ({sign}{mg(abs(step))} mg)")
    if current.days_supply == order.days_supply:
        parts.append("same days of supply")
    else:
        parts.append(f"days of supply {current.days_supply} → {order.days_supply}")
    written = f"the prescription of {staff_date(current.date)}"
    return (
        f"From {written} ({mg(was)} mg a day, {current.days_supply} days): "
        + "; ".join(parts)
        + "."
    )


def cancellation_reason(events: Sequence[RecordedEvent], prescription_id: str) -> str:
    """The reason the standing cancellation of ``prescription_id`` gives (empty: none)."""
    retracted = {event.corrects for event in events if event.kind == "entered_in_error"}
    for event in events:
        if (
            event.kind == "prescription_cancelled"
            and event.event_id not in retracted
            and event.entry.get("prescription_id") == prescription_id
        ):
            return str(event.entry.get("reason", ""))
    return ""
