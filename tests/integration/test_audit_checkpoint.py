"""Signed checkpoints catch a cut-off end of the audit trail, and a consistent rewrite
of what they cover; without one (or past the last one) neither is detectable: the
tests say so too. A checkpoint signed with another key, or edited, is refused.
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, delete, select, update

from isocourse.service.audit import digests_json, fields_hash
from isocourse.store.event_log import DIGESTED_COLUMNS, event_digest
from isocourse.store.tables import AuditEntryRow, AuditHeadRow, EventRow
from tests.audit_support import engine, entries, isocourse, last_entry_id
from tests.clinic_support import Clinic, example_record

POSITIVE_TEST = {
    "kind": "pregnancy_test",
    "entry": {"date": "2026-03-14", "result": "positive", "method": "urine", "setting": "lab"},
}


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "audit.jwk"
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(path))
    return path


def _activity(clinic: Clinic, reads: int = 3) -> dict[str, str]:
    patient_id = clinic.enrol(example_record())
    recorded = clinic.client.post(
        f"/api/v1/patients/{patient_id}/events", json=POSITIVE_TEST, headers=clinic.as_user("doc_a")
    )
    assert recorded.status_code == 201, recorded.text
    _read(clinic, patient_id, reads)
    return {"patient": patient_id, "positive": recorded.json()["event_id"]}


def _read(clinic: Clinic, patient_id: str, times: int) -> None:
    for _ in range(times):
        url = f"/api/v1/patients/{patient_id}/record"
        assert clinic.client.get(url, headers=clinic.as_user("doc_a")).status_code == 200


def _checkpoint(clinic: Clinic, monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    code, output = isocourse(clinic, monkeypatch, "audit", "checkpoint", "--out", str(out))
    assert code == 0, output
    assert f"checkpoint written to {out}" in output


def _cut_after(connection: Connection, last_kept: int) -> None:
    """Cut the trail's end after entry ``last_kept`` and move the head back to it: one
    DELETE and one UPDATE, no hash to recompute."""
    kept_hash = connection.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.id == last_kept))
    connection.execute(delete(AuditEntryRow).where(AuditEntryRow.id > last_kept))
    connection.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .values(last_id=last_kept, last_hash=kept_hash)
    )


def test_a_cut_off_end_is_caught_with_a_checkpoint_and_not_without(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    _activity(clinic)
    checkpoint = tmp_path / "checkpoint.json"
    _checkpoint(clinic, monkeypatch, checkpoint)
    last = last_entry_id(clinic)
    with engine(clinic).begin() as connection:
        _cut_after(connection, last - 2)  # the last two reads' entries
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 0, output  # the limit without a checkpoint: the cut chain is consistent
    assert f"audit chain intact: {last - 2} entries" in output
    assert "no checkpoint given" in output
    code, output = isocourse(
        clinic, monkeypatch, "audit", "verify", "--checkpoint", str(checkpoint)
    )
    assert code == 1, output
    assert f"checkpoint {checkpoint} NOT HELD ({last} entries, the last {last}" in output
    assert f"entry {last}, the last at the checkpoint" in output
    assert "is missing: the trail was cut" in output
    assert f"the trail holds {last - 2} entries, fewer than the {last}" in output
    assert f"the head points at entry {last - 2}" in output


def test_a_checkpoint_still_holds_as_the_trail_grows(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    ids = _activity(clinic)
    first = tmp_path / "first.json"
    _checkpoint(clinic, monkeypatch, first)
    _read(clinic, ids["patient"], 2)
    second = tmp_path / "second.json"
    _checkpoint(clinic, monkeypatch, second)
    code, output = isocourse(
        clinic,
        monkeypatch,
        "audit",
        "verify",
        "--checkpoint",
        str(first),
        "--checkpoint",
        str(second),
    )
    assert code == 0, output
    assert output.count("held: the trail still holds") == 2


def test_entries_after_the_last_checkpoint_can_be_cut_unnoticed(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    """What a checkpoint cannot do: prove anything about entries written after it."""
    ids = _activity(clinic)
    checkpoint = tmp_path / "checkpoint.json"
    _checkpoint(clinic, monkeypatch, checkpoint)
    at_checkpoint = last_entry_id(clinic)
    _read(clinic, ids["patient"], 3)
    with engine(clinic).begin() as connection:
        _cut_after(connection, at_checkpoint)
    code, output = isocourse(
        clinic, monkeypatch, "audit", "verify", "--checkpoint", str(checkpoint)
    )
    assert code == 0, output


def _rewrite_consistently(connection: Connection, event_id: str, payload: dict[str, Any]) -> int:
    """What someone with write access to the database and this code can do: change an
    event, then recompute its digest, its entry and every later entry's hash, and the
    head. Returns the entry that named the event."""
    sqlite = connection.dialect.name == "sqlite"
    connection.execute(update(EventRow).where(EventRow.id == event_id).values(payload=payload))
    columns = [getattr(EventRow, name) for name in DIGESTED_COLUMNS]
    row = connection.execute(select(*columns).where(EventRow.id == event_id)).one()
    digest = event_digest(row._asdict(), stored_in_sqlite=sqlite)
    rows = connection.execute(select(AuditEntryRow.__table__).order_by(AuditEntryRow.id)).all()
    named_by = next(r.id for r in rows if r.event_digests and event_id in r.event_digests)
    previous = next(r.previous_hash for r in rows if r.id == named_by)
    for entry in (r._asdict() for r in rows if r.id >= named_by):
        if entry["id"] == named_by:
            named = [
                [i, k, digest if i == event_id else d]
                for i, k, d in json.loads(entry["event_digests"])
            ]
            entry["event_digests"] = digests_json([tuple(n) for n in named])
        entry["previous_hash"] = previous
        entry["hash"] = fields_hash(entry)
        connection.execute(
            update(AuditEntryRow)
            .where(AuditEntryRow.id == entry["id"])
            .values(
                event_digests=entry["event_digests"],
                previous_hash=entry["previous_hash"],
                hash=entry["hash"],
            )
        )
        previous = entry["hash"]
    last = rows[-1].id
    connection.execute(
        update(AuditHeadRow).where(AuditHeadRow.id == 1).values(last_id=last, last_hash=previous)
    )
    return named_by


def test_a_consistent_rewrite_is_caught_only_by_a_checkpoint_taken_before_it(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    ids = _activity(clinic)
    checkpoint = tmp_path / "checkpoint.json"
    _checkpoint(clinic, monkeypatch, checkpoint)
    last = last_entry_id(clinic)
    with engine(clinic).begin() as connection:
        payload = dict(
            connection.scalar(select(EventRow.payload).where(EventRow.id == ids["positive"]))
        )
        _rewrite_consistently(connection, ids["positive"], {**payload, "result": "negative"})
    code, output = isocourse(clinic, monkeypatch, "audit", "verify")
    assert code == 0, output  # the honest limit: a whole rewrite is self-consistent
    code, output = isocourse(
        clinic, monkeypatch, "audit", "verify", "--checkpoint", str(checkpoint)
    )
    assert code == 1, output
    assert f"entry {last} no longer has the hash it had at the checkpoint" in output


def test_a_checkpoint_signed_with_another_key_is_refused(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    _activity(clinic)
    other_key = tmp_path / "other.jwk"
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(other_key))
    forged = tmp_path / "forged.json"
    _checkpoint(clinic, monkeypatch, forged)  # a valid checkpoint, by the wrong key
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(key_file))
    own = tmp_path / "own.json"
    _checkpoint(clinic, monkeypatch, own)
    code, output = isocourse(clinic, monkeypatch, "audit", "verify", "--checkpoint", str(forged))
    assert code == 1, output
    assert "checkpoint REFUSED" in output
    assert "signed with another key, or altered" in output
    code, output = isocourse(clinic, monkeypatch, "audit", "verify", "--checkpoint", str(own))
    assert code == 0, output


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("part", ["signed", "readable"])
def test_an_edited_checkpoint_is_refused(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path, part: str
) -> None:
    """Lowering the checkpoint's count to fit a cut trail: in the signed payload the
    signature fails, in the readable copy the two differ."""
    _activity(clinic)
    checkpoint = tmp_path / "checkpoint.json"
    _checkpoint(clinic, monkeypatch, checkpoint)
    document = json.loads(checkpoint.read_text(encoding="utf-8"))
    head = {**document["head"], "entries": 1, "last_id": 1}
    if part == "signed":
        header, _, signature = document["signed"].split(".")
        payload = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
        document["signed"] = f"{header}.{_b64(payload)}.{signature}"
    document["head"] = head
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    code, output = isocourse(clinic, monkeypatch, "audit", "verify", "--checkpoint", str(edited))
    assert code == 1, output
    reason = (
        "signed with another key, or altered" if part == "signed" else "differs from the signed"
    )
    assert reason in output


def test_the_key_is_made_on_first_use_for_its_owner_alone(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    _activity(clinic)
    assert not key_file.exists()
    checkpoint = tmp_path / "checkpoint.json"
    _checkpoint(clinic, monkeypatch, checkpoint)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert json.loads(key_file.read_text(encoding="utf-8"))["crv"] == "Ed25519"
    public = {k: v for k, v in json.loads(key_file.read_text(encoding="utf-8")).items() if k != "d"}
    public_file = tmp_path / "public.jwk"
    public_file.write_text(json.dumps(public), encoding="utf-8")
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(public_file))
    code, output = isocourse(
        clinic, monkeypatch, "audit", "verify", "--checkpoint", str(checkpoint)
    )
    assert code == 0, output  # the public part verifies ...
    code, output = isocourse(
        clinic, monkeypatch, "audit", "checkpoint", "--out", str(tmp_path / "no.json")
    )
    assert code == 2 and "cannot sign" in output  # ... and cannot sign
    key_file.chmod(0o644)
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(key_file))
    code, output = isocourse(
        clinic, monkeypatch, "audit", "verify", "--checkpoint", str(checkpoint)
    )
    assert code == 2 and "readable by others" in output


def test_a_checkpoint_needs_the_key_setting_and_is_never_overwritten(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    _activity(clinic)
    checkpoint = tmp_path / "checkpoint.json"
    monkeypatch.delenv("ISOCOURSE_AUDIT_KEY_FILE")
    code, output = isocourse(clinic, monkeypatch, "audit", "checkpoint", "--out", str(checkpoint))
    assert code == 2 and "ISOCOURSE_AUDIT_KEY_FILE" in output
    monkeypatch.setenv("ISOCOURSE_AUDIT_KEY_FILE", str(key_file))
    _checkpoint(clinic, monkeypatch, checkpoint)
    before = checkpoint.read_bytes()
    code, output = isocourse(clinic, monkeypatch, "audit", "checkpoint", "--out", str(checkpoint))
    assert code == 2 and "never overwritten" in output
    assert checkpoint.read_bytes() == before


def test_a_broken_trail_is_not_signed(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch, key_file: Path, tmp_path: Path
) -> None:
    ids = _activity(clinic)
    with engine(clinic).begin() as connection:
        connection.execute(
            update(EventRow)
            .where(EventRow.id == ids["positive"])
            .values(payload={**POSITIVE_TEST["entry"], "result": "negative", "source": "clinician"})
        )
    checkpoint = tmp_path / "checkpoint.json"
    code, output = isocourse(clinic, monkeypatch, "audit", "checkpoint", "--out", str(checkpoint))
    assert code == 1, output
    assert f"event {ids['positive']}" in output
    assert "no checkpoint written" in output
    assert not checkpoint.exists()
    assert entries(clinic)  # the trail itself was left as it was
