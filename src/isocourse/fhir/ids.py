"""Stable FHIR ids and references for one patient's exported resources.

An id is a UUID derived from the patient id and what the resource says (its kind,
its date, its test ...), so the same record exports the same ids every time and an
EHR that stores them sees updates, not duplicates.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:isocourse:fhir")
# FHIR R4 "id" datatype: [A-Za-z0-9\-\.]{1,64} (https://hl7.org/fhir/R4/datatypes.html#id)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def patient_fhir_id(patient_id: str) -> str:
    """The Patient resource id: the isocourse id when FHIR allows it, else a stable UUID."""
    if _FHIR_ID.fullmatch(patient_id):
        return patient_id
    return stable_uuid("patient", patient_id)


def keyed(entries: Iterable[T], key: Callable[[T], str]) -> Iterator[tuple[str, T]]:
    """Each entry with a content key, numbered where two entries share the same key."""
    seen: Counter[str] = Counter()
    for entry in entries:
        base = key(entry)
        seen[base] += 1
        yield f"{base}#{seen[base]}", entry


@dataclass(frozen=True)
class Addressing:
    """How entries are addressed: ``urn:uuid:`` in a standalone collection, or a server base."""

    patient_id: str
    base_url: str | None = None

    def resource_id(self, kind: str, key: str) -> str:
        if kind == "Patient":
            return patient_fhir_id(self.patient_id)
        return stable_uuid(self.patient_id, kind, key)

    def full_url(self, kind: str, resource_id: str) -> str:
        if self.base_url is not None:
            return f"{self.base_url.rstrip('/')}/{kind}/{resource_id}"
        if kind == "Patient":
            return f"urn:uuid:{stable_uuid('patient', self.patient_id)}"
        return f"urn:uuid:{resource_id}"

    def reference(self, kind: str, resource_id: str) -> dict[str, str]:
        if self.base_url is not None:
            return {"reference": f"{kind}/{resource_id}"}
        return {"reference": self.full_url(kind, resource_id)}

    @property
    def patient_reference(self) -> dict[str, str]:
        return self.reference("Patient", patient_fhir_id(self.patient_id))
