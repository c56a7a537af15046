"""The prescriber's pages: the work-list, a patient's course, recording, prescribing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.assessment_json import assessment_to_json
from isocourse.errors import Conflict, InvalidInput, NotFound, ServiceError
from isocourse.reports.lab_series import lab_series
from isocourse.service.documents import (
    read_calendar,
    read_cumulative_chart,
    read_lab_chart,
    read_report_pdf,
)
from isocourse.service.patient_hold import red_flags_to_review
from isocourse.service.prescribing import (
    DAYS_SUPPLY_MAX,
    MG_PER_DAY_MAX,
    PrescriptionOrder,
    cancel_prescription,
    prescribe,
    prescription_order,
)
from isocourse.service.prescription_review import review_prescription
from isocourse.service.recording import correct_entry, record_event
from isocourse.service.views import WorklistRow, read_patient, read_worklist
from isocourse.web.forms import event_forms, form_for
from isocourse.web.prescribing_view import (
    STATE_WORDS,
    cancellation_reason,
    dose_check,
    prescription_today,
    reasons,
)
from isocourse.web.rendering import PageRoute, redirect, render, signed_in, system
from isocourse.web.session import check_csrf
from isocourse.web.timeline import timeline_rows
from isocourse.words import Words, patient_label
from isocourse.worklist import Tier

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: the work-list's filter: each tier and its words
TIERS = tuple((str(tier), tier.words) for tier in Tier)
#: the tiers shown with an alert's colour
_SEVERITIES = frozenset({Tier.STOP, Tier.URGENT, Tier.BLOCK})


@router.get("/worklist")
def worklist_page(request: Request, q: str = "", tier: str = "") -> Response:
    _, call = signed_in(request, "prescriber")
    rows = [_worklist_row(row) for row in read_worklist(system(request), call)]
    if q:
        rows = [r for r in rows if q.lower() in (r["name"] + " " + r["patient_id"]).lower()]
    if tier:
        rows = [r for r in rows if r["tier"] == tier]
    context = {"rows": rows, "q": q, "tier": tier, "tiers": TIERS, "today": call.today}
    return render(request, "worklist.html", context)


def _worklist_row(row: WorklistRow) -> dict[str, Any]:
    assessment = row.assessment
    return {
        "patient_id": row.patient_id,
        "name": patient_label(row.name, row.record_patient_id),
        "tier": str(row.tier),
        "severity": str(row.tier) if row.tier in _SEVERITIES else "info",
        "reason": row.detail,
        "allowed": assessment.dispense.allowed,
        "window_closes": assessment.dispense.window_closes,
        "mg_per_kg": assessment.cumulative.mg_per_kg,
        "ehr_overrides": [
            {"title": o.title, "reason": o.reason, "at": o.at.date().isoformat()}
            for o in row.ehr_overrides
        ],
    }


@router.get("/patients/{patient_id}")
def patient_page(request: Request, patient_id: str) -> Response:
    return _patient_page(request, patient_id)


def _patient_page(
    request: Request,
    patient_id: str,
    *,
    error: str = "",
    flash: str = "",
    open_form: str = "",
    status: int = 200,
) -> Response:
    _, call = signed_in(request, "prescriber")
    known = system(request).knowledge
    # the store's id or the clinic's own number (demo-04), as `isocourse report` takes it
    view = read_patient(system(request), call, patient_id)
    patient_id = view.patient_id
    record = view.record
    issued = request.query_params.get("issued", "")
    shown = next((p for p in view.prescriptions if p.prescription.id == issued), None)
    context = {
        "patient_id": patient_id,
        "name": patient_label(view.name, record.patient.id),
        "record": record,
        "assessment": assessment_to_json(view.assessment),
        "product_name": known.products.products[record.course.product].name,
        "lab_tests": [series.test_name for series in lab_series(record, known)],
        "event_forms": event_forms(known, call.today),
        "timeline": timeline_rows(view.events, Words(known)),
        "pending_reviews": view.pending_reviews,
        "red_flag_reviews": red_flags_to_review(record, known),
        "prescriptions": view.prescriptions,
        "issued": shown,
        "issued_cancel_reason": cancellation_reason(view.events, issued) if shown else "",
        "today_box": prescription_today(view.assessment, view.prescriptions, known),
        "state_words": STATE_WORDS,
        "error": error,
        "flash": flash,
        "open_form": open_form,
    }
    return render(request, "patient.html", context, status=status)


@router.post("/patients/{patient_id}/events/{kind}")
async def record_event_page(request: Request, patient_id: str, kind: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    form = await request.form()
    known = system(request).knowledge
    event_form = form_for(kind, known, call.today)
    try:
        entry = event_form.entry({k: str(v) for k, v in form.items()})
        record_event(system(request), call, patient_id, kind, entry)
    except InvalidInput as error:
        words = event_form.in_words(error)
        return _patient_page(
            request, patient_id, error=f"Not recorded. {words}", open_form=kind, status=422
        )
    return redirect(f"/patients/{patient_id}")


@router.post("/patients/{patient_id}/events/{event_id}/entered-in-error")
async def correct_page(request: Request, patient_id: str, event_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    correct_entry(system(request), call, patient_id, event_id, "entered in error (web)")
    return redirect(f"/patients/{patient_id}")


#: the prescribe form's fields: each one's label on the form, and what it takes
ORDER_FIELDS = {
    "mg_per_day": ("Daily dose", f"enter a dose in mg, above 0 and at most {MG_PER_DAY_MAX}"),
    "days_supply": ("Days of supply", f"enter a whole number of days, 1 to {DAYS_SUPPLY_MAX}"),
}


def order_words(error: ServiceError) -> str:
    """A refused order with the field named as the form names it: ``Daily dose: ...``."""
    if not isinstance(error, InvalidInput):
        return error.message
    name = error.field.rsplit(".", 1)[-1]
    if name not in ORDER_FIELDS:
        return error.message
    return f"{ORDER_FIELDS[name][0]}: {error.message.removeprefix(f'{error.field}: ')}"


async def _order(request: Request) -> PrescriptionOrder:
    """The form's order, checked as the API checks it (no NaN, no 1e300, no 0 days)."""
    form = await request.form()
    fields = {name: str(form.get(name, "")).strip() for name in ORDER_FIELDS}
    try:
        return prescription_order(fields)
    except InvalidInput as error:
        raise InvalidInput(error.field, ORDER_FIELDS[error.field][1]) from error


