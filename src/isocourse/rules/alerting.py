"""Turn an alert code from the catalogue into an :class:`Alert` value."""

from __future__ import annotations

from datetime import date

from isocourse.assessment import Alert, Severity
from isocourse.knowledge.model import Knowledge


def raise_alert(
    knowledge: Knowledge,
    code: str,
    *,
    severity: Severity | None = None,
    reported_on: date | None = None,
    subject: str | None = None,
    **details: object,
) -> Alert:
    """The catalogue's alert for ``code``, its message filled with ``details``.

    ``severity`` overrides the catalogue's default where a rule says so (for
    example a warning that blocks under one programme). The alert's ``source`` is the
    definition's short citations with their links (references.toml).
    """
    definition = knowledge.alerts[code]
    message = definition.message.format_map(details) if details else definition.message
    return Alert(
        code=code,
        severity=severity or definition.severity,
        message=message,
        source=knowledge.references.cite(definition.source),
        since=reported_on,
        subject=subject,
    )
