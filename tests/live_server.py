"""Real servers for the crash test: ``isocourse serve`` as a child process on a free
loopback port, and a throwaway PostgreSQL server with its durable defaults.

The PostgreSQL server is started as the ``postgres`` user when the tests run as root
(PostgreSQL refuses root), with fsync, full_page_writes and synchronous_commit left
on (unlike the fast server the ordinary tests use), so that a crash test against it
proves what a production server would keep.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

SECRET = "a-test-secret-that-is-long-enough-for-production"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class ServerProcess:
    """``isocourse serve`` running in a child process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a power cut of the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(database_url: str, data_dir: Path, log: Path, *options: str) -> ServerProcess:
    """``isocourse serve`` (with ``options``, e.g. ``--workers 2``) on a free port."""
    port = free_port()
    environment = {
        **os.environ,
        "ISOCOURSE_DATABASE_URL": database_url,
        "ISOCOURSE_DATA_DIR": str(data_dir),
        "ISOCOURSE_SECRET_KEY": SECRET,
    }
    command = [sys.executable, "-m", "isocourse", "serve", "--host", "127.0.0.1", *options]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=environment, stdout=output, stderr=output
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    _wait_until_healthy(server)
    return server


def _wait_until_healthy(server: ServerProcess, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited: {server.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not answer: {server.log.read_text()[-2000:]}")


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server programs (the newest installed), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class DurablePostgres:
    bin_dir: Path
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/isocourse"

    def pg_ctl(self, *arguments: str) -> None:
        data = str(self.directory / "data")
        _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", data, *arguments])

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory}"
        log = str(self.directory / "log")
        self.pg_ctl("-l", log, "-w", "-t", "60", "-o", options, "start")

    def crash(self) -> None:
        """Stop without a checkpoint: the next start recovers from the WAL."""
        self.pg_ctl("-m", "immediate", "-w", "stop")


@contextmanager
def durable_postgres(bin_dir: Path) -> Iterator[DurablePostgres]:
    """A PostgreSQL server with its durable defaults (fsync on), with database isocourse."""
    directory = Path(tempfile.mkdtemp(prefix="isocourse-durable-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = DurablePostgres(bin_dir, directory, free_port())
    try:
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(directory / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        server.start()
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port)]
        _as_postgres([*createdb, "-U", "postgres", "isocourse"])
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):  # not running
            server.pg_ctl("-m", "fast", "-w", "stop")
        shutil.rmtree(directory, ignore_errors=True)


def _as_postgres(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
