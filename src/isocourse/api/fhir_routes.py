"""FHIR R4 reads: ``Patient/{id}/$everything`` and a read of each resource type.

``application/fhir+json``; the same bearer token and authorisation as the JSON API
(prescribers of the patient's clinic; a patient their own record only). Errors keep
the API's one error shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.wiring import ReadCall, WiringDep
from isocourse.service.interop import FHIR_RESOURCE_TYPES, export_patient_bundle, read_fhir_resource

FHIR_JSON = "application/fhir+json"
FHIR_PREFIX = "/fhir"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


router = APIRouter(
    prefix=FHIR_PREFIX,
    tags=["fhir"],
    responses=ERROR_RESPONSES,
    default_response_class=FhirResponse,
)

_FHIR_OK: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}}, "description": "FHIR R4 JSON"}
}
ResourceType = Annotated[str, Path(description="one of: " + ", ".join(sorted(FHIR_RESOURCE_TYPES)))]


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + FHIR_PREFIX


@router.get("/Patient/{patient_id}/$everything", responses=_FHIR_OK)
def everything(
    patient_id: str,
    request: Request,
    wired: WiringDep,
    call: ReadCall,
) -> FhirResponse:
    """The patient's course as a FHIR ``searchset`` Bundle."""
    bundle = export_patient_bundle(wired.system, call, patient_id, base_url=_base_url(request))
    return FhirResponse(bundle)


@router.get("/{resource_type}/{resource_id}", responses=_FHIR_OK)
def read(
    resource_type: ResourceType,
    resource_id: str,
    request: Request,
    wired: WiringDep,
    call: ReadCall,
) -> FhirResponse:
    """One resource of a patient the caller may see (ids as in ``$everything``)."""
    resource = read_fhir_resource(
        wired.system, call, resource_type, resource_id, base_url=_base_url(request)
    )
    return FhirResponse(resource)
