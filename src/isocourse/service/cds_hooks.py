"""CDS Hooks: an EHR's hook call as a course record, assessed; the cards' feedback.

isocourse sits at the edge of the EHR here (CDS Hooks 2.0; the HL7 Medication REMS
guide's pattern): the hook's context (``patientId``, ``userId``, ``draftOrders``) and
prefetch are read with the FHIR import mapping into a course record, the rules assess
it as they assess any record, and the findings go back as domain values (the API
renders them as cards). The rules never see FHIR.

- An order that is not isotretinoin (by RxNorm code, else by name) applies to nothing:
  no card, nothing stored.
- When the EHR's patient is linked to an isocourse patient (``ehr_patient_links``), the
  stored course is the base and what the EHR sent is added to it (an entry already in
  the record is not doubled); otherwise the record is built from the EHR's data alone,
  under the registered clinic's programme.
- A prefetch the EHR did not send is read from its ``fhirServer`` with the
  ``fhirAuthorization`` it gave; without them, or when the server does not answer, the
  answer says what could not be checked (never that it is clear).
- Each card issued is stored (its id, alert code, indicator) and audited, so that the
  EHR's feedback (accepted, or overridden with a reason) can be recorded against it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from sqlalchemy.orm import Session

from isocourse.assessment import Assessment
from isocourse.errors import InvalidInput, NotFound
from isocourse.fhir.codes import BODY_WEIGHT_LOINC, PREGNANCY_TEST_METHOD_BY_LOINC
from isocourse.fhir.import_mapping import NotMapped
from isocourse.fhir.importer import observations_from_bundle
from isocourse.fhir.json_access import as_dict, as_list, calendar_day, text_at
from isocourse.fhir.json_access import field as json_field
from isocourse.fhir.medication_import import (
    IsotretinoinOrder,
    is_isotretinoin,
    isotretinoin_order,
    named_medicine,
    other_medication,
)
from isocourse.knowledge.ehr import Indicator
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.references import unique_citations
from isocourse.record import COURSE_FORMAT
from isocourse.rules import assess
from isocourse.service.audit import record_audit
from isocourse.service.cds_clients import EhrClient
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.observation_import import entry_json
from isocourse.service.patients import folded_document, patient_for, record_from_document
from isocourse.service.unit_of_work import unit_of_work
from isocourse.store.cds_cards import (
    CardFeedback,
    IssuedCardRecord,
    add_card,
    add_feedback,
    card_by_uuid,
    link_patient,
    overridden_critical_cards,
    patient_linked_to,
)

Hook = Literal["order-select", "order-sign", "patient-view"]

#: alert codes a suggestion can answer with a new order: a pregnancy test
PREGNANCY_TEST_CODES: Final = frozenset(
    {"PP_PREGNANCY_TEST_MISSING", "PP_CONFIRMATION_TEST_MISSING"}
)


@dataclass(frozen=True)
class HookService:
    id: str
    hook: Hook
    title: str
    description: str


SERVICES: Final = (
    HookService(
        "isocourse-order-select",
        "order-select",
        "isocourse: isotretinoin order check",
        "When an isotretinoin order is selected: the programme's rule set, pregnancy "
        "tests, labs, mood, interactions and supply, each finding with its source.",
    ),
    HookService(
        "isocourse-order-sign",
        "order-sign",
        "isocourse: isotretinoin order check before signing",
        "Before an isotretinoin order is signed: the same full assessment as isocourse's "
        "own pages, with what blocks the prescription first.",
    ),
    HookService(
        "isocourse-patient-view",
        "patient-view",
        "isocourse: isotretinoin course status",
        "When the chart of a patient on an isotretinoin course opens: what is blocked, due "
        "or dangerous today.",
    ),
)
SERVICES_BY_ID: Final = {service.id: service for service in SERVICES}


def prefetch_templates(knowledge: Knowledge) -> dict[str, str]:
    """The FHIR queries each service asks the EHR to prefetch (CDS Hooks prefetch tokens)."""
    loinc = [BODY_WEIGHT_LOINC, *PREGNANCY_TEST_METHOD_BY_LOINC]
    loinc += [code for test in knowledge.labs.tests for code in test.loinc]
    codes = ",".join(f"http://loinc.org|{code}" for code in dict.fromkeys(loinc))
    return {
        "patient": "Patient/{{context.patientId}}",
        "practitioner": "{{context.userId}}",
        "medications": "MedicationRequest?patient={{context.patientId}}&status=active,draft",
        "statements": "MedicationStatement?patient={{context.patientId}}&status=active",
        "observations": f"Observation?patient={{{{context.patientId}}}}&code={codes}",
    }


#: what each prefetch key lets isocourse check, in words for "not checked"
PREFETCH_MEANING: Final = {
    "patient": "the patient's date of birth",
    "medications": "the patient's other medicines (MedicationRequest)",
    "statements": "the medicines the patient reports taking (MedicationStatement)",
    "observations": "weight, pregnancy tests and lab results (Observation)",
}


class FhirReader(Protocol):
    def get_json(self, url: str, access_token: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HookRequest:
    """One CDS Hooks call, as the API validated it."""

    service_id: str
    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    prefetch: Mapping[str, Any]
    fhir_server: str | None = None
    access_token: str | None = None


@dataclass(frozen=True)
class CardSource:
    label: str
    url: str | None
    reference_id: str


@dataclass(frozen=True)
class IssuedCard:
    """One card's content, as the domain says it; the API renders it."""

    uuid: str
    indicator: Indicator
    code: str | None  # the alert code; None for "not checked" and dose cards
    title: str
    message: str
    sources: tuple[CardSource, ...]
    overridable: bool
    suggest_pregnancy_test: bool = False
    suggest_dose_mg_per_day: float | None = None


