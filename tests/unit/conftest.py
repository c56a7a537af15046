"""tests/unit holds pure, fast tests: a test here that starts a thread, a process or a
program, opens a socket (a server, an event loop) or a database fails at once, naming
what it did. Such a test belongs in tests/integration or tests/e2e (README, "Tests").
tests/unit/test_layer.py shows each door refused, and keeps PDF and chart rendering out
by their imports."""

from __future__ import annotations

import multiprocessing.process
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from typing import Any, NoReturn

import pytest


class NotAUnitTest(RuntimeError):
    """What a unit test may not do."""


#: (owner, attribute): what a unit test did when it called it
DOORS: dict[tuple[Any, str], str] = {
    (threading.Thread, "start"): "started a thread",
    (multiprocessing.process.BaseProcess, "start"): "started a process",
    (subprocess.Popen, "__init__"): "ran a program",
    (socket.socket, "__init__"): "opened a socket (a server, a client, an event loop)",
    (sqlite3, "connect"): "opened a database",
}


def refusal(what: str) -> Callable[..., NoReturn]:
    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise NotAUnitTest(f"a unit test {what}: it belongs in tests/integration or tests/e2e")

    return refuse


@pytest.fixture(autouse=True)
def pure_and_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    for (owner, name), what in DOORS.items():
        monkeypatch.setattr(owner, name, refusal(what))
