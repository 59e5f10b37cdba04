"""How close `ormshift migrate` comes to a bare COPY pipe, PostgreSQL to PostgreSQL.

    ORMSHIFT_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        python benchmarks/transfer/bench_copy.py --rows 500000 --batch-size 10000 50000

Creates two throwaway databases on the server, fills the source with ``--rows`` rows
(bigint key, int FK, text, jsonb, timestamptz, numeric), then times:

* ``copy-pipe``: one ``COPY (SELECT ...) TO STDOUT (FORMAT BINARY)`` streamed into one
  ``COPY ... FROM STDIN (FORMAT BINARY)``, one transaction: the ceiling;
* ``ormshift``: the engine with each batch size (keyset batches, one transaction and
  ledger row per batch).

Each measurement starts from an empty target table. Prints a table and, with
``--json FILE``, writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import psycopg
from common import create_pair, drop
from psycopg import sql

from ormshift.transfer import MigrateOptions, migrate

DDL = (
    "create table account (id serial primary key, name text)",
    "create table event (id bigint primary key, account_id int references account,"
    " kind text, body jsonb, at timestamptz, amount numeric(12, 2))",
)


def setup(server: str, rows: int) -> tuple[str, str, list[str]]:
    src, tgt, names = create_pair(server, "ormshift_bench")
    try:
        fill(src, tgt, rows)
    except BaseException:
        drop(server, names)
        raise
    return src, tgt, names


def fill(src: str, tgt: str, rows: int) -> None:
    for url in (src, tgt):
        with psycopg.connect(url, autocommit=True) as conn:
            for stmt in DDL:
                conn.execute(stmt)
    with psycopg.connect(src, autocommit=True) as conn:
        conn.execute("insert into account (name) select 'a' || i from generate_series(1, 1000) i")
        conn.execute(
            "insert into event select i, 1 + i %% 1000, 'kind-' || (i %% 17),"
            " jsonb_build_object('i', i, 'tags', jsonb_build_array('x', i %% 5), 'pad',"
            " repeat('y', 40)), now() - i * interval '1 second', i / 3.0"
            " from generate_series(1, %s) i",
            [rows],
        )
        conn.execute("vacuum analyze")


def reset(tgt: str) -> None:
    with psycopg.connect(tgt, autocommit=True) as conn:
        conn.execute("drop schema if exists ormshift cascade")
        conn.execute("truncate account, event")


def copy_pipe(src: str, tgt: str) -> float:
    t0 = time.perf_counter()
    with psycopg.connect(src) as s, psycopg.connect(tgt) as t:
        for table in ("account", "event"):
            with (
                t.cursor() as tc,
                s.cursor() as sc,
                tc.copy(
                    sql.SQL("copy {} from stdin (format binary)").format(sql.Identifier(table))
                ) as sink,
                sc.copy(
                    sql.SQL("copy (select * from {} order by id) to stdout (format binary)").format(
                        sql.Identifier(table)
                    )
                ) as source,
            ):
                while block := source.read():
                    sink.write(block)
        t.commit()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    server = os.environ.get("ORMSHIFT_BENCH_DSN") or os.environ.get("ORMSHIFT_TEST_DSN")
    if not server:
        raise SystemExit("set ORMSHIFT_BENCH_DSN to a PostgreSQL server URL")
    src, tgt, names = setup(server, args.rows)
    total = args.rows + 1000
    results: list[dict[str, object]] = []
    try:
        runs: list[tuple[str, int | None]] = [("copy-pipe", None)]
        runs += [("ormshift", b) for b in args.batch_size]
        for label, batch in runs:
            best = float("inf")
            for _ in range(args.repeat):
                reset(tgt)
                if batch is None:
                    seconds = copy_pipe(src, tgt)
                else:
                    t0 = time.perf_counter()
                    migrate(src, tgt, MigrateOptions(batch_size=batch))
                    seconds = time.perf_counter() - t0
                best = min(best, seconds)
            results.append(
                {
                    "path": label,
                    "batch_size": batch,
                    "rows": total,
                    "seconds": round(best, 3),
                    "rows_per_second": round(total / best),
                }
            )
    finally:
        drop(server, names)
    base = float(results[0]["seconds"])  # type: ignore[arg-type]
    print(f"{'path':<10} {'batch':>8} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'vs COPY':>8}")
    for r in results:
        ratio = base / float(r["seconds"])  # type: ignore[arg-type]
        print(
            f"{r['path']:<10} {r['batch_size'] or '-':>8} {r['rows']:>9} {r['seconds']:>8}"
            f" {r['rows_per_second']:>10} {ratio:>7.0%}"
        )
        r["fraction_of_copy"] = round(ratio, 3)
    if args.json_file:
        with open(args.json_file, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
