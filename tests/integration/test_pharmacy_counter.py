"""The pharmacy counter's pure part: the capsules to hand over."""

from __future__ import annotations

from isocourse.service.pharmacy_counter import capsule_counts


def test_sixty_mg_of_thirty_mg_capsules_is_two_a_day_and_sixty_for_a_month() -> None:
    (count,) = capsule_counts((10.0, 20.0, 30.0, 40.0), 60, 30)
    assert (count.strength_mg, count.morning, count.evening) == (30.0, 1, 1)
    assert (count.per_day, count.for_supply) == (2, 60)


def test_a_dose_of_two_strengths_lists_each_strength() -> None:
    counts = capsule_counts((10.0, 20.0, 30.0, 40.0), 50, 30)
    assert sum(c.strength_mg * c.per_day for c in counts) == 50
    assert [c.strength_mg for c in counts] == sorted((c.strength_mg for c in counts), reverse=True)


def test_a_dose_the_capsules_cannot_make_has_no_capsules() -> None:
    assert capsule_counts((10.0, 20.0, 30.0, 40.0), 15.5, 30) == ()
