"""``isocourse demo``: a fictional clinic in the default database, its logins, and the server.

Migrates the database, seeds clinic ``demo`` with the fictional demo patients (once),
creates one login per role, prints them and the work-list, then serves the API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from isocourse.auth.users import actor_of, add_user
from isocourse.cli.common import fail, knowledge, settings
from isocourse.cli.render import DISCLAIMER
from isocourse.cli.store_commands import serve
from isocourse.demo_patients import demo_patients
from isocourse.service.context import Actor, Call, ClinicSystem
from isocourse.service.enrolment import enrol_patient
from isocourse.service.reading import read_worklist
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from isocourse.store.tables import Clinic, UserRow

DEMO_CLINIC = "demo"
DEMO_PASSWORD = "demo-password"
DEMO_ROLES = ("prescriber", "pharmacist", "admin")


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Seed and print, but do not start the server.")
    ] = False,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run the demo clinic: fictional patients, one login per role, the API on HOST:PORT."""
    current = settings()
    if current.environment == "production":
        fail("the demo has known passwords; it does not run with ISOCOURSE_ENVIRONMENT=production")
    migrate(current.sqlalchemy_url())
    system = ClinicSystem(open_store(current), knowledge())
    try:
        prescriber = _seed(system, current)
        _print_worklist(system, current, prescriber)
    finally:
        system.store.close()
    console = Console()
    console.print(f"Demo logins (password [bold]{DEMO_PASSWORD}[/]):")
    for role in (*DEMO_ROLES, "patient"):
        console.print(f"  {role:<11} {role}@{DEMO_CLINIC}.test")
    console.print(f"[dim]{DISCLAIMER}[/dim]")
    if not no_serve:
        console.print(f"API on http://{host}:{port}/docs")
        serve(host=host, port=port)


def _seed(system: ClinicSystem, current: Settings) -> Actor:
    """The demo prescriber; seeds the clinic the first time (fictional patients only)."""
    now = datetime.now(tz=UTC)
    with system.store.transaction() as session:
        seeded = session.scalar(select(Clinic).where(Clinic.id == DEMO_CLINIC)) is not None
    if seeded:
        return _demo_actor(system)
    users = {
        role: add_user(
            system.store,
            email=f"{role}@{DEMO_CLINIC}.test",
            role=role,
            clinic_id=DEMO_CLINIC,
            password=DEMO_PASSWORD,
            now=now,
        )
        for role in DEMO_ROLES
    }
    call = Call(users["prescriber"], f"demo-{uuid.uuid4()}", current.today(), now)
    patient_ids = [
        enrol_patient(system, call, patient.record)["patient_id"]
        for patient in demo_patients(current.today())
    ]
    add_user(
        system.store,
        email=f"patient@{DEMO_CLINIC}.test",
        role="patient",
        clinic_id=DEMO_CLINIC,
        password=DEMO_PASSWORD,
        now=now,
        patient_id=patient_ids[0],
    )
    return users["prescriber"]


def _demo_actor(system: ClinicSystem) -> Actor:
    with system.store.transaction() as session:
        row = session.scalar(
            select(UserRow).where(UserRow.email == f"prescriber@{DEMO_CLINIC}.test")
        )
        if row is None:
            fail("clinic 'demo' exists without its demo prescriber; use a fresh data directory")
        return actor_of(row)


def _print_worklist(system: ClinicSystem, current: Settings, prescriber: Actor) -> None:
    today = current.today()
    call = Call(prescriber, f"demo-{uuid.uuid4()}", today, datetime.now(tz=UTC))
    table = Table(title=f"Demo clinic work-list, {today.isoformat()} (fictional patients)")
    for column in ("patient", "why", "dispense"):
        table.add_column(column)
    names = {p.record["patient"]["id"]: p.name for p in demo_patients(today)}
    for row in read_worklist(system, call):
        allowed = "[green]allowed[/]" if row["dispense_allowed"] else "[red]blocked[/]"
        table.add_row(
            f"{names.get(row['record_patient_id'], '?')} ({row['record_patient_id']})",
            row["reason"],
            allowed,
        )
    Console().print(table)
