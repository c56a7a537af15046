"""The whole of the clinical knowledge, as one frozen value handed to the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from isocourse.knowledge.alerts import AlertDefinition
from isocourse.knowledge.conditions import ConditionCatalogue
from isocourse.knowledge.course import CourseDefaults
from isocourse.knowledge.drugs import DrugCatalogue
from isocourse.knowledge.ehr import EhrKnowledge
from isocourse.knowledge.labs import LabCatalogue
from isocourse.knowledge.products import ProductCatalogue
from isocourse.knowledge.programmes import ProgrammeCatalogue
from isocourse.knowledge.references import ReferenceCatalogue
from isocourse.knowledge.symptoms import SymptomCatalogue


@dataclass(frozen=True)
class Knowledge:
    alerts: Mapping[str, AlertDefinition]
    products: ProductCatalogue
    conditions: ConditionCatalogue
    course: CourseDefaults
    labs: LabCatalogue
    drugs: DrugCatalogue
    symptoms: SymptomCatalogue
    programmes: ProgrammeCatalogue
    references: ReferenceCatalogue
    ehr: EhrKnowledge
