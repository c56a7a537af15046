"""Answers kept for retries: a write's answer under the caller's ``Idempotency-Key``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from isocourse.store.tables import IdempotencyRow


@dataclass(frozen=True)
class KeptAnswer:
    #: the request's fingerprint: the same key with another request is not a retry
    fingerprint: str
    #: the answer's JSON form
    answer: dict[str, Any]


def kept_answer(session: Session, *, user_id: int, key: str) -> KeptAnswer | None:
    """The answer kept under the user's key, if any."""
    query = select(IdempotencyRow).where(
        IdempotencyRow.user_id == user_id, IdempotencyRow.key == key
    )
    row = session.scalar(query)
    return None if row is None else KeptAnswer(row.fingerprint, dict(row.response))


def keep_answer(
    session: Session,
    *,
    user_id: int,
    key: str,
    fingerprint: str,
    answer: dict[str, Any],
    now: datetime,
) -> None:
    """Keep the answer under the user's key (a unique pair: a concurrent retry that
    kept its answer first makes this flush fail with an ``IntegrityError``)."""
    session.add(
        IdempotencyRow(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            status_code=200,
            response=answer,
            created_at=now,
        )
    )
    session.flush()
