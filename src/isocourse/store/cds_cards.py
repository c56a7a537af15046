"""What the CDS Hooks services gave EHRs and heard back: the cards issued (each named
by its uuid), the feedback on them, and which EHR patient is which patient here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from isocourse.store.row_values import row_from, value_from
from isocourse.store.tables import CdsCardRow, CdsFeedbackRow, EhrPatientLinkRow


@dataclass(frozen=True)
class IssuedCardRecord:
    """A card as issued to an EHR."""

    uuid: str
    clinic_id: str
    issuer: str
    service_id: str
    hook_instance: str
    ehr_patient_id: str
    patient_id: str | None
    alert_code: str | None
    indicator: str
    summary: str
    issued_at: datetime


@dataclass(frozen=True)
class CardFeedback:
    """What the EHR's user did with a card."""

    outcome: str
    override_code: str | None
    override_display: str | None
    user_comment: str | None
    #: when the EHR says it happened, as it wrote it
    outcome_at: str
    received_at: datetime


def add_card(session: Session, card: IssuedCardRecord) -> None:
    session.add(row_from(CdsCardRow, card))


def card_by_uuid(session: Session, uuid: str) -> IssuedCardRecord | None:
    row = session.get(CdsCardRow, uuid)
    if row is None:
        return None
    return value_from(IssuedCardRecord, row)


def add_feedback(session: Session, card: IssuedCardRecord, feedback: CardFeedback) -> None:
    session.add(
        CdsFeedbackRow(
            card_uuid=card.uuid,
            clinic_id=card.clinic_id,
            patient_id=card.patient_id,
            outcome=feedback.outcome,
            override_code=feedback.override_code,
            override_display=feedback.override_display,
            user_comment=feedback.user_comment,
            outcome_at=feedback.outcome_at,
            received_at=feedback.received_at,
        )
    )


@dataclass(frozen=True)
class OverriddenCard:
    patient_id: str
    summary: str
    #: the override reason's words, else its code (None: no reason given)
    reason: str | None
    received_at: datetime


def overridden_critical_cards(
    session: Session, clinic_id: str, since: datetime
) -> list[OverriddenCard]:
    """The clinic's critical cards about a patient here that the EHR's user overrode
    since ``since``, newest first."""
    query = (
        select(CdsFeedbackRow, CdsCardRow)
        .join(CdsCardRow, CdsCardRow.uuid == CdsFeedbackRow.card_uuid)
        .where(
            CdsFeedbackRow.clinic_id == clinic_id,
            CdsFeedbackRow.outcome == "overridden",
            CdsFeedbackRow.patient_id.is_not(None),
            CdsCardRow.indicator == "critical",
            CdsFeedbackRow.received_at >= since,
        )
        .order_by(CdsFeedbackRow.received_at.desc(), CdsFeedbackRow.id.desc())
    )
    found = []
    for feedback, card in session.execute(query):
        assert feedback.patient_id is not None
        found.append(
            OverriddenCard(
                feedback.patient_id,
                card.summary,
                feedback.override_display or feedback.override_code,
                feedback.received_at,
            )
        )
    return found


def patient_linked_to(
    session: Session, clinic_id: str, fhir_server: str, ehr_patient_id: str
) -> str | None:
    """The clinic's patient an EHR's patient is linked to, if any."""
    query = select(EhrPatientLinkRow.patient_id).where(
        EhrPatientLinkRow.clinic_id == clinic_id,
        EhrPatientLinkRow.fhir_server == fhir_server,
        EhrPatientLinkRow.ehr_patient_id == ehr_patient_id,
    )
    return session.scalars(query).first()


def link_patient(
    session: Session,
    *,
    clinic_id: str,
    fhir_server: str,
    ehr_patient_id: str,
    patient_id: str,
    now: datetime,
) -> None:
    """Create or move the link (an EHR patient names one patient of the clinic)."""
    query = select(EhrPatientLinkRow).where(
        EhrPatientLinkRow.clinic_id == clinic_id,
        EhrPatientLinkRow.fhir_server == fhir_server,
        EhrPatientLinkRow.ehr_patient_id == ehr_patient_id,
    )
    row = session.scalars(query).first()
    if row is None:
        session.add(
            EhrPatientLinkRow(
                clinic_id=clinic_id,
                fhir_server=fhir_server,
                ehr_patient_id=ehr_patient_id,
                patient_id=patient_id,
                created_at=now,
            )
        )
    else:
        row.patient_id = patient_id
