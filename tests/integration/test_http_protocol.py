"""Every served connection sends small writes at once (TCP_NODELAY), also when uvicorn
bound the listening socket itself (``serve --workers N``), where asyncio does not."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from uvicorn import Config
from uvicorn.server import ServerState

from isocourse.api.http_protocol import NoDelayH11Protocol, set_nodelay


@contextmanager
def accepted_connection() -> Iterator[socket.socket]:
    """A server-side TCP connection accepted on a socket bound as uvicorn binds one for
    its workers: ``socket.socket(family)``, protocol number 0."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        yield accepted
    finally:
        for each in (accepted, client, listener):
            each.close()


class SocketTransport(asyncio.Transport):
    """Just enough of a transport for the protocol's connection_made."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        known = {
            "socket": self.sock,
            "sockname": self.sock.getsockname(),
            "peername": self.sock.getpeername(),
        }
        return known.get(name, default)


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_such_a_connection_starts_without_nodelay_and_set_nodelay_sets_it() -> None:
    with accepted_connection() as sock:
        assert sock.proto == 0
        assert nodelay(sock) == 0  # the premise: nobody set it for us
        set_nodelay(SocketTransport(sock))
        assert nodelay(sock) == 1


async def _asgi_app(scope: Any, receive: Any, send: Any) -> None:  # never called
    raise AssertionError("no request is made")


def test_the_served_protocol_sets_nodelay_when_a_connection_is_made() -> None:
    config = Config(app=_asgi_app, http=NoDelayH11Protocol, lifespan="off")
    config.load()
    loop = asyncio.new_event_loop()
    try:
        protocol = NoDelayH11Protocol(config, ServerState(), {}, _loop=loop)
        with accepted_connection() as sock:
            protocol.connection_made(SocketTransport(sock))
            assert nodelay(sock) == 1
    finally:
        loop.close()


def test_a_unix_socket_is_left_alone() -> None:
    left, right = socket.socketpair()
    try:
        with pytest.raises(OSError):  # the option does not exist there
            left.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        set_nodelay(SocketTransport(left))  # so it is not set, and nothing fails
    finally:
        left.close()
        right.close()
