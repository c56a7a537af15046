"""The pharmacist's verification under concurrent load, against ``/health`` on the same server.

Run: ``python benchmarks/bench_verify_load.py --prescriptions 200 --requests 1000``
(add ``--database-url`` for PostgreSQL, e.g. inside ``PG_DURABLE=1 with_postgres.sh`` with
``--database-url "$ISOCOURSE_TEST_POSTGRES_URL"``).

The target (``--target``): on 2 cores, on PostgreSQL with fsync on and on SQLite,

* open loop at 200 verifications a second (far above a national programme's busiest
  hour, where its pharmacies send a few a second): p99 under 50 ms, no errors;
* 50 concurrent clients sending back to back: no errors.

``--target`` runs those two levels (``--rate 200 --clients 50``, no ``/health``) and
ends with a verdict per tree: the worst p99 of the open loop over the rounds and the
errors of both. The header names the database's durability (PostgreSQL's ``fsync``,
SQLite's ``synchronous``) and the machine's load average, which belongs with every
figure on a shared machine.

Seeds a fresh database (a prescriber, a pharmacist, patients enrolled from the demo
records, one prescription each), starts ``isocourse serve`` on 127.0.0.1 at a free
port (loopback only; ``--server-workers N`` passes ``--workers N``,
``--server-threads T`` sets ``ISOCOURSE_SERVER_THREADS``), then measures
``GET /api/v1/prescriptions/{id}/verification`` against ``GET /health`` two ways:

* closed loop (``--clients``, default 1 10 50): that many clients, each sending its
  next request as soon as the last is answered (zero think time), until
  ``--requests`` are answered: saturation throughput; by Little's law latency is then
  about clients / throughput, whatever the server does.
* open loop (``--rate``, requests per second, e.g. ``--rate 50 100 200``): Poisson
  arrivals at that rate, each request sent at its time whether or not earlier ones
  were answered (a morning rush of pharmacists); latency is counted from the planned
  arrival, so a late load generator or a queue in the server shows up in p99; the
  generator prints how late it sent its requests (p99), the part that is its own.

On PostgreSQL the seeded patients and events are analyzed before the first level (a
database in service has its planner statistics; ``--no-analyze`` leaves them out). The
generator's garbage collector is off during each level, so that its pauses are not
counted as the server's.

Throughput, p50/p99 latency, errors and, closed loop, the server's CPU time per request
(its process and workers, from /proc: the machine's noise barely moves it) and the
throughput ratio
(``--rounds K`` alternates the two endpoints K times per level and adds the median ratio:
on a shared machine the noise moves from one block to the next).

``--worklist-readers R`` adds a mixed level after the closed-loop ones: each ``--clients``
level of verifications again, while R prescribers read the clinic's work-list
(``GET /api/v1/worklist``, every patient assessed) back to back; both are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx

from isocourse.auth.users import add_user
from isocourse.demo_patients import demo_records
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from isocourse.store.registry_rows import refresh_planner_statistics

PASSWORD = "benchmark password 1"
ALLOWED_DEMO = 0  # demo-01: a plain course, a prescription is allowed today
#: the target: open loop at this rate, p99 under this; and this many clients, no errors
TARGET_RATE = 200.0
TARGET_P99_MS = 50.0
TARGET_CLIENTS = 50


def main() -> None:
    options = _options()
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    url = options.database_url or f"sqlite:///{(folder / 'verify.sqlite3').as_posix()}"
    _seed_users(url)
    trees: list[tuple[str, Path | None]] = [("A", None)]
    if options.compare is not None:
        trees.append(("B", options.compare))
    server_options = (options.server_workers, options.server_threads)
    with ExitStack() as started:
        servers = [
            Served(
                label, *started.enter_context(_server(url, folder, *server_options, source=tree))
            )
            for label, tree in trees
        ]
        prescriptions = _seed_prescriptions(servers[0].base, options.prescriptions)
        # PostgreSQL's statistics of the seeded patients and events, as a database in
        # service has them (autovacuum gathers them within about a minute of the writes)
        analyzed = options.analyze and _refresh_statistics(url)
        planner_note = ", analyzed after seeding" if analyzed else ""
        token = _token(servers[0].base, "pharm@bench.test")
        print(
            f"# bench_verify_load {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, "
            f"{os.cpu_count()} cores, load average {_load_average()}"
        )
        print(
            f"database: {url.split(':')[0]} ({_durability(url)}{planner_note}), "
            f"prescriptions: {len(prescriptions)}, "
            f"server workers: {options.server_workers}, "
            f"threads per worker: {options.server_threads or 'default'}"
            + "".join(f", {label}: {tree or 'this tree'}" for label, tree in trees)
        )
        print("load | endpoint | requests/s | p50 ms | p99 ms | errors | server CPU ms/request")
        results: dict[str, list[tuple[float, float, int]]] = {}

        def measure(load: str, run: Callable[[str, bool], Measured], served: Served) -> None:
            label = f"{load}, {served.label}" if len(servers) > 1 else load
            with ServerCpu(served.pid).measure() as spent:
                verify = run(served.base, True)
            _report(label, "verification", verify, spent.seconds / len(verify[1]))
            rate, latencies, errors = verify
            results.setdefault(label, []).append((rate, _p99(latencies), errors))
            if options.health:
                with ServerCpu(served.pid).measure() as spent:
                    health = run(served.base, False)
                _report(label, "/health", health, spent.seconds / len(health[1]))
                print(f"{label} | ratio verification/health throughput | {rate / health[0]:.2f}")

        for round_number in range(1, options.rounds + 1):
            for served in servers:
                for clients in options.clients:

                    def closed(base: str, verify: bool, clients: int = clients) -> Measured:
                        chosen = prescriptions if verify else None
                        return _level(_load(base, token, chosen, clients, options.requests))

                    measure(f"{clients} clients", closed, served)
                for rate in options.rate:

                    def opened(base: str, verify: bool, rate: float = rate) -> Measured:
                        chosen = prescriptions if verify else None
                        return _level(_open_loop(base, token, chosen, rate, options.requests))

                    measure(f"{rate:g}/s offered", opened, served)
            if options.rounds > 1:
                print(f"# end of round {round_number}, load average {_load_average()}")
        if options.rounds > 1:
            print("load | verification: median requests/s | median p99 ms | p99 range | errors")
            for label, rounds in results.items():
                p99s = sorted(p99 for _, p99, _ in rounds)
                print(
                    f"{label} | {statistics.median(rate for rate, _, _ in rounds):.0f}"
                    f" | {statistics.median(p99s):.1f} | {p99s[0]:.1f}–{p99s[-1]:.1f}"
                    f" | {sum(errors for _, _, errors in rounds)}"
                )
        if options.target:
            _verdict(results, [served.label for served in servers], len(servers) > 1)
        doctor = _token(servers[0].base, "doc@bench.test")
        for clients in options.clients if options.worklist_readers else []:
            verify, readers = _level(
                _mixed(servers[0].base, token, doctor, prescriptions, clients, options)
            )
            load = f"{clients} clients + {options.worklist_readers} work-list readers"
            _report(load, "verification", verify)
            _report(load, "/api/v1/worklist", readers)


Measured = tuple[float, list[float], int]
_T = TypeVar("_T")


def _level(run: Coroutine[Any, Any, _T]) -> _T:
    """Run one level with the load generator's garbage collector off: its full
    collections (tens of milliseconds, up to 90 ms measured, with a level's responses and
    tasks alive) would delay requests and answers on the generator's side, counted as
    the server's latency. Collected before and after instead."""
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(run)
    finally:
        gc.enable()
        gc.collect()


