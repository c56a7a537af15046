"""SMART EHR launches under way: each kept under its ``state`` until its callback takes
it (once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from isocourse.store.row_values import row_from, value_from
from isocourse.store.tables import SmartLaunchRow


@dataclass(frozen=True)
class SmartLaunch:
    state: str
    issuer: str
    fhir_server: str
    user_id: int
    #: the PKCE verifier of the launch's authorisation request
    code_verifier: str
    token_endpoint: str
    redirect_uri: str
    created_at: datetime


def add_launch(session: Session, launch: SmartLaunch) -> None:
    session.add(row_from(SmartLaunchRow, launch))


def take_launch(session: Session, state: str) -> SmartLaunch | None:
    """The launch under ``state``, removed (a second callback finds nothing)."""
    row = session.get(SmartLaunchRow, state)
    if row is None:
        return None
    session.delete(row)
    return value_from(SmartLaunch, row)
