"""Start-up cost of the command line: ``isocourse evaluate`` on one record, against the
floor of a Python process that merely imports Typer and pydantic.

Run: ``python benchmarks/bench_startup.py [--runs N] [--record FILE]``. Each run starts
a fresh process (``python -m isocourse evaluate FILE`` with its output discarded, then
``python -c "import typer, pydantic"``, alternating so that machine noise falls on both)
and measures its CPU time (user + system, from the kernel's accounting of the finished
child). Prints the median of each and the ratio of the medians; the target is 3x or less.

The ``isocourse`` measured is the one this interpreter imports: run it from a wheel
install (``scripts/wheel-smoke`` builds one) or with ``PYTHONPATH=src`` for the tree.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import typer, pydantic"]
TARGET_RATIO = 3.0


def cpu_seconds(command: list[str]) -> float:
    """CPU time (user + system) of one child process, run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21, help="processes of each kind")
    parser.add_argument(
        "--record", type=Path, default=ROOT / "examples" / "course-record.json"
    )
    arguments = parser.parse_args()
    evaluate = [sys.executable, "-m", "isocourse", "evaluate", str(arguments.record)]
    for command in (evaluate, FLOOR):  # warm the file cache and write the bytecode once
        cpu_seconds(command)
    evaluations: list[float] = []
    floors: list[float] = []
    for _ in range(arguments.runs):
        evaluations.append(cpu_seconds(evaluate))
        floors.append(cpu_seconds(FLOOR))
    where = subprocess.run(
        [sys.executable, "-c", "import isocourse; print(isocourse.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    evaluate_median, floor_median = statistics.median(evaluations), statistics.median(floors)
    ratio = evaluate_median / floor_median
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"isocourse from: {where}")
    print(f"runs: {arguments.runs} of each, alternating; CPU = user + system of the process")
    print(
        f"isocourse evaluate (one record): median {evaluate_median * 1e3:6.0f} ms CPU "
        f"(min {min(evaluations) * 1e3:.0f}, max {max(evaluations) * 1e3:.0f})"
    )
    print(
        f"import typer, pydantic (floor):  median {floor_median * 1e3:6.0f} ms CPU "
        f"(min {min(floors) * 1e3:.0f}, max {max(floors) * 1e3:.0f})"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"ratio evaluate / floor: {ratio:.2f} (target <= {TARGET_RATIO:g}: {verdict})")


if __name__ == "__main__":
    main()
