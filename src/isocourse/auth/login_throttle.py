"""Login rate limiting and lockout, per account and per client address (in memory).

After ``per_account`` failed sign-ins for one e-mail within ``window``, that account
is locked until the window has passed since the failure that reached the limit;
the same for ``per_address`` failures from one client address (guessing across
many accounts). A success clears the account's count, never the address's. While
locked, even the right password is refused, so guessing gains nothing.

The counts live in this process's memory: one server process enforces the limits
exactly; N processes behind a load balancer allow up to N times as many guesses,
and a restart forgets them (see docs/security.md).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: beyond this many tracked keys, keys with no recent failure are swept away
_SWEEP_ABOVE_KEYS = 10_000


@dataclass
class LoginThrottle:
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def seconds_locked(self, email: str, address: str, now: datetime) -> int:
        """How long sign-in stays refused for this account or address (0: not locked)."""
        with self._lock:
            waits = [
                self._wait(_account(email), self.per_account, now),
                self._wait(_address(address), self.per_address, now),
            ]
        return max(waits)

    def failed(self, email: str, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._failures) > _SWEEP_ABOVE_KEYS:
                self._sweep(now)
            for key in (_account(email), _address(address)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(_account(email), None)

    def _wait(self, key: str, limit: int, now: datetime) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < limit:
            return 0
        unlocked_at = times[-limit] + self.window
        return max(1, int((unlocked_at - now).total_seconds() + 0.999))

    def _sweep(self, now: datetime) -> None:
        stale = [k for k, t in self._failures.items() if not t or now - t[-1] >= self.window]
        for key in stale:
            del self._failures[key]


def _account(email: str) -> str:
    return "account:" + email.strip().lower()


def _address(address: str) -> str:
    return "address:" + address
