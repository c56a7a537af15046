"""SMART App Launch pages: ``/smart/launch`` (from the EHR) and ``/smart/callback``.

A prescriber signed in to isocourse (of the clinic the EHR is registered for) is sent
through the EHR's authorization (PKCE) and lands on the course page of the patient in
the EHR's context (see :mod:`isocourse.service.smart_launch`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.fhir.client import EhrHttp
from isocourse.service.smart_launch import finish_launch, start_launch
from isocourse.web.rendering import PageRoute, redirect, render, signed_in, system

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_OPEN_FROM_THE_EHR = (
    "Open isocourse from your EHR (its SMART launch): this address needs the EHR's "
    "'iss' and 'launch' parameters, or the authorization's 'code' and 'state'."
)


def _explain(request: Request) -> Response:
    context = {"title": "Launch from your EHR", "message": _OPEN_FROM_THE_EHR}
    return render(request, "error.html", context)


@router.get("/smart/launch")
def smart_launch(request: Request, iss: str = "", launch: str = "") -> Response:
    _, call = signed_in(request, "prescriber")
    if not iss:
        return _explain(request)
    callback = str(request.url_for("smart_callback"))
    authorize = start_launch(
        system(request), call, iss=iss, launch=launch, redirect_uri=callback, http=EhrHttp()
    )
    return redirect(authorize)


@router.get("/smart/callback", name="smart_callback")
def smart_callback(request: Request, code: str = "", state: str = "") -> Response:
    _, call = signed_in(request, "prescriber")
    if not code and not state:
        return _explain(request)
    launched = finish_launch(system(request), call, state=state, code=code, http=EhrHttp())
    return redirect(f"/patients/{launched.patient_id}")
