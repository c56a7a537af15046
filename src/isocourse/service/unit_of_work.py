"""Running a use case: one transaction, the audit head locked first, retries answered once.

A write given an ``Idempotency-Key`` keeps its answer under (user, key); the same
request again gets the same answer and records nothing; the same key with a
different request is a conflict. The answer is a use case's value (a frozen
dataclass); it is kept as its JSON form and read back as the same type.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from isocourse.errors import Conflict
from isocourse.service.context import Call, ClinicSystem
from isocourse.store.audit_chain import lock_head
from isocourse.store.idempotency import keep_answer, kept_answer

_Answer = TypeVar("_Answer")


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
    system: ClinicSystem,
    call: Call,
    request_fingerprint: str,
    work: Callable[[Session], _Answer],
    answer_type: type[_Answer],
) -> _Answer:
    """Run ``work`` in one unit of work, unless this key already has an answer (of
    ``answer_type``, the type ``work`` returns)."""
    for attempt in (1, 2):
        try:
            with unit_of_work(system) as session:
                kept = _kept_answer(session, call, request_fingerprint)
                if kept is not None:
                    return _answers(answer_type).validate_python(kept)
                answer = work(session)
                if call.idempotency_key is not None:
                    kept_form = _answers(answer_type).dump_python(answer, mode="json")
                    keep_answer(
                        session,
                        user_id=call.actor.user_id,
                        key=call.idempotency_key,
                        fingerprint=request_fingerprint,
                        answer=kept_form,
                        now=call.now,
                    )
                return answer
        except IntegrityError:
            # a concurrent retry with the same key won the race: answer from its record
            if attempt == 2 or call.idempotency_key is None:
                raise
    raise AssertionError("unreachable")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _answers(answer_type: type[_Answer]) -> TypeAdapter[_Answer]:
    """An answer's kept JSON form, both ways (one adapter per type, made once)."""
    adapter = _ADAPTERS.get(answer_type)
    if adapter is None:
        adapter = _ADAPTERS[answer_type] = TypeAdapter(answer_type)
    return adapter


def _kept_answer(
    session: Session, call: Call, request_fingerprint: str
) -> dict[str, Any] | None:
    if call.idempotency_key is None:
        return None
    kept = kept_answer(session, user_id=call.actor.user_id, key=call.idempotency_key)
    if kept is None:
        return None
    if kept.fingerprint != request_fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different request",
            code="IDEMPOTENCY_KEY_REUSED",
        )
    return kept.answer