@dataclass(frozen=True)
class Served:
    """A running server: its label, base URL and process id (its workers are its children)."""

    label: str
    base: str
    pid: int


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


def _load_average() -> str:
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


def _durability(url: str) -> str:
    """What a commit waits for: PostgreSQL's ``fsync`` and ``synchronous_commit``;
    SQLite's ``synchronous`` as the server's connections set it (WAL mode)."""
    from sqlalchemy import text

    store = open_store(Settings(database_url=url))
    try:
        with store.reading() as session:
            if url.startswith("postgresql"):
                fsync = session.execute(text("SHOW fsync")).scalar_one()
                commit = session.execute(text("SHOW synchronous_commit")).scalar_one()
                return f"fsync={fsync}, synchronous_commit={commit}"
            level = session.execute(text("PRAGMA synchronous")).scalar_one()
            journal = session.execute(text("PRAGMA journal_mode")).scalar_one()
            names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
            return f"journal_mode={journal}, synchronous={names.get(level, level)}"
    finally:
        store.close()


def _refresh_statistics(url: str) -> bool:
    store = open_store(Settings(database_url=url))
    try:
        return refresh_planner_statistics(store.engine)
    finally:
        store.close()


def _verdict(
    results: dict[str, list[tuple[float, float, int]]], labels: list[str], labelled: bool
) -> None:
    """Whether each tree met the target, over all its rounds."""
    for label in labels:
        suffix = f", {label}" if labelled else ""
        opened = results[f"{TARGET_RATE:g}/s offered{suffix}"]
        closed = results[f"{TARGET_CLIENTS} clients{suffix}"]
        worst = max(p99 for _, p99, _ in opened)
        opened_errors = sum(errors for _, _, errors in opened)
        closed_errors = sum(errors for _, _, errors in closed)
        met = worst < TARGET_P99_MS and opened_errors == 0 and closed_errors == 0
        print(
            f"target{suffix}: {TARGET_RATE:g}/s open loop, worst p99 {worst:.1f} ms "
            f"(< {TARGET_P99_MS:g}), errors {opened_errors}; {TARGET_CLIENTS} clients, "
            f"errors {closed_errors}; over {len(opened)} round(s): "
            f"{'met' if met else 'NOT met'}"
        )


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prescriptions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000, help="per level and endpoint")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--clients", type=int, nargs="*", default=[1, 10, 50], help="closed-loop levels"
    )
    parser.add_argument(
        "--rate", type=float, nargs="*", default=[], help="open-loop arrivals per second"
    )
    parser.add_argument(
        "--target",
        action="store_true",
        help=f"the target's levels ({TARGET_RATE:g}/s open loop, {TARGET_CLIENTS} clients, "
        "no /health) and a verdict at the end",
    )
    parser.add_argument("--server-workers", type=int, default=1, help="isocourse serve --workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="every level this many times (with --compare, the two trees alternating): the "
        "machine's noise moves between blocks; the medians are reported",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="a second source tree (its src/ is put on PYTHONPATH) served beside this one over "
        "the same seeded database, the two loaded in turn: an A/B of two trees",
    )
    parser.add_argument(
        "--no-health",
        dest="health",
        action="store_false",
        help="measure the verification only (no /health run after each)",
    )
    parser.add_argument(
        "--worklist-readers",
        type=int,
        default=0,
        help="prescribers reading the work-list during a mixed level (0: no mixed level)",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="PostgreSQL: leave the seeded rows without the planner's statistics (as "
        "just after a bulk load, before autovacuum analyzes them)",
    )
    parser.add_argument(
        "--server-threads", type=int, default=None, help="ISOCOURSE_SERVER_THREADS (per worker)"
    )
    options = parser.parse_args()
    if options.target:
        options.clients, options.rate, options.health = [TARGET_CLIENTS], [TARGET_RATE], False
    return options


