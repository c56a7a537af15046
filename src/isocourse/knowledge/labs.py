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

import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from isocourse.assessment import Severity
from isocourse.knowledge.course import SourcedNumber
from isocourse.record import LabResult

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
class UpperLimit:
    """A result's upper limit of normal in the test's canonical unit, and whose it is."""

    value: float
    labs_own: bool


def upper_limit_of_normal(result: LabResult, test: LabTest) -> UpperLimit | None:
    """The upper limit of normal that applies to ``result``: the one place that decides it.

    The reporting lab's own ``reference_high`` wins when it is above 0 and converts with
    the result's unit; else the test's default in the knowledge; None when neither exists.
    """
    own = result.reference_high
    if own is not None and own > 0:
        converted = to_canonical(own, result.unit, test)
        if converted is not None:
            return UpperLimit(converted, labs_own=True)
    if test.upper_limit_normal is not None:
        return UpperLimit(test.upper_limit_normal.value, labs_own=False)
    return None


Comparison = Literal["at_or_above", "above"]
#: symptoms the symptom catalogue marks (``muscle = true``: muscle pain or weakness)
SymptomKind = Literal["muscle"]
#: what a threshold's alert message may name, filled in by the rule (``{result}`` ...)
SINGLE_RESULT_FIELDS = frozenset({"test", "result", "date", "limit"})
ULN_FIELDS = frozenset({"multiple", "uln"})
ANY_RESULT_FIELDS = frozenset({"findings"})


@dataclass(frozen=True)
class SeverityWithSymptom:
    """The threshold's alert takes ``severity`` when the patient reports a ``symptom``."""

    __pydantic_config__ = {"extra": "forbid"}
    symptom: SymptomKind
    severity: Severity
    source: str


@dataclass(frozen=True)
class LabThreshold:
    """An action threshold: its alert fires when the latest readable result of one of
    its ``tests`` is at or above (``at_or_above``) or above (``above``) the limit.

    The limit is either ``limit``, in the tests' canonical unit, or ``uln_multiple`` times
    the result's upper limit of normal (:func:`upper_limit_of_normal`). ``level`` names
    the threshold on charts and in the documents (``high``, ``severe``).
    ``in_addition_to``: the milder thresholds on the same tests whose alerts stay raised
    when this one fires (every milder threshold must be listed: isocourse raises both).
    """

    __pydantic_config__ = {"extra": "forbid"}
    tests: tuple[str, ...]
    comparison: Comparison
    level: str
    source: str
    limit: float | None = None
    uln_multiple: float | None = None
    in_addition_to: tuple[str, ...] = ()
    severity_with_symptom: SeverityWithSymptom | None = None

    @property
    def of_uln(self) -> bool:
        """Whether the limit is a multiple of the upper limit of normal."""
        return self.uln_multiple is not None

    def limit_for(self, uln: float | None) -> float | None:
        """The limit in the canonical unit for a result with this upper limit of normal
        (None for a multiple of an unknown upper limit)."""
        if self.uln_multiple is None:
            return self.limit
        return None if uln is None else self.uln_multiple * uln

    def exceeded_by(self, value: float, limit: float) -> bool:
        """Whether ``value`` is past ``limit`` by this threshold's comparison."""
        return value >= limit if self.comparison == "at_or_above" else value > limit

    def implies(self, milder: LabThreshold) -> bool:
        """Whether every value past this threshold is past ``milder`` too (same kind of
        limit, a shared test, a limit at least as strict)."""
        mine, theirs = self.bound, milder.bound
        if mine is None or theirs is None or self.of_uln != milder.of_uln:
            return False
        if not set(self.tests) & set(milder.tests):
            return False
        if mine > theirs:
            return True
        return mine == theirs and (milder.comparison == "at_or_above" or self.comparison == "above")

    @property
    def bound(self) -> float | None:
        """The number the data give: the multiple of the ULN, else the limit."""
        return self.uln_multiple if self.uln_multiple is not None else self.limit

    def words(self, unit: str) -> str:
        """``at or above 500 mg/dL``, ``above 3 × ULN``: the threshold in words."""
        comparison = "at or above" if self.comparison == "at_or_above" else "above"
        if self.uln_multiple is not None:
            return f"{comparison} {number_words(self.uln_multiple)} × ULN"
        assert self.limit is not None
        return f"{comparison} {number_words(self.limit)} {unit}"


