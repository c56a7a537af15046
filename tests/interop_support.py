"""Shared by the output tests: a seeded clinic database under a data directory, calls as
a named user, event counts, and a local SMTP server (aiosmtpd) that keeps what it gets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from isocourse.auth.users import actor_of, add_user
from isocourse.knowledge.loader import load_knowledge
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.enrolment import enrol_patient
from isocourse.store.database import Store
from isocourse.store.tables import EventRow, UserRow
from tests.clinic_support import NOW, PASSWORD, TODAY

PRESCRIBER = "doc@north.test"


def call_as(store: Store, email: str) -> Call:
    with store.transaction() as session:
        row = session.scalar(select(UserRow).where(UserRow.email == email))
    assert row is not None
    return Call(actor_of(row), "test-request", TODAY, NOW)


def seed(store: Store, records: list[dict[str, Any]], clinic: str = "north") -> list[str]:
    """A prescriber ``doc@<clinic>.test`` and the records enrolled; their store ids."""
    email = f"doc@{clinic}.test"
    add_user(store, email=email, role="prescriber", clinic_id=clinic, password=PASSWORD, now=NOW)
    system = ClinicSystem(store, load_knowledge())
    call = call_as(store, email)
    return [enrol_patient(system, call, record).patient_id for record in records]


def add_patient_login(store: Store, email: str, patient_id: str, clinic: str = "north") -> None:
    add_user(
        store,
        email=email,
        role="patient",
        clinic_id=clinic,
        password=PASSWORD,
        now=NOW,
        patient_id=patient_id,
    )


def event_count(store: Store) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(EventRow)) or 0)


@dataclass
class MailSink:
    """An aiosmtpd handler keeping each message with its envelope recipients."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@dataclass(frozen=True)
class SmtpServer:
    port: int
    sink: MailSink


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def running_smtp_server() -> Iterator[SmtpServer]:
    """A local SMTP server while the generator runs (for fixtures of any scope)."""
    sink = MailSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, sink)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp_server()
