"""Log in, log out, and the start page that sends each role to its own page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.auth.sessions import ENROL
from isocourse.errors import NotAuthenticated, TooManyAttempts
from isocourse.service.context import Call
from isocourse.service.sign_in import sign_in, sign_out
from isocourse.web.rendering import PageRoute, page_actor_cached, redirect, render
from isocourse.web.session import (
    SECOND_FACTOR_PAGE,
    check_csrf,
    end_session,
    page_session,
    start_session,
)
from isocourse.wiring import client_address, wiring

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HOME = {"prescriber": "/worklist", "pharmacist": "/pharmacy", "patient": "/me", "admin": "/admin"}
NOTICES = {
    "signed-out": "You are logged out.",
}


@router.get("/")
def start(request: Request) -> Response:
    actor = page_actor_cached(request)
    return redirect("/login" if actor is None else HOME[actor.role])


@router.get("/login")
def login_form(request: Request, done: str = "") -> Response:
    return render(request, "login.html", {"actor": None, "flash": NOTICES.get(done, "")})


@router.post("/login")
async def login(request: Request) -> Response:
    await check_csrf(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    wired = wiring(request)
    try:
        signed = sign_in(
            wired.system,
            wired.login_throttle,
            wired.session_times,
            email=email,
            password=password,
            code=str(form.get("code", ""))[:20],
            address=client_address(request),
            now=wired.now(),
            request_id=request.state.request_id,
            allow_enrolment=True,
        )
    except (NotAuthenticated, TooManyAttempts) as error:
        context = {"actor": None, "error": error.message, "email": email}
        status = 429 if isinstance(error, TooManyAttempts) else 401
        return render(request, "login.html", context, status=status)
    response = redirect(SECOND_FACTOR_PAGE if signed.purpose == ENROL else HOME[signed.actor.role])
    start_session(request, response, signed)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session at once (in the database: the cookie is refused from now on)."""
    await check_csrf(request)
    found = page_session(request)
    if found is not None:
        now = wiring(request).now()
        call = Call(found.actor, request.state.request_id, now.date(), now)
        sign_out(wiring(request).system, call, found.key)
    response = redirect("/login?done=signed-out")
    end_session(response)
    return response
