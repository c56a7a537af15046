"""How long the disk takes to make a small write durable (``fdatasync``), the floor under
every answer that waits for its audit entry's commit (the pharmacist's verification).

Run: ``python benchmarks/bench_fsync.py --seconds 20 [--folder DIR]`` (DIR: a folder on
the disk that holds the database; default: the system's temporary folder).

Appends 4 KiB and calls ``fdatasync`` every ``--interval`` seconds (default 0.02: 50 a
second, about the audit commits of 50 verifications a second that do not share one),
then prints the latency's p50, p99 and maximum, and each call over 50 ms with its time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--folder", type=Path, default=None)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-fsync-", dir=options.folder))
    latencies: list[float] = []
    slow: list[tuple[float, float]] = []
    descriptor = os.open(folder / "appended", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < options.seconds:
            os.write(descriptor, b"\0" * 4096)
            before = time.perf_counter()
            os.fdatasync(descriptor)
            latencies.append(time.perf_counter() - before)
            if latencies[-1] > 0.05:
                slow.append((before - started, latencies[-1]))
            time.sleep(options.interval)
    finally:
        os.close(descriptor)
        (folder / "appended").unlink()
        folder.rmdir()
    cuts = statistics.quantiles(latencies, n=100)
    print(f"# bench_fsync {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, folder {folder.parent}")
    print(
        f"fdatasync of 4 KiB: {len(latencies)} calls, p50 {cuts[49] * 1000:.2f} ms, "
        f"p99 {cuts[98] * 1000:.1f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        "over 50 ms (s into the run: ms): " + ", ".join(f"{t:.1f}: {d * 1000:.0f}" for t, d in slow)
    )


if __name__ == "__main__":
    main()
