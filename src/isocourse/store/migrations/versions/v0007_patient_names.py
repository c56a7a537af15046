"""patient names: the name the clinic knows a patient by, beside its own number

A clinician finds a patient by name; the course record names the patient only by
the clinic's number (``patient.id``). The name is the clinic's, held with the
patient (not in the record, which travels to other systems); a patient enrolled
without one shows the clinic's number alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("name")