@dataclass(frozen=True)
class HookDecision:
    """The answer to one hook call. ``applies`` is False for an order that is not
    isotretinoin (or a chart of a patient with no course): no cards."""

    service: HookService
    applies: bool
    ehr_patient_id: str
    patient_id: str | None = None
    cards: tuple[IssuedCard, ...] = ()
    not_checked: tuple[str, ...] = ()
    order_id: str | None = None
    order_notes: tuple[str, ...] = ()
    dispense_allowed: bool | None = None


@dataclass
class _Gathered:
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    not_checked: list[str] = field(default_factory=list)


def run_hook(
    system: ClinicSystem,
    client: EhrClient,
    request: HookRequest,
    call: Call,
    reader: FhirReader,
) -> HookDecision:
    """Assess the hook's patient and order; store and audit the cards issued."""
    service = SERVICES_BY_ID.get(request.service_id)
    if service is None:
        raise NotFound(f"no CDS service {request.service_id!r}")
    if request.hook != service.hook:
        raise InvalidInput("hook", f"service {service.id} answers {service.hook!r}")
    ehr_patient = _text(request.context.get("patientId"), "context.patientId")
    fhir_server = (request.fhir_server or client.fhir_server or "").rstrip("/")
    knowledge = system.knowledge
    today = call.today

    orders = _draft_orders(request, service)
    isotretinoin = [r for r in orders if _is_isotretinoin_resource(r, knowledge)]
    if service.hook != "patient-view" and not isotretinoin:
        return HookDecision(service, False, ehr_patient)

    with system.store.reading() as session:
        patient_id = _linked(session, client.clinic_id, fhir_server, ehr_patient)
        stored = folded_document(session, patient_id, today) if patient_id else None

    gathered = _gather(request, client, fhir_server, reader)
    if service.hook == "patient-view" and patient_id is None:
        active = [
            r
            for r in gathered.resources.get("medications", [])
            if text_at(r, "status") == "active" and _is_isotretinoin_resource(r, knowledge)
        ]
        if not active:
            return HookDecision(service, False, ehr_patient)

    order: IsotretinoinOrder | None = None
    if isotretinoin:
        try:
            order = isotretinoin_order(isotretinoin[0], knowledge, today)
        except NotMapped as reason:
            gathered.not_checked.append(f"the isotretinoin order could not be read ({reason})")
    siblings = [r for r in orders if not _is_isotretinoin_resource(r, knowledge)]
    document, planned = _document(stored, gathered, siblings, order, client, knowledge, today)

    cards: list[IssuedCard] = []
    assessment: Assessment | None = None
    if document is None:
        gathered.not_checked.append("the assessment itself: the patient's date of birth is missing")
    else:
        try:
            record = record_from_document(document, knowledge, today)
        except Exception as error:  # a record that does not validate is not assessed
            gathered.not_checked.append(f"the assessment itself: {error}")
        else:
            assessment = assess(record, knowledge, as_of=today)
            cards = _alert_cards(assessment, knowledge)
    cards += _dose_cards(order, planned)
    if gathered.not_checked or (order is not None and order.notes):
        cards.append(_not_checked_card(gathered.not_checked, order))
    decision = HookDecision(
        service,
        True,
        ehr_patient,
        patient_id,
        tuple(cards),
        tuple(gathered.not_checked),
        order.resource_id if order else None,
        order.notes if order else (),
        assessment.dispense.allowed if assessment else None,
    )
    _store_cards(system, call, client, request, decision)
    return decision


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidInput(where, "a FHIR id is required")
    return value.strip()