def _seed_users(url: str) -> None:
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate(url)
    store = open_store(Settings(database_url=url))
    now = datetime.now(tz=UTC)
    for email, role in (("doc@bench.test", "prescriber"), ("pharm@bench.test", "pharmacist")):
        add_user(store, email=email, role=role, clinic_id="bench", password=PASSWORD, now=now)
    store.close()


@contextmanager
def _server(
    url: str, folder: Path, workers: int, threads: int | None, *, source: Path | None = None
) -> Iterator[tuple[str, int]]:
    """The server's base URL and process id (its workers are its children). ``source``: a
    tree whose ``src`` is served instead of the isocourse this interpreter imports."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "ISOCOURSE_DATABASE_URL": url, "ISOCOURSE_DATA_DIR": str(folder)}
    if source is not None:
        environment["PYTHONPATH"] = str((source / "src").resolve())
    if threads is not None:
        environment["ISOCOURSE_SERVER_THREADS"] = str(threads)
    command = [
        sys.executable,
        "-m",
        "isocourse",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *(["--workers", str(workers)] if workers > 1 else []),
    ]
    log_path = folder / f"server-{port}.log"  # uvicorn's log: worker restarts, errors
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        yield base, server.pid
    except BaseException:
        print(f"the server's log: {log_path}", file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 180  # two workers starting on a loaded machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start within 180 s")


def _token(base: str, email: str) -> str:
    form = {"username": email, "password": PASSWORD}
    token: str = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    return token


def _seed_prescriptions(base: str, count: int) -> list[tuple[str, str]]:
    """Enrol ``count`` demo patients and prescribe once for each: (id, birth date)."""
    headers = {"Authorization": f"Bearer {_token(base, 'doc@bench.test')}"}
    record = demo_records(date.today())[ALLOWED_DEMO]  # noqa: DTZ011 (the server's today)
    seeded = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(count):
            enrolled = client.post("/api/v1/patients", json=record)
            patient_id = enrolled.json()["patient_id"]
            order = {"days_supply": 30, "mg_per_day": 60}
            issued = client.post(f"/api/v1/patients/{patient_id}/prescriptions", json=order)
            issued.raise_for_status()
            seeded.append((issued.json()["prescription_id"], record["patient"]["birth_date"]))
    return seeded


async def _load(
    base: str, token: str, prescriptions: list[tuple[str, str]] | None, clients: int, total: int
) -> tuple[float, list[float], int]:
    """(requests per second, latencies in seconds, errors) for ``total`` requests."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    limits = _limits(clients)

    async def one_client(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for number in counter:
            path = "/health"
            params: dict[str, str] = {}
            if prescriptions is not None:
                prescription_id, birth_date = prescriptions[number % len(prescriptions)]
                path = f"/api/v1/prescriptions/{prescription_id}/verification"
                params = {"birth_date": birth_date}
            started = time.perf_counter()
            response = await client.get(path, params=params, headers=headers)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one_client(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return total / elapsed, latencies, errors


async def _mixed(
    base: str,
    token: str,
    doctor: str,
    prescriptions: list[tuple[str, str]],
    clients: int,
    options: argparse.Namespace,
) -> tuple[tuple[float, list[float], int], tuple[float, list[float], int]]:
    """Verifications at ``clients`` while work-list readers run back to back: (the
    verifications' measure, the readers' measure)."""
    headers = {"Authorization": f"Bearer {doctor}"}
    latencies: list[float] = []
    errors = 0
    done = asyncio.Event()

    async def reader(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not done.is_set():
            started = time.perf_counter()
            response = await client.get("/api/v1/worklist", headers=headers)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    limits = _limits(options.worklist_readers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        readers = [asyncio.create_task(reader(client)) for _ in range(options.worklist_readers)]
        verify = await _load(base, token, prescriptions, clients, options.requests)
        done.set()
        await asyncio.gather(*readers)
        elapsed = time.perf_counter() - started
    return verify, (len(latencies) / elapsed, latencies, errors)


async def _open_loop(
    base: str, token: str, prescriptions: list[tuple[str, str]] | None, rate: float, total: int
) -> tuple[float, list[float], int]:
    """Poisson arrivals at ``rate``/s: (answered per second, latencies from the planned
    arrival in seconds, errors) for ``total`` requests."""
    headers = {"Authorization": f"Bearer {token}"}
    arrivals = random.Random(7)
    latencies: list[float] = []
    errors = 0
    limits = _limits(400)

    late: list[float] = []  # the generator's own delay: sent after the planned time

    async def one(client: httpx.AsyncClient, number: int, planned: float) -> None:
        nonlocal errors
        late.append(time.perf_counter() - planned)
        path, params = "/health", {}
        if prescriptions is not None:
            prescription_id, birth_date = prescriptions[number % len(prescriptions)]
            path = f"/api/v1/prescriptions/{prescription_id}/verification"
            params = {"birth_date": birth_date}
        response = await client.get(path, params=params, headers=headers)
        latencies.append(time.perf_counter() - planned)
        errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = planned = time.perf_counter()
        sent = []
        for number in range(total):
            planned += arrivals.expovariate(rate)
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            sent.append(asyncio.create_task(one(client, number, planned)))
        await asyncio.gather(*sent)
        elapsed = time.perf_counter() - started
    generator_p99 = statistics.quantiles(late, n=100)[98] * 1000
    print(f"# the load generator sent its requests up to {generator_p99:.1f} ms late (p99)")
    return total / elapsed, latencies, errors


def _limits(connections: int) -> httpx.Limits:
    """The client's pool. An idle connection is dropped after 1 s, before the server's
    keep-alive timeout (uvicorn: 5 s, httpx's default expiry too): with equal timeouts a
    request sent on a connection as the server closes it fails with "Server disconnected
    without sending a response" (seen at 200/s, where connections pile up and then idle)."""
    return httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=1.0
    )


def _report(
    load: str,
    endpoint: str,
    measured: tuple[float, list[float], int],
    cpu_per_request: float | None = None,
) -> None:
    rate, latencies, errors = measured
    cuts = statistics.quantiles(latencies, n=100)
    p50_ms, p99_ms = cuts[49] * 1000, cuts[98] * 1000
    cpu = "" if cpu_per_request is None else f" | {cpu_per_request * 1000:.2f}"
    row = f"{load} | {endpoint} | {rate:.0f} | {p50_ms:.1f} | {p99_ms:.1f} | {errors}{cpu}"
    print(row, flush=True)


@dataclass
class CpuSpent:
    seconds: float = 0.0


class ServerCpu:
    """CPU time (user + system) spent by the server process and its workers, from Linux's
    /proc: less sensitive to a shared machine's noise than requests per second (time the
    machine gives to others is not counted). 0 where /proc is missing."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @contextmanager
    def measure(self) -> Iterator[CpuSpent]:
        spent = CpuSpent()
        before = self._total()
        yield spent
        spent.seconds = self._total() - before

    def _counted(self, pid: int, parent: int, _name: str) -> bool:
        return self._pid in (pid, parent)

    def _total(self) -> float:
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # the process ended meanwhile
            name, _, rest = text.partition("(")[2].rpartition(")")
            fields = rest.split()
            if self._counted(int(stat.parent.name), int(fields[1]), name):
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / self._tick


class DatabaseCpu(ServerCpu):
    """CPU time spent by every PostgreSQL server process on this machine (its backends,
    WAL writer, checkpointer): run against a server of its own (``with_postgres.sh``).
    A backend that exits during the measure takes its time with it; the server's pool
    keeps its connections open."""

    def __init__(self) -> None:
        super().__init__(0)

    def _counted(self, pid: int, parent: int, name: str) -> bool:
        return name == "postgres"


if __name__ == "__main__":
    main()
