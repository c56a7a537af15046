"""Does the contraception active on a day meet the programme's rule set?

The scheme is data (``knowledge/programmes.toml``): tiers of methods and the
combinations that qualify, each a list of slots filled by distinct methods active
on the day ("two methods, at least one primary"; "one user-independent method").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import permutations

from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.programmes import Combination, ContraceptionScheme
from isocourse.record import Contraception, CourseRecord
from isocourse.rules.course_facts import active_on
from isocourse.rules.programme_ruleset import ruleset_for


@dataclass(frozen=True)
class QualifyingContraception:
    """The combination that qualifies on a day, and since when all its methods run."""

    combination: Combination
    entries: tuple[Contraception, ...]

    @property
    def since(self) -> date:
        """The latest start among the methods that make the combination qualify."""
        return max(entry.start for entry in self.entries)


def contraception_qualifies(
    record: CourseRecord,
    knowledge: Knowledge,
    day: date,
    *,
    ignoring: frozenset[str] = frozenset(),
) -> bool:
    """Do the methods active on ``day``, minus ``ignoring``, meet the rule set in force?

    The rule set is the one judging the record (in force on the proposed
    prescription's date, or on ``as_of``). Under programme ``none``: True.
    """
    ruleset = ruleset_for(record, knowledge, record.as_of)
    if ruleset is None:
        return True
    found = qualifying_contraception(record.contraception, ruleset.contraception, day, ignoring)
    return found is not None


def qualifying_contraception(
    entries: tuple[Contraception, ...],
    scheme: ContraceptionScheme,
    day: date,
    ignoring: frozenset[str] = frozenset(),
) -> QualifyingContraception | None:
    """The qualifying combination active on ``day`` that has run longest, or None."""
    active = _active_methods(entries, scheme, day, ignoring)
    best: QualifyingContraception | None = None
    for combination in scheme.combinations:
        for chosen in permutations(active, len(combination.slots)):
            if not _fills(chosen, combination, scheme):
                continue
            found = QualifyingContraception(combination, tuple(chosen))
            if best is None or found.since < best.since:
                best = found
    return best


def listed_not_counted(
    entries: tuple[Contraception, ...], scheme: ContraceptionScheme, day: date
) -> list[Contraception]:
    """Entries of methods the scheme never counts (the minipill), current on ``day``.

    Decision: "listed" means not ended before ``day`` (current or planned), so an
    old, finished minipill entry does not warn.
    """
    return [
        entry
        for entry in entries
        if entry.method in scheme.warn_if_listed and (entry.end is None or entry.end >= day)
    ]


def _active_methods(
    entries: tuple[Contraception, ...],
    scheme: ContraceptionScheme,
    day: date,
    ignoring: frozenset[str],
) -> list[Contraception]:
    """One entry per method active on ``day`` (the one that started first)."""
    earliest: dict[str, Contraception] = {}
    for entry in entries:
        skip = entry.method in ignoring or entry.method in scheme.warn_if_listed
        if skip or not active_on(entry, day):
            continue
        kept = earliest.get(entry.method)
        if kept is None or entry.start < kept.start:
            earliest[entry.method] = entry
    return list(earliest.values())


def _fills(
    chosen: tuple[Contraception, ...], combination: Combination, scheme: ContraceptionScheme
) -> bool:
    for entry, slot in zip(chosen, combination.slots, strict=True):
        if not any(entry.method in scheme.tiers.get(tier, ()) for tier in slot):
            return False
    return True