def _draft_orders(request: HookRequest, service: HookService) -> list[dict[str, Any]]:
    if service.hook == "patient-view":
        return []
    bundle = request.context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidInput("context.draftOrders", "a FHIR Bundle of the draft orders is required")
    resources = [
        resource
        for entry in as_list(bundle.get("entry"))
        if (resource := as_dict(json_field(entry, "resource"))) is not None
    ]
    selections = request.context.get("selections")
    if service.hook == "order-select" and isinstance(selections, list) and selections:
        chosen = {s for s in selections if isinstance(s, str)}
        selected = [r for r in resources if f"{r.get('resourceType')}/{r.get('id')}" in chosen]
        others = [r for r in resources if r not in selected]
        return selected + [r for r in others if not _names_order_only(r)]
    return resources


def _names_order_only(resource: dict[str, Any]) -> bool:
    return resource.get("resourceType") != "MedicationRequest"


def _is_isotretinoin_resource(resource: dict[str, Any], knowledge: Knowledge) -> bool:
    if resource.get("resourceType") != "MedicationRequest":
        return False
    try:
        return is_isotretinoin(named_medicine(resource), knowledge)
    except NotMapped:
        return False


def _linked(session: Session, clinic_id: str, fhir_server: str, ehr_patient: str) -> str | None:
    return patient_linked_to(session, clinic_id, fhir_server, ehr_patient)


def _gather(
    request: HookRequest, client: EhrClient, fhir_server: str, reader: FhirReader
) -> _Gathered:
    gathered = _Gathered()
    patient = str(request.context.get("patientId"))
    for key, meaning in PREFETCH_MEANING.items():
        found = request.prefetch.get(key)
        if found is None:
            found = _fetch(key, patient, request, client, fhir_server, reader, gathered)
        if found is None:
            gathered.not_checked.append(meaning)
            continue
        gathered.resources[key] = _resources(found)
    return gathered


def _fetch(
    key: str,
    patient: str,
    request: HookRequest,
    client: EhrClient,
    fhir_server: str,
    reader: FhirReader,
    gathered: _Gathered,
) -> dict[str, Any] | None:
    if not request.fhir_server or not request.access_token:
        return None
    if client.fhir_server is not None and fhir_server != client.fhir_server:
        gathered.not_checked.append(
            "nothing was read from the fhirServer sent: it is not the one registered for this EHR"
        )
        return None
    query = prefetch_templates_for_fetch()[key].replace("{{context.patientId}}", patient)
    try:
        return reader.get_json(f"{fhir_server}/{query}", request.access_token)
    except Exception:  # the EHR's server did not answer: said as "not checked"
        return None