def number_words(value: float) -> str:
    """A number as the documents print it: at most one decimal, no trailing zero."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


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
    #: alert code -> its threshold, in the order the rules judge them
    thresholds: Mapping[str, LabThreshold]
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

    def thresholds_of(self, name: str) -> list[tuple[str, LabThreshold]]:
        """``(alert code, threshold)`` for every threshold on the test ``name``."""
        return [(code, t) for code, t in self.thresholds.items() if name in t.tests]

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
        for code, threshold in self.thresholds.items():
            found.extend(_threshold_problems(code, threshold, self, knowledge))
        return found


#: the codes the lab rule raises besides the thresholds' own
_LAB_CODES = ("LAB_BASELINE_MISSING", "LAB_UNIT_MISMATCH")


def _threshold_problems(
    code: str, threshold: LabThreshold, catalogue: LabCatalogue, knowledge: Knowledge
) -> list[str]:
    where = f"thresholds.{code}"
    found: list[str] = []
    if (threshold.limit is None) == (threshold.uln_multiple is None):
        found.append(f"{where}: give either limit or uln_multiple, not both or neither")
    elif not (threshold.bound or 0) > 0:
        found.append(f"{where}: the limit must be above 0")
    if not threshold.tests:
        found.append(f"{where}: names no test")
    if not threshold.level.strip():
        found.append(f"{where}: level is empty")
    names = {test.name for test in catalogue.tests}
    for name in threshold.tests:
        if name not in names:
            found.append(f"{where}: unknown test {name!r}")
        elif threshold.of_uln and catalogue.by_name(name).upper_limit_normal is None:
            found.append(
                f"{where}: test {name!r} has no default upper_limit_normal for its multiple"
            )
    if len({catalogue.by_name(n).unit for n in threshold.tests if n in names}) > 1:
        found.append(f"{where}: its tests have different canonical units")
    definition = knowledge.alerts.get(code)
    if definition is None:
        found.append(f"{where}: alert {code} is not in the alert catalogue")
    else:
        found.extend(_message_problems(where, definition.message, threshold))
    if found:
        return found
    return _relation_problems(code, threshold, catalogue)


def _message_problems(where: str, message: str, threshold: LabThreshold) -> list[str]:
    """A placeholder the rule cannot fill would fail at a patient: refuse it at start-up."""
    allowed = set(ANY_RESULT_FIELDS)
    if len(threshold.tests) == 1:
        allowed |= SINGLE_RESULT_FIELDS
        if threshold.of_uln:
            allowed |= ULN_FIELDS
    elif threshold.of_uln:
        allowed.add("multiple")
    named = {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}
    return [
        f"{where}: the alert message names {{{field}}}, which this threshold cannot fill"
        for field in sorted(named - allowed)
    ]


def _relation_problems(code: str, threshold: LabThreshold, catalogue: LabCatalogue) -> list[str]:
    where = f"thresholds.{code}"
    found: list[str] = []
    for milder in threshold.in_addition_to:
        other = catalogue.thresholds.get(milder)
        if other is None:
            found.append(f"{where}: in_addition_to names {milder}, which is no threshold")
        elif milder == code or not threshold.implies(other):
            found.append(f"{where}: a result past it is not always past {milder}")
    for other_code, other in catalogue.thresholds.items():
        if (
            other_code != code
            and threshold.implies(other)
            and not other.implies(threshold)
            and other_code not in threshold.in_addition_to
        ):
            found.append(
                f"{where}: every result past it is past {other_code} too; "
                f"list {other_code} in its in_addition_to"
            )
    return found


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
