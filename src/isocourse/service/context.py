"""Who is calling, for which request, on which day; and what the use cases run on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from isocourse.auth.roles import Actor, Role
from isocourse.errors import Forbidden
from isocourse.knowledge.model import Knowledge
from isocourse.record import Source
from isocourse.service.audit import AuditAppends
from isocourse.service.denials import denied
from isocourse.store.database import Store


@dataclass(frozen=True)
class Call:
    """One request: the actor, its id (for the audit), the clinic's day and the moment."""

    actor: Actor
    request_id: str
    today: date
    now: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Caller:
    """A request whose bearer token's signature is checked but whose session is not yet
    read: a use case that takes one reads the session and its user inside its own
    snapshot (:meth:`as_call`), which spares a hot path a read of its own and a hop to a
    worker thread. ``session_key`` names the session (``sessions.id``)."""

    session_key: str
    request_id: str
    today: date
    now: datetime
    #: the sessions' idle timeout (the read checks it)
    session_idle: timedelta

    def as_call(self, actor: Actor) -> Call:
        """The request as a call, by ``actor`` (this user, as read by the use case)."""
        return Call(actor, self.request_id, self.today, self.now)


@dataclass(frozen=True)
class ClinicSystem:
    """What every use case runs on: the store and the clinical knowledge (and the
    audit entries of this process that are transactions of their own, group-committed)."""

    store: Store
    knowledge: Knowledge
    audit_appends: AuditAppends = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "audit_appends", AuditAppends(self.store))


def source_of(actor: Actor) -> Source:
    """Who recorded an entry, from the signed-in user: a patient's entries are the
    patient's, whatever a request body claims; the clinic's staff record as clinicians."""
    return "patient" if actor.role == "patient" else "clinician"


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        words = f"a {actor.role} may not do this (needs: {', '.join(roles)})"
        raise denied(Forbidden(words), actor, "forbidden", words)
