"""cds hooks: registered EHRs, used JWT ids, cards and their feedback, EHR patient links,
SMART launches under way

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_clients",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("programme", sa.String(length=20), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=True),
        sa.Column("jwks_url", sa.String(length=1000), nullable=True),
        sa.Column("fhir_server", sa.String(length=1000), nullable=True),
        sa.Column("smart_client_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.PrimaryKeyConstraint("issuer"),
    )
    with op.batch_alter_table("cds_clients", schema=None) as batch_op:
        batch_op.create_index("ix_cds_clients_clinic_id", ["clinic_id"], unique=False)
    op.create_table(
        "cds_token_ids",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "jti", name="uq_cds_token_issuer_jti"),
    )
    with op.batch_alter_table("cds_token_ids", schema=None) as batch_op:
        batch_op.create_index("ix_cds_token_ids_expires_at", ["expires_at"], unique=False)
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("service_id", sa.String(length=40), nullable=False),
        sa.Column("hook_instance", sa.String(length=100), nullable=False),
        sa.Column("ehr_patient_id", sa.String(length=200), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=True),
        sa.Column("alert_code", sa.String(length=60), nullable=True),
        sa.Column("indicator", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.String(length=140), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("uuid"),
    )
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("card_uuid", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("override_code", sa.String(length=100), nullable=True),
        sa.Column("override_display", sa.String(length=300), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["card_uuid"], ["cds_cards.uuid"]),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cds_feedback_clinic_patient", ["clinic_id", "patient_id"], unique=False
        )
    op.create_table(
        "ehr_patient_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("fhir_server", sa.String(length=1000), nullable=False),
        sa.Column("ehr_patient_id", sa.String(length=200), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clinic_id", "fhir_server", "ehr_patient_id", name="uq_ehr_patient"),
    )
    op.create_table(
        "smart_launches",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("fhir_server", sa.String(length=1000), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("token_endpoint", sa.String(length=1000), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("state"),
    )


def downgrade() -> None:
    op.drop_table("smart_launches")
    op.drop_table("ehr_patient_links")
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_feedback_clinic_patient")
    op.drop_table("cds_feedback")
    op.drop_table("cds_cards")
    with op.batch_alter_table("cds_token_ids", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_token_ids_expires_at")
    op.drop_table("cds_token_ids")
    with op.batch_alter_table("cds_clients", schema=None) as batch_op:
        batch_op.drop_index("ix_cds_clients_clinic_id")
    op.drop_table("cds_clients")
