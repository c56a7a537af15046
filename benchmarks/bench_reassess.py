"""``reassess`` of a registry against a plain read of the same rows, on SQLite and PostgreSQL.

Run: ``benchmarks/with_postgres.sh python benchmarks/bench_reassess.py --sizes 10000 100000``
(without the wrapper, or with ``--databases sqlite``, SQLite only); add
``--sweep 250 1000 4000`` to re-run the largest registry with other batch sizes.

For each database and each size (the registry grows: synth is idempotent per seed and
index), it writes the synthetic registry (timed, reported), then side by side:
the floor, streaming every event row of the registry out of the same database
(``SELECT ... FROM events ORDER BY patient_id, sequence``, server-side cursor, JSON
decoded as the schema types it; and a *raw* read of the same rows with the payload left
as text, the form the re-assessment reads), and ``isocourse reassess`` in a fresh
child process, whose peak RSS (and its workers') shows whether memory stays flat as
the registry grows.

``--compare TREE`` re-assesses each registry also with the isocourse of another source
tree (its ``src`` on ``PYTHONPATH``), the two alternating ``--rounds`` times: an A/B of
two trees on one registry.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, create_engine, text

from isocourse.knowledge.loader import load_knowledge
from isocourse.registry.reassess import ReassessPlan, reassess_registry
from isocourse.registry.synth_writer import SynthPlan, write_synthetic_registry
from isocourse.settings import Settings
from isocourse.store.database import migrate, open_store
from isocourse.store.registry_rows import all_event_rows

TODAY = date(2026, 11, 22)
POSTGRES_VARIABLE = "ISOCOURSE_TEST_POSTGRES_URL"


def main() -> None:
    options = _options()
    if options.child_url:
        _child_reassess(options)
        return
    print(f"# bench_reassess {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {_machine()}")
    print(
        "database | patients | events | synth s | read s | raw read s | reassess s | "
        "ratio to read | ratio to raw read | peak RSS MB"
    )
    for name, url in _databases(options):
        _fresh(url)
        for size in options.sizes:
            _measure(name, url, size, options)
        if options.sweep:
            _sweep(name, url, options)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--sweep",
        type=int,
        nargs="*",
        default=[],
        metavar="BATCH",
        help="after the sizes, reassess the largest registry again with each of these "
        "batch sizes (patients per page), each against a fresh plain read",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="a second source tree: each registry is re-assessed with both, alternating",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --compare: alternations")
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    return parser.parse_args()


def _databases(options: argparse.Namespace) -> list[tuple[str, str]]:
    chosen = []
    if "sqlite" in options.databases:
        folder = Path(tempfile.mkdtemp(prefix="bench-reassess-"))
        chosen.append(("sqlite", f"sqlite:///{(folder / 'registry.sqlite3').as_posix()}"))
    if "postgresql" in options.databases:
        if os.environ.get(POSTGRES_VARIABLE):
            chosen.append(
                (
                    f"postgresql (fsync {os.environ.get('PG_FSYNC', '?')})",
                    os.environ[POSTGRES_VARIABLE],
                )
            )
        else:
            print(f"(PostgreSQL skipped: {POSTGRES_VARIABLE} is not set; use with_postgres.sh)")
    return chosen


def _fresh(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate(url)


def _measure(name: str, url: str, size: int, options: argparse.Namespace) -> None:
    store = open_store(Settings(database_url=url))
    started = time.perf_counter()
    plan = SynthPlan(
        size, options.seed, "bench", TODAY, datetime.now(tz=UTC), 2000, options.workers
    )
    write_synthetic_registry(store, plan)
    synth_seconds = time.perf_counter() - started
    if url.startswith("postgresql"):
        autocommit = store.engine.execution_options(isolation_level="AUTOCOMMIT")
        with autocommit.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    store.close()
    read_seconds, events = _plain_read(url)
    raw_seconds = _raw_read(url)
    trees: list[tuple[str, Path | None]] = [("", None)]
    if options.compare is not None:
        trees = [("A: ", None), ("B: ", options.compare)]
    for _round in range(options.rounds if options.compare is not None else 1):
        for label, tree in trees:
            child = _run_child(url, options, source=tree)
            ratio, raw_ratio = child["seconds"] / read_seconds, child["seconds"] / raw_seconds
            print(
                f"{label}{name} | {size} | {events} | {synth_seconds:.1f} | {read_seconds:.1f} | "
                f"{raw_seconds:.1f} | {child['seconds']:.1f} | {ratio:.2f} | {raw_ratio:.2f} | "
                f"{child['rss_mb']:.0f} (workers {child['worker_rss_mb']:.0f})",
                flush=True,
            )


def _sweep(name: str, url: str, options: argparse.Namespace) -> None:
    print(f"sweep on {name}, {max(options.sizes)} patients: batch | read s | reassess s | ratio")
    for batch_size in options.sweep:
        read_seconds, _events = _plain_read(url)
        child = _run_child(url, options, batch_size)
        ratio = child["seconds"] / read_seconds
        print(
            f"{batch_size} | {read_seconds:.1f} | {child['seconds']:.1f} | {ratio:.2f} | "
            f"{child['rss_mb']:.0f} (workers {child['worker_rss_mb']:.0f})",
            flush=True,
        )


def _plain_read(url: str) -> tuple[float, int]:
    """Stream every event row (payload JSON decoded) out of the database: the floor."""
    return _timed_read(url, all_event_rows(payload_as_text=False))


def _raw_read(url: str) -> float:
    """The same rows with the payload as the database's text, never decoded (the form
    the re-assessment itself reads): a lower floor than the plain read."""
    return _timed_read(url, all_event_rows())[0]


def _timed_read(url: str, query: Select[*tuple[Any, ...]]) -> tuple[float, int]:
    store = open_store(Settings(database_url=url))
    started = time.perf_counter()
    count = 0
    with store.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=5000).execute(query)
        for _row in result:
            count += 1
    seconds = time.perf_counter() - started
    store.close()
    return seconds, count


def _run_child(
    url: str,
    options: argparse.Namespace,
    batch_size: int | None = None,
    *,
    source: Path | None = None,
) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child-url",
        url,
        "--workers",
        str(options.workers),
        "--batch-size",
        str(batch_size or options.batch_size),
    ]
    environment = dict(os.environ)
    if source is not None:
        environment["PYTHONPATH"] = str((source / "src").resolve())
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, env=environment
    ).stdout
    measured: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return measured


def _child_reassess(options: argparse.Namespace) -> None:
    """In a fresh process: one reassess run; print its time and peak RSS as JSON."""
    store = open_store(Settings(database_url=options.child_url))
    plan = ReassessPlan(
        as_of=TODAY,
        assessed_at=datetime.now(tz=UTC),
        workers=options.workers,
        batch_size=options.batch_size,
    )
    summary = reassess_registry(store, load_knowledge(), plan)
    store.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": summary.seconds, "rss_mb": own, "worker_rss_mb": workers}))


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
