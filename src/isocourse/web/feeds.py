"""Feeds fetched without a log-in: the patient's calendar at its secret link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.service.calendar_feed import read_calendar_feed
from isocourse.web.rendering import PageRoute
from isocourse.wiring import wiring

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/feeds/calendar/{patient_id}/{token}.ics")
def calendar_subscription(request: Request, patient_id: str, token: str) -> Response:
    wired = wiring(request)
    now = wired.now()
    feed = read_calendar_feed(
        wired.system,
        secret=wired.settings.secret_key.get_secret_value(),
        patient_id=patient_id,
        token=token,
        today=now.date(),
        now=now,
        request_id=request.state.request_id,
    )
    return Response(feed, media_type="text/calendar")
