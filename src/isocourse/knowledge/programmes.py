"""Pregnancy-prevention programmes as dated rule sets, and the contraception methods.

Each programme is a :class:`ProgrammeEntry` under its id (``us-ipledge``): its names and
its own words for the two pregnancy categories. The ids are what a course record's
``programme`` may name besides ``none`` (the record parser checks it against them), so a
new programme is data: an entry, its rule sets, and its words in the guide's data.
Each :class:`RuleSet` is one programme's rules in force from ``effective_from`` until
``effective_to`` (or until the next rule set of the same programme starts). Every
number and every choice is data here: a future rule change is a new ``[[rulesets]]``
table in ``programmes.toml`` with a new effective date, and the rules module reads
its parameters (it never tests a rule set's id). Every rule set and every parameter
group carries its ``source``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

from isocourse.record import NO_PROGRAMME, ContraceptionMethod, CounsellingKind, TestSetting

if TYPE_CHECKING:
    from isocourse.knowledge.model import Knowledge

WindowAnchor = Literal["specimen", "prescription"]
Cadence = Literal["each_prescription", "before_first_prescription"]
Category = Literal["can_get_pregnant", "cannot_get_pregnant"]

_FORBID_EXTRA = {"extra": "forbid"}
_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
#: what the documents call the absence of a programme
NO_PROGRAMME_TITLE = "no pregnancy prevention programme"


@dataclass(frozen=True)
class CategoryNames:
    """The programme's own names for the two pregnancy categories of the course record."""

    __pydantic_config__ = _FORBID_EXTRA
    can_get_pregnant: str
    cannot_get_pregnant: str
    source: str


@dataclass(frozen=True)
class ProgrammeEntry:
    """One programme: a short ``name`` (``iPLEDGE``) and a ``title`` (``iPLEDGE REMS
    (US)``) for tables and the course summary."""

    __pydantic_config__ = _FORBID_EXTRA
    name: str
    title: str
    categories: CategoryNames
    source: str


@dataclass(frozen=True)
class MethodEntry:
    """One contraception method code of the course record, in plain words."""

    __pydantic_config__ = _FORBID_EXTRA
    title: str
    source: str


@dataclass(frozen=True)
class CounsellingKindEntry:
    """One counselling kind of the course record, in plain words."""

    __pydantic_config__ = _FORBID_EXTRA
    title: str
    source: str


@dataclass(frozen=True)
class Combination:
    """Methods active together that meet a scheme: one distinct method per slot.

    Each slot lists the tiers a method may come from: ``[["primary"], ["primary",
    "secondary"]]`` reads "two methods, at least one primary".
    """

    __pydantic_config__ = _FORBID_EXTRA
    description: str
    slots: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ContraceptionScheme:
    """Which contraception counts under a rule set, and how long before it must start.

    ``warn_if_listed``: methods that never count but are often taken to (the
    progestin-only pill); listed, they raise ``PP_CONTRACEPTION_MINIPILL``.
    """

    __pydantic_config__ = _FORBID_EXTRA
    tiers: Mapping[str, tuple[str, ...]]
    combinations: tuple[Combination, ...]
    warn_if_listed: tuple[str, ...]
    lead_days: int
    source: str


@dataclass(frozen=True)
class PregnancyTestRules:
    """Accepted test settings and the qualifying window (specimen in P - n ... P)."""

    __pydantic_config__ = _FORBID_EXTRA
    settings_before_first_dose: tuple[TestSetting, ...]
    settings_during_treatment: tuple[TestSetting, ...]
    days_before_prescription: int
    source: str


@dataclass(frozen=True)
class DispenseWindow:
    """Dispense window for a patient who can get pregnant: ``days`` from the anchor day."""

    __pydantic_config__ = _FORBID_EXTRA
    anchor: WindowAnchor
    days: int
    source: str


@dataclass(frozen=True)
class ConfirmationRules:
    """Before the first prescription: a screening test, then a confirmation test.

    ``lockout_days`` is None where the rule set has no lockout.
    """

    __pydantic_config__ = _FORBID_EXTRA
    screening_settings: tuple[TestSetting, ...]
    confirmation_settings: tuple[TestSetting, ...]
    min_days_after_screening: int
    source: str
    lockout_days: int | None = None


@dataclass(frozen=True)
class CounsellingRule:
    """A counselling entry of ``kind``: within ``within_days`` up to each prescription,
    or once on or before the first prescription of the course."""

    __pydantic_config__ = _FORBID_EXTRA
    kind: CounsellingKind
    cadence: Cadence
    source: str
    within_days: int | None = None


@dataclass(frozen=True)
class CounsellingRules:
    __pydantic_config__ = _FORBID_EXTRA
    can_get_pregnant: CounsellingRule
    cannot_get_pregnant: CounsellingRule


