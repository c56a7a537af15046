"""The patient's pages (phone-sized first): today's check-in, symptoms, mood, what is due.

A red-flag symptom is answered at once, on the same page, with what to do now.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.assessment import Assessment
from isocourse.auth.roles import Actor
from isocourse.errors import Conflict, InvalidInput
from isocourse.guide.html import guide_html_fragment, section_html
from isocourse.guide.model import GuideOptions, guide_options_from_record
from isocourse.guide.render import render_guide
from isocourse.record import CourseRecord
from isocourse.service.check_in import check_in_dose
from isocourse.service.context import Call
from isocourse.service.patient_hold import Hold, patient_hold
from isocourse.service.recording import record_event
from isocourse.service.symptom_reports import report_symptom
from isocourse.service.views import read_patient
from isocourse.web.access_pages import patient_calendar_link
from isocourse.web.patient_view import dose_history, next_steps
from isocourse.web.rendering import PageRoute, render, signed_in, system
from isocourse.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: PHQ-9 items (Kroenke, Spitzer & Williams 2001, reference kroenke-2001; free to reproduce)
PHQ9 = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading or watching television",
    "Moving or speaking so slowly that other people could have noticed, or being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)
PHQ_ANSWERS = (
    ("0", "Not at all"),
    ("1", "Several days"),
    ("2", "More than half the days"),
    ("3", "Nearly every day"),
)
MISSED_DOSE_SECTION = "faq-missed-dose"
#: a dose check-in refused while the page holds (see :mod:`isocourse.service.patient_hold`)
HELD_WORDS = (
    "Your clinic's check says to stop taking isotretinoin for now, so there is no dose to "
    "check in. Call your clinic."
)


def _patient(request: Request) -> tuple[Actor, Call, str]:
    actor, call = signed_in(request, "patient")
    assert actor.patient_id is not None  # a patient login always names its patient
    return actor, call, actor.patient_id


@router.get("/me")
def today_page(request: Request) -> Response:
    return _today(request)


def _today(
    request: Request,
    *,
    flash: str = "",
    error: str = "",
    missed_open: bool = False,
    red_flag: list[str] | None = None,
    status: int = 200,
) -> Response:
    _, call, patient_id = _patient(request)
    known = system(request).knowledge
    view = read_patient(system(request), call, patient_id)
    record, assessment = view.record, view.assessment
    hold = patient_hold(record, assessment, known)
    guide = render_guide(known, _guide_options(record, assessment, hold))
    closes = assessment.dispense.window_closes
    context: dict[str, Any] = {
        "today": call.today,
        "flash": flash,
        "error": error,
        "red_flag": list(dict.fromkeys([*(red_flag or []), *(hold.lines if hold else [])])),
        "held": hold is not None,
        "dose_mg": assessment.dose.mg_per_day,
        "dose_history": dose_history(record),
        "food_text": known.products.products[record.course.product].food_text,
        "missed_dose_html": section_html(guide, MISSED_DOSE_SECTION),
        "missed_open": missed_open,
        "window_closes": closes if assessment.dispense.allowed else None,
        "next_steps": next_steps(assessment),
        "phq9": PHQ9,
        "phq_answers": PHQ_ANSWERS,
        "calendar_link": patient_calendar_link(request, call, patient_id),
    }
    return render(request, "me.html", context, status=status)


def _guide_options(record: CourseRecord, assessment: Assessment, hold: Hold | None) -> GuideOptions:
    """The guide fitted to the course; while the page holds, it projects no end."""
    return guide_options_from_record(record, assessment, stopped=hold is not None)


@router.post("/me/check-in")
async def dose_check_in(request: Request) -> Response:
    await check_csrf(request)
    _, call, patient_id = _patient(request)
    form = await request.form()
    taken = str(form.get("taken", "")) == "yes"
    missed = str(form.get("missed", "both"))
    view = read_patient(system(request), call, patient_id)
    if patient_hold(view.record, view.assessment, system(request).knowledge) is not None:
        return _today(request, error=HELD_WORDS, status=409)
    try:
        check_in_dose(system(request), call, patient_id, taken=taken, missed=missed)
    except (InvalidInput, Conflict) as error:
        return _today(request, error=error.message, status=422)
    if taken:
        return _today(request, flash="Thank you: today's dose is checked in.")
    return _today(request, flash="Thank you: the missed dose is recorded.", missed_open=True)


@router.post("/me/symptoms")
async def symptom_page(request: Request) -> Response:
    await check_csrf(request)
    _, call, patient_id = _patient(request)
    form = await request.form()
    text = str(form.get("text", "")).strip()
    if not text:
        return _today(request, error="Write how you feel first.", status=422)
    try:
        report = report_symptom(system(request), call, patient_id, text)
    except InvalidInput as error:  # e.g. more than the 2,000 characters a symptom may have
        detail = error.message.removeprefix(f"{error.field}: ")
        return _today(request, error=f"Not sent. What you wrote: {detail}.", status=422)
    return _today(
        request,
        flash="Thank you: your clinic will see this.",
        red_flag=list(report.red_flags),
    )


@router.post("/me/mood")
async def mood_check(request: Request) -> Response:
    await check_csrf(request)
    _, call, patient_id = _patient(request)
    form = await request.form()
    try:
        items = [int(str(form.get(f"item{i}", ""))) for i in range(len(PHQ9))]
    except ValueError:
        items = []
    if not items or not all(score in range(len(PHQ_ANSWERS)) for score in items):
        return _today(request, error="Answer every question, please.", status=422)
    entry = {"date": call.today.isoformat(), "instrument": "phq9", "items": items}
    record_event(system(request), call, patient_id, "mood_screen", entry)
    if items[-1] > 0:
        advice = system(request).knowledge.symptoms.advice_by_alert["SYMPTOM_SUICIDAL"]
        return _today(request, flash="Thank you for your answers.", red_flag=[advice.words])
    return _today(request, flash="Thank you for your answers: your clinic will see them.")


@router.get("/me/guide")
def guide_page(request: Request) -> Response:
    """The drug guide fitted to this patient's product, programme, category and dates."""
    _, call, patient_id = _patient(request)
    view = read_patient(system(request), call, patient_id)
    hold = patient_hold(view.record, view.assessment, system(request).knowledge)
    options = _guide_options(view.record, view.assessment, hold)
    guide = render_guide(system(request).knowledge, options)
    return render(request, "guide.html", {"guide_html": guide_html_fragment(guide)})
