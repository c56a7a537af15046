"""event sources: entries recorded by a patient say so in their payload

Every entry of the course record now carries who recorded it (``source``); the
rules read it (a patient's entry may raise an alert, never clear a clinician's).
Entries stored before this revision carry none, which reads as ``clinician``: this
revision writes ``"source": "patient"`` into the payload of every entry whose
recorder was a patient user, so that their meaning does not change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: the event kinds that are entries of the course record's lists at this revision
_LIST_KINDS = (
    "weight",
    "acne_assessment",
    "dose_period",
    "missed_dose",
    "lab_result",
    "pregnancy_test",
    "contraception",
    "medication",
    "mood_screen",
    "symptom",
    "counselling",
    "prescription",
    "dispense",
)

_events = sa.table(
    "events",
    sa.column("sequence", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("recorded_by", sa.Integer),
)
_users = sa.table("users", sa.column("id", sa.Integer), sa.column("role", sa.String))


def upgrade() -> None:
    connection = op.get_bind()
    query = (
        sa.select(_events.c.sequence, _events.c.payload)
        .join(_users, _users.c.id == _events.c.recorded_by)
        .where(_users.c.role == "patient", _events.c.kind.in_(_LIST_KINDS))
    )
    for sequence, payload in connection.execute(query).all():
        if isinstance(payload, dict) and "source" not in payload:
            connection.execute(
                sa.update(_events)
                .where(_events.c.sequence == sequence)
                .values(payload={**payload, "source": "patient"})
            )


def downgrade() -> None:
    """Take ``source`` out of every payload again (the earlier revision's record refuses
    the field). Reviews and prescription cancellations recorded since cannot be said in
    the earlier format: refuse to downgrade while any exist."""
    connection = op.get_bind()
    newer = connection.execute(
        sa.select(sa.func.count())
        .select_from(_events)
        .where(_events.c.kind.in_(("review", "prescription_cancelled")))
    ).scalar_one()
    if newer:
        raise RuntimeError(
            f"{newer} review or prescription cancellation events exist; the earlier "
            "revision cannot read them, so the database stays at revision 0003"
        )
    for sequence, payload in connection.execute(
        sa.select(_events.c.sequence, _events.c.payload)
    ).all():
        if isinstance(payload, dict) and "source" in payload:
            kept = {key: value for key, value in payload.items() if key != "source"}
            connection.execute(
                sa.update(_events).where(_events.c.sequence == sequence).values(payload=kept)
            )
