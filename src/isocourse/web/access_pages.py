"""A patient's access, from the course page: the invitation to a login, and the calendar
link (issued, re-issued, revoked); and the patient's own "get a calendar link".

The invitation is e-mailed (the reminders' SMTP settings); if it cannot be sent, it is
withdrawn and the page says why: the link is never shown to anyone but the patient."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.errors import InvalidInput
from isocourse.mail import MailError
from isocourse.service.calendar_feed import current_feed_path, issue_feed, revoke_feed
from isocourse.service.context import Call
from isocourse.service.invitations import invite_patient, send_invitation, withdraw
from isocourse.service.patients import find_patient
from isocourse.web.rendering import PageRoute, redirect, render, signed_in, system
from isocourse.web.session import check_csrf
from isocourse.wiring import wiring
from isocourse.words import patient_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DONE = {
    "invited": "The invitation is sent: the link in it works once.",
    "link-issued": "A new calendar link is issued: the old one no longer works.",
    "link-revoked": "The calendar link is revoked: it no longer works.",
}


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@router.get("/patients/{patient_id}/access")
def access_page(request: Request, patient_id: str, done: str = "") -> Response:
    return _access(request, patient_id, flash=DONE.get(done, ""))


def _access(
    request: Request, patient_id: str, *, flash: str = "", error: str = "", status: int = 200
) -> Response:
    _, call = signed_in(request, "prescriber")
    found = find_patient(system(request), call, patient_id)
    patient_id = found.patient_id
    path = current_feed_path(system(request), call, wiring(request).secret, patient_id)
    context = {
        "patient_id": patient_id,
        "name": patient_label(found.name, found.record_id),
        "calendar_link": absolute(request, path) if path else "",
        "flash": flash,
        "error": error,
    }
    return render(request, "access.html", context, status=status)


@router.post("/patients/{patient_id}/invitation")
async def invite(request: Request, patient_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    form = await request.form()
    wired = wiring(request)
    try:
        invitation = invite_patient(
            wired.system,
            call,
            patient_id,
            str(form.get("email", "")),
            hours=wired.settings.invitation_hours,
        )
    except InvalidInput as error:
        return _access(request, patient_id, error=f"Not invited. {error.message}", status=422)
    try:
        send_invitation(
            wired.settings, invitation, absolute(request, f"/invitations/{invitation.token}")
        )
    except MailError as error:
        withdraw(wired.system, invitation)
        message = f"The invitation could not be e-mailed, so it was withdrawn: {error}"
        return _access(request, patient_id, error=message, status=503)
    return redirect(f"/patients/{patient_id}/access?done=invited")


@router.post("/patients/{patient_id}/calendar-link")
async def issue_link(request: Request, patient_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    issue_feed(system(request), call, wiring(request).secret, patient_id)
    return redirect(f"/patients/{patient_id}/access?done=link-issued")


@router.post("/patients/{patient_id}/calendar-link/revoke")
async def revoke_link(request: Request, patient_id: str) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "prescriber")
    revoke_feed(system(request), call, patient_id)
    return redirect(f"/patients/{patient_id}/access?done=link-revoked")


@router.post("/me/calendar-link")
async def issue_own_link(request: Request) -> Response:
    """The patient's own new calendar link (the old one stops)."""
    await check_csrf(request)
    actor, call = signed_in(request, "patient")
    assert actor.patient_id is not None  # a patient login always names its patient
    issue_feed(system(request), call, wiring(request).secret, actor.patient_id)
    return redirect("/me")


def patient_calendar_link(request: Request, call: Call, patient_id: str) -> str:
    """The patient's live calendar link, absolute, or "" (none issued, or revoked)."""
    path = current_feed_path(system(request), call, wiring(request).secret, patient_id)
    return absolute(request, path) if path else ""