@dataclass(frozen=True)
class CannotGetPregnantRules:
    """For a patient who cannot get pregnant: the dispense window from the prescription
    day (None: no window)."""

    __pydantic_config__ = _FORBID_EXTRA
    source: str
    dispense_window_days: int | None = None


@dataclass(frozen=True)
class SupplyRules:
    __pydantic_config__ = _FORBID_EXTRA
    max_days_supply: int
    source: str


@dataclass(frozen=True)
class SecondPrescriberRule:
    """Before the first prescription for a patient under ``under_age_years``.

    ``categories``: the pregnancy categories it applies to (under a
    programme, a patient who cannot get pregnant gets only the supply, counselling
    and window codes).
    """

    __pydantic_config__ = _FORBID_EXTRA
    under_age_years: int
    kind: CounsellingKind
    categories: tuple[Category, ...]
    source: str


@dataclass(frozen=True)
class AssessmentWithinDays:
    """A counselling entry of ``kind`` in the ``within_days`` up to each prescription,
    for the pregnancy ``categories`` listed."""

    __pydantic_config__ = _FORBID_EXTRA
    kind: CounsellingKind
    within_days: int
    categories: tuple[Category, ...]
    source: str


@dataclass(frozen=True)
class PostCourseTest:
    __pydantic_config__ = _FORBID_EXTRA
    task: str
    days_after_last_dose: int


@dataclass(frozen=True)
class PostCourseTests:
    __pydantic_config__ = _FORBID_EXTRA
    tests: tuple[PostCourseTest, ...]
    source: str


@dataclass(frozen=True)
class RuleSet:
    """One programme's rules, in force from ``effective_from`` (inclusive)."""

    __pydantic_config__ = _FORBID_EXTRA
    id: str
    programme: str
    title: str
    effective_from: date
    source: str
    pregnancy_tests: PregnancyTestRules
    dispense_window: DispenseWindow
    contraception: ContraceptionScheme
    counselling: CounsellingRules
    cannot_get_pregnant: CannotGetPregnantRules
    supply: SupplyRules
    post_course: PostCourseTests
    confirmation: ConfirmationRules | None = None
    second_prescriber: SecondPrescriberRule | None = None
    mental_health_assessment: AssessmentWithinDays | None = None
    effective_to: date | None = None

    def in_force_on(self, day: date) -> bool:
        started = self.effective_from <= day
        return started and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class ProgrammeCatalogue:
    """The programmes, the contraception methods, the counselling kinds and every
    programme's dated rule sets."""

    __pydantic_config__ = _FORBID_EXTRA
    source: str
    programmes: Mapping[str, ProgrammeEntry]
    methods: Mapping[str, MethodEntry]
    counselling_kinds: Mapping[str, CounsellingKindEntry]
    rulesets: tuple[RuleSet, ...]

    def choices(self) -> tuple[str, ...]:
        """What a course record's ``programme`` may be: every programme id, then ``none``."""
        return (*self.programmes, NO_PROGRAMME)

    def is_known(self, programme: str) -> bool:
        """Whether ``programme`` is a programme id of this catalogue or ``none``."""
        return programme == NO_PROGRAMME or programme in self.programmes

    def title_of(self, programme: str) -> str:
        """The programme's title for documents (the id itself if it is not known)."""
        if programme == NO_PROGRAMME:
            return NO_PROGRAMME_TITLE
        entry = self.programmes.get(programme)
        return entry.title if entry is not None else programme

    def ruleset_words(self, ruleset: RuleSet) -> str:
        """A rule set as a message names it: ``iPLEDGE (rules from 2026-08-08)``."""
        entry = self.programmes.get(ruleset.programme)
        name = entry.name if entry is not None else ruleset.programme
        return f"{name} (rules from {ruleset.effective_from.isoformat()})"

    def method_words(self, method: str) -> str:
        """A contraception method in words (``copper intrauterine device``); the code
        itself if the catalogue does not know it."""
        entry = self.methods.get(method)
        return entry.title.lower() if entry is not None else method

    def counselling_words(self, kind: str) -> str:
        """A counselling kind in words (``comprehension confirmed``)."""
        entry = self.counselling_kinds.get(kind)
        return entry.title.lower() if entry is not None else kind

    def rulesets_of(self, programme: str) -> list[RuleSet]:
        """A programme's rule sets, oldest first."""
        found = [r for r in self.rulesets if r.programme == programme]
        return sorted(found, key=lambda r: r.effective_from)

    def ruleset_on(self, programme: str, day: date) -> RuleSet | None:
        """The rule set in force on ``day``: the latest one started and not ended."""
        in_force = [r for r in self.rulesets_of(programme) if r.in_force_on(day)]
        return in_force[-1] if in_force else None

    def earliest(self, programme: str) -> RuleSet | None:
        known = self.rulesets_of(programme)
        return known[0] if known else None

    def last_day(self, ruleset: RuleSet) -> date | None:
        """The last day ``ruleset`` is in force: its end, or the day before the next starts."""
        ends = [ruleset.effective_to] if ruleset.effective_to is not None else []
        later = [
            r.effective_from
            for r in self.rulesets_of(ruleset.programme)
            if r.effective_from > ruleset.effective_from
        ]
        if later:
            ends.append(min(later) - timedelta(days=1))
        return min(ends, default=None)

    def problems(self, knowledge: Knowledge) -> list[str]:
        """Cross-checks run by the loader at start-up."""
        found = _method_problems(self)
        for programme in self.programmes:
            if programme == NO_PROGRAMME or not _ID.match(programme):
                found.append(
                    f"programmes.{programme}: an id is lower-case words joined by hyphens, "
                    f"not {NO_PROGRAMME!r}"
                )
            if not self.rulesets_of(programme):
                found.append(f"programme {programme!r} has no rule set")
        for ruleset in self.rulesets:
            found.extend(_ruleset_problems(ruleset, self))
        found.extend(_programme_reference_problems(self, knowledge))
        return found


