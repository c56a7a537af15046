"""Refused access, noted where it is decided, audited once the request is answered.

A refusal is decided deep in a use case (another clinic's patient in
``patients.patient_for``, a birth date that does not match at the pharmacy, a role
that may not in ``context.require_role``, a request without valid credentials in the
API's and the pages' sign-in checks), often inside a transaction that the refusal
rolls back. So the place that decides only *notes* it here, with the reason, and
raises as before; the request's audit middleware (``isocourse.api.denial_audit``)
writes the noted refusals as audit entries of their own transaction before the
answer goes out. Outside a request (the command line) nothing is collected.

A note holds no password, token or other secret: the reason is ours, and anything the
caller sent (an id) is cut short.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from isocourse.auth.roles import Actor

#: how much of a value the caller sent (a requested id) a reason may quote
QUOTED_CHARACTERS: Final = 64

_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class Denial:
    """One refusal: who (None: no valid credentials), what kind, why, about whom."""

    actor: Actor | None
    #: ``not_authenticated``, ``forbidden`` or ``not_found``
    kind: str
    reason: str
    #: the patient concerned, when the refusal is about a stored patient
    patient_id: str | None = None


_NOTED: ContextVar[list[Denial] | None] = ContextVar("isocourse_denials", default=None)


@contextmanager
def collecting() -> Iterator[list[Denial]]:
    """Collect the refusals noted while the block runs (one request), in order."""
    noted: list[Denial] = []
    token = _NOTED.set(noted)
    try:
        yield noted
    finally:
        _NOTED.reset(token)


def denied(
    error: _E, actor: Actor | None, kind: str, reason: str, *, patient_id: str | None = None
) -> _E:
    """Note a refusal (if a request is collecting them) and give back ``error`` to raise."""
    noted = _NOTED.get()
    if noted is not None:
        denial = Denial(actor, kind, reason, patient_id)
        if denial not in noted:  # a page that asks twice is refused once
            noted.append(denial)
    return error


def quoted(value: str) -> str:
    """A value the caller sent, for a reason: repr'd and cut short."""
    shown = value if len(value) <= QUOTED_CHARACTERS else value[:QUOTED_CHARACTERS] + "..."
    return repr(shown)
