"""Who is calling, for which request, on which day; and what the use cases run on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from isocourse.knowledge.model import Knowledge
from isocourse.service.errors import Forbidden
from isocourse.store.database import Store

Role = Literal["prescriber", "pharmacist", "patient", "admin"]
ROLES: Final[tuple[Role, ...]] = ("prescriber", "pharmacist", "patient", "admin")


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    role: Role
    clinic_id: str
    patient_id: str | None = None


@dataclass(frozen=True)
class Call:
    """One request: the actor, its id (for the audit), the clinic's day and the moment."""

    actor: Actor
    request_id: str
    today: date
    now: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ClinicSystem:
    """What every use case runs on: the store and the clinical knowledge."""

    store: Store
    knowledge: Knowledge


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden(f"a {actor.role} may not do this (needs: {', '.join(roles)})")
