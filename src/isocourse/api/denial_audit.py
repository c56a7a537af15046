"""Refused requests leave audit entries: the refusals a request's use case noted
(``isocourse.service.denials``) are written, in a transaction of their own, before
its answer goes out.

Each entry's action is ``access.denied.<kind>`` (``not_authenticated``, ``forbidden``,
``not_found``); its detail says why, which route (its template, never the path as
sent: a path or a query may hold a secret) and from which address. Nothing the
caller sent as a credential is written.

Refusals without valid credentials cost an attacker nothing, so they are recorded
within a budget (:class:`AnonymousBudget`, per server process): at most
:data:`PER_ADDRESS` per client address and :data:`IN_ALL` in all per minute; those
over it are counted and recorded as one ``access.denied.unrecorded`` entry when the
minute has passed (at the next such refusal). A refusal of a signed-in user is always
recorded: it names an account the clinic issued (and can disable), whose reads are
each audited already.

A plain ASGI middleware, like ``request_ids``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from isocourse.service.audit import AnonymousCall, AuditedCall, AuditRequest
from isocourse.service.context import Call
from isocourse.service.denials import Denial, collecting

if TYPE_CHECKING:
    from isocourse.wiring import Wiring

#: refusals without valid credentials recorded one by one, per minute and process
PER_ADDRESS: Final = 10
IN_ALL: Final = 60
WINDOW_SECONDS: Final = 60.0
DENIED: Final = "access.denied"

_log = logging.getLogger(__name__)


@dataclass
class AnonymousBudget:
    """How many refusals without credentials are recorded one by one (see the module)."""

    per_address: int = PER_ADDRESS
    in_all: int = IN_ALL
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _started: float | None = None
    _by_address: dict[str, int] = field(default_factory=dict)
    _recorded: int = 0
    _unrecorded: int = 0

    def take(self, address: str) -> tuple[bool, int]:
        """Whether this refusal from ``address`` is recorded, and how many refusals of
        a window that has just ended went unrecorded (to be recorded as one entry)."""
        now = self.clock()
        ended = 0
        if self._started is None or now - self._started >= self.window_seconds:
            ended, self._unrecorded = self._unrecorded, 0
            self._started, self._recorded = now, 0
            self._by_address.clear()
        if self._recorded >= self.in_all or self._by_address.get(address, 0) >= self.per_address:
            self._unrecorded += 1
            return False, ended
        self._recorded += 1
        self._by_address[address] = self._by_address.get(address, 0) + 1
        return True, ended


class DenialAudit:
    def __init__(
        self, app: ASGIApp, *, wiring: Wiring, budget: AnonymousBudget | None = None
    ) -> None:
        self.app = app
        self.wiring = wiring
        self.budget = budget or AnonymousBudget()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with collecting() as noted:

            async def send_once_audited(message: Message) -> None:
                if message["type"] == "http.response.start" and noted:
                    await self._audit(scope, noted)
                await send(message)

            try:
                await self.app(scope, receive, send_once_audited)
            finally:
                if noted:  # refused, and no answer went out (the request failed)
                    await self._audit(scope, noted)

    async def _audit(self, scope: Scope, noted: list[Denial]) -> None:
        denials = list(noted)
        noted.clear()
        requests = self._entries(scope, denials)
        if not requests:
            return
        try:
            await self.wiring.system.audit_appends.append_all_async(requests)
        except Exception:  # the refusal stands either way; it carries no data
            _log.exception("the audit entries of a refused request were not written")

    def _entries(self, scope: Scope, denials: list[Denial]) -> list[AuditRequest]:
        now = self.wiring.now()
        request_id = str(scope.get("state", {}).get("request_id", "-"))
        address = _client_address(scope)
        where = f"{scope.get('method', '?')} {_route_template(scope)}; from {address}"
        requests = []
        for denial in denials:
            call: AuditedCall
            if denial.actor is None:
                recorded, unrecorded = self.budget.take(address)
                if unrecorded:
                    requests.append(_unrecorded_entry(request_id, now, unrecorded, self.budget))
                if not recorded:
                    continue
                call = AnonymousCall(request_id, now)
            else:
                call = Call(denial.actor, request_id, now.date(), now)
            detail = f"{denial.reason}; {where}"
            action = f"{DENIED}.{denial.kind}"
            requests.append(AuditRequest(call, action, denial.patient_id, detail))
        return requests


def _unrecorded_entry(
    request_id: str, now: datetime, count: int, budget: AnonymousBudget
) -> AuditRequest:
    detail = (
        f"{count} more refusals of requests without valid credentials in the last window "
        f"were not recorded one by one (over {budget.per_address} from one address or "
        f"{budget.in_all} in all per {budget.window_seconds:g} s, in this server process)"
    )
    return AuditRequest(AnonymousCall(request_id, now), f"{DENIED}.unrecorded", None, detail)


def _client_address(scope: Scope) -> str:
    """The client's address as the rest of the app takes it (X-Forwarded-For only from a
    trusted proxy: :func:`isocourse.wiring.client_address`)."""
    from starlette.requests import Request

    from isocourse.wiring import client_address

    if "app" in scope:
        return client_address(Request(scope))
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v1/patients/{patient_id}/record``): the
    path as sent with each path parameter's value put back as its name."""
    route = scope.get("route")
    template, rendered_as = getattr(route, "path", None), getattr(route, "path_format", None)
    if not isinstance(template, str) or not isinstance(rendered_as, str):
        return "(no route)"
    path = str(scope.get("path", ""))
    try:
        tail = rendered_as.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    # a router's prefix (``/api/v1``) is in the path, not in the route's own template
    return path[: len(path) - len(tail)] + template if path.endswith(tail) else template
