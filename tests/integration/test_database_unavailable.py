"""PostgreSQL that does not answer (down, unreachable): a request on the event loop
waits ``ISOCOURSE_DATABASE_WAIT_SECONDS`` for a connection, not forever, and is
answered 503 with what to do. No server is needed: the database's port is closed."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, literal, select
from sqlalchemy.engine import make_url

from isocourse.api.app import create_app
from isocourse.auth.tokens import new_session_id, sign_session_id
from isocourse.settings import Settings
from isocourse.store.database import DatabaseUnavailable, InTransaction, OnLoop

WAIT = 0.3
ONE = select(literal(1))


def closed_port_url() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://nobody@127.0.0.1:{port}/isocourse"


def test_a_use_of_the_loops_pool_gives_up_after_the_wait() -> None:
    url = make_url(closed_port_url())
    on_loop = OnLoop(url, create_engine(url).dialect, 2, WAIT)  # an engine connects lazily

    async def read(transaction: InTransaction) -> None:
        await transaction.fetch_one(ONE)

    async def scenario() -> list[str]:
        reported = []
        try:
            for attempt in (on_loop.fetch_all(ONE), on_loop.in_transaction(read)):
                with pytest.raises(DatabaseUnavailable) as raised:
                    await attempt
                reported.append(str(raised.value))
        finally:
            await on_loop.close()
        return reported

    assert asyncio.run(scenario()) == [f"the database did not answer within {WAIT:g} s"] * 2


def test_the_verification_is_answered_503_with_what_to_do(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=closed_port_url(), database_wait_seconds=WAIT
    )
    token = sign_session_id(new_session_id(), secret=settings.secret_key.get_secret_value())
    with TestClient(create_app(settings)) as client:
        answer = client.get(
            "/api/v1/prescriptions/any/verification",
            params={"birth_date": "2000-01-01"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "DATABASE_UNAVAILABLE"
    assert "nothing was recorded" in error["message"]
    assert "Try again" in error["message"]
    assert answer.headers["Retry-After"] == "1"
