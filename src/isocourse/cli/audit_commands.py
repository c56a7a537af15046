"""``isocourse audit verify | checkpoint | list``: check, seal and read the audit trail.

Only Typer is imported here; the database, the signing library and rich are imported
by the command that runs (the command line starts fast).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from isocourse.cli.common import fail, settings

if TYPE_CHECKING:
    from isocourse.service.audit import ChainReport, ContentReport
    from isocourse.settings import Settings

EXIT_AUDIT_BROKEN = 1
#: problems named one by one (the count is always printed; past this many, "and N more")
SHOWN_PROBLEMS = 50

audit_app = typer.Typer(
    help="The audit trail: verify, checkpoint, list.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="a checkpoint file written by `isocourse audit checkpoint` (repeatable): "
            "prove the trail still holds its end; the key is ISOCOURSE_AUDIT_KEY_FILE",
        ),
    ] = None,
) -> None:
    """Check the audit trail, read as one snapshot: the hash chain (a changed, removed or
    inserted entry), the events each entry names (an event changed, deleted or added in
    the database, named: event id, patient, kind) and, given checkpoints, that the
    trail's end was not cut off. Exit 0: all hold. Exit 1: something does not (each
    problem named). Exit 2: a key or checkpoint file cannot be read."""
    from isocourse.service.audit import verify_chain, verify_content
    from isocourse.service.audit_checkpoint import (
        Checkpoint,
        CheckpointError,
        check_against,
        read_checkpoint,
        verifying_key,
    )
    from isocourse.store.database import open_store

    configured = settings()
    given = checkpoints or []
    signed: list[tuple[Path, Checkpoint | None, str]] = []
    if given:
        try:
            key = verifying_key(_key_file(configured))
        except CheckpointError as error:
            fail(str(error))
        for path in given:
            try:
                signed.append((path, read_checkpoint(path, key), ""))
            except CheckpointError as error:
                signed.append((path, None, str(error)))
    store = open_store(configured)
    try:
        with store.reading() as session:  # one snapshot; writers go on meanwhile
            chain = verify_chain(session)
            content = verify_content(session)
            held = [
                (path, checkpoint, check_against(session, checkpoint) if checkpoint else [refused])
                for path, checkpoint, refused in signed
            ]
    finally:
        store.close()
    broken = _print_chain(chain) | _print_content(content)
    for path, checkpoint, problems in held:
        broken |= _print_checkpoint(path, checkpoint, problems)
    if not given:
        typer.echo(
            "no checkpoint given: an end cut off the trail (its last entries removed and "
            "the head moved back) is found only against a checkpoint (isocourse audit "
            "checkpoint)"
        )
    if broken:
        raise typer.Exit(EXIT_AUDIT_BROKEN)


def _print_chain(report: ChainReport) -> bool:
    if report.first_break is not None:
        broken = report.first_break
        typer.echo(f"audit chain BROKEN at entry {broken.entry_id}: {broken.reason}")
        return True
    typer.echo(f"audit chain intact: {report.entries} entries")
    return False


def _print_content(report: ContentReport) -> bool:
    if report.entries_before_digests:
        typer.echo(
            f"{report.entries_before_digests} entries predate content digests (written "
            f"before revision 0005): the {report.events_before_digests} events of that "
            "time are not checked"
        )
    elif report.events_before_digests:
        typer.echo(
            f"{report.events_before_digests} events are older than the first one an entry "
            "names: not checked"
        )
    if report.intact:
        typer.echo(
            f"record content intact: {report.unchanged} events as their audit entries recorded them"
        )
        return False
    typer.echo(
        f"record content BROKEN: {report.problem_count} events are not as the audit "
        f"trail recorded them ({report.unchanged} are)"
    )
    for problem in report.problems[:SHOWN_PROBLEMS]:
        typer.echo(f"  {problem.describe()}")
    if report.problem_count > SHOWN_PROBLEMS:
        typer.echo(f"  and {report.problem_count - SHOWN_PROBLEMS} more")
    return True


def _print_checkpoint(path: Path, checkpoint: object, problems: list[str]) -> bool:
    from isocourse.service.audit_checkpoint import Checkpoint

    if checkpoint is None:
        typer.echo(f"checkpoint REFUSED: {problems[0]}")
        return True
    assert isinstance(checkpoint, Checkpoint)
    seen = f"{checkpoint.entries} entries, the last {checkpoint.last_id}, at {checkpoint.at}"
    if problems:
        typer.echo(f"checkpoint {path} NOT HELD ({seen}):")
        for problem in problems:
            typer.echo(f"  {problem}")
        return True
    typer.echo(f"checkpoint {path} held: the trail still holds its {seen}")
    return False


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="the checkpoint file to write (never overwritten); keep it off this "
            "machine, out of reach of whoever can write to the database",
        ),
    ],
) -> None:
    """Sign the audit trail's end (entries, last id and hash, time) into a file, with the
    key in ISOCOURSE_AUDIT_KEY_FILE (made on first use, mode 600). The trail is verified
    first: a broken one is not signed (exit 1). Run it daily (cron); `isocourse audit
    verify --checkpoint FILE` later proves the trail still holds that end."""
    from isocourse.service.audit import verify_chain, verify_content
    from isocourse.service.audit_checkpoint import (
        CheckpointError,
        key_id,
        make_checkpoint,
        signing_key,
        write_checkpoint,
    )
    from isocourse.store.audit_chain import trail_head
    from isocourse.store.database import open_store

    configured = settings()
    key_file = _key_file(configured)
    if out.exists():
        fail(f"{out} exists: a checkpoint is never overwritten")
    try:
        key = signing_key(key_file)
    except CheckpointError as error:
        fail(str(error))
    store = open_store(configured)
    try:
        with store.reading() as session:
            chain = verify_chain(session)
            content = verify_content(session)
            head = trail_head(session)
    finally:
        store.close()
    if not chain.intact or not content.intact:
        _print_chain(chain)
        _print_content(content)
        typer.echo("no checkpoint written: the trail does not verify")
        raise typer.Exit(EXIT_AUDIT_BROKEN)
    checkpoint = make_checkpoint(head, datetime.now(tz=UTC))
    try:
        write_checkpoint(checkpoint, key, out)
    except CheckpointError as error:
        fail(str(error))
    typer.echo(
        f"checkpoint written to {out}: {head.entries} entries, the last {head.last_id} "
        f"(hash {head.last_hash[:16]}...), at {checkpoint.at}; signed with key "
        f"{key_id(key)} ({key_file}). Keep the file off this machine."
    )


def _key_file(configured: Settings) -> Path:
    if configured.audit_key_file is None:
        fail(
            "set ISOCOURSE_AUDIT_KEY_FILE to the checkpoint key's file: a path out of reach "
            "of whoever can write to the database (made on first use)"
        )
    return configured.audit_key_file


class ListFormat(StrEnum):
    text = "text"
    json = "json"


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str | None,
        typer.Option(help="from this day (YYYY-MM-DD, the clinic's day) or moment (ISO 8601)"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="up to this day, included, or moment (as --since)"),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="the user's e-mail")] = None,
    patient: Annotated[str | None, typer.Option(help="the patient's isocourse id")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="actions starting with this (access.denied, prescription., ...)"),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=0, help="show the last N matching entries (0: all)")
    ] = 1000,
    output_format: Annotated[
        ListFormat, typer.Option("--format", help="text (a table; whole lines when piped) or json")
    ] = ListFormat.text,
) -> None:
    """List audit entries, oldest first: who, when, what, about which patient, why."""
    from isocourse.store.audit_entries import AuditFilter, entry_json, list_entries
    from isocourse.store.database import open_store

    configured = settings()
    zone = ZoneInfo(configured.timezone)
    wanted = AuditFilter(
        since=_moment(since, "--since", zone, end_of_day=False),
        until=_moment(until, "--until", zone, end_of_day=True),
        actor=actor,
        patient_id=patient,
        action_prefix=action,
    )
    store = open_store(configured)
    try:
        with store.reading() as session:
            listing = list_entries(session, wanted, limit=limit or None)
            rows = [entry_json(entry) for entry in listing.entries]
    finally:
        store.close()
    if output_format is ListFormat.json:
        import json

        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_entries(rows)
    if len(rows) < listing.matching:
        sys.stderr.write(
            f"isocourse: showing the last {len(rows)} of {listing.matching} matching "
            "entries (--limit 0 for all)\n"
        )


def _print_entries(rows: list[dict[str, object]]) -> None:
    from isocourse.cli.output import Column, print_listing, stdout_console

    def who(row: dict[str, object]) -> str:
        if row["role"] == "anonymous":
            return "(no valid credentials)"
        return f"{row['user_email']} ({row['role']}, clinic {row['clinic_id']})"

    def events(row: dict[str, object]) -> str:
        named = row["events"]
        return "-" if named is None else str(len(named))  # type: ignore[arg-type]

    print_listing(
        stdout_console(),
        f"audit entries ({len(rows)})",
        [
            Column("id", key=True),
            Column("at (UTC)", key=True),
            Column("action", key=True),
            Column("patient", key=True),
            Column("events", key=True),
            Column("who"),
            Column("detail"),
            Column("request"),
        ],
        [
            [
                str(row["id"]),
                str(row["at"]),
                str(row["action"]),
                str(row["patient_id"] or "-"),
                events(row),
                who(row),
                str(row["detail"] or ""),
                str(row["request_id"]),
            ]
            for row in rows
        ],
    )


def _moment(text: str | None, option: str, zone: tzinfo, *, end_of_day: bool) -> datetime | None:
    """``text`` as an instant: a day is its start in the clinic's zone (its last moment
    for ``--until``); a moment without an offset is in the clinic's zone."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and len(text) == 10:
        start = datetime.combine(day, time(), tzinfo=zone)
        return start + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else start
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"option '{option}': {text!r} is neither a day (YYYY-MM-DD) nor a moment (ISO 8601)")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