def _method_problems(catalogue: ProgrammeCatalogue) -> list[str]:
    codes = set(get_args(ContraceptionMethod))
    known = set(catalogue.methods)
    found = [f"methods: unknown method code {c!r}" for c in sorted(known - codes)]
    found += [f"methods: method {c!r} has no entry" for c in sorted(codes - known)]
    kinds, named = set(get_args(CounsellingKind)), set(catalogue.counselling_kinds)
    found += [f"counselling_kinds: unknown kind {k!r}" for k in sorted(named - kinds)]
    found += [f"counselling_kinds: kind {k!r} has no entry" for k in sorted(kinds - named)]
    ids = [r.id for r in catalogue.rulesets]
    found += [f"rule set id {i!r} is used twice" for i in sorted(set(ids)) if ids.count(i) > 1]
    return found


def _ruleset_problems(ruleset: RuleSet, catalogue: ProgrammeCatalogue) -> list[str]:
    where = f"rulesets.{ruleset.id}"
    found: list[str] = []
    if ruleset.programme == NO_PROGRAMME:
        found.append(f"{where}: programme 'none' has no rules")
    elif ruleset.programme not in catalogue.programmes:
        found.append(f"{where}: unknown programme {ruleset.programme!r} (no [programmes.<id>])")
    if ruleset.effective_to is not None and ruleset.effective_to < ruleset.effective_from:
        found.append(f"{where}: effective_to is before effective_from")
    scheme = ruleset.contraception
    for tier, methods in scheme.tiers.items():
        found += [
            f"{where}: tier {tier!r} names unknown method {m!r}"
            for m in methods
            if m not in catalogue.methods
        ]
    found += [
        f"{where}: warn_if_listed names unknown method {m!r}"
        for m in scheme.warn_if_listed
        if m not in catalogue.methods
    ]
    for combination in scheme.combinations:
        found += [
            f"{where}: combination {combination.description!r} names unknown tier {t!r}"
            for slot in combination.slots
            for t in slot
            if t not in scheme.tiers
        ]
    same_start = [
        r.id
        for r in catalogue.rulesets_of(ruleset.programme)
        if r.effective_from == ruleset.effective_from and r.id != ruleset.id
    ]
    found += [f"{where}: starts on the same day as {other}" for other in same_start]
    return found


def _programme_reference_problems(catalogue: ProgrammeCatalogue, knowledge: Knowledge) -> list[str]:
    """Programme ids named elsewhere in the knowledge must be known (or ``none``)."""
    named: list[tuple[str, str]] = []
    for drug_class in knowledge.drugs.classes:
        where = f"drugs.classes.{drug_class.name}.severity_by_programme"
        named += [(where, p) for p in drug_class.severity_by_programme]
    conditions = knowledge.conditions
    for group in (conditions.conditions, conditions.allergies):
        for code, entry in group.items():
            where = f"conditions.{code}.severity_by_programme"
            named += [(where, p) for p in entry.severity_by_programme]
    for index, reaction in enumerate(conditions.cross_reactions):
        where = f"conditions.cross_reactions[{index}].programmes"
        named += [(where, p) for p in reaction.programmes]
    for product_id, product in knowledge.products.products.items():
        where = f"products.{product_id}.missed_dose.by_programme"
        named += [(where, p) for p in product.missed_dose.by_programme]
    return [
        f"{where}: unknown programme {programme!r} (known: {', '.join(catalogue.choices())})"
        for where, programme in named
        if not catalogue.is_known(programme)
    ]
