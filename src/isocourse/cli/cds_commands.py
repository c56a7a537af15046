"""``isocourse cds-client``: the EHRs allowed to call the CDS Hooks services.

Whoever runs these commands holds the database (as for ``user add``): no sign-in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from isocourse.cli.common import fail, knowledge, settings
from isocourse.cli.output import Column, print_listing, stdout_console

cds_app = typer.Typer(
    help="EHRs that may call the CDS Hooks services.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Issuer = Annotated[str, typer.Option("--issuer", help="the iss of the EHR's signed JWTs")]


@cds_app.command("add")
def cds_client_add(
    issuer: Issuer,
    clinic: Annotated[str, typer.Option(help="the clinic the EHR belongs to (its short id)")],
    jwks_file: Annotated[
        Path | None, typer.Option("--jwks-file", help="the EHR's public keys (a JWKS, JSON)")
    ] = None,
    jwks_url: Annotated[
        str | None, typer.Option("--jwks-url", help="where the EHR publishes its JWKS")
    ] = None,
    programme: Annotated[
        str, typer.Option(help="the programme rule set for patients not yet enrolled")
    ] = "us-ipledge",
    fhir_server: Annotated[
        str | None,
        typer.Option("--fhir-server", help="the EHR's FHIR base URL (also its SMART launch iss)"),
    ] = None,
    smart_client_id: Annotated[
        str | None,
        typer.Option("--smart-client-id", help="isocourse's client id at the EHR (SMART launch)"),
    ] = None,
) -> None:
    """Register an EHR (or replace its registration): issuer, keys, clinic."""
    from isocourse.errors import InvalidInput, NotFound
    from isocourse.service.cds_clients import register_client
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import open_store

    if (jwks_file is None) == (jwks_url is None):
        fail("give --jwks-file or --jwks-url (one of them)")
    jwks = None
    if jwks_file is not None:
        try:
            jwks = json.loads(jwks_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            fail(f"cannot read the JWKS file {jwks_file}: {error}")
        if not isinstance(jwks, dict):
            fail(f"{jwks_file} is not a JWKS (a JSON object with 'keys')")
    store = open_store(settings())
    try:
        client = register_client(
            ClinicSystem(store, knowledge()),
            issuer=issuer,
            clinic_id=clinic,
            now=datetime.now(tz=UTC),
            jwks=jwks,
            jwks_url=jwks_url,
            programme=programme,
            fhir_server=fhir_server,
            smart_client_id=smart_client_id,
        )
    except (InvalidInput, NotFound) as error:
        fail(f"cannot register the EHR: {error}")
    finally:
        store.close()
    typer.echo(f"registered EHR issuer {client.issuer} for clinic {client.clinic_id}")


@cds_app.command("list")
def cds_client_list() -> None:
    """The registered EHRs."""
    from isocourse.service.cds_clients import list_clients
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import open_store

    store = open_store(settings())
    try:
        clients = list_clients(ClinicSystem(store, knowledge()))
    finally:
        store.close()
    columns = [
        Column("issuer", key=True),
        Column("clinic", key=True),
        Column("programme", key=True),
        Column("keys"),
        Column("FHIR server"),
    ]
    rows = [
        [
            c.issuer,
            c.clinic_id,
            c.programme,
            "JWKS URL" if c.has_jwks_url else "JWKS file",
            c.fhir_server or "—",
        ]
        for c in clients
    ]
    print_listing(stdout_console(), "Registered EHRs", columns, rows)


@cds_app.command("remove")
def cds_client_remove(issuer: Issuer) -> None:
    """Remove an EHR: its calls are refused from now on."""
    from isocourse.errors import NotFound
    from isocourse.service.cds_clients import remove_client
    from isocourse.service.context import ClinicSystem
    from isocourse.store.database import open_store

    store = open_store(settings())
    try:
        remove_client(ClinicSystem(store, knowledge()), issuer)
    except NotFound as error:
        fail(str(error))
    finally:
        store.close()
    typer.echo(f"removed EHR issuer {issuer}")
