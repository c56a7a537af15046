"""Log in, log out, and the start page that sends each role to its own page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.api.wiring import wiring
from isocourse.auth.sign_in import sign_in
from isocourse.service.errors import NotAuthenticated, TooManyAttempts
from isocourse.web.rendering import (
    PageRoute,
    page_actor_cached,
    redirect,
    render,
    signed_in,
)
from isocourse.web.session import check_csrf, end_session, start_session

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HOME = {"prescriber": "/worklist", "pharmacist": "/pharmacy", "patient": "/me", "admin": "/admin"}


@router.get("/")
def start(request: Request) -> Response:
    actor = page_actor_cached(request)
    return redirect("/login" if actor is None else HOME[actor.role])


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", {"actor": None})


@router.post("/login")
async def login(request: Request) -> Response:
    await check_csrf(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    wired = wiring(request)
    address = request.client.host if request.client else "unknown"
    try:
        actor = sign_in(
            wired.system.store,
            wired.login_throttle,
            email=email,
            password=password,
            address=address,
            now=wired.now(),
        )
    except (NotAuthenticated, TooManyAttempts) as error:
        context = {"actor": None, "error": error.message, "email": email}
        status = 429 if isinstance(error, TooManyAttempts) else 401
        return render(request, "login.html", context, status=status)
    response = redirect(HOME[actor.role])
    start_session(request, response, actor)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    response = redirect("/login")
    end_session(response)
    return response


@router.get("/admin")
def admin_page(request: Request) -> Response:
    signed_in(request, "admin")
    message = (
        "Administrators manage their clinic's users with `isocourse user add`; "
        "they have no access to clinical records."
    )
    return render(request, "error.html", {"title": "Administration", "message": message})
