"""``isocourse audit list`` filters by time, actor, patient and action; JSON for
scripts, whole tab-separated lines when piped. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.audit_support import entries, isocourse, run
from tests.clinic_support import Clinic, example_record


def _activity(clinic: Clinic) -> dict[str, str]:
    first = clinic.enrol(example_record())
    second = clinic.enrol(example_record())
    for patient_id in (first, second):
        url = f"/api/v1/patients/{patient_id}/record"
        assert clinic.client.get(url, headers=clinic.as_user("doc_a")).status_code == 200
    url = f"/api/v1/patients/{first}/record"
    assert clinic.client.get(url, headers=clinic.as_user("doc_b")).status_code == 404
    assert clinic.client.get(url).status_code == 401
    refused = clinic.client.post("/api/v1/patients", json={}, headers=clinic.as_user("pharm_a"))
    assert refused.status_code == 403
    return {"first": first, "second": second}


def _listed(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, *options: str) -> list[Any]:
    result = run(clinic, monkeypatch, "audit", "list", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    rows: list[Any] = json.loads(result.stdout)
    return rows


def test_everything_by_default_in_the_chains_order(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    _activity(clinic)
    rows = _listed(clinic, monkeypatch)
    assert [row["id"] for row in rows] == [entry.id for entry in entries(clinic)]
    enrol = next(row for row in rows if row["action"] == "patient.enrol")
    assert enrol["events"] and {"id", "kind", "sha256"} == set(enrol["events"][0])


def test_by_actor_patient_and_action(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _activity(clinic)
    by_doc_b = _listed(clinic, monkeypatch, "--actor", "DOC_B@b.test")
    assert [(row["user_email"], row["action"]) for row in by_doc_b] == [
        ("doc_b@b.test", "sign_in"),  # the clinic's fixture signs each user in
        ("doc_b@b.test", "access.denied.not_found"),
    ]
    about_first = _listed(clinic, monkeypatch, "--patient", ids["first"])
    assert {row["patient_id"] for row in about_first} == {ids["first"]}
    assert [row["action"] for row in about_first] == [
        "patient.enrol",
        "record.read",
        "access.denied.not_found",
    ]
    refusals = _listed(clinic, monkeypatch, "--action", "access.denied")
    assert [row["action"] for row in refusals] == [
        "access.denied.not_found",
        "access.denied.not_authenticated",
        "access.denied.forbidden",
    ]
    # the prefix is text, not a pattern: "_" matches only "_"
    assert _listed(clinic, monkeypatch, "--action", "access_denied") == []
    both = _listed(clinic, monkeypatch, "--patient", ids["first"], "--action", "access.")
    assert [row["user_email"] for row in both] == ["doc_b@b.test"]


def test_by_day_and_moment(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry here was written at the test clinic's clock: 2026-03-15 12:00 UTC."""
    _activity(clinic)
    every = len(entries(clinic))
    assert len(_listed(clinic, monkeypatch, "--since", "2026-03-15", "--until", "2026-03-15")) == (
        every
    )
    assert _listed(clinic, monkeypatch, "--since", "2026-03-16") == []
    assert _listed(clinic, monkeypatch, "--until", "2026-03-14") == []
    assert len(_listed(clinic, monkeypatch, "--since", "2026-03-15T12:00:00+00:00")) == every
    assert _listed(clinic, monkeypatch, "--since", "2026-03-15T12:00:01+00:00") == []
    assert _listed(clinic, monkeypatch, "--until", "2026-03-15T13:59:59+02:00") == []
    # a day is the clinic's day: in Auckland (UTC+13 then), 12:00 UTC is the 16th
    monkeypatch.setenv("ISOCOURSE_TIMEZONE", "Pacific/Auckland")
    assert len(_listed(clinic, monkeypatch, "--since", "2026-03-16")) == every
    assert _listed(clinic, monkeypatch, "--until", "2026-03-15") == []


def test_the_last_entries_when_limited(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    _activity(clinic)
    ids = [entry.id for entry in entries(clinic)]
    assert [row["id"] for row in _listed(clinic, monkeypatch, "--limit", "2")] == ids[-2:]
    result = run(clinic, monkeypatch, "audit", "list", "--limit", "2")
    assert result.exit_code == 0
    assert f"showing the last 2 of {len(ids)} matching entries" in result.stderr
    assert len(result.stdout.splitlines()) == 2 + 2  # title, header, two entries


def test_piped_text_is_whole_lines(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _activity(clinic)
    code, output = isocourse(clinic, monkeypatch, "audit", "list", "--action", "access.denied")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "# audit entries (3)"
    assert lines[1].split("\t") == [
        "id",
        "at (UTC)",
        "action",
        "patient",
        "events",
        "who",
        "detail",
        "request",
    ]
    first = lines[2].split("\t")
    assert first[2:6] == [
        "access.denied.not_found",
        ids["first"],
        "0",
        "doc_b@b.test (prescriber, clinic b)",
    ]
    assert first[6] == (
        "the patient is in another clinic; GET /api/v1/patients/{patient_id}/record; "
        "from testclient"
    )
    assert lines[3].split("\t")[5] == "(no valid credentials)"


def test_a_date_that_is_not_one_is_refused(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = isocourse(clinic, monkeypatch, "audit", "list", "--since", "last tuesday")
    assert code == 2
    assert "option '--since'" in output
