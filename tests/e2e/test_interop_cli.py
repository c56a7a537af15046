"""``import-labs``, ``report`` and ``remind`` end to end, on a SQLite database under a
temporary data directory; ``remind`` against a local SMTP server."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from isocourse.cli import app
from isocourse.knowledge.loader import load_knowledge
from isocourse.reminder_plan import CONTACT_CLINIC
from isocourse.service.context import ClinicSystem
from isocourse.service.reminders import set_reminder_preference
from isocourse.settings import Settings
from isocourse.store.database import Store, open_store
from tests.clinic_support import ALLOWED_DEMO, BLOCKED_DEMO, demo, fresh_database
from tests.interop_support import (
    PRESCRIBER,
    SmtpServer,
    add_patient_login,
    call_as,
    event_count,
    seed,
    smtp_server,
)

__all__ = ["smtp_server"]  # the fixture, used by name

runner = CliRunner()
AS = ["--as", PRESCRIBER]
HEADER = "patient,date,test,value,unit,reference_low,reference_high\n"
WINDOW_DEMO = 1  # demo-02: the dispense window closes on 2026-03-20


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ISOCOURSE_DATABASE_URL", fresh_database("sqlite", tmp_path))
    opened = open_store(Settings())
    yield opened
    opened.close()


def write_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_all_or_nothing_rejects_a_bad_row_by_line_and_leaves_the_database_unchanged(
    store: Store, tmp_path: Path
) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    csv = write_csv(
        tmp_path,
        ["demo-01,2026-03-12,triglycerides,180,mg/dL,,150", "demo-01,2026-03-12,alt,3,5,U/L,,40"],
    )
    before = event_count(store)
    result = runner.invoke(app, ["import-labs", str(csv), *AS])
    assert result.exit_code == 2, result.output
    assert re.search(r"\b3\b\D*expected 7 fields, found 8", result.output), result.output
    assert "nothing was written" in result.output
    assert event_count(store) == before


def test_accept_valid_writes_the_valid_rows_and_exits_1(store: Store, tmp_path: Path) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    csv = write_csv(
        tmp_path,
        ["demo-01,2026-03-12,triglycerides,180,mg/dL,,150", "nobody,2026-03-12,alt,30,U/L,,40"],
    )
    before = event_count(store)
    result = runner.invoke(app, ["import-labs", str(csv), "--accept-valid", *AS])
    assert result.exit_code == 1, result.output
    assert "unknown patient 'nobody'" in result.output
    assert event_count(store) == before + 1


def test_rows_name_patients_by_record_id_or_store_id_and_a_repeat_is_rejected(
    store: Store, tmp_path: Path
) -> None:
    (store_id,) = seed(store, [demo(ALLOWED_DEMO)])
    rows = ["demo-01,2026-03-12,alt,30,U/L,,40", f"{store_id},2026-03-12,1742-6,31,U/L,,45"]
    csv = write_csv(tmp_path, rows)
    before = event_count(store)
    first = runner.invoke(app, ["import-labs", str(csv), *AS, "--clinic", "north"])
    assert first.exit_code == 0, first.output
    assert event_count(store) == before + 2
    again = runner.invoke(app, ["import-labs", str(csv), *AS])
    assert again.exit_code == 2
    assert "already in the patient's record" in again.output
    assert event_count(store) == before + 2


def test_a_record_id_two_patients_share_names_nobody(store: Store, tmp_path: Path) -> None:
    seed(store, [demo(ALLOWED_DEMO), demo(ALLOWED_DEMO)])
    csv = write_csv(tmp_path, ["demo-01,2026-03-12,alt,30,U/L,,40"])
    result = runner.invoke(app, ["import-labs", str(csv), *AS])
    assert result.exit_code == 2
    assert "names more than one patient" in result.output


def test_a_large_file_imports_in_one_go(store: Store, tmp_path: Path) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    rows = [f"demo-01,2026-03-{1 + n % 14:02d},alt,{20 + n / 100:.2f},U/L,,40" for n in range(3000)]
    before = event_count(store)
    result = runner.invoke(app, ["import-labs", str(write_csv(tmp_path, rows)), *AS])
    assert result.exit_code == 0, result.output
    assert event_count(store) == before + 3000


def test_import_labs_refuses_someone_who_is_not_a_prescriber(store: Store, tmp_path: Path) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    csv = write_csv(tmp_path, ["demo-01,2026-03-12,alt,30,U/L,,40"])
    assert runner.invoke(app, ["import-labs", str(csv), "--as", "x@y.test"]).exit_code == 2
    wrong_clinic = runner.invoke(app, ["import-labs", str(csv), *AS, "--clinic", "south"])
    assert wrong_clinic.exit_code == 2


def test_report_writes_a_pdf_with_the_patients_figures(store: Store, tmp_path: Path) -> None:
    seed(store, [demo(ALLOWED_DEMO)])
    target = tmp_path / "summary.pdf"
    args = ["report", "demo-01", "--pdf", str(target), "--as-of", "2026-03-15", *AS]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = PdfReader(io.BytesIO(target.read_bytes())).pages[0].extract_text()
    assert "demo-01" in text
    assert "2026-03-15" in text
    unknown = runner.invoke(app, ["report", "nobody", "--pdf", str(target), *AS])
    assert unknown.exit_code == 2


def remind_scene(store: Store) -> dict[str, str]:
    """Maya (window closing, login), Sam (login, opted out), Maya's twin (e-mail only)."""
    window, opted_out, email_only = seed(
        store, [demo(WINDOW_DEMO), demo(ALLOWED_DEMO), demo(WINDOW_DEMO)]
    )
    add_patient_login(store, "maya@mail.test", window)
    add_patient_login(store, "sam@mail.test", opted_out)
    system = ClinicSystem(store, load_knowledge())
    call = call_as(store, PRESCRIBER)
    set_reminder_preference(system, call, opted_out, email=None, opt_out=True)
    set_reminder_preference(system, call, email_only, email="twin@mail.test", opt_out=False)
    return {"window": window, "opted_out": opted_out, "email_only": email_only}


