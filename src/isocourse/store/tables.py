"""The tables (SQLAlchemy 2 declarative models).

``events`` is the clinical record: one row per thing that happened, never updated
or deleted. ``fills_prescription_id`` is unique, so a prescription is dispensed at
most once even when two pharmacies try at the same moment. ``audit_entries`` is
chained by hash, and each entry names the events its transaction wrote with the
digest of each (``event_digests``); ``audit_head`` holds the chain's last link and is
locked while appending, so the chain never forks.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false


class Base(DeclarativeBase):
    pass


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: prescribers and admins must sign in with a second factor (TOTP); the database's
    #: default (an insert need not name it, and so binds no Boolean on PostgreSQL)
    require_second_factor: Mapped[bool] = mapped_column(Boolean, server_default=false())


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the name the clinic knows the patient by (not part of the course record)
    name: Mapped[str | None] = mapped_column(String(200), default=None)


class UserRow(Base):
    """A login. Ids are never reused (SQLite: AUTOINCREMENT; PostgreSQL: a sequence), so
    nothing that names a removed user's id can come to name another user."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set while the user may not sign in (their sessions were revoked when it was set)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: the TOTP secret (base32) once the user has set up a second factor
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    #: the last TOTP time step accepted (a code is accepted once)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)


class SessionRow(Base):
    """A signed-in session: the cookie and the bearer token name it (signed). ``id`` is
    the SHA-256 of the random id the token carries, so the table alone signs no one in.
    Every request reads it (by primary key); it ends when revoked, after
    ``ISOCOURSE_SESSION_IDLE_MINUTES`` without use, or at ``expires_at``."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    client_address: Mapped[str] = mapped_column(String(64))
    #: "full", or "enrol": only the second-factor set-up page (the clinic requires one)
    purpose: Mapped[str] = mapped_column(String(10), default="full")
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInFailureRow(Base):
    """A failed sign-in (or one being checked: counted until it succeeds), shared by
    every server process. ``account_cleared``: a later success cleared it for the
    account's count; the address's count keeps it."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_account_at", "account", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
        Index("ix_sign_in_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_cleared: Mapped[bool] = mapped_column(Boolean, default=False)


class InvitationRow(Base):
    """A one-time link for a patient to set their password (only its hash is kept)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class CalendarFeedRow(Base):
    """A patient's calendar link: its secret is an HMAC of ``nonce`` under the server's
    key (so neither the table nor the key alone gives the link). Revoked, or replaced
    by a new one, it stops at once."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class EventRow(Base):
    """One clinical event: ``kind`` names it, ``payload`` is its course-record JSON."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_patient_sequence", "patient_id", "sequence"),)

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    corrects_event_id: Mapped[str | None] = mapped_column(
        ForeignKey("events.id"), unique=True, default=None
    )
    fills_prescription_id: Mapped[str | None] = mapped_column(
        ForeignKey("events.id"), unique=True, default=None
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class IdempotencyRow(Base):
    """A write's answer, kept under the caller's ``Idempotency-Key`` for retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntryRow(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, hashed as written
    user_email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    clinic_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    patient_id: Mapped[str | None] = mapped_column(String(36), default=None)
    request_id: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the events the entry's transaction wrote, as canonical JSON
    #: ``[[event id, kind, sha256 of the row], ...]`` (``[]``: none); hashed with the
    #: entry. Null only in entries written before revision 0005, which named none.
    event_digests: Mapped[str | None] = mapped_column(Text, default=None)


class AuditHeadRow(Base):
    """The last link of the audit chain (one row, id 1); locked while appending."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class LatestAssessmentRow(Base):
    """Each patient's latest stored assessment (written by ``isocourse reassess``).

    A cache, not the record: it can always be recomputed from the events. It is
    fresh for a day when ``as_of`` is that day, ``events_through`` is still the
    patient's last event and ``knowledge_digest`` matches the running knowledge.
    ``assessment`` is the ``isocourse.assessment/1`` JSON, or null with ``error``
    when the folded record did not validate.
    """

    __tablename__ = "latest_assessments"
    __table_args__ = (Index("ix_latest_assessments_clinic_tier", "clinic_id", "tier_rank"),)

    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    as_of: Mapped[date] = mapped_column(Date)
    tier_rank: Mapped[int] = mapped_column(Integer)  # the work-list tier, 0 = most urgent
    top_severity: Mapped[str | None] = mapped_column(String(10), default=None)
    blocking: Mapped[bool] = mapped_column(Boolean)
    window_closes: Mapped[date | None] = mapped_column(Date, default=None)
    assessment: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    events_through: Mapped[int] = mapped_column(Integer)  # the last event sequence folded
    knowledge_digest: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CdsClientRow(Base):
    """An EHR registered to call the CDS Hooks services (``isocourse cds-client add``).

    ``issuer`` is the ``iss`` of the EHR's signed JWTs; its keys are a stored JWKS or a
    ``jwks_url`` the EHR publishes. The issuer belongs to one clinic, whose programme
    rule set applies to patients not yet enrolled. ``fhir_server``: the EHR's FHIR base
    (the only server isocourse fetches from for it, and the ``iss`` of its SMART launch).
    """

    __tablename__ = "cds_clients"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    jwks: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    jwks_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    fhir_server: Mapped[str | None] = mapped_column(String(1000), default=None)
    smart_client_id: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CdsTokenRow(Base):
    """A JWT id (``jti``) already used by an issuer, kept until the token expires: a
    second call with the same id is a replay and is refused."""

    __tablename__ = "cds_token_ids"
    __table_args__ = (UniqueConstraint("issuer", "jti", name="uq_cds_token_issuer_jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(500))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CdsCardRow(Base):
    """A card isocourse returned to an EHR, kept so that its feedback can be read."""

    __tablename__ = "cds_cards"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    issuer: Mapped[str] = mapped_column(String(500))
    service_id: Mapped[str] = mapped_column(String(40))
    hook_instance: Mapped[str] = mapped_column(String(100))
    ehr_patient_id: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"), default=None)
    alert_code: Mapped[str | None] = mapped_column(String(60), default=None)
    indicator: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(140))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CdsFeedbackRow(Base):
    """What the EHR's user did with a card: accepted, or overridden (with the reason)."""

    __tablename__ = "cds_feedback"
    __table_args__ = (Index("ix_cds_feedback_clinic_patient", "clinic_id", "patient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_uuid: Mapped[str] = mapped_column(ForeignKey("cds_cards.uuid"))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(12))
    override_code: Mapped[str | None] = mapped_column(String(100), default=None)
    override_display: Mapped[str | None] = mapped_column(String(300), default=None)
    user_comment: Mapped[str | None] = mapped_column(Text, default=None)
    outcome_at: Mapped[str] = mapped_column(String(40))  # as the EHR sent it
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EhrPatientLinkRow(Base):
    """An EHR's patient (its FHIR server and patient id) linked to an isocourse patient."""

    __tablename__ = "ehr_patient_links"
    __table_args__ = (
        UniqueConstraint("clinic_id", "fhir_server", "ehr_patient_id", name="uq_ehr_patient"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    fhir_server: Mapped[str] = mapped_column(String(1000))
    ehr_patient_id: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SmartLaunchRow(Base):
    """A SMART EHR launch under way: its ``state`` and PKCE verifier, used once."""

    __tablename__ = "smart_launches"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    fhir_server: Mapped[str] = mapped_column(String(1000))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code_verifier: Mapped[str] = mapped_column(String(128))
    token_endpoint: Mapped[str] = mapped_column(String(1000))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