def prefetch_templates_for_fetch() -> dict[str, str]:
    """The queries read when a prefetch is missing (the lab codes are filtered on import)."""
    return {
        "patient": "Patient/{{context.patientId}}",
        "medications": "MedicationRequest?patient={{context.patientId}}&status=active,draft",
        "statements": "MedicationStatement?patient={{context.patientId}}&status=active",
        "observations": "Observation?patient={{context.patientId}}",
    }


def _resources(found: object) -> list[dict[str, Any]]:
    document = as_dict(found)
    if document is None:
        return []
    if document.get("resourceType") == "Bundle":
        return [
            resource
            for entry in as_list(document.get("entry"))
            if (resource := as_dict(json_field(entry, "resource"))) is not None
        ]
    return [document]


def _document(
    stored: dict[str, Any] | None,
    gathered: _Gathered,
    siblings: list[dict[str, Any]],
    order: IsotretinoinOrder | None,
    client: EhrClient,
    knowledge: Knowledge,
    today: date,
) -> tuple[dict[str, Any] | None, float | None]:
    """The course record's document, and the daily dose the stored course plans."""
    planned: float | None = None
    if stored is not None:
        document = dict(stored)
        proposed = stored.get("proposed_prescription")
        if isinstance(proposed, dict) and isinstance(proposed.get("mg_per_day"), int | float):
            planned = float(proposed["mg_per_day"])
    else:
        patients = gathered.resources.get("patient", [])
        birth = calendar_day(text_at(patients[0], "birthDate")) if patients else None
        if birth is None:
            return None, None
        product = order.product if order and order.product else "isotretinoin"
        gathered.not_checked.append(
            "whether the patient can get pregnant (not enrolled in isocourse: the strictest "
            "rules were applied)"
        )
        document = {
            "format": COURSE_FORMAT,
            "as_of": today.isoformat(),
            "programme": client.programme,
            "patient": {
                "id": f"ehr-{text_at(patients[0], 'id') or 'patient'}"[:64],
                "birth_date": birth.isoformat(),
                "can_get_pregnant": True,  # not in the EHR's Patient: the strictest case
            },
            "course": {"product": product},
        }
    document["as_of"] = today.isoformat()
    for name in ("weights", "labs", "pregnancy_tests", "medications"):
        document[name] = list(document.get(name, []))
    _add_observations(document, gathered, knowledge)
    medicines = [
        *gathered.resources.get("medications", []),
        *gathered.resources.get("statements", []),
    ]
    for resource in medicines:
        _add_medication(document, resource, knowledge, today, draft=False)
    for resource in siblings:
        _add_medication(document, resource, knowledge, today, draft=True)
    if order is not None:
        prescription = {
            k: v for k, v in entry_json(asdict(order.prescription)).items() if k != "id"
        }
        document["proposed_prescription"] = prescription
    return document, planned


def _add_observations(document: dict[str, Any], gathered: _Gathered, knowledge: Knowledge) -> None:
    observations = gathered.resources.get("observations", [])
    if not observations:
        return
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in observations],
    }
    found = observations_from_bundle(bundle, knowledge)
    for name, entries in (
        ("labs", found.labs),
        ("pregnancy_tests", found.pregnancy_tests),
        ("weights", found.weights),
    ):
        present = [entry_json(e) for e in document[name]]
        for entry in entries:
            fields = entry_json(asdict(entry))
            if fields not in present:
                document[name].append({**fields, "source": entry.source})
                present.append(fields)


def _add_medication(
    document: dict[str, Any],
    resource: dict[str, Any],
    knowledge: Knowledge,
    today: date,
    *,
    draft: bool,
) -> None:
    try:
        medication = other_medication(resource, knowledge, today, draft_order=draft)
    except NotMapped:
        return
    fields = entry_json(asdict(medication))
    present = [entry_json(e) for e in document["medications"]]
    if fields not in present:
        document["medications"].append({**fields, "source": "import"})


