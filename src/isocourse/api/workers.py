"""``isocourse serve --workers N``: uvicorn's supervisor, each worker on a listening socket
of its own (``SO_REUSEPORT``), so that the kernel spreads connections across them.

uvicorn gives all its workers one shared listening socket. The worker that wakes first
accepts every connection waiting, up to the backlog (2,048) at once, as asyncio does.
Clients that connect together then land on one worker: 50 clients connecting at once
were seen split 50/0 and 46/4 over 2 workers, and the idle worker's core did nothing
(benchmarks/RESULTS.md, bench_verify_wrk). With a socket per worker, the kernel hands
each new connection to one of the workers' sockets by a hash of its addresses.

Everything else is uvicorn's: starting, health-checking and restarting the workers, and
the signals. A worker that dies leaves the connections still queued on its socket
unanswered; they are reset when its replacement starts (about a second).
"""

from __future__ import annotations

import socket

from uvicorn import Config
from uvicorn.supervisors import Multiprocess


class PortAlreadyServed(OSError):
    """Another server already answers on the port."""


class SocketPerWorker(Multiprocess):
    """uvicorn's ``Multiprocess``, each worker given a new ``SO_REUSEPORT`` socket."""

    def __init__(self, config: Config) -> None:
        refuse_if_served(config.host, config.port)
        first = reuse_port_socket(config.host, config.port)  # fails now if the port is taken
        self._port: int = first.getsockname()[1]  # the port chosen, if 0 was asked
        self._unused = [first]
        super().__init__(config, sockets=[])

    # uvicorn creates each worker, at the start and on every restart, with
    # ``Process(config, self.sockets)``: here each one gets a socket of its own.
    @property
    def sockets(self) -> list[socket.socket]:
        if self._unused:
            return [self._unused.pop()]
        return [reuse_port_socket(self.config.host, self._port)]

    @sockets.setter
    def sockets(self, _ignored: list[socket.socket]) -> None:
        """``Multiprocess.__init__`` sets the shared sockets; there are none."""

    @property
    def port(self) -> int:
        return self._port


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not yet listening: the
    worker's server listens on it)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("this system has no SO_REUSEPORT: serve with one worker")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def refuse_if_served(host: str, port: int) -> None:
    """Refuse a port on which a server already answers. Another server of the same user
    that also set ``SO_REUSEPORT`` (a second ``isocourse serve``) could otherwise bind it
    too, and the two would share the connections without a word."""
    if port == 0:
        return
    wildcard = host in ("0.0.0.0", "::", "")
    address = ("::1" if ":" in host else "127.0.0.1") if wildcard else host
    try:
        with socket.create_connection((address, port), timeout=1):
            pass
    except OSError:
        return  # nothing answers: free (or a firewall; binding will tell)
    raise PortAlreadyServed(f"a server already answers on {address}:{port}")
