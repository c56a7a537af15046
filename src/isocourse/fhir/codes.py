"""Code systems and codes used in isocourse's FHIR R4 resources, each with its source.

Lab test codes (LOINC) and their units come from the lab knowledge
(``knowledge.labs``); this module holds the few codes that are not lab tests.
"""

from __future__ import annotations

from typing import Final

from isocourse.assessment import Severity

# -- code systems (HL7 FHIR R4 "Using Codes": canonical URIs) --------------------------------
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
SNOMED: Final = "http://snomed.info/sct"
#: RxNorm (NLM): the FHIR system URI of RxNorm codes (HL7 Medication REMS IG examples)
RXNORM: Final = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
OBSERVATION_INTERPRETATION: Final = (
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
)

# -- isocourse's own names (URNs: they name, they do not resolve) ------------------------------
PATIENT_ID_SYSTEM: Final = "urn:isocourse:patient-id"
ALERT_CODE_SYSTEM: Final = "urn:isocourse:alert-code"
EXTENSION_ALERT_SOURCE: Final = "urn:isocourse:fhir:extension:alert-source"
EXTENSION_ALERT_SEVERITY: Final = "urn:isocourse:fhir:extension:alert-severity"
EXTENSION_TEST_SETTING: Final = "urn:isocourse:fhir:extension:pregnancy-test-setting"
EXTENSION_LAB_TEST: Final = "urn:isocourse:fhir:extension:lab-test"
#: ``meta.tag`` code system: who recorded a course-record entry (clinician, patient, lab, import)
ENTRY_SOURCE_SYSTEM: Final = "urn:isocourse:entry-source"
CLINIC_ID_SYSTEM: Final = "urn:isocourse:clinic-id"

# -- who recorded an entry: security labels --------------------------------------------------
# HL7 Terminology, CodeSystem v3-ObservationValue, value sets
# SecurityIntegrityProvenanceAssertedByObservationValue and ...ReportedByObservationValue
# (http://terminology.hl7.org/ValueSet/v3-SecurityIntegrityProvenanceAssertedByObservationValue):
# "patient asserted" PATAST, "patient reported" PATRPT, "healthcare professional asserted"
# HCPAST, carried in ``meta.security`` (FHIR R4 security labels, integrity provenance:
# https://hl7.org/fhir/R4/security-labels.html). The codes of the "asserted by" and "reported
# by" value sets: CLINAST DEVAST HCPAST PACQAST PATAST PAYAST PROAST SDMAST, CLINRPT DEVRPT
# HCPRPT PACQRPT PATRPT PAYRPT PRORPT SDMRPT.
SECURITY_OBSERVATION_VALUE: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
PATIENT_LABELS: Final = (("PATRPT", "patient reported"), ("PATAST", "patient asserted"))
CLINIC_LABELS: Final = (("HCPAST", "healthcare professional asserted"),)
#: labels that say the patient, someone close to them or their proxy supplied the data:
#: an import reads any of them as patient-reported (it never counts as the clinic's)
PATIENT_SIDE_LABELS: Final = frozenset(
    {"PATAST", "PATRPT", "PACQAST", "PACQRPT", "SDMAST", "SDMRPT"}
)
#: reference targets that mean the patient's side recorded or performed the entry
PATIENT_SIDE_TYPES: Final = frozenset({"Patient", "RelatedPerson"})

# -- body weight ---------------------------------------------------------------------------------
# LOINC 29463-7 "Body weight"; UCUM kg, [lb_av] and g: HL7 FHIR R4 body weight profile
# (http://hl7.org/fhir/R4/bodyweight.html) and its value set
# http://hl7.org/fhir/ValueSet/ucum-bodyweight (https://hl7.org/fhir/R4B/valueset-ucum-bodyweight.html).
BODY_WEIGHT_LOINC: Final = "29463-7"
WEIGHT_UCUM: Final = {"kg": "kg", "lb": "[lb_av]"}

