"""What can go wrong with a request, as the use cases and the layers under them (``auth``)
say it; mapped to HTTP in exactly one handler (``api/errors.py``) and to a page by the
pages' handler (``web/rendering.py``)::

ServiceError               base; ``code`` is stable, ``message`` plain words
 +-- NotAuthenticated      no valid credentials
 +-- TooManyAttempts       sign-in locked for a while (``retry_after_seconds``)
 +-- Forbidden             the caller's role may not do this
 +-- NotFound              no such thing in the caller's clinic (or not theirs)
 +-- InvalidInput          the input is wrong; ``field`` names where
 +-- Conflict              the request clashes with the record (already dispensed ...)
      +-- Refused          the rules say no: ``blocking`` lists the blocking alerts
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockingReason:
    code: str
    severity: str
    message: str


class ServiceError(Exception):
    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotAuthenticated(ServiceError):
    code = "NOT_AUTHENTICATED"


class TooManyAttempts(ServiceError):
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Forbidden(ServiceError):
    code = "FORBIDDEN"


class NotFound(ServiceError):
    code = "NOT_FOUND"


class InvalidInput(ServiceError):
    code = "INVALID_INPUT"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Conflict(ServiceError):
    code = "CONFLICT"


class Refused(Conflict):
    code = "REFUSED"

    def __init__(
        self, message: str, blocking: Sequence[BlockingReason], *, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.blocking = tuple(blocking)