def _alert_cards(assessment: Assessment, knowledge: Knowledge) -> list[IssuedCard]:
    order = {"stop": 0, "block": 1, "urgent": 2, "warning": 3, "info": 4}
    cards = []
    for alert in sorted(assessment.alerts, key=lambda a: order[a.severity]):
        definition = knowledge.alerts.get(alert.code)
        title = definition.title if definition else alert.code
        cards.append(
            IssuedCard(
                uuid=str(uuid.uuid4()),
                indicator=knowledge.ehr.indicator[alert.severity],
                code=alert.code,
                title=title,
                message=alert.message,
                sources=tuple(card_sources(definition.source if definition else "", knowledge)),
                overridable=alert.severity != "stop",
                suggest_pregnancy_test=alert.code in PREGNANCY_TEST_CODES,
            )
        )
    return cards


def card_sources(source: str, knowledge: Knowledge) -> Iterable[CardSource]:
    """Each reference a source cites: its short citation and its public link."""
    for citation in unique_citations(source):
        reference = knowledge.references.references.get(citation.id)
        if reference is None:
            continue
        label = f"{reference.citation} {citation.locator}".strip()
        url = reference.url if reference.url and reference.url.startswith("https://") else None
        yield CardSource(label, url, citation.id)


def _dose_cards(order: IsotretinoinOrder | None, planned: float | None) -> list[IssuedCard]:
    drafted = order.prescription.mg_per_day if order else None
    if drafted is None or planned is None or abs(drafted - planned) < 1e-6:
        return []
    return [
        IssuedCard(
            uuid=str(uuid.uuid4()),
            indicator="warning",
            code=None,
            title="Dose differs from the course plan",
            message=(
                f"The order is for {drafted:g} mg a day; the course in isocourse plans "
                f"{planned:g} mg a day. Check which is meant, and change the order or the plan."
            ),
            sources=(),
            overridable=True,
            suggest_dose_mg_per_day=planned,
        )
    ]


def _not_checked_card(not_checked: list[str], order: IsotretinoinOrder | None) -> IssuedCard:
    notes = [*not_checked, *(order.notes if order else ())]
    return IssuedCard(
        uuid=str(uuid.uuid4()),
        indicator="warning",
        code=None,
        title="Not everything could be checked",
        message="isocourse could not check: " + "; ".join(notes) + ". Check these by hand "
        "before signing, or open the course in isocourse.",
        sources=(),
        overridable=True,
    )


def _store_cards(
    system: ClinicSystem,
    call: Call,
    client: EhrClient,
    request: HookRequest,
    decision: HookDecision,
) -> None:
    user = request.context.get("userId")
    detail = f"{decision.service.id} {request.hook_instance[:100]}"
    if isinstance(user, str):
        detail += f" user {user[:100]}"
    with unit_of_work(system) as session:
        for card in decision.cards:
            add_card(
                session,
                IssuedCardRecord(
                    uuid=card.uuid,
                    clinic_id=client.clinic_id,
                    issuer=client.issuer,
                    service_id=decision.service.id,
                    hook_instance=request.hook_instance[:100],
                    ehr_patient_id=decision.ehr_patient_id,
                    patient_id=decision.patient_id,
                    alert_code=card.code,
                    indicator=card.indicator,
                    summary=card.title[:140],
                    issued_at=call.now,
                ),
            )
        codes = ",".join(card.code or card.indicator for card in decision.cards)
        record_audit(
            session,
            call,
            "cds.hook",
            patient_id=decision.patient_id,
            detail=f"{detail}: {codes or 'no card'}",
        )


# -- feedback -------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    card: str
    outcome: Literal["accepted", "overridden"]
    outcome_at: str
    override_code: str | None = None
    override_display: str | None = None
    user_comment: str | None = None