# -- pregnancy tests -----------------------------------------------------------------------------
# LOINC codes (loinc.org): 2106-3 hCG [Presence] in Urine (HL7 IBCM example);
# 2118-8 hCG [Presence] in Serum or Plasma; 2110-5 hCG beta subunit [Presence] in Serum/Plasma
# (ARUP); 80385-8 hCG [Presence] in Serum by rapid immunoassay (loinc.org/80385-8).
PREGNANCY_TEST_LOINC_BY_METHOD: Final = {"urine": "2106-3", "serum": "2118-8"}
PREGNANCY_TEST_DISPLAY: Final = {
    "2106-3": "Choriogonadotropin (pregnancy test) [Presence] in Urine",
    "2118-8": "Choriogonadotropin [Presence] in Serum or Plasma",
}
PREGNANCY_TEST_METHOD_BY_LOINC: Final = {
    "2106-3": "urine",
    "2118-8": "serum",
    "2110-5": "serum",
    "80385-8": "serum",
}
# Qualitative results. SNOMED CT 10828004 |Positive| and 260385009 |Negative| (qualifier values,
# as in the HL7 FHIR R4 example Observations); HL7 v3 ObservationInterpretation POS / NEG
# (http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation).
RESULT_SNOMED: Final = {"positive": "10828004", "negative": "260385009"}
RESULT_INTERPRETATION: Final = {"positive": "POS", "negative": "NEG"}

# -- mood screens --------------------------------------------------------------------------------
# LOINC 44249-1 "PHQ-9 quick depression assessment panel" with items 44250-9 ... 44260-8 and
# total 44261-6; LOINC 55757-9 PHQ-2 panel (items 44250-9, 44255-8), total 55758-7; answer
# list LL358-3: LA6568-5 Not at all (0), LA6569-3 Several days (1), LA6570-1 More than half
# the days (2), LA6571-9 Nearly every day (3). Sources: loinc.org/44249-1 and loinc.org/55757-9;
# the LOINC-derived FHIR Questionnaire http://loinc.org/q/44249-1 (Regenstrief, via LHC-Forms).
PHQ9_ITEM_LOINC: Final = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
MOOD_PANEL: Final = {
    "phq9": ("44249-1", "PHQ-9 quick depression assessment panel", "44261-6"),
    "phq2": ("55757-9", "Patient Health Questionnaire 2 item (PHQ-2)", "55758-7"),
}
PHQ_ANSWER: Final = (
    ("LA6568-5", "Not at all"),
    ("LA6569-3", "Several days"),
    ("LA6570-1", "More than half the days"),
    ("LA6571-9", "Nearly every day"),
)

# -- alerts as DetectedIssue ---------------------------------------------------------------------
# DetectedIssue.severity is bound (required) to http://hl7.org/fhir/detectedissue-severity:
# high | moderate | low (https://hl7.org/fhir/R4/valueset-detectedissue-severity.html).
# isocourse's five severities keep their exact value in an extension.
DETECTED_ISSUE_SEVERITY: Final[dict[Severity, str]] = {
    "stop": "high",
    "urgent": "high",
    "block": "high",
    "warning": "moderate",
    "info": "low",
}

# -- required bindings we emit (R4 value sets); checked by the tests -----------------------------
MEDICATION_REQUEST_STATUS: Final = frozenset(
    {
        "active",
        "on-hold",
        "cancelled",
        "completed",
        "entered-in-error",
        "stopped",
        "draft",
        "unknown",
    }
)
MEDICATION_REQUEST_INTENT: Final = frozenset(
    {
        "proposal",
        "plan",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    }
)
MEDICATION_STATEMENT_STATUS: Final = frozenset(
    {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    }
)
MEDICATION_DISPENSE_STATUS: Final = frozenset(
    {
        "preparation",
        "in-progress",
        "cancelled",
        "on-hold",
        "completed",
        "entered-in-error",
        "stopped",
        "declined",
        "unknown",
    }
)
OBSERVATION_STATUS: Final = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
# Observation statuses whose value a clinician may act on (R4 observation-status: "final",
# "amended" and "corrected" are complete and verified results).
OBSERVATION_STATUS_IMPORTABLE: Final = frozenset({"final", "amended", "corrected"})
