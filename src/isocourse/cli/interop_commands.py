"""Store-backed output commands: ``import-labs``, ``report``, ``remind``.

``import-labs`` and ``report`` act as a named prescriber (``--as EMAIL``): the
audit trail names the person who imported or printed, in their clinic. No password
is asked: whoever runs these commands already holds the database. ``remind`` runs
unattended (cron) as the audited system actor ``system:remind``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from isocourse.cli.common import fail, knowledge, settings
from isocourse.cli.output import Column, print_line, print_listing, stdout_console

if TYPE_CHECKING:
    from isocourse.service.context import Call, ClinicSystem
    from isocourse.service.lab_csv import LabCsvOutcome
    from isocourse.service.reminders import PlannedReminder
    from isocourse.settings import Settings

EXIT_PARTIAL = 1  # --accept-valid: the valid rows were written, some rows were rejected
EXIT_REJECTED = 2  # all-or-nothing: rows were rejected, nothing was written
EXIT_SEND_FAILED = 1


AsUser = Annotated[
    str, typer.Option("--as", help="the e-mail of the prescriber doing this (audited)")
]


def _system(current: Settings) -> ClinicSystem:
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import open_store

    return ClinicSystem(open_store(current), knowledge())


def _now(current: Settings) -> datetime:
    return datetime.now(tz=ZoneInfo(current.timezone))


def _call_as(system: ClinicSystem, current: Settings, email: str, clinic: str | None) -> Call:
    from isocourse.service.accounts import actor_by_email
    from isocourse.service.context import Call

    actor = actor_by_email(system, email)
    if actor is None or actor.role != "prescriber":
        fail(f"--as {email}: no prescriber with this e-mail")
    if clinic is not None and actor.clinic_id != clinic:
        fail(f"--as {email} is a prescriber of clinic {actor.clinic_id!r}, not {clinic!r}")
    now = _now(current)
    return Call(actor, f"cli-{uuid.uuid4()}", now.date(), now)


def import_labs(
    file: Annotated[Path, typer.Argument(help="the CSV file (UTF-8, header row)")],
    as_user: AsUser,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing/--accept-valid",
            help="write nothing if any row is rejected (default), or write the valid rows",
        ),
    ] = True,
    clinic: Annotated[
        str | None, typer.Option(help="check that --as belongs to this clinic")
    ] = None,
) -> None:
    """Import lab results from CSV in one transaction; report accepted and rejected rows."""
    from isocourse.errors import ServiceError

    current = settings()
    system = _system(current)
    try:
        call = _call_as(system, current, as_user, clinic)
        outcome = _run_import(system, call, file, all_or_nothing)
    except ServiceError as error:
        fail(f"import-labs: {error.message}")
    finally:
        system.store.close()
    _print_import(outcome, all_or_nothing)
    if outcome.rejected:
        raise typer.Exit(EXIT_REJECTED if all_or_nothing else EXIT_PARTIAL)


def _run_import(
    system: ClinicSystem, call: Call, file: Path, all_or_nothing: bool
) -> LabCsvOutcome:
    from isocourse.service.lab_csv import import_lab_csv

    try:
        size = file.stat().st_size
        handle = file.open(encoding="utf-8", newline="")
    except OSError as error:
        fail(f"import-labs: cannot read {file}: {error.strerror}")
    from rich.progress import Progress

    with handle, Progress(console=stdout_console(), transient=True, disable=size < 64_000) as bar:
        task = bar.add_task("checking rows", total=None)
        return import_lab_csv(
            system,
            call,
            handle,
            all_or_nothing=all_or_nothing,
            progress=lambda rows: bar.update(task, completed=rows),
        )


def _print_import(outcome: LabCsvOutcome, all_or_nothing: bool) -> None:
    out = stdout_console()
    if outcome.rejected:
        print_listing(
            out,
            "rejected rows",
            (Column("line", key=True), Column("reason", label="")),
            [(str(row.line), row.reason) for row in outcome.rejected],
            show_lines=False,
        )
    accepted = len(outcome.accepted)
    print_line(out, f"{accepted} row(s) accepted, {len(outcome.rejected)} rejected.")
    if outcome.rejected and all_or_nothing:
        print_line(out, "All-or-nothing: nothing was written. Fix the rows and import again.")
    else:
        print_line(out, f"{outcome.written} lab result(s) written.")


def report(
    patient: Annotated[str, typer.Argument(help="the clinic's patient number or isocourse id")],
    pdf: Annotated[Path, typer.Option("--pdf", help="where to write the PDF")],
    as_user: AsUser,
    as_of: Annotated[
        str | None, typer.Option(help="the day reported, YYYY-MM-DD; default today")
    ] = None,
) -> None:
    """Write the course summary PDF a clinician files."""
    from isocourse.errors import ServiceError
    from isocourse.service.documents import read_report_pdf

    day = _parse_day(as_of)
    current = settings()
    system = _system(current)
    try:
        call = _call_as(system, current, as_user, None)
        content = read_report_pdf(system, call, _resolve(system, call, patient), day)
    except ServiceError as error:
        fail(f"report: {error.message}")
    finally:
        system.store.close()
    pdf.write_bytes(content)
    print_line(stdout_console(), f"wrote {pdf} ({len(content)} bytes)")


def _resolve(system: ClinicSystem, call: Call, patient: str) -> str:
    from isocourse.service.directory import read_directory

    directory = read_directory(system, call)
    found = directory.resolve(patient)
    if found is None:
        why = "names more than one patient" if directory.is_ambiguous(patient) else "is unknown"
        fail(f"report: patient {patient!r} {why} in clinic {call.actor.clinic_id!r}")
    return found


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of {text!r}: expected YYYY-MM-DD")


def remind(
    as_of: Annotated[
        str | None, typer.Option(help="the day, YYYY-MM-DD; default today (clinic time zone)")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be sent; send nothing")
    ] = False,
) -> None:
    """E-mail patients about closing windows, due tests and missed check-ins (run daily)."""
    from isocourse.service.reminders import plan_reminders

    current = settings()
    now = _now(current)
    today = _parse_day(as_of) or now.date()
    system = _system(current)
    request_id = f"remind-{uuid.uuid4()}"
    try:
        planned = plan_reminders(system, today=today, now=now, request_id=request_id)
        _print_plan(planned, dry_run)
        failures = 0 if dry_run else _send_all(system, current, planned, today, now, request_id)
    finally:
        system.store.close()
    if failures:
        raise typer.Exit(EXIT_SEND_FAILED)


def _print_plan(planned: list[PlannedReminder], dry_run: bool) -> None:
    print_listing(
        stdout_console(),
        "reminders" + (" (dry run: nothing sent)" if dry_run else ""),
        (Column("patient", key=True), Column("to", key=True), Column("about")),
        [
            (
                item.patient_id,
                "\n".join(item.recipients),
                ", ".join(reminder.topic for reminder in item.reminders),
            )
            for item in planned
        ],
        show_lines=False,
    )


def _send_all(
    system: ClinicSystem,
    current: Settings,
    planned: list[PlannedReminder],
    today: date,
    now: datetime,
    request_id: str,
) -> int:
    if not planned:
        return 0
    from isocourse.mail import MailError, send, smtp_config, smtp_connection
    from isocourse.reminder_plan import reminder_email
    from isocourse.service.reminders import note_reminder_sent

    try:
        config = smtp_config(current)
        with smtp_connection(config) as connection:
            failures = 0
            for item in planned:
                try:
                    for address in item.recipients:
                        message = reminder_email(
                            item.reminders,
                            to=address,
                            sender=config.sender,
                            today=today,
                            sent_at=datetime.now(tz=now.tzinfo),
                            message_id=config.message_id(),
                        )
                        send(connection, message)
                except MailError as error:
                    print_line(stdout_console(), f"not sent for {item.patient_id}: {error}")
                    failures += 1
                    continue
                note_reminder_sent(system, item, today=today, now=now, request_id=request_id)
    except MailError as error:
        fail(f"remind: {error}")
    print_line(stdout_console(), f"sent reminders to {len(planned) - failures} patient(s)")
    return failures
