"""uvicorn's HTTP/1.1 protocol (h11), with ``TCP_NODELAY`` set on every connection.

With ``isocourse serve --workers N`` uvicorn binds the listening socket itself, as
``socket.socket(family)``, whose protocol number is 0; asyncio sets ``TCP_NODELAY`` on
an accepted connection only when that number is ``IPPROTO_TCP``, so it does not. A
response written in two parts (head, then body) then waits for the client's delayed
acknowledgement: about 40 ms added to every request (measured in
``benchmarks/RESULTS.md``, bench_verify_load with 2 workers). This protocol sets the
option itself; with one worker asyncio had set it already, and setting it again is
harmless.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once on a TCP connection (no Nagle delay)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """The h11 protocol of uvicorn, each connection with ``TCP_NODELAY``."""

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        set_nodelay(transport)
        super().connection_made(transport)
