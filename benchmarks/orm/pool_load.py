"""The thread test's workload with the machine kept busy: pool waits per path.

    .venv/bin/python benchmarks/orm/pool_load.py [--dsn URL] [--runs N] [--burners N]
        [--timeout S] [--queues fair,sqlalchemy]

Creates a scratch database with the blog schema (TypeORM's synchronize), starts
``--burners`` CPU-bound processes (default 2, one per core here), then runs the workload
of ``tests/integration/test_orm_threads.py`` (32 threads x 1000 mixed operations, pool 8
+ 4 overflow, ``--timeout`` 30 s) ``--runs`` times. Each checkout's wait is measured around
the pool's ``_do_get`` (a diagnosis hook, not the library's API) and filed under the
operation kind running in that thread.
``--queues fair,sqlalchemy`` alternates the DataSource's queue with SQLAlchemy's own.
Prints, per run: time, timeouts (kind and operation index), the longest waits, and
wait percentiles per kind.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy.util.queue import Queue  # noqa: E402

from ormshift.orm import DataSource, PoolTimeout  # noqa: E402
from tests.conftest import DatabaseFactory  # noqa: E402
from tests.integration.test_orm_threads import KINDS, OPERATIONS, THREADS, run_workload  # noqa: E402
from tests.models.db import BLOG_SEED, SchemaDatabase  # noqa: E402

BURN = "import time\nend = time.time() + 600\nwhile time.time() < end: pass\n"


def _instrument(ds: DataSource, current: threading.local) -> list[tuple[float, float, str, int]]:
    """(asked, served, kind) of every checkout."""
    pool: Any = ds.engine.pool
    inner = pool._do_get
    log: list[tuple[float, float, str, int]] = []
    lock = threading.Lock()

    def timed() -> Any:
        asked = time.perf_counter()
        try:
            return inner()
        finally:
            served = time.perf_counter()
            with lock:
                log.append(
                    (asked, served, getattr(current, "kind", "?"), getattr(current, "i", -1))
                )

    pool._do_get = timed
    return log


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def one_run(url: str, queue: str, timeout: float) -> None:
    current = threading.local()
    timeouts: list[tuple[str, int]] = []
    with DataSource(url, size=8, overflow=4, timeout=timeout) as ds:
        if queue == "sqlalchemy":  # the stock queue, for comparison (before any checkout)
            pool: Any = ds.engine.pool
            pool._pool = Queue(pool._pool.maxsize)
        log = _instrument(ds, current)

        def on_error(kind: str, i: int, exc: BaseException) -> bool:
            if isinstance(exc, PoolTimeout):
                timeouts.append((kind, i))
                return True
            return False

        started = time.perf_counter()
        errors = run_workload(ds, current=current, on_error=on_error)
        took = time.perf_counter() - started
    by_kind: dict[str, list[float]] = {}
    for asked, served, kind, _ in log:
        by_kind.setdefault(kind, []).append(served - asked)
    print(
        f"  {took:6.1f} s, {len(log)} checkouts, {len(timeouts)} PoolTimeouts"
        f" {sorted(timeouts)[:12]}, other errors {len(errors)}"
        f"{': ' + repr(errors[0]) if errors else ''}"
    )
    longest = sorted(log, key=lambda e: e[0] - e[1])[:6]
    print("  longest waits:", ", ".join(f"{b - a:.1f} s ({k} #{i})" for a, b, k, i in longest))
    long = [e for e in log if e[1] - e[0] > 1.0]
    print(f"  waits over 1 s: {len(long)}, of them at operation #0: {sum(e[3] == 0 for e in long)}")
    for kind in [*KINDS, "?"]:
        waits = by_kind.get(kind)
        if waits:
            print(
                f"  {kind:14} n={len(waits):6}  p50 {_pct(waits, 0.5) * 1000:7.1f} ms"
                f"  p99 {_pct(waits, 0.99) * 1000:8.1f} ms  max {max(waits):6.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", default=os.environ.get("ORMSHIFT_TEST_DSN"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0, help="pool timeout, seconds")
    parser.add_argument(
        "--queues",
        default="fair",
        help="comma-separated, taken in turn per run: fair (the DataSource's) or sqlalchemy",
    )
    args = parser.parse_args()
    if not args.dsn:
        parser.error("give --dsn or set ORMSHIFT_TEST_DSN")
    factory = DatabaseFactory(args.dsn)
    database = SchemaDatabase(args.dsn, ROOT / "tests" / "corpus" / "blog")
    burners = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(args.burners)]
    try:
        print(
            f"{THREADS} threads x {OPERATIONS} operations, {args.burners} CPU burners,"
            f" pool 8 + 4, timeout {args.timeout:g} s"
        )
        queues = args.queues.split(",")
        for run in range(args.runs):
            queue = queues[run % len(queues)]
            print(f"run {run + 1}, {queue} queue, load {os.getloadavg()[0]:.1f}")
            one_run(database.reset(BLOG_SEED), queue, args.timeout)
    finally:
        for p in burners:
            p.kill()
            p.wait()
        database.drop()
        factory.drop_all()


if __name__ == "__main__":
    main()
