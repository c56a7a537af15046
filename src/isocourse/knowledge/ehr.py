"""Knowledge types for meeting the prescriber inside the EHR: card indicators, the
document written back, the SMART launch's scopes. Interface facts, each with its source
(the CDS Hooks and SMART specifications, the HL7 Medication REMS guide)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from isocourse.assessment import SEVERITIES, Severity

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

Indicator = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class EhrKnowledge:
    __pydantic_config__ = {"extra": "forbid"}
    #: each severity's CDS Hooks card indicator
    indicator: Mapping[Severity, Indicator]
    indicator_source: str
    #: the DocumentReference type of the programme status written back to the EHR
    document_loinc: str
    document_display: str
    document_source: str
    #: the scopes a SMART EHR launch asks for
    smart_scopes: tuple[str, ...]
    smart_source: str

    def problems(self, knowledge: Knowledge) -> list[str]:
        missing = [severity for severity in SEVERITIES if severity not in self.indicator]
        return [f"indicator: no card indicator for {', '.join(missing)}"] if missing else []
