"""Rendering pages: templates, the signed-in actor, CSRF, and errors as pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from isocourse import words
from isocourse.auth.roles import Actor, Role
from isocourse.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Refused,
    ServiceError,
    TooManyAttempts,
)
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.denials import denied
from isocourse.web.session import (
    SECOND_FACTOR_PAGE,
    CsrfRefused,
    csrf_token,
    must_set_up_second_factor,
    page_actor,
    page_call,
    set_cookies,
)
from isocourse.wiring import wiring

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
#: the numbers, dates and codes of every page in words (:mod:`isocourse.words`)
TEMPLATES.env.filters.update(
    {
        "staff_date": words.staff_date,
        "patient_date": words.patient_date,
        "mg": words.mg,
        "mg_per_kg": words.mg_per_kg,
        "mg_per_kg_per_day": words.mg_per_kg_per_day,
        "kg": words.kg,
        "event_kind": words.event_kind,
        "task": words.task,
        "patient_task": words.patient_task,
        "severity": words.severity,
        "plain": words.plain,
    }
)

_STATUS = (
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (InvalidInput, 422),
    (Conflict, 409),
)


class PageRedirect(Exception):
    """Stop handling the page and send the browser elsewhere (e.g. to log in)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    full = {
        "actor": page_actor_cached(request),
        "csrf_token": csrf_token(request),
        "words": words.Words(system(request).knowledge),
        **context,
    }
    response = TEMPLATES.TemplateResponse(request, name, full, status_code=status)
    set_cookies(request, response)
    return response


def page_actor_cached(request: Request) -> Actor | None:
    if not hasattr(request.state, "page_actor"):
        request.state.page_actor = page_actor(request)
    found: Actor | None = request.state.page_actor
    return found


def signed_in(request: Request, *roles: Role) -> tuple[Actor, Call]:
    """The signed-in actor with one of ``roles``, or a redirect to the login page."""
    actor = page_actor_cached(request)
    if actor is None:
        if must_set_up_second_factor(request):
            raise PageRedirect(SECOND_FACTOR_PAGE)
        raise denied(PageRedirect("/login"), None, "not_authenticated", "not signed in")
    if roles and actor.role not in roles:
        words = f"this page is for {', '.join(roles)} users"
        raise denied(Forbidden(words), actor, "forbidden", f"a {actor.role}: {words}")
    return actor, page_call(request, actor)


def system(request: Request) -> ClinicSystem:
    return wiring(request).system


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


#: an error page's title: what happened, by the kind of error (the first that matches)
_TITLES: tuple[tuple[type[ServiceError], str], ...] = (
    (NotAuthenticated, "Session expired"),
    (TooManyAttempts, "Too many attempts"),
    (Forbidden, "Not allowed"),
    (InvalidInput, "Not accepted"),
    (Refused, "Refused by the rules"),
    (Conflict, "Not possible now"),
)
#: what was not found, by the first words of the service's message
_NOT_FOUND: tuple[tuple[str, str], ...] = (
    ("no patient", "Patient not found"),
    ("no prescription", "Prescription not found"),
    ("no such prescription", "Prescription not found"),
    ("no such entry", "Entry not found"),
    ("no such calendar", "Calendar not found"),
    ("no such user", "User not found"),
    ("no user", "User not found"),
)


def error_title(error: ServiceError) -> str:
    """The error page's title: what happened, in a few words ("Patient not found")."""
    if isinstance(error, NotFound):
        said = error.message.lower()
        return next((title for start, title in _NOT_FOUND if said.startswith(start)), "Not found")
    return next((title for kind, title in _TITLES if isinstance(error, kind)), "Not done")


def error_page(request: Request, error: Exception) -> Response:
    if isinstance(error, PageRedirect):
        if request.headers.get("HX-Request"):
            # an htmx request follows a redirect inside the page; the browser must go
            return Response(status_code=204, headers={"HX-Redirect": error.location})
        return redirect(error.location)
    if isinstance(error, CsrfRefused):
        return render(
            request, "error.html", {"title": "Form expired", "message": str(error)}, status=403
        )
    assert isinstance(error, ServiceError)
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
    context = {"title": error_title(error), "message": _sentence(error.message)}
    return render(request, "error.html", context, status=status)


def _sentence(message: str) -> str:
    """A service's message as a sentence: capital first letter, full stop at the end."""
    text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class PageRoute(APIRoute):
    """Every page's one error handler: service errors, CSRF and log-in become pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except (ServiceError, PageRedirect, CsrfRefused) as error:
                return error_page(request, error)

        return handler
