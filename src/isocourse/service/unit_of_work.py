"""Running a use case: one transaction, the audit head locked first, retries answered once.

A write given an ``Idempotency-Key`` keeps its answer under (user, key); the same
request again gets the same answer and records nothing; the same key with a
different request is a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from isocourse.errors import Conflict
from isocourse.service.audit import lock_head
from isocourse.service.context import Call, ClinicSystem
from isocourse.store.tables import IdempotencyRow

Answer = dict[str, Any]


@contextmanager
def unit_of_work(system: ClinicSystem) -> Iterator[Session]:
    """A transaction that holds the audit head from its start (serialises writers)."""
    with system.store.transaction() as session:
        lock_head(session)
        yield session


def fingerprint(action: str, *parts: object) -> str:
    canonical = json.dumps([action, *parts], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_once(
    system: ClinicSystem, call: Call, request_fingerprint: str, work: Callable[[Session], Answer]
) -> Answer:
    """Run ``work`` in one unit of work, unless this key already has an answer."""
    for attempt in (1, 2):
        try:
            with unit_of_work(system) as session:
                kept = _kept_answer(session, call, request_fingerprint)
                if kept is not None:
                    return kept
                answer = work(session)
                _keep_answer(session, call, request_fingerprint, answer)
                return answer
        except IntegrityError:
            # a concurrent retry with the same key won the race: answer from its record
            if attempt == 2 or call.idempotency_key is None:
                raise
    raise AssertionError("unreachable")


def _kept_answer(session: Session, call: Call, request_fingerprint: str) -> Answer | None:
    if call.idempotency_key is None:
        return None
    query = select(IdempotencyRow).where(
        IdempotencyRow.user_id == call.actor.user_id, IdempotencyRow.key == call.idempotency_key
    )
    row = session.scalar(query)
    if row is None:
        return None
    if row.fingerprint != request_fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different request",
            code="IDEMPOTENCY_KEY_REUSED",
        )
    return dict(row.response)


def _keep_answer(session: Session, call: Call, request_fingerprint: str, answer: Answer) -> None:
    if call.idempotency_key is None:
        return
    session.add(
        IdempotencyRow(
            user_id=call.actor.user_id,
            key=call.idempotency_key,
            fingerprint=request_fingerprint,
            status_code=200,
            response=answer,
            created_at=call.now,
        )
    )
    session.flush()
