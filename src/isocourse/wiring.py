"""What the API and the pages share for a request: the clinic system, the settings, the
clock, the sign-in throttle (:class:`Wiring`, set on ``app.state`` by ``create_app``), and
the client's address.

Both front ends use it and neither owns it, so the pages do not import the API's modules
(nor the API the pages', but to mount them)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request

from isocourse.auth.login_throttle import LoginThrottle
from isocourse.auth.sessions import SessionTimes, SignedIn, signed_in, touch_if_due
from isocourse.auth.tokens import read_session_token, session_key
from isocourse.service.context import ClinicSystem
from isocourse.settings import Settings


@dataclass(frozen=True)
class Wiring:
    """Set on ``app.state`` by ``create_app``: everything a request may need."""

    settings: Settings
    system: ClinicSystem
    clock: Callable[[], datetime]
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @property
    def session_times(self) -> SessionTimes:
        return SessionTimes.of(self.settings)

    def now(self) -> datetime:
        return self.clock().astimezone(ZoneInfo(self.settings.timezone))

    @property
    def secret(self) -> str:
        return self.settings.secret_key.get_secret_value()

    def session_key_of(self, token: str) -> str:
        """The key of the session a token names (signature and form checked, no I/O)."""
        return session_key(read_session_token(token, secret=self.secret))

    def signed_in(self, key: str, *, purpose: str | None = "full") -> SignedIn:
        """The session's caller, read and checked (one indexed read), its last use kept."""
        now = self.now()
        with self.system.store.reading() as session:  # never queues behind the writers
            caller = signed_in(
                session, key, now=now, idle=self.session_times.idle, purpose=purpose
            )
        touch_if_due(self.system.store, caller, now)
        return caller


def client_address(request: Request) -> str:
    """The client's address: the connection's, or, when the connection comes from a
    trusted proxy (``ISOCOURSE_TRUSTED_PROXIES``), the nearest address in
    ``X-Forwarded-For`` that is not one of the trusted proxies (read from the right:
    the entries on the left are whatever the client chose to send)."""
    peer = request.client.host if request.client else "unknown"
    trusted = wiring(request).settings.trusted_proxy_networks()
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _within(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def wiring(request: Request) -> Wiring:
    found: Wiring = request.app.state.wiring
    return found
