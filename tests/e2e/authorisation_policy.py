"""Who may use each route: the expected allow/deny for every role and relation.

Every route of the application (every method) has one rule here, keyed by
``(METHOD, path)``; ``test_authorisation_matrix`` walks the route table and fails on a
route without a rule, so a new endpoint or page cannot ship without deciding who may
use it.

Callers are the four roles, all of clinic "a", and an anonymous caller. Relations
name what the request is about:

- ``none``: nothing patient-specific (log-in, the work-list, the planner ...);
- ``own``: patient P of clinic a, the patient whom the patient login belongs to;
- ``sibling``: another patient of clinic a (own clinic, but not the patient's own);
- ``foreign``: a patient of clinic b (another clinic);
- ``own token`` / ``wrong token``: a capability link (the calendar feed, an invitation)
  with the patient's own secret, or with another patient's (a made-up one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

CALLERS: Final = ("anonymous", "prescriber", "pharmacist", "patient", "admin")
PATIENT_RELATIONS: Final = ("own", "sibling", "foreign")
OWN_CLINIC: Final = frozenset({"own", "sibling"})
OWN_PATIENT: Final = frozenset({"own"})
NOBODY: Final[Mapping[str, frozenset[str]]] = {}


@dataclass(frozen=True)
class Rule:
    """The relations a route is tried with, and the (caller, relation) cells allowed."""

    relations: tuple[str, ...]
    allowed: Mapping[str, frozenset[str]]
    public: bool = False
    #: called by a registered EHR with a signed JWT, never by a signed-in user
    ehr: bool = False

    def allows(self, caller: str, relation: str) -> bool:
        return relation in self.allowed.get(caller, frozenset())


def public() -> Rule:
    """Anyone, signed in or not (log-in, health, the schema, static files)."""
    return Rule(("none",), dict.fromkeys(CALLERS, frozenset({"none"})), public=True)


def roles(*names: str) -> Rule:
    """Signed-in callers of these roles; nothing patient-specific."""
    return Rule(("none",), dict.fromkeys(names, frozenset({"none"})))


def about_a_patient(*, patient: bool = False) -> Rule:
    """A patient's data: the prescribers of its clinic; the patient, if ``patient``."""
    allowed = {"prescriber": OWN_CLINIC, **({"patient": OWN_PATIENT} if patient else {})}
    return Rule(PATIENT_RELATIONS, allowed)


def about_a_prescription(*, prescriber: bool = False) -> Rule:
    """A prescription by id: the pharmacists of its clinic (and, if so, its prescribers)."""
    allowed = {"pharmacist": OWN_CLINIC, **({"prescriber": OWN_CLINIC} if prescriber else {})}
    return Rule(PATIENT_RELATIONS, allowed)


def ehr_only() -> Rule:
    """CDS Hooks: only an EHR with a JWT signed by a registered key; no app caller."""
    return Rule(("none",), NOBODY, ehr=True)


def capability_link() -> Rule:
    """A secret link: whoever holds the patient's own token, nobody with another's."""
    return Rule(("own token", "wrong token"), dict.fromkeys(CALLERS, frozenset({"own token"})))


