"""A user's own account: setting up the second factor; a patient's invitation link.

The second-factor page is open to staff (a session that may only set it up, too: their
clinic requires one). It shows a new secret as a QR code; the secret is kept once the
user types the code their app shows. The invitation page is public: its link is the
credential (one use, expiring), and it asks for the patient's new password.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.auth.second_factor import new_secret, provisioning_uri, qr_svg
from isocourse.errors import Forbidden, InvalidInput, NotFound
from isocourse.service.accounts import set_up_second_factor
from isocourse.service.context import Call
from isocourse.service.invitations import accept_invitation, open_invitation
from isocourse.web.rendering import PageRedirect, PageRoute, redirect, render, system
from isocourse.web.session import check_csrf, page_session
from isocourse.wiring import wiring

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STAFF = ("prescriber", "pharmacist", "admin")
HOME = {"prescriber": "/worklist", "pharmacist": "/pharmacy", "admin": "/admin"}


def _staff_session(request: Request) -> tuple[Call, str]:
    """The staff member's call and session key (a set-up-only session too)."""
    found = page_session(request)
    if found is None:
        raise PageRedirect("/login")
    if found.actor.role not in STAFF:
        raise Forbidden("this page is for the clinic's staff")
    now = wiring(request).now()
    return Call(found.actor, request.state.request_id, now.date(), now), found.key


@router.get("/account/second-factor")
def second_factor_page(request: Request) -> Response:
    call, _ = _staff_session(request)
    return _second_factor(request, call, new_secret())


def _second_factor(
    request: Request, call: Call, secret: str, *, error: str = "", status: int = 200
) -> Response:
    uri = provisioning_uri(secret, call.actor.email)
    context = {"secret": secret, "qr_svg": qr_svg(uri), "error": error, "email": call.actor.email}
    return render(request, "second_factor.html", context, status=status)


@router.post("/account/second-factor")
async def second_factor_set_up(request: Request) -> Response:
    await check_csrf(request)
    call, key = _staff_session(request)
    form = await request.form()
    secret, code = str(form.get("secret", ""))[:64], str(form.get("code", ""))[:20]
    try:
        set_up_second_factor(system(request), call, secret, code, session_key=key)
    except InvalidInput as error:
        shown = secret if error.field == "code" else new_secret()  # a key that is not one: anew
        return _second_factor(request, call, shown, error=error.message, status=422)
    return redirect(HOME[call.actor.role])


@router.get("/invitations/{token}")
def invitation_page(request: Request, token: str) -> Response:
    try:
        email = open_invitation(system(request), token[:100], wiring(request).now())
    except NotFound as error:
        return render(request, "error.html", _gone(error), status=404)
    return render(request, "invitation.html", {"email": email, "token": token})


@router.post("/invitations/{token}")
async def invitation_accept(request: Request, token: str) -> Response:
    await check_csrf(request)
    form = await request.form()
    password = str(form.get("password", ""))
    wired = wiring(request)
    try:
        email = open_invitation(wired.system, token[:100], wired.now())
        if password != str(form.get("password_again", "")):
            raise InvalidInput("password", "the two passwords differ")
        accept_invitation(
            wired.system,
            token[:100],
            password,
            now=wired.now(),
            request_id=request.state.request_id,
        )
    except NotFound as error:
        return render(request, "error.html", _gone(error), status=404)
    except InvalidInput as error:
        context = {"email": email, "token": token, "error": error.message}
        return render(request, "invitation.html", context, status=422)
    # the log-in form at once (a redirect to it would read as "not signed in")
    done: dict[str, object] = {"actor": None, "flash": "Your password is set: log in with it."}
    return render(request, "login.html", {**done, "email": email})


def _gone(error: NotFound) -> dict[str, str]:
    return {"title": "This link does not work", "message": error.message}
