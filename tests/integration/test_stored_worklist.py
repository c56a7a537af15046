"""The work-list read from stored assessments is the one computed fresh, order included.

``isocourse reassess`` stores each patient's assessment; the work-list then reads the
stored ones while they are fresh. A stored assessment once lost each alert's ``since``
(the day the patient reported what raised it), so after a re-assessment the newest stop
no longer came first.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from isocourse.registry.reassess import ReassessPlan, reassess_registry
from isocourse.store.latest_assessments import fresh_assessments
from isocourse.store.tables import LatestAssessmentRow
from tests.clinic_support import ALLOWED_DEMO, BLOCKED_DEMO, NOW, TODAY, Clinic, demo


def suicidal_thoughts_reported(record_id: str, days_ago: int) -> dict[str, Any]:
    """A plain course whose patient reported thoughts of suicide ``days_ago`` days ago."""
    record = copy.deepcopy(demo(ALLOWED_DEMO))
    record["patient"]["id"] = record_id
    reported = (TODAY - timedelta(days=days_ago)).isoformat()
    record["symptoms"] = [{"date": reported, "code": "suicidal_thoughts"}]
    return record


def enrol_the_registry(clinic: Clinic) -> None:
    # the two stops differ only in the day reported; without that day the older one
    # would come first (same tier, same number of alerts, then by patient id)
    clinic.enrol(suicidal_thoughts_reported("p-1-reported-earlier", days_ago=6))
    clinic.enrol(suicidal_thoughts_reported("p-2-reported-yesterday", days_ago=1))
    clinic.enrol(demo(BLOCKED_DEMO))
    clinic.enrol(demo(ALLOWED_DEMO))


def worklist(clinic: Clinic) -> list[dict[str, Any]]:
    response = clinic.client.get("/api/v1/worklist", headers=clinic.as_user("doc_a"))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def reassess_today(clinic: Clinic) -> None:
    system = clinic.app.state.wiring.system
    plan = ReassessPlan(as_of=TODAY, assessed_at=NOW, batch_size=3)
    summary = reassess_registry(system.store, system.knowledge, plan)
    assert (summary.patients, summary.invalid) == (4, 0)


def stored_patients(clinic: Clinic) -> set[str]:
    """The patients whose stored assessment the work-list will use today."""
    system = clinic.app.state.wiring.system
    with system.store.reading() as session:
        return set(fresh_assessments(session, "a", TODAY, system.knowledge))


def test_the_stored_worklist_after_reassess_is_the_fresh_one_order_included(
    clinic: Clinic,
) -> None:
    enrol_the_registry(clinic)
    assert stored_patients(clinic) == set()
    fresh = worklist(clinic)
    order = [row["record_patient_id"] for row in fresh]
    # of two stops, the one reported most recently comes first
    assert order.index("p-2-reported-yesterday") < order.index("p-1-reported-earlier")

    reassess_today(clinic)
    assert stored_patients(clinic) == {row["patient_id"] for row in fresh}
    stored = worklist(clinic)
    assert [row["record_patient_id"] for row in stored] == order
    assert stored == fresh


def test_a_stored_assessment_that_does_not_read_back_is_computed_afresh(clinic: Clinic) -> None:
    enrol_the_registry(clinic)
    fresh = worklist(clinic)
    reassess_today(clinic)
    table = LatestAssessmentRow.__table__
    store = clinic.app.state.wiring.system.store
    with store.engine.begin() as connection:
        patient_id, stored = connection.execute(
            select(table.c.patient_id, table.c.assessment).limit(1)
        ).one()
        unreadable = {**stored, "format": "isocourse.assessment/0"}
        connection.execute(
            update(table).where(table.c.patient_id == patient_id).values(assessment=unreadable)
        )
    assert patient_id not in stored_patients(clinic)
    assert worklist(clinic) == fresh
