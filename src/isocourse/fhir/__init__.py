"""FHIR R4 (4.0.1): export a course as a Bundle, import Observations from an EHR's Bundle.

- :func:`isocourse.fhir.export.course_bundle` — record + assessment → Bundle (JSON dict);
- :func:`isocourse.fhir.importer.observations_from_bundle` — Bundle → lab results,
  pregnancy tests and weights, with everything unmapped reported.

Plain JSON in and out; no FHIR model library at run time (the tests validate the
output with ``fhir.resources.R4B`` and read it back with ``fhirclient``).
"""
