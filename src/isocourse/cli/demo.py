"""``isocourse demo``: a fictional clinic in the default database, its logins, and the server.

Checks that the port is free (unless ``--no-serve``), migrates the database, seeds clinic
``demo`` with the fictional demo patients (once), creates one login per role, prints the
work-list, the logins and the sign-in address, then serves the API and the pages.
``--reset`` first deletes the demo's own SQLite database (and nothing else).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from isocourse.cli.common import fail, knowledge, settings
from isocourse.cli.output import Column, print_line, print_listing, stdout_console

if TYPE_CHECKING:
    from isocourse.auth.roles import Actor
    from isocourse.service.context import ClinicSystem
    from isocourse.settings import Settings

DEMO_CLINIC = "demo"
DEMO_PASSWORD = "demo-clinic-password"
DEMO_ROLES = ("prescriber", "pharmacist", "admin")
SQLITE_FILE = "isocourse.sqlite3"


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Seed and print, but do not start the server.")
    ] = False,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Delete the demo's SQLite database (ISOCOURSE_DATA_DIR/isocourse.sqlite3) "
            "and seed it again. Refused when ISOCOURSE_DATABASE_URL is set or when the "
            "database holds any clinic but the demo's.",
        ),
    ] = False,
) -> None:
    """Run the demo clinic: fictional patients, one login per role, the server on HOST:PORT.

    Its data lives in the default SQLite database, ISOCOURSE_DATA_DIR/isocourse.sqlite3
    (./isocourse-data/ unless set); --reset starts it again from scratch.
    """
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import migrate, open_store

    current = settings()
    if current.environment == "production":
        fail("the demo has known passwords; it does not run with ISOCOURSE_ENVIRONMENT=production")
    if not no_serve:
        _check_port_free(host, port)  # before anything is written or printed
    if reset:
        _reset(current)
    migrate(current.sqlalchemy_url())
    system = ClinicSystem(open_store(current), knowledge())
    try:
        prescriber = _seed(system, current)
        _print_worklist(system, current, prescriber)
    finally:
        system.store.close()
    _print_logins(current, host, port, serving=not no_serve)
    if not no_serve:
        from isocourse.cli.store_commands import serve

        serve(host=host, port=port)


def _check_port_free(host: str, port: int) -> None:
    """Refuse, naming the port and the option, when the server could not listen there."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror}; check --host")
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as the server binds: SO_REUSEADDR lets a port in TIME_WAIT be reused, not a taken one
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            why = "is in use" if error.errno == errno.EADDRINUSE else f"refused: {error.strerror}"
            fail(
                f"port {port} on {host} {why}; stop what listens there, or choose another "
                f"port with --port (e.g. --port {port + 1}). Nothing was changed."
            )


def demo_database(current: Settings) -> Path | None:
    """The demo's own SQLite file, or None when the database is configured elsewhere."""
    if current.database_url:
        return None
    return current.data_dir / SQLITE_FILE


def _reset(current: Settings) -> None:
    """Delete the demo's SQLite database, only if it holds nothing but the demo clinic."""
    path = demo_database(current)
    if path is None:
        fail(
            "--reset deletes only the demo's own SQLite database under ISOCOURSE_DATA_DIR; "
            "ISOCOURSE_DATABASE_URL is set, so the demo uses a database it did not create. "
            "Unset it to reset the demo."
        )
    if not path.exists():
        return
    others = _other_clinics(path)
    if others:
        fail(
            f"--reset refused: {path} holds clinic(s) other than the demo's "
            f"({', '.join(others)}); it is not only demo data. Point ISOCOURSE_DATA_DIR at "
            "another folder for the demo."
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print_line(stdout_console(), f"deleted the demo database {path.resolve()}")


def _other_clinics(path: Path) -> list[str]:
    import sqlite3

    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            rows = connection.execute("SELECT id FROM clinics WHERE id != ?", (DEMO_CLINIC,))
            return sorted(str(row[0]) for row in rows)
    except sqlite3.Error as error:
        if "no such table" in str(error):
            return []  # created but never migrated: nothing in it
        fail(f"--reset refused: {path} is not a readable isocourse database ({error})")


def _seed(system: ClinicSystem, current: Settings) -> Actor:
    """The demo prescriber; seeds the clinic the first time (fictional patients only)."""
    from isocourse.auth.users import add_user
    from isocourse.demo_patients import demo_patients
    from isocourse.service.context import Call
    from isocourse.service.enrolment import enrol_patient
    from isocourse.store.clinics import clinic_by_id

    now = datetime.now(tz=UTC)
    with system.store.reading() as session:
        seeded = clinic_by_id(session, DEMO_CLINIC) is not None
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
        enrol_patient(system, call, patient.record, name=patient.name).patient_id
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
    from isocourse.auth.users import actor_of, user_by_email

    with system.store.reading() as session:
        row = user_by_email(session, f"prescriber@{DEMO_CLINIC}.test")
        if row is None:
            fail(
                "clinic 'demo' exists without its demo prescriber; "
                "start again with `isocourse demo --reset`"
            )
        return actor_of(row)


def _print_worklist(system: ClinicSystem, current: Settings, prescriber: Actor) -> None:
    from isocourse.cli.output import Cell
    from isocourse.service.context import Call
    from isocourse.service.views import read_worklist
    from isocourse.words import patient_label

    today = current.today()
    call = Call(prescriber, f"demo-{uuid.uuid4()}", today, datetime.now(tz=UTC))
    rows = [
        (
            patient_label(row.name, row.record_patient_id),
            row.reason,
            Cell("allowed", "green")
            if row.assessment.dispense.allowed
            else Cell("blocked", "red"),
        )
        for row in read_worklist(system, call)
    ]
    print_listing(
        stdout_console(),
        f"Demo clinic work-list, {today.isoformat()} (fictional patients)",
        (Column("patient", key=True), Column("why", label=""), Column("dispense", key=True)),
        rows,
        show_lines=False,
    )


def sign_in_url(host: str, port: int) -> str:
    """The address a browser opens: the sign-in page."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host  # any interface: this machine
    shown = "[::1]" if shown == "::" else (f"[{shown}]" if ":" in shown else shown)
    return f"http://{shown}:{port}/login"


def _print_logins(current: Settings, host: str, port: int, *, serving: bool) -> None:
    from isocourse.cli.render import DISCLAIMER

    console = stdout_console()
    print_line(console, f"Demo logins (password {DEMO_PASSWORD}):")
    for role in (*DEMO_ROLES, "patient"):
        print_line(console, f"  {role:<11} {role}@{DEMO_CLINIC}.test")
    where = demo_database(current)
    if where is not None:
        print_line(
            console,
            f"Demo data: {where.resolve()} (start again with `isocourse demo --reset`)",
        )
    url = sign_in_url(host, port)
    if serving:
        print_line(console, f"Sign in at {url}", "bold")
    else:
        print_line(console, f"Start the server with `isocourse serve`, then sign in at {url}")
    print_line(console, DISCLAIMER, "dim")
