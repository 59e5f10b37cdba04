"""Many small tables: `ormshift migrate` against `pg_dump --data-only | psql` and pgcopydb.

    ORMSHIFT_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/transfer/bench_tables.py --tables 300 --rows 2000 \\
        --repeat 3 --json benchmarks/transfer/tables.json

``--tables`` tables of ``--rows`` rows each (integer key, text, int, timestamptz,
numeric; every tenth table with a foreign key to the one before it), PostgreSQL to
PostgreSQL, in one run:

* ``pg_dump``: ``pg_dump --data-only SRC | psql TGT`` (plain COPY text, one process each
  side — what a user would otherwise run);
* ``pgcopydb``: ``pgcopydb copy table-data`` (Debian's ``pgcopydb`` 0.10) into the
  existing tables, with each ``--pgcopydb-jobs`` count of COPY processes (skipped, with one
  line, when pgcopydb is not installed);
* ``ormshift``: ``ormshift migrate --source SRC --target TGT`` as a user runs it (a ledger
  row and SHA-1 per batch, as always), with each ``--workers`` count; peak RSS and CPU
  of its own process (``/usr/bin/time``).

Every path of a round starts from empty target tables (``TRUNCATE``, ledger schema
dropped) after a CHECKPOINT; ``--repeat`` rounds, interleaved, the order of the paths
rotating from round to round; each round's ormshift time is set against that round's
time of each other path and the median of those ratios reported (the machine is noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from statistics import median
from typing import Any

import psycopg
from common import create_pair, drop, pgcopydb, pgcopydb_note, reset, run_measured

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


def migrate(src: str, tgt: str, code: str | None = None, workers: int = 1) -> dict[str, Any]:
    """``ormshift migrate`` (from the source tree ``code`` when given, else as imported)."""
    cmd = [*ORMSHIFT, "migrate", "--source", src, "--target", tgt, "--json"]
    cmd += ["--workers", str(workers)]
    env = None if code is None else {**os.environ, "PYTHONPATH": code}
    seconds, status, rss, cpu, err = run_measured(cmd, env)
    if status:
        raise SystemExit(f"ormshift migrate failed with exit code {status}: {err[-500:]!r}")
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
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(rss, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--pgcopydb-jobs", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--json", dest="json_file")
    parser.add_argument(
        "--before-src",
        help="also run ormshift from this src directory in every round (e.g. a `git archive"
        " main src` unpacked), for a before/after in the same rounds",
    )
    args = parser.parse_args()
    server = os.environ.get("ORMSHIFT_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    note = pgcopydb_note()
    if note:
        print(note, flush=True)
    load_start = [round(x, 2) for x in os.getloadavg()]
    src, tgt, names = create(server, args.tables, args.rows)
    tables = [f"t{i:04d}" for i in range(args.tables)]
    paths: list[tuple[str, Callable[[], Any]]] = [("pg_dump", lambda: round(pg_dump(src, tgt), 3))]
    for j in [] if note else args.pgcopydb_jobs:
        paths.append((f"pgcopydb_jobs{j}", lambda j=j: pgcopydb(src, tgt, j)))
    for w in args.workers:
        paths.append((f"ormshift_workers{w}", lambda w=w: migrate(src, tgt, workers=w)))
    if args.before_src:
        paths.append(("before", lambda: migrate(src, tgt, args.before_src)))
    rounds: list[dict[str, Any]] = []
    try:
        for k in range(args.repeat):
            entry: dict[str, Any] = {"order": []}
            for name, run in paths[k % len(paths) :] + paths[: k % len(paths)]:
                reset(tgt, tables)
                entry[name] = run()
                entry["order"].append(name)
                if name.startswith("ormshift"):
                    assert entry[name]["rows"] == args.tables * args.rows, entry[name]
            rounds.append(entry)
            print(json.dumps(entry), flush=True)
    finally:
        drop(server, names)

    def seconds(r: dict[str, Any], name: str) -> float:
        v = r[name]
        return float(v if isinstance(v, float | int) else v["seconds"])

    summary: dict[str, Any] = {
        "tables": args.tables,
        "rows_per_table": args.rows,
        "load_average_start": load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "pgcopydb": note or "pgcopydb copy table-data --table-jobs N",
        "rounds": rounds,
        "best": {name: min(seconds(r, name) for r in rounds) for name, _ in paths},
        "medians": {name: round(median(seconds(r, name) for r in rounds), 3) for name, _ in paths},
    }
    # speed ratios, per round: the other path's seconds / ormshift's (> 1: ormshift faster)
    ratios: dict[str, Any] = {}
    for ours, _ in paths:
        if not ours.startswith("ormshift") and ours != "before":
            continue
        for other, _ in paths:
            if other.startswith("ormshift") or other == "before":
                continue
            per = [seconds(r, other) / seconds(r, ours) for r in rounds]
            ratios[f"{ours}_vs_{other}"] = {
                "rounds": [round(x, 2) for x in per],
                "median": round(median(per), 2),
            }
        summary[f"{ours}_peak_rss_mb"] = max(r[ours]["peak_rss_mb"] for r in rounds)
    summary["speed_ratios"] = ratios
    print(json.dumps({k: v for k, v in summary.items() if k != "rounds"}, indent=2))
    if args.json_file:
        with open(args.json_file, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