@router.post("/patients/{patient_id}/prescribe/check")
async def prescription_check(request: Request, patient_id: str) -> Response:
    """The rule check (an htmx fragment, so always 200: htmx shows only a 2xx)."""
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    known = system(request).knowledge
    try:
        review = review_prescription(system(request), call, patient_id, await _order(request))
    except InvalidInput as error:
        return render(request, "_rule_check.html", {"problem": order_words(error)})
    except Conflict as conflict:  # the check could not run, or the stored record is invalid
        return render(request, "_rule_check.html", {"problem": conflict.message})
    context = {
        "review": review,
        "dose": dose_check(review),
        "reasons": reasons(review.alerts, known, review.new_codes),
        "gone": [known.alerts[c].title for c in sorted(review.gone_codes) if c in known.alerts],
    }
    return render(request, "_rule_check.html", context)


@router.post("/patients/{patient_id}/prescribe")
async def prescribe_page(request: Request, patient_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    try:
        answer = prescribe(system(request), call, patient_id, await _order(request))
    except ServiceError as error:
        reasons = getattr(error, "blocking", ())
        titles = Words(system(request).knowledge)
        said = [f"{titles.alert(r.code)} ({r.code}): {r.message}" for r in reasons]
        words = "; ".join(said) or order_words(error)
        return _patient_page(
            request,
            patient_id,
            error=f"Prescription refused. {words}",
            status=409 if reasons else 422,
        )
    # post, then redirect: reloading the page afterwards sends nothing again
    return redirect(f"/patients/{patient_id}?issued={answer.prescription_id}")


@router.post("/patients/{patient_id}/prescriptions/{prescription_id}/cancel")
async def cancel_page(request: Request, patient_id: str, prescription_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    form = await request.form()
    reason = str(form.get("reason", ""))
    try:
        cancel_prescription(system(request), call, patient_id, prescription_id, reason)
    except (InvalidInput, Conflict, NotFound) as error:
        return _patient_page(
            request,
            patient_id,
            error=f"Not cancelled. {error.message}",
            status=422 if isinstance(error, InvalidInput) else 409,
        )
    return redirect(f"/patients/{patient_id}?issued={quote(prescription_id, safe='')}")


@router.post("/patients/{patient_id}/reviews")
async def review_page(request: Request, patient_id: str) -> Response:
    """One click: a clinician records that they read an unrecognised entry, and the
    outcome (``not_relevant`` or ``acted_on``)."""
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    form = {k: str(v) for k, v in (await request.form()).items()}
    entry = {
        "date": call.today.isoformat(),
        "kind": form.get("kind", ""),
        "text": form.get("text", ""),
        "outcome": form.get("outcome", ""),
    }
    try:
        record_event(system(request), call, patient_id, "review", entry)
    except InvalidInput as error:
        return _patient_page(
            request, patient_id, error=f"Not recorded. {error.message}", status=422
        )
    return redirect(f"/patients/{patient_id}")


@router.get("/patients/{patient_id}/charts/cumulative.png")
def cumulative_chart(request: Request, patient_id: str) -> Response:
    _, call = signed_in(request, "prescriber")
    png = read_cumulative_chart(system(request), call, patient_id)
    return Response(png or b"", media_type="image/png", status_code=200 if png else 404)


@router.get("/patients/{patient_id}/charts/lab-{test}.png")
def lab_chart(request: Request, patient_id: str, test: str) -> Response:
    _, call = signed_in(request, "prescriber")
    png = read_lab_chart(system(request), call, patient_id, test)
    return Response(png or b"", media_type="image/png", status_code=200 if png else 404)


@router.get("/patients/{patient_id}/report.pdf")
def report_pdf(request: Request, patient_id: str) -> Response:
    _, call = signed_in(request, "prescriber")
    pdf = read_report_pdf(system(request), call, patient_id)
    headers = {"Content-Disposition": f'attachment; filename="isocourse-{patient_id}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/patients/{patient_id}/calendar.ics")
def calendar_feed(request: Request, patient_id: str) -> Response:
    _, call = signed_in(request, "prescriber")
    return Response(read_calendar(system(request), call, patient_id), media_type="text/calendar")
