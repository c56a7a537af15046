"""The administrator's page: their clinic's users (role, last sign-in, second factor,
disabled), and for each: disable, enable, reset the password, reset the second factor;
and the clinic's setting that prescribers and admins must use a second factor.

An admin sees and changes their own clinic's users only, and no clinical record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from isocourse.errors import Conflict, InvalidInput
from isocourse.service.accounts import (
    Change,
    change_user,
    clinic_users,
    require_second_factor,
    reset_password,
    second_factor_required,
)
from isocourse.web.rendering import PageRoute, redirect, render, signed_in, system
from isocourse.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CHANGES: dict[str, Change] = {
    "disable": "disable",
    "enable": "enable",
    "second-factor-reset": "reset_second_factor",
}
DONE = {
    "disable": "The user is disabled: their sessions have ended.",
    "enable": "The user is enabled: they may log in again.",
    "second-factor-reset": "The user's second factor is removed: their sessions have ended.",
    "password": "The password is set: the user's sessions have ended.",
    "setting": "The clinic's setting is saved.",
}


@router.get("/admin")
def admin_page(request: Request, done: str = "") -> Response:
    return _admin(request, flash=DONE.get(done, ""))


def _admin(request: Request, *, flash: str = "", error: str = "", status: int = 200) -> Response:
    _, call = signed_in(request, "admin")
    context = {
        "users": clinic_users(system(request), call),
        "clinic": call.actor.clinic_id,
        "required": second_factor_required(system(request), call.actor.clinic_id),
        "flash": flash,
        "error": error,
    }
    return render(request, "admin.html", context, status=status)


@router.post("/admin/users/{user_id}/{change}")
async def change_user_page(request: Request, user_id: int, change: str) -> Response:
    """``change``: disable, enable, second-factor-reset or password (a new password)."""
    await check_csrf(request)
    _, call = signed_in(request, "admin")
    form = await request.form()
    try:
        if change == "password":
            reset_password(system(request), call, user_id, str(form.get("password", "")))
        elif change in CHANGES:
            change_user(system(request), call, user_id, CHANGES[change])
        else:
            raise InvalidInput("change", f"one of {', '.join([*CHANGES, 'password'])}")
    except (InvalidInput, Conflict) as error:
        return _admin(request, error=f"Not changed. {error.message}", status=422)
    return redirect(f"/admin?done={change}")


@router.post("/admin/second-factor")
async def second_factor_setting(request: Request) -> Response:
    await check_csrf(request)
    _, call = signed_in(request, "admin")
    form = await request.form()
    required = str(form.get("required", ""))
    if required not in ("yes", "no"):  # never read a garbled answer as "not required"
        message = "Not changed. required: yes or no (whether a second factor is required)"
        return _admin(request, error=message, status=422)
    require_second_factor(system(request), call, required == "yes")
    return redirect("/admin?done=setting")