def smtp_env(monkeypatch: pytest.MonkeyPatch, server: SmtpServer) -> None:
    monkeypatch.setenv("ISOCOURSE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ISOCOURSE_SMTP_PORT", str(server.port))
    monkeypatch.setenv("ISOCOURSE_SMTP_FROM", "clinic@north.test")


def test_remind_mails_each_patient_alone_and_never_an_opted_out_one(
    store: Store, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    remind_scene(store)
    smtp_env(monkeypatch, smtp_server)
    result = runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    assert result.exit_code == 0, result.output
    by_address = {tuple(to): message for to, message in smtp_server.sink.received}
    assert set(by_address) == {("maya@mail.test",), ("twin@mail.test",)}
    maya = by_address[("maya@mail.test",)].get_content()
    assert "collected until Friday 20 March 2026." in maya
    assert "dose check-in" in maya
    twin = by_address[("twin@mail.test",)].get_content()
    assert by_address[("twin@mail.test",)]["To"] == "twin@mail.test"
    assert "dose check-in" not in twin  # no login to check in with
    for body in (maya, twin):
        assert "sam" not in body.lower()
        assert "demo-0" not in body
        assert "isotretinoin" not in body.lower()
        assert "mg" not in body.split()


def test_reminders_carry_date_message_id_in_the_clinics_domain_and_auto_submitted(
    store: Store, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    remind_scene(store)
    smtp_env(monkeypatch, smtp_server)
    result = runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    assert result.exit_code == 0, result.output
    messages = [message for _to, message in smtp_server.sink.received]
    assert len(messages) == 2
    for message in messages:
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert re.fullmatch(r"<[^@<>\s]+@north\.test>", message["Message-ID"])
        assert message["Auto-Submitted"] == "auto-generated"
    assert len({message["Message-ID"] for message in messages}) == 2


def test_a_patient_with_a_stop_alert_is_asked_to_contact_the_clinic_and_nothing_else(
    store: Store, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo-04 has suicidal thoughts on the mood screen (a stop alert) and programme tasks
    due: no "Due ..." e-mail, only "contact your clinic"."""
    (stopped,) = seed(store, [demo(BLOCKED_DEMO)])
    add_patient_login(store, "kim@mail.test", stopped)
    smtp_env(monkeypatch, smtp_server)
    result = runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    assert result.exit_code == 0, result.output
    ((to, message),) = smtp_server.sink.received
    assert to == ["kim@mail.test"]
    body = message.get_content()
    assert CONTACT_CLINIC in body
    assert "Due" not in body and "Overdue" not in body and "collected" not in body
    assert "check-in" not in body


def test_remind_sends_once_a_day_and_a_dry_run_sends_nothing(
    store: Store, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    remind_scene(store)
    smtp_env(monkeypatch, smtp_server)
    dry = runner.invoke(app, ["remind", "--as-of", "2026-03-18", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "maya@mail.test" in dry.output
    assert smtp_server.sink.received == []
    runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    sent = len(smtp_server.sink.received)
    assert sent == 2
    runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    assert len(smtp_server.sink.received) == sent


def test_remind_without_an_smtp_server_configured_fails(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    remind_scene(store)
    monkeypatch.delenv("ISOCOURSE_SMTP_HOST", raising=False)
    result = runner.invoke(app, ["remind", "--as-of", "2026-03-18"])
    assert result.exit_code == 2
