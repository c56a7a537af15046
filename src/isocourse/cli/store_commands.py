"""The system of record's commands: ``db upgrade``, ``user add``, ``serve`` (the audit
trail's are in ``audit_commands``)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from isocourse.cli.common import fail, settings

#: the roles a user may have (``isocourse.service.context.ROLES``, which imports the
#: database layer; a unit test keeps the two equal)
ROLES = ("prescriber", "pharmacist", "patient", "admin")

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True, rich_markup_mode=None)
user_app = typer.Typer(help="Users of a clinic.", no_args_is_help=True, rich_markup_mode=None)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database (ISOCOURSE_DATABASE_URL; default SQLite)."""
    from isocourse.store.database import migrate

    url = settings().sqlalchemy_url()
    migrate(url)
    typer.echo("database is up to date")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="the login e-mail")],
    role: Annotated[str, typer.Option(help="one of: " + ", ".join(ROLES))],
    clinic: Annotated[str, typer.Option(help="the clinic's short id; created when new")],
    patient: Annotated[
        str | None, typer.Option(help="for a patient login: the patient's id")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a user bound to a clinic (and, for a patient, to their record)."""
    from isocourse.auth.users import add_user
    from isocourse.service.errors import InvalidInput
    from isocourse.store.database import open_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    store = open_store(settings())
    try:
        add_user(
            store,
            email=email,
            role=role,
            clinic_id=clinic,
            password=password,
            now=datetime.now(tz=UTC),
            patient_id=patient,
        )
    except InvalidInput as error:
        fail(f"cannot add the user: {error.message}")
    finally:
        store.close()
    typer.echo(f"added {role} {email} to clinic {clinic}")


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="server processes on the port (about one per core), each on a socket of "
            "its own, the kernel spreading connections across them; each counts failed "
            "sign-ins on its own",
        ),
    ] = 1,
) -> None:
    """Serve the JSON API (run `isocourse db upgrade` first)."""
    import uvicorn

    from isocourse.api import create_app
    from isocourse.api.http_protocol import NoDelayH11Protocol
    from isocourse.api.workers import SocketPerWorker

    configured = settings()  # a refused setting stops here, before any worker starts
    if workers == 1:
        served = create_app(configured, freeze_startup_heap=True)
        uvicorn.run(served, host=host, port=port, http=NoDelayH11Protocol)
        return
    config = uvicorn.Config(
        "isocourse.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayH11Protocol,
    )
    try:
        supervisor = SocketPerWorker(config)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}")
    supervisor.run()
