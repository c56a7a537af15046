"""The system of record's commands: ``db upgrade``, ``user add|list|disable|enable|
set-password``, ``serve`` (the audit trail's are in ``audit_commands``).

A change to a user is audited as the operator (``operator:<login name>``), like an
admin's on the admin page, without the password."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from isocourse.auth.roles import ROLES
from isocourse.cli.common import fail, settings

if TYPE_CHECKING:
    from isocourse.service.context import ClinicSystem

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
    from isocourse.errors import InvalidInput
    from isocourse.service.accounts import operator_add_user, operator_call

    password = _password(password_stdin)
    call = operator_call(clinic, datetime.now(tz=UTC))
    system = _system()
    try:
        operator_add_user(
            system,
            call,
            email=email,
            role=role,
            clinic_id=clinic,
            password=password,
            patient_id=patient,
        )
    except InvalidInput as error:
        fail(f"cannot add the user: {error.message}")
    finally:
        system.store.close()
    typer.echo(f"added {role} {email} to clinic {clinic}")


@user_app.command("list")
def user_list(
    clinic: Annotated[str | None, typer.Option(help="only this clinic's users")] = None,
) -> None:
    """List users: e-mail, role, clinic, last sign-in, disabled, second factor."""
    from isocourse.auth.users import list_users
    from isocourse.store.database import open_store

    store = open_store(settings())
    try:
        with store.reading() as session:
            users = list_users(session, clinic)
    finally:
        store.close()
    for user in users:
        last = f"{user.last_sign_in_at:%Y-%m-%d %H:%M}" if user.last_sign_in_at else "never"
        state = "disabled" if user.disabled else "active"
        factor = "second factor" if user.second_factor else "-"
        patient = user.patient_id or "-"
        typer.echo(
            f"{user.email}\t{user.role}\t{user.clinic_id}\t{patient}\t{last}\t{state}\t{factor}"
        )
    if not users:
        typer.echo("no users", err=True)


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="the login e-mail")]) -> None:
    """Disable a user: their sessions and calendar links end at once; they cannot sign in."""
    _change_user(email, "disable", "disabled", "was already disabled")


@user_app.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="the login e-mail")]) -> None:
    """Enable a disabled user again (they sign in anew)."""
    _change_user(email, "enable", "enabled", "was not disabled")


def _change_user(
    email: str, change: Literal["disable", "enable"], done: str, unchanged: str
) -> None:
    from isocourse.errors import ServiceError
    from isocourse.service.accounts import change_user, operator_call, user_id_by_email

    system = _system()
    try:
        user_id, clinic = user_id_by_email(system, email)
        call = operator_call(clinic, datetime.now(tz=UTC))
        changed = change_user(system, call, user_id, change, operator=True)
    except ServiceError as error:
        fail(f"cannot change the user: {error.message}")
    finally:
        system.store.close()
    typer.echo(f"{email} {done}" if changed else f"{email} {unchanged}")


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(help="the login e-mail")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Set a user's password (the password policy applies); their sessions end."""
    from isocourse.errors import ServiceError
    from isocourse.service.accounts import operator_call, reset_password, user_id_by_email

    password = _password(password_stdin)
    system = _system()
    try:
        user_id, clinic = user_id_by_email(system, email)
        call = operator_call(clinic, datetime.now(tz=UTC))
        ended = reset_password(system, call, user_id, password, operator=True)
    except ServiceError as error:
        fail(f"cannot set the password: {error.message}")
    finally:
        system.store.close()
    typer.echo(f"password of {email} set; {ended} session(s) ended")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _system() -> ClinicSystem:
    from isocourse.cli.common import knowledge
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import open_store

    return ClinicSystem(open_store(settings()), knowledge())


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="server processes on the port (uvicorn's workers; about one per core; they "
            "share the sessions and the failed sign-ins, in the database)",
        ),
    ] = 1,
) -> None:
    """Serve the JSON API (run `isocourse db upgrade` first)."""
    import uvicorn

    from isocourse.api import create_app

    configured = settings()  # a refused setting stops here, before any worker starts
    # proxy_headers off: uvicorn would otherwise take the client's address from
    # X-Forwarded-For whenever the peer is local; the app decides, trusting only
    # ISOCOURSE_TRUSTED_PROXIES (isocourse.wiring.client_address)
    if workers == 1:
        served = create_app(configured, freeze_startup_heap=True)
        uvicorn.run(served, host=host, port=port, proxy_headers=False)
        return
    # each worker builds the app from the same environment
    uvicorn.run(
        "isocourse.api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
    )
