"""Every alert code of the catalogue has a record where it fires and one where it does not."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.unit
from isocourse.knowledge.loader import load_knowledge
from tests.builders import AlertCase, codes, evaluate


def _all_cases() -> list[AlertCase]:
    cases: list[AlertCase] = []
    for module_info in pkgutil.iter_modules(tests.unit.__path__):
        if not module_info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.unit.{module_info.name}")
        cases.extend(getattr(module, "ALERT_CASES", []))
    return cases


CASES = _all_cases()


def test_every_catalogue_code_has_a_firing_and_a_quiet_case() -> None:
    catalogue = set(load_knowledge().alerts)
    covered = {case.code for case in CASES}
    assert catalogue - covered == set(), "alert codes without a fire/quiet case"
    assert covered - catalogue == set(), "cases for codes the catalogue does not know"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_alert_fires(case: AlertCase) -> None:
    assessment = evaluate(**case.fires)
    assert case.code in codes(assessment)
    if case.severity is not None:
        (fired,) = [alert for alert in assessment.alerts if alert.code == case.code]
        assert fired.severity == case.severity
    if any(alert.code == case.code and alert.blocks for alert in assessment.alerts):
        assert case.code in assessment.dispense.blocking
        assert assessment.dispense.allowed is False


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_alert_stays_quiet(case: AlertCase) -> None:
    assert case.code not in codes(evaluate(**case.quiet))
