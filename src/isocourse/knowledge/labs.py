"""Knowledge types for laboratory tests: names, LOINC codes, units, conversions, thresholds.

A lab result names its test by a short name (``alt``) or a LOINC code (``1742-6``) and
gives its value in a UCUM-style unit. :meth:`LabCatalogue.resolve` finds the test;
:func:`to_canonical` and :func:`from_canonical` convert values between a unit the test
accepts and the test's canonical unit (mg/dL or U/L), in which every threshold is
stated. Both return ``None`` for a unit that does not fit the test: a unit is never
guessed. Other code (FHIR and CSV import, charts) reuses these functions::

    test = knowledge.labs.resolve("35217-9")          # triglycerides
    to_canonical(5.0, "mmol/L", test)                  # 442.85 (mg/dL)
    from_canonical(442.85, "mmol/L", test)             # 5.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from isocourse.knowledge.course import SourcedNumber

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge


def unit_key(unit: str) -> str:
    """A unit spelling folded for lookup: case, spaces and the micro sign do not matter."""
    return unit.strip().casefold().replace("µ", "u").replace("μ", "u").replace(" ", "")


@dataclass(frozen=True)
class UnitConversion:
    """A unit a test accepts: ``value_in_unit × factor = value in the canonical unit``."""

    __pydantic_config__ = {"extra": "forbid"}
    unit: str
    factor: float
    source: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabTest:
    """One laboratory test: its names, its canonical unit and the units it converts from."""

    __pydantic_config__ = {"extra": "forbid"}
    name: str
    label: str
    loinc: tuple[str, ...]
    unit: str
    units: tuple[UnitConversion, ...]
    source: str
    upper_limit_normal: SourcedNumber | None = None

    @cached_property
    def factors(self) -> Mapping[str, float]:
        """Folded unit spelling → factor to the canonical unit (the canonical unit is 1)."""
        factors = {unit_key(self.unit): 1.0}
        for conversion in self.units:
            for spelling in (conversion.unit, *conversion.aliases):
                factors[unit_key(spelling)] = conversion.factor
        return factors

    def factor_for(self, unit: str) -> float | None:
        """The factor from ``unit`` to the canonical unit, or None if the unit does not fit."""
        return self.factors.get(unit_key(unit))


def to_canonical(value: float, unit: str, test: LabTest) -> float | None:
    """``value`` (in ``unit``) in the test's canonical unit; None if the unit does not fit."""
    factor = test.factor_for(unit)
    return None if factor is None else value * factor


def from_canonical(value: float, unit: str, test: LabTest) -> float | None:
    """``value`` (in the canonical unit) in ``unit``; None if the unit does not fit."""
    factor = test.factor_for(unit)
    return None if factor is None else value / factor


@dataclass(frozen=True)
class LabThresholds:
    """Action thresholds, in the canonical units (mg/dL) or as multiples of the ULN."""

    __pydantic_config__ = {"extra": "forbid"}
    tg_high_mg_per_dl: SourcedNumber
    tg_severe_mg_per_dl: SourcedNumber
    liver_high_uln_multiple: SourcedNumber
    liver_severe_uln_multiple: SourcedNumber
    ck_high_uln_multiple: SourcedNumber


@dataclass(frozen=True)
class LabSchedule:
    """When monitoring labs are needed: at baseline and once at about peak dose.

    A peak-dose result counts only when drawn on or after the start of the highest
    dose so far (``peak_dose_rule_source``); ``peak_check_days`` is when it falls due.
    """

    __pydantic_config__ = {"extra": "forbid"}
    monitored_tests: tuple[str, ...]
    monitored_tests_source: str
    baseline_days_before: SourcedNumber
    peak_check_days: SourcedNumber
    peak_dose_rule_source: str


@dataclass(frozen=True)
class LabCatalogue:
    __pydantic_config__ = {"extra": "forbid"}
    tests: tuple[LabTest, ...]
    thresholds: LabThresholds
    schedule: LabSchedule

    @cached_property
    def _index(self) -> Mapping[str, LabTest]:
        """Short names and LOINC codes (case-folded) → test, built once per catalogue."""
        index: dict[str, LabTest] = {}
        for test in self.tests:
            for key in (test.name, *test.loinc):
                index[key.strip().casefold()] = test
        return index

    def resolve(self, test: str) -> LabTest | None:
        """The test named by a short name or a LOINC code (any case), or None."""
        return self._index.get(test.strip().casefold())

    def by_name(self, name: str) -> LabTest:
        """The test with this short name (a name from this catalogue; KeyError otherwise)."""
        found = self._index[name.casefold()]
        if found.name != name:
            raise KeyError(name)
        return found

    def problems(self, knowledge: Knowledge) -> list[str]:
        """Cross-checks run at start-up by the loader."""
        found: list[str] = []
        keys = [key.casefold() for test in self.tests for key in (test.name, *test.loinc)]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            found.append(f"test names or LOINC codes listed twice: {', '.join(duplicates)}")
        for test in self.tests:
            found.extend(_unit_problems(test))
        names = {test.name for test in self.tests}
        for name in self.schedule.monitored_tests:
            if name not in names:
                found.append(f"schedule.monitored_tests: unknown test {name!r}")
        for code in _LAB_CODES:
            if code not in knowledge.alerts:
                found.append(f"alert {code} is not in the alert catalogue")
        return found


_LAB_CODES = (
    "LAB_BASELINE_MISSING",
    "LAB_TG_HIGH",
    "LAB_TG_SEVERE",
    "LAB_ALT_HIGH",
    "LAB_AST_HIGH",
    "LAB_LIVER_SEVERE",
    "LAB_CK_HIGH",
    "LAB_UNIT_MISMATCH",
)


def _unit_problems(test: LabTest) -> list[str]:
    found = [
        f"tests.{test.name}: unit {conversion.unit!r} needs a factor above 0"
        for conversion in test.units
        if not conversion.factor > 0
    ]
    canonical = unit_key(test.unit)
    spellings = [unit_key(s) for c in test.units for s in (c.unit, *c.aliases)]
    if canonical not in spellings:
        spellings.append(canonical)
    if len(spellings) != len(set(spellings)):
        found.append(f"tests.{test.name}: a unit spelling is listed twice")
    if test.factor_for(test.unit) != 1.0:
        found.append(f"tests.{test.name}: the canonical unit {test.unit!r} must have factor 1")
    return found