API = "/api/v1"
POLICY: Final[Mapping[tuple[str, str], Rule]] = {
    # the framework's own pages: the schema and its viewers are public
    ("GET", "/openapi.json"): public(),
    ("GET", "/docs"): public(),
    ("GET", "/docs/oauth2-redirect"): public(),
    ("GET", "/redoc"): public(),
    ("GET", "/static"): public(),
    ("GET", "/health"): public(),
    # the JSON API
    ("POST", f"{API}/auth/token"): public(),
    ("POST", f"{API}/auth/logout"): roles("prescriber", "pharmacist", "patient", "admin"),
    ("GET", f"{API}/schemas/{{name}}"): public(),  # format documentation, no patient data
    ("POST", f"{API}/patients"): roles("prescriber"),
    ("GET", f"{API}/patients/{{patient_id}}/record"): about_a_patient(patient=True),
    ("GET", f"{API}/patients/{{patient_id}}/assessment"): about_a_patient(patient=True),
    ("GET", f"{API}/patients/{{patient_id}}/events"): about_a_patient(patient=True),
    ("POST", f"{API}/patients/{{patient_id}}/events"): about_a_patient(patient=True),
    ("POST", f"{API}/patients/{{patient_id}}/corrections"): about_a_patient(),
    ("POST", f"{API}/patients/{{patient_id}}/prescriptions"): about_a_patient(),
    (
        "POST",
        f"{API}/patients/{{patient_id}}/prescriptions/{{prescription_id}}/cancel",
    ): about_a_patient(),
    ("GET", f"{API}/prescriptions/{{prescription_id}}/verification"): about_a_prescription(
        prescriber=True
    ),
    ("POST", f"{API}/prescriptions/{{prescription_id}}/dispenses"): about_a_prescription(),
    ("GET", f"{API}/worklist"): roles("prescriber"),
    ("POST", f"{API}/evaluate"): roles("prescriber", "pharmacist", "patient", "admin"),
    ("GET", f"{API}/patients/{{patient_id}}/report.pdf"): about_a_patient(patient=True),
    ("GET", f"{API}/patients/{{patient_id}}/calendar.ics"): about_a_patient(patient=True),
    ("POST", f"{API}/patients/{{patient_id}}/fhir-import"): about_a_patient(),
    ("POST", f"{API}/patients/{{patient_id}}/reminder-preference"): about_a_patient(patient=True),
    ("GET", "/fhir/Patient/{patient_id}/$everything"): about_a_patient(patient=True),
    ("GET", "/fhir/{resource_type}/{resource_id}"): about_a_patient(patient=True),
    ("POST", f"{API}/patients/{{patient_id}}/ehr-links"): about_a_patient(),
    # CDS Hooks: discovery is public; the services answer registered EHRs only
    ("GET", "/cds-services"): public(),
    ("POST", "/cds-services/{service_id}"): ehr_only(),
    ("POST", "/cds-services/{service_id}/feedback"): ehr_only(),
    # the pages
    ("GET", "/"): public(),
    ("GET", "/login"): public(),
    ("POST", "/login"): public(),
    ("POST", "/logout"): public(),
    ("GET", "/admin"): roles("admin"),
    ("POST", "/admin/users/{user_id}/{change}"): roles("admin"),
    ("POST", "/admin/second-factor"): roles("admin"),
    ("GET", "/account/second-factor"): roles("prescriber", "pharmacist", "admin"),
    ("POST", "/account/second-factor"): roles("prescriber", "pharmacist", "admin"),
    ("GET", "/invitations/{token}"): capability_link(),
    ("POST", "/invitations/{token}"): capability_link(),
    ("GET", "/worklist"): roles("prescriber"),
    ("GET", "/patients/{patient_id}"): about_a_patient(),
    ("POST", "/patients/{patient_id}/events/{kind}"): about_a_patient(),
    ("POST", "/patients/{patient_id}/events/{event_id}/entered-in-error"): about_a_patient(),
    ("POST", "/patients/{patient_id}/prescribe/check"): about_a_patient(),
    ("POST", "/patients/{patient_id}/prescribe"): about_a_patient(),
    ("POST", "/patients/{patient_id}/prescriptions/{prescription_id}/cancel"): about_a_patient(),
    ("POST", "/patients/{patient_id}/reviews"): about_a_patient(),
    ("GET", "/patients/{patient_id}/charts/cumulative.png"): about_a_patient(),
    ("GET", "/patients/{patient_id}/charts/lab-{test}.png"): about_a_patient(),
    ("GET", "/patients/{patient_id}/report.pdf"): about_a_patient(),
    ("GET", "/patients/{patient_id}/calendar.ics"): about_a_patient(),
    ("GET", "/patients/{patient_id}/access"): about_a_patient(),
    ("POST", "/patients/{patient_id}/invitation"): about_a_patient(),
    ("POST", "/patients/{patient_id}/calendar-link"): about_a_patient(),
    ("POST", "/patients/{patient_id}/calendar-link/revoke"): about_a_patient(),
    ("GET", "/pharmacy"): roles("pharmacist"),
    ("POST", "/pharmacy"): about_a_prescription(),
    ("POST", "/pharmacy/dispense"): about_a_prescription(),
    ("GET", "/me"): roles("patient"),
    ("POST", "/me/check-in"): roles("patient"),
    ("POST", "/me/symptoms"): roles("patient"),
    ("POST", "/me/mood"): roles("patient"),
    ("GET", "/me/guide"): roles("patient"),
    ("POST", "/me/calendar-link"): roles("patient"),
    ("GET", "/planner"): roles("prescriber"),
    ("POST", "/planner"): roles("prescriber"),
    ("GET", "/feeds/calendar/{patient_id}/{token}.ics"): capability_link(),
    # SMART EHR launch: a prescriber signed in to isocourse (the EHR is checked inside)
    ("GET", "/smart/launch"): roles("prescriber"),
    ("GET", "/smart/callback"): roles("prescriber"),
}
