"""A patient's course as documents (summary PDF, iCalendar feed), a FHIR Bundle import,
and the patient's reminder preference. Same authorisation as reading the record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from isocourse.api.errors import ERROR_RESPONSES
from isocourse.api.responses import BundleImportOut, EhrLinkOut, ReminderPreferenceOut
from isocourse.api.schemas import day_query
from isocourse.api.wiring import ReadCall, WiringDep, WriteCall
from isocourse.service.cds_hooks import link_ehr_patient
from isocourse.service.documents import read_calendar, read_report_pdf
from isocourse.service.observation_import import import_bundle
from isocourse.service.reminders import set_reminder_preference

router = APIRouter(prefix="/patients", tags=["outputs"], responses=ERROR_RESPONSES)


class EhrLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fhir_server: str = Field(
        max_length=1000, description="the EHR's FHIR base URL (its fhirServer, its SMART iss)"
    )
    ehr_patient_id: str = Field(min_length=1, max_length=200, description="the EHR's Patient.id")


class ReminderPreferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None, max_length=320, description="where reminders go; default: the login e-mail"
    )
    opt_out: bool = Field(default=False, description="true: send this patient no reminders")


def _binary(media_type: str, text: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {media_type: {"schema": {"type": "string"}}}, "description": text}}


@router.get(
    "/{patient_id}/report.pdf",
    response_class=Response,
    responses=_binary("application/pdf", "the course summary (PDF)"),
)
def get_report_pdf(
    patient_id: str,
    wired: WiringDep,
    call: ReadCall,
    as_of: Annotated[date | None, day_query("the day reported; default: today")] = None,
) -> Response:
    """The course summary a clinician files (PDF)."""
    pdf = read_report_pdf(wired.system, call, patient_id, as_of)
    disposition = f'attachment; filename="isocourse-{patient_id}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get(
    "/{patient_id}/calendar.ics",
    response_class=Response,
    responses=_binary("text/calendar", "the patient's iCalendar feed"),
)
def get_calendar(patient_id: str, wired: WiringDep, call: ReadCall) -> Response:
    """Due tests, the dispense window and the projected end, as an iCalendar feed."""
    feed = read_calendar(wired.system, call, patient_id)
    return Response(feed, media_type="text/calendar; charset=utf-8")


@router.post("/{patient_id}/fhir-import")
def post_fhir_import(
    patient_id: str,
    wired: WiringDep,
    call: WriteCall,
    bundle: Annotated[dict[str, Any], Body(description="a FHIR R4 Bundle of Observations")],
    subject: Annotated[
        str | None,
        Query(description="import only Observations about this subject (e.g. Patient/123)"),
    ] = None,
) -> BundleImportOut:
    """Import lab, pregnancy-test and weight Observations (prescriber); unmapped ones listed."""
    imported = import_bundle(wired.system, call, patient_id, bundle, subject=subject)
    return BundleImportOut.of(imported)


@router.post("/{patient_id}/reminder-preference", status_code=201)
def post_reminder_preference(
    patient_id: str, preference: ReminderPreferenceIn, wired: WiringDep, call: WriteCall
) -> ReminderPreferenceOut:
    """Where reminder e-mails go, or none at all (the patient, or a prescriber)."""
    recorded = set_reminder_preference(
        wired.system, call, patient_id, email=preference.email, opt_out=preference.opt_out
    )
    return ReminderPreferenceOut.of(recorded)


@router.post("/{patient_id}/ehr-links", status_code=201)
def post_ehr_link(
    patient_id: str, link: EhrLinkIn, wired: WiringDep, call: WriteCall
) -> EhrLinkOut:
    """Link the patient to their record in an EHR (CDS Hooks calls then assess the
    stored course); a prescriber of the patient's clinic."""
    linked = link_ehr_patient(
        wired.system,
        call,
        patient_id,
        fhir_server=link.fhir_server,
        ehr_patient_id=link.ehr_patient_id,
    )
    return EhrLinkOut.of(linked)