def record_feedback(
    system: ClinicSystem,
    call: Call,
    client: EhrClient,
    service_id: str,
    items: Iterable[Feedback],
) -> int:
    """Store each feedback item against its card (cards of this EHR and service only),
    each audited. NotFound names a card this EHR was not given."""
    if service_id not in SERVICES_BY_ID:
        raise NotFound(f"no CDS service {service_id!r}")
    stored = 0
    with unit_of_work(system) as session:
        for item in items:
            card = card_by_uuid(session, item.card)
            if card is None or card.issuer != client.issuer or card.service_id != service_id:
                raise NotFound(f"no card {item.card!r} was issued to this EHR by {service_id}")
            feedback = CardFeedback(
                outcome=item.outcome,
                override_code=item.override_code,
                override_display=item.override_display,
                user_comment=item.user_comment,
                outcome_at=item.outcome_at[:40],
                received_at=call.now,
            )
            add_feedback(session, card, feedback)
            reason = item.override_display or item.override_code or ""
            what = card.alert_code or card.summary
            detail = f"card {card.uuid} {what} ({card.indicator}): {item.outcome}"
            if reason:
                detail += f", reason: {reason}"
            record_audit(session, call, "cds.feedback", patient_id=card.patient_id, detail=detail)
            stored += 1
    return stored


@dataclass(frozen=True)
class CriticalOverride:
    """A critical card the EHR's user overrode, for the work-list."""

    patient_id: str
    title: str
    reason: str
    at: datetime


def critical_overrides(
    session: Session, clinic_id: str, since: datetime
) -> dict[str, list[CriticalOverride]]:
    """The clinic's overridden critical cards since ``since``, newest first, by patient."""
    found: dict[str, list[CriticalOverride]] = {}
    for card in overridden_critical_cards(session, clinic_id, since):
        reason = card.reason or "no reason given"
        found.setdefault(card.patient_id, []).append(
            CriticalOverride(card.patient_id, card.summary, reason, card.received_at)
        )
    return found


#: how far back the work-list shows overrides of critical cards
OVERRIDES_SHOWN_DAYS: Final = 30


def overrides_window(now: datetime) -> datetime:
    return now - timedelta(days=OVERRIDES_SHOWN_DAYS)


# -- linking an EHR patient -------------------------------------------------------------


@dataclass(frozen=True)
class EhrLink:
    """A patient of this clinic, known to an EHR (its FHIR server) by the EHR's id."""

    patient_id: str
    fhir_server: str
    ehr_patient_id: str


def link_ehr_patient(
    system: ClinicSystem, call: Call, patient_id: str, *, fhir_server: str, ehr_patient_id: str
) -> EhrLink:
    """Link an EHR's patient (its FHIR server and id) to a patient of the caller's clinic."""
    from isocourse.service.context import require_role

    require_role(call.actor, "prescriber")
    server = fhir_server.rstrip("/")
    if not server.startswith(("https://", "http://")) or len(server) > 1000:
        raise InvalidInput("fhir_server", "an http(s) URL of at most 1000 characters")
    ehr_id = _text(ehr_patient_id, "ehr_patient_id")
    with unit_of_work(system) as session:
        patient_for(session, call.actor, patient_id)
        link_in_session(session, call, patient_id, server, ehr_id)
        record_audit(session, call, "ehr.link", patient_id=patient_id, detail=f"{server} {ehr_id}")
    return EhrLink(patient_id, server, ehr_id)


def link_in_session(
    session: Session, call: Call, patient_id: str, server: str, ehr_id: str
) -> None:
    """Create or move the link (an EHR patient names one isocourse patient)."""
    link_patient(
        session,
        clinic_id=call.actor.clinic_id,
        fhir_server=server,
        ehr_patient_id=ehr_id,
        patient_id=patient_id,
        now=call.now,
    )


def linked_patient(session: Session, clinic_id: str, server: str, ehr_id: str) -> str | None:
    return _linked(session, clinic_id, server.rstrip("/"), ehr_id)
