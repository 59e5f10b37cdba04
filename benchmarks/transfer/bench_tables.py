"""Many small tables: `ormshift migrate` against `pg_dump --data-only | psql`.

    ORMSHIFT_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/transfer/bench_tables.py --tables 300 --rows 2000 \\
        --repeat 3 --json benchmarks/transfer/tables.json

``--tables`` tables of ``--rows`` rows each (integer key, text, int, timestamptz,
numeric; every tenth table with a foreign key to the one before it), PostgreSQL to
PostgreSQL, in one run:

* ``pg_dump``: ``pg_dump --data-only SRC | psql TGT`` (plain COPY text, one process each
  side — what a user would otherwise run);
* ``ormshift``: ``ormshift migrate --source SRC --target TGT`` as a user runs it (a ledger
  row and SHA-1 per batch, as always).

Every round starts from empty target tables (``TRUNCATE``, ledger schema dropped) after a
CHECKPOINT; ``--repeat`` rounds, interleaved; each round's ormshift time is set against
that round's pg_dump time and the median of those ratios reported (the machine is noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from statistics import median
from typing import Any

import psycopg
from common import create_pair, drop, reset

ORMSHIFT = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def ddl(i: int) -> str:
    fk = f", parent int references t{i - 1:04d}(id)" if i % 10 == 9 else ""
    return (
        f"create table t{i:04d} (id int primary key, name text not null, n int,"
        f" at timestamptz not null, amount numeric(12,2){fk})"
    )


def fill(i: int, rows: int) -> str:
    parent = ", 1 + (g % 100)" if i % 10 == 9 else ""
    return (
        f"insert into t{i:04d} select g, md5(g::text) || '-{i}', nullif(g % 7, 0),"
        f" timestamptz '2024-01-01' + g * interval '1 minute', (g * 13 % 100000) / 100.0{parent}"
        f" from generate_series(1, {rows}) g"
    )


def create(server: str, tables: int, rows: int) -> tuple[str, str, list[str]]:
    src, tgt, names = create_pair(server, "ormshift_tbench")
    try:
        for url in (src, tgt):
            with psycopg.connect(url) as conn:
                for i in range(tables):
                    conn.execute(ddl(i))  # type: ignore[arg-type]
                    if url == src:
                        conn.execute(fill(i, rows))  # type: ignore[arg-type]
                    if i % 100 == 99:  # a few locks per table: a bounded share of the lock table
                        conn.commit()
        with psycopg.connect(src, autocommit=True) as conn:
            conn.execute("vacuum analyze")
    except BaseException:
        drop(server, names)
        raise
    return src, tgt, names


def pg_dump(src: str, tgt: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        f'pg_dump --data-only "{src}" | psql -X -q -v ON_ERROR_STOP=1 "{tgt}" >/dev/null',
        shell=True,
        check=True,
    )
    return time.perf_counter() - t0


def migrate(src: str, tgt: str, code: str | None = None) -> dict[str, Any]:
    """``ormshift migrate`` (from the source tree ``code`` when given, else as imported)."""
    cmd = [*ORMSHIFT, "migrate", "--source", src, "--target", tgt, "--json"]
    env = None if code is None else {**os.environ, "PYTHONPATH": code}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"ormshift migrate failed with exit code {code}")
    with psycopg.connect(tgt) as conn:
        row = conn.execute(
            "select count(*), sum(rows_written), sum(seconds) from ormshift.ledger"
        ).fetchone()
    assert row is not None
    return {
        "seconds": round(seconds, 3),
        "batches": int(row[0]),
        "rows": int(row[1]),
        "in_batches": round(float(row[2]), 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", dest="json_file")
    parser.add_argument(
        "--before-src",
        help="also run ormshift from this src directory in every round (e.g. a `git archive"
        " main src` unpacked), for a before/after in the same rounds",
    )
    args = parser.parse_args()
    server = os.environ.get("ORMSHIFT_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    src, tgt, names = create(server, args.tables, args.rows)
    rounds: list[dict[str, Any]] = []
    try:
        for _ in range(args.repeat):
            reset(tgt, [f"t{i:04d}" for i in range(args.tables)])
            dump = pg_dump(src, tgt)
            reset(tgt, [f"t{i:04d}" for i in range(args.tables)])
            ours = migrate(src, tgt)
            assert ours["rows"] == args.tables * args.rows, ours
            entry: dict[str, Any] = {"pg_dump": round(dump, 3), "ormshift": ours}
            if args.before_src:
                tables = [f"t{i:04d}" for i in range(args.tables)]
                reset(tgt, tables)
                entry["before"] = migrate(src, tgt, args.before_src)
                print(
                    f"  before: {entry['before']['seconds']:6.2f}s, speed ratio"
                    f" {dump / entry['before']['seconds']:.2f}x",
                    flush=True,
                )
            rounds.append(entry)
            print(
                f"pg_dump {dump:6.2f}s  ormshift {ours['seconds']:6.2f}s"
                f" (in batches {ours['in_batches']}s, {ours['batches']} batches,"
                f" cpu {ours['cpu_seconds']}s)  speed ratio {dump / ours['seconds']:.2f}x",
                flush=True,
            )
    finally:
        drop(server, names)
    ratios = [r["pg_dump"] / r["ormshift"]["seconds"] for r in rounds]
    summary = {
        "tables": args.tables,
        "rows_per_table": args.rows,
        "rounds": rounds,
        "best_pg_dump": min(r["pg_dump"] for r in rounds),
        "best_ormshift": min(r["ormshift"]["seconds"] for r in rounds),
        "median_speed_ratio": round(median(ratios), 2),
    }
    if args.before_src:
        summary["before_median_speed_ratio"] = round(
            median(r["pg_dump"] / r["before"]["seconds"] for r in rounds), 2
        )
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}))
    if args.json_file:
        with open(args.json_file, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
