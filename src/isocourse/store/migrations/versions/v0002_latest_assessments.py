"""latest_assessments: each patient's latest stored assessment (isocourse reassess)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "latest_assessments",
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("tier_rank", sa.Integer(), nullable=False),
        sa.Column("top_severity", sa.String(length=10), nullable=True),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        sa.Column("window_closes", sa.Date(), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("events_through", sa.Integer(), nullable=False),
        sa.Column("knowledge_digest", sa.String(length=64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    with op.batch_alter_table("latest_assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_latest_assessments_clinic_tier", ["clinic_id", "tier_rank"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("latest_assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_assessments_clinic_tier")
    op.drop_table("latest_assessments")
