"""The verification against ``/health`` at 50 connections, with wrk as the load generator.

Run: ``python benchmarks/bench_verify_wrk.py --rounds 3 --server-workers 2`` (needs
Debian's ``wrk``; add ``--database-url`` for PostgreSQL, as for bench_verify_load).

The same server as bench_verify_load (seeded the same way, ``isocourse serve`` on a free
loopback port), but loaded by wrk, a load generator in C: the benchmark's Python client
costs about as much CPU per request as ``/health`` itself on the same 2 cores, and so
holds ``/health`` back more than the verification. wrk runs one thread with
``--connections`` connections (zero think time) for ``--seconds`` per endpoint,
alternating the two endpoints ``--rounds`` times; the verification cycles through the
seeded prescriptions (a Lua script). Each row gives throughput, wrk's p50/p99, the
server's CPU time per request (from /proc), on PostgreSQL the database server's too
(every ``postgres`` process of the machine: run it against a server of its own, as
``with_postgres.sh`` starts), and how the connections were spread over the server's
processes (from ``ss``, 1 s into the run).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench_verify_load import (
    DatabaseCpu,
    ServerCpu,
    _seed_prescriptions,
    _seed_users,
    _server,
    _token,
)


def main() -> None:
    options = _options()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-wrk-"))
    url = options.database_url or f"sqlite:///{(folder / 'verify.sqlite3').as_posix()}"
    _seed_users(url)
    with _server(url, folder, options.server_workers, None) as (base, pid):
        cpu, database_cpu = ServerCpu(pid), DatabaseCpu()
        on_postgres = url.startswith("postgresql")
        prescriptions = _seed_prescriptions(base, options.prescriptions)
        script = folder / "verify.lua"
        script.write_text(_lua(prescriptions, _token(base, "pharm@bench.test")))
        print(f"# bench_verify_wrk {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC")
        print(
            f"database: {url.split(':')[0]}, server workers: {options.server_workers}, "
            f"wrk: 1 thread, {options.connections} connections, {options.seconds} s per run"
        )
        database_column = " | database CPU ms/request" if on_postgres else ""
        print(
            "round | endpoint | requests/s | p50 ms | p99 ms | server CPU ms/request"
            f"{database_column} | split"
        )
        ratios = []
        for round_number in range(1, options.rounds + 1):
            rates = []
            for endpoint, target in (
                ("verification", ["-s", str(script), base]),
                ("/health", [f"{base}/health"]),
            ):
                with cpu.measure() as spent, database_cpu.measure() as database_spent:
                    rate, p50, p99, split = _wrk(target, base, options)
                rates.append(rate)
                requests = rate * options.seconds
                row = f"{round_number} | {endpoint} | {rate:.0f} | {p50} | {p99}"
                row += f" | {spent.seconds / requests * 1000:.2f}"
                if on_postgres:
                    row += f" | {database_spent.seconds / requests * 1000:.2f}"
                print(f"{row} | {split}")
            ratios.append(rates[0] / rates[1])
            print(f"{round_number} | ratio verification/health throughput | {ratios[-1]:.2f}")
        print(f"median ratio of {options.rounds} rounds | {statistics.median(ratios):.2f}")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prescriptions", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--server-workers", type=int, default=2, help="isocourse serve --workers")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=6, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def _lua(prescriptions: list[tuple[str, str]], token: str) -> str:
    paths = [
        f"/api/v1/prescriptions/{prescription_id}/verification?birth_date={birth_date}"
        for prescription_id, birth_date in prescriptions
    ]
    return (
        f"paths = {{{', '.join(json.dumps(path) for path in paths)}}}\n"
        "i = 0\n"
        f'headers = {{["Authorization"] = "Bearer {token}"}}\n'
        "request = function()\n"
        "  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1], headers)\n'
        "end\n"
    )


def _wrk(
    target: list[str], base: str, options: argparse.Namespace
) -> tuple[float, str, str, list[int]]:
    """(requests/s, p50, p99, connections per server process) of one wrk run."""
    command = ["wrk", "-t1", f"-c{options.connections}", f"-d{options.seconds}s", "--latency"]
    run = subprocess.Popen([*command, *target], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    split = _split(int(base.rsplit(":", 1)[1]))
    output, _ = run.communicate()
    answered = int(_field(r"(\d+) requests in", output))
    if re.search(r"Non-2xx", output):
        sys.exit(f"wrk saw error answers:\n{output}")
    # the "Latency Distribution" lines (other lines end in percentages too)
    p50, p99 = _field(r"^\s+50%\s+(\S+)\s*$", output), _field(r"^\s+99%\s+(\S+)\s*$", output)
    return answered / options.seconds, p50, p99, split


def _split(port: int) -> list[int]:
    listing = subprocess.run(
        ["ss", "-tnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sorted(Counter(re.findall(r"pid=(\d+)", listing)).values())


def _field(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        sys.exit(f"unexpected wrk output:\n{text}")
    return found.group(1)


if __name__ == "__main__":
    main()
