"""``serve --workers N``: each worker gets a listening socket of its own on the one port
(``SO_REUSEPORT``), and a port on which a server already answers is refused."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator

import pytest
from uvicorn import Config

from isocourse.api.workers import (
    PortAlreadyServed,
    SocketPerWorker,
    refuse_if_served,
    reuse_port_socket,
)


@pytest.fixture
def signal_handlers() -> Iterator[None]:
    """uvicorn's supervisor installs its own handlers (SIGINT, SIGTERM...) when created:
    put pytest's back afterwards."""
    saved = {number: signal.getsignal(number) for number in signal.valid_signals()}
    yield
    for number, handler in saved.items():
        if handler is not None:
            try:
                signal.signal(number, handler)
            except (OSError, ValueError):
                continue  # SIGKILL, SIGSTOP: never settable


def test_two_reuse_port_sockets_bind_the_same_port() -> None:
    first = reuse_port_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = reuse_port_socket("127.0.0.1", port)
    try:
        assert second.getsockname()[1] == port
        for each in (first, second):
            assert each.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
    finally:
        first.close()
        second.close()


def test_a_port_bound_without_reuse_port_is_not_shared() -> None:
    plain = socket.socket()
    plain.bind(("127.0.0.1", 0))
    plain.listen()
    try:
        with pytest.raises(OSError, match="in use"):
            reuse_port_socket("127.0.0.1", plain.getsockname()[1])
    finally:
        plain.close()


@pytest.mark.usefixtures("signal_handlers")
def test_each_worker_the_supervisor_creates_gets_a_socket_of_its_own_on_one_port() -> None:
    config = Config("isocourse.api.app:app_from_environment", port=0, workers=2)
    supervisor = SocketPerWorker(config)
    given = [supervisor.sockets[0] for _ in range(3)]  # two workers, then a restart
    try:
        assert len({id(each) for each in given}) == 3
        assert {each.getsockname()[1] for each in given} == {supervisor.port}
        assert supervisor.port != 0
    finally:
        for each in given:
            each.close()


def test_a_port_where_a_server_answers_is_refused_and_a_free_one_is_not() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(PortAlreadyServed, match=f"127.0.0.1:{port}"):
            refuse_if_served("127.0.0.1", port)
        with pytest.raises(PortAlreadyServed):
            refuse_if_served("0.0.0.0", port)  # a wildcard: probed on loopback
    finally:
        listener.close()
    refuse_if_served("127.0.0.1", port)  # closed: nothing answers any more


def test_a_system_without_reuse_port_is_told_to_serve_with_one_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(socket, "SO_REUSEPORT")
    with pytest.raises(OSError, match="no SO_REUSEPORT: serve with one worker"):
        reuse_port_socket("127.0.0.1", 0)
