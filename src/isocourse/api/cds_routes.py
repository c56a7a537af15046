"""CDS Hooks 2.0: discovery, the three services, and their feedback endpoints.

Outside ``/api/v1`` and outside the app's sessions: discovery is public, and every
other call is authenticated by the JWT the EHR signs (``Authorization: Bearer``),
checked against the keys registered for its issuer (``isocourse cds-client add``).
The service (:mod:`isocourse.service.cds_hooks`) returns domain values; this module
renders them as cards: summary, Markdown detail with what to do and the sources,
source label and link, override reasons, suggestions and a SMART link to the course.
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.wiring import WiringDep
from isocourse.errors import InvalidInput
from isocourse.fhir.client import EhrHttp
from isocourse.fhir.codes import LOINC, PREGNANCY_TEST_DISPLAY, PREGNANCY_TEST_LOINC_BY_METHOD
from isocourse.fhir.medication import ucum_quantity
from isocourse.service.cds_clients import EhrClient, authenticate
from isocourse.service.cds_hooks import (
    SERVICES,
    Feedback,
    HookDecision,
    HookRequest,
    IssuedCard,
    prefetch_templates,
    record_feedback,
    run_hook,
)
from isocourse.wiring import Wiring

CDS_PREFIX: Final = "/cds-services"
SUMMARY_LIMIT: Final = 139  # CDS Hooks: "<140 characters"
OVERRIDE_SYSTEM: Final = "urn:isocourse:cds-override-reason"
OVERRIDE_REASONS: Final = (
    ("not-taking", "The patient no longer takes the medicine named"),
    ("ehr-data-outdated", "The EHR's information is out of date; isocourse has the current record"),
    (
        "benefit-outweighs-risk",
        "Clinical judgement: benefit outweighs the risk, discussed with the patient",
    ),
    ("will-review", "Will review in isocourse before the prescription is dispensed"),
)

router = APIRouter(prefix=CDS_PREFIX, tags=["cds-hooks"])

_UNAUTHENTICATED: Final[dict[int | str, dict[str, Any]]] = {
    400: ERROR_RESPONSES[400],
    401: {**ERROR_RESPONSES[401], "description": "no valid JWT signed by a registered EHR"},
    404: ERROR_RESPONSES[404],
    422: {"description": "not a CDS Hooks request (the field is named)"},
}
ServiceId = Annotated[str, Path(max_length=60, description="a service id from discovery")]


class _Authorization(BaseModel):
    model_config = ConfigDict(extra="allow")
    access_token: str = Field(max_length=8000)
    token_type: str = Field(default="Bearer", max_length=40)
    subject: str | None = Field(default=None, max_length=400)


class _HookCall(BaseModel):
    model_config = ConfigDict(extra="allow")
    hook: str = Field(max_length=60)
    hookInstance: str = Field(max_length=200)
    fhirServer: str | None = Field(default=None, max_length=1000)
    fhirAuthorization: _Authorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class _Coding(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str | None = Field(default=None, max_length=100)
    system: str | None = Field(default=None, max_length=300)
    display: str | None = Field(default=None, max_length=300)


class _OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")
    reason: _Coding | None = None
    userComment: str | None = Field(default=None, max_length=2000)


class _FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    card: str = Field(max_length=60)
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str = Field(max_length=40)
    overrideReason: _OverrideReason | None = None


class _FeedbackCall(BaseModel):
    model_config = ConfigDict(extra="allow")
    feedback: list[_FeedbackItem] = Field(max_length=100)


def _parsed(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return TypeAdapter(model).validate_python(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidInput(where, str(problem["msg"])) from error


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _audience(request: Request, wired: Wiring) -> str:
    """The URL the EHR called (its JWT's ``aud``): the configured public URL, else the
    request's own."""
    public = wired.settings.public_url
    if public:
        return public.rstrip("/") + request.url.path
    return str(request.url.replace(query=None))


def _fetch_jwks(url: str) -> dict[str, Any]:
    return EhrHttp().get_json(url)


def _ehr(request: Request, wired: Wiring) -> EhrClient:
    return authenticate(
        wired.system,
        _bearer(request),
        audience=_audience(request, wired),
        now=wired.now(),
        fetch_jwks=_fetch_jwks,
    )


@router.get("")
def discovery(wired: WiringDep) -> dict[str, Any]:
    """The CDS services isocourse offers (no authentication, as CDS Hooks requires)."""
    prefetch = prefetch_templates(wired.system.knowledge)
    return {
        "services": [
            {
                "hook": service.hook,
                "id": service.id,
                "title": service.title,
                "description": service.description,
                "prefetch": prefetch,
                "usageRequirements": "The EHR registers its JWT issuer and keys with the clinic "
                "(isocourse cds-client add).",
            }
            for service in SERVICES
        ]
    }


@router.post("/{service_id}", responses=_UNAUTHENTICATED)
def call_service(
    service_id: ServiceId,
    request: Request,
    wired: WiringDep,
    body: Annotated[dict[str, Any], Body(description="a CDS Hooks 2.0 request")],
) -> dict[str, Any]:
    """Cards for the hook: the course's assessment, each finding with its source."""
    client = _ehr(request, wired)
    call = client.call(request.state.request_id, wired.now())
    parsed: _HookCall = _parsed(_HookCall, body)
    hook_request = HookRequest(
        service_id=service_id,
        hook=parsed.hook,
        hook_instance=parsed.hookInstance,
        context=parsed.context,
        prefetch=parsed.prefetch or {},
        fhir_server=parsed.fhirServer,
        access_token=parsed.fhirAuthorization.access_token if parsed.fhirAuthorization else None,
    )
    decision = run_hook(wired.system, client, hook_request, call, EhrHttp())
    base = _base(request, wired)
    return {"cards": [_card(card, decision, parsed, base) for card in decision.cards]}


@router.post("/{service_id}/feedback", responses=_UNAUTHENTICATED)
def feedback(
    service_id: ServiceId,
    request: Request,
    wired: WiringDep,
    body: Annotated[dict[str, Any], Body(description="CDS Hooks feedback")],
) -> dict[str, Any]:
    """Accepted and overridden cards, stored and audited (overrides reach the work-list)."""
    client = _ehr(request, wired)
    call = client.call(request.state.request_id, wired.now())
    parsed: _FeedbackCall = _parsed(_FeedbackCall, body)
    items = [
        Feedback(
            card=item.card,
            outcome=item.outcome,
            outcome_at=item.outcomeTimestamp,
            override_code=_reason(item, "code"),
            override_display=_reason(item, "display"),
            user_comment=item.overrideReason.userComment if item.overrideReason else None,
        )
        for item in parsed.feedback
    ]
    return {"received": record_feedback(wired.system, call, client, service_id, items)}


def _reason(item: _FeedbackItem, name: Literal["code", "display"]) -> str | None:
    reason = item.overrideReason.reason if item.overrideReason else None
    return getattr(reason, name) if reason is not None else None


def _base(request: Request, wired: Wiring) -> str:
    return (wired.settings.public_url or str(request.base_url)).rstrip("/")


def _card(card: IssuedCard, decision: HookDecision, call: _HookCall, base: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "uuid": card.uuid,
        "summary": _summary(card),
        "detail": _detail(card),
        "indicator": card.indicator,
        "source": _source(card, base),
        "links": [
            {
                "label": "Open the course in isocourse",
                "url": f"{base}/smart/launch",
                "type": "smart",
                "appContext": json.dumps(
                    {"patient": decision.patient_id, "ehrPatient": decision.ehr_patient_id}
                ),
            }
        ],
    }
    if card.overridable:
        rendered["overrideReasons"] = [
            {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
            for code, display in OVERRIDE_REASONS
        ]
    suggestions = _suggestions(card, decision, call)
    if suggestions:
        rendered["suggestions"] = suggestions
        rendered["selectionBehavior"] = "at-most-one"
    return rendered


def _summary(card: IssuedCard) -> str:
    prefix = "isotretinoin: "
    text = prefix + card.title
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def _detail(card: IssuedCard) -> str:
    lines = [card.message]
    if card.sources:
        cited = "; ".join(f"[{s.label}]({s.url})" if s.url else s.label for s in card.sources)
        lines.append(f"**Source:** {cited}")
    if card.code:
        lines.append(f"Alert code `{card.code}` (isocourse rule catalogue).")
    return "\n\n".join(lines)


def _source(card: IssuedCard, base: str) -> dict[str, str]:
    if card.sources:
        first = card.sources[0]
        source = {"label": first.label}
        if first.url:
            source["url"] = first.url
        return source
    return {"label": "isocourse course check", "url": f"{base}/"}


def _suggestions(card: IssuedCard, decision: HookDecision, call: _HookCall) -> list[dict[str, Any]]:
    patient = f"Patient/{decision.ehr_patient_id}"
    if card.suggest_pregnancy_test:
        code = PREGNANCY_TEST_LOINC_BY_METHOD["serum"]
        order = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "order",
            "code": {
                "coding": [
                    {"system": LOINC, "code": code, "display": PREGNANCY_TEST_DISPLAY[code]}
                ],
                "text": "Pregnancy test (serum hCG)",
            },
            "subject": {"reference": patient},
        }
        return [
            {
                "label": "Order a serum pregnancy test",
                "isRecommended": True,
                "actions": [
                    {
                        "type": "create",
                        "description": "Order a serum hCG pregnancy test",
                        "resource": order,
                    }
                ],
            }
        ]
    planned = card.suggest_dose_mg_per_day
    draft = _draft(call, decision.order_id)
    if planned is not None and draft is not None:
        changed = copy.deepcopy(draft)
        changed["dosageInstruction"] = [
            {
                "text": f"{planned:g} mg per day",
                "doseAndRate": [
                    {
                        "rateRatio": {
                            "numerator": ucum_quantity(planned, "mg"),
                            "denominator": ucum_quantity(1, "d", "day"),
                        }
                    }
                ],
            }
        ]
        return [
            {
                "label": f"Change the order to {planned:g} mg a day (the course plan)",
                "actions": [
                    {
                        "type": "update",
                        "description": "Set the planned daily dose",
                        "resource": changed,
                    }
                ],
            }
        ]
    return []


def _draft(call: _HookCall, order_id: str | None) -> dict[str, Any] | None:
    bundle = call.context.get("draftOrders")
    if order_id is None or not isinstance(bundle, dict):
        return None
    for entry in bundle.get("entry", []) if isinstance(bundle.get("entry"), list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("id") == order_id:
            return resource
    return None
