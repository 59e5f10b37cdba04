"""`ormshift migrate` against psql's binary `\\copy` pipe and a SQLAlchemy ORM load.

    ORMSHIFT_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/transfer/bench_migrate.py --rows 2000000 \\
        --rss-rows 2000000 8000000 --orm-rows 200000 --json benchmarks/transfer/migrate.json

One table (bigint key, uuid, text of 50-200 characters, int with NULLs, timestamptz,
small jsonb, numeric(14,2)) PostgreSQL to PostgreSQL, in one run:

* ``psql-pipe``: ``psql -c "\\copy (select ...) to stdout (format binary)"`` piped into
  ``psql -c "\\copy ... from stdin (format binary)"`` (the ceiling);
* ``pgcopydb``: ``pgcopydb copy table-data`` (Debian's ``pgcopydb`` 0.10) into the
  existing table, one COPY job (0.10 cannot split a table; skipped, with one line, when
  pgcopydb is not installed);
* ``psycopg-relay``: the same COPY pair relayed by one Python process (no batches), to
  tell the cost of Python in the middle from the cost of batching;
* ``ormshift``: the ``ormshift migrate`` command as a user runs it (its default batch
  size unless ``--batch-size``; a ledger row and SHA-1 of every batch, as always), its
  peak RSS (its own process, ``/usr/bin/time``) and where its time went (the ledger);
* ``orm-add_all``: SQLAlchemy ORM objects, ``add_all`` and a commit per 5,000 rows, on a
  ``--orm-rows`` slice;
* peak RSS of ``ormshift migrate`` for each ``--rss-rows`` size (the same table, larger)
  and each ``--workers`` count, with the pipe and pgcopydb once more at that size.

Every measurement starts from an empty target table after a CHECKPOINT; the throughput
paths run ``--repeat`` rounds, interleaved. The machine is noisy (the same command
varies by ±20 % from one minute to the next), so each round's ``ormshift`` time is set
against that round's pipe, and the median of those per-round ratios is reported beside
the best of each path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

import psycopg
from common import create_pair, drop, pgcopydb, pgcopydb_note, reset, run_measured
from sqlalchemy import BigInteger, DateTime, Integer, Numeric, Text, Uuid, create_engine
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DDL = (
    "create table big (id bigint primary key, uid uuid not null, body text not null,"
    " n int, at timestamptz not null, meta jsonb, amount numeric(14,2))"
)
FILL = """
insert into big
select i, md5(i::text)::uuid,
       substr(repeat(md5(i::text), 7), 1, (50 + (i * 7919) %% 151)::int),
       case when i %% 5 = 0 then null else ((i * 31) %% 100000)::int end,
       timestamptz '2024-01-01' + i * interval '1 second',
       jsonb_build_object('k', i %% 100, 'tag', 't' || (i %% 7)),
       ((i * 13) %% 1000000) / 100.0
from generate_series(%s::bigint, %s::bigint) i
"""
ORMSHIFT = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


class Base(DeclarativeBase):
    pass


class Big(Base):
    __tablename__ = "big"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uid: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    n: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    amount: Mapped[decimal.Decimal | None] = mapped_column(Numeric(14, 2))


def create(server: str) -> tuple[str, str, list[str]]:
    src, tgt, names = create_pair(server, "ormshift_bench")
    for url in (src, tgt):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(DDL)
    with psycopg.connect(tgt, autocommit=True) as conn:
        # no autovacuum of one path's load running into the next path's time
        conn.execute("alter table big set (autovacuum_enabled = false)")
    return src, tgt, names


def grow(src: str, have: int, rows: int) -> None:
    """Fill the source table up to ``rows`` rows (keys 1..rows)."""
    with psycopg.connect(src, autocommit=True) as conn:
        step = 1_000_000
        for lo in range(have + 1, rows + 1, step):
            conn.execute(FILL, [lo, min(lo + step - 1, rows)])
        conn.execute("vacuum analyze big")


def psql_pipe(src: str, tgt: str) -> float:
    out = "\\copy (select * from big order by id) to stdout (format binary)"
    into = "\\copy big from stdin (format binary)"
    t0 = time.perf_counter()
    subprocess.run(
        f'psql -X -q "{src}" -c "{out}" | psql -X -q "{tgt}" -c "{into}"',
        shell=True,
        check=True,
    )
    return time.perf_counter() - t0


def relay(src: str, tgt: str) -> float:
    """One psycopg COPY relay in this process, no batches: the cost of Python in the middle."""
    t0 = time.perf_counter()
    with psycopg.connect(src) as s, psycopg.connect(tgt) as t:
        with (
            t.cursor() as tc,
            s.cursor() as sc,
            tc.copy("copy big from stdin (format binary)") as sink,
            sc.copy("copy (select * from big order by id) to stdout (format binary)") as source,
        ):
            chunk = bytearray()
            while block := source.read():
                chunk += block
                if len(chunk) >= 131072:
                    sink.write(bytes(chunk))
                    chunk.clear()
            sink.write(bytes(chunk))
        t.commit()
    return time.perf_counter() - t0


def run_migrate(
    src: str, tgt: str, batch: int | None, workers: int, code_dir: str | None = None
) -> dict[str, Any]:
    """Time ``ormshift migrate`` as its own process (from the source tree ``code_dir`` when
    given, else as imported); peak RSS and CPU of that process."""
    cmd = [*ORMSHIFT, "migrate", "--source", src, "--target", tgt, "--json"]
    cmd += ["--workers", str(workers)] + (["--batch-size", str(batch)] if batch else [])
    env = None if code_dir is None else {**os.environ, "PYTHONPATH": code_dir}
    seconds, code, rss, cpu, err = run_measured(cmd, env)
    if code:
        raise SystemExit(f"ormshift migrate failed with exit code {code}: {err[-500:]!r}")
    with psycopg.connect(tgt) as conn:
        row = conn.execute(
            "select count(*), sum(rows_written), sum(seconds), sum(read_seconds),"
            " sum(write_seconds) from ormshift.ledger"
        ).fetchone()
    assert row is not None
    batches, rows, in_batches, first_block, streaming = row
    return {
        "seconds": round(seconds, 3),
        "rows": int(rows),
        "batches": int(batches),
        "peak_rss_mb": round(rss, 1),
        "cpu_seconds": round(cpu, 2),
        "time": {
            "batches_total": round(float(in_batches), 2),
            "until_first_block": round(float(first_block), 2),
            "streaming_and_commit": round(float(streaming), 2),
            "bounds_ledger_commit": round(float(in_batches - first_block - streaming), 2),
            "outside_batches": round(seconds - float(in_batches), 2),
        },
    }


def orm_add_all(src: str, tgt: str, rows: int, chunk: int = 5000) -> float:
    """Rows read with psycopg, written as ORM objects: add_all + commit per ``chunk``."""
    url = tgt.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    t0 = time.perf_counter()
    with psycopg.connect(src) as s, s.cursor(name="orm") as cur, Session(engine) as session:
        cur.execute("select * from big where id <= %s order by id", [rows])
        while batch := cur.fetchmany(chunk):
            session.add_all(
                Big(id=r[0], uid=r[1], body=r[2], n=r[3], at=r[4], meta=r[5], amount=r[6])
                for r in batch
            )
            session.commit()
    engine.dispose()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rss-rows", type=int, nargs="*", default=[2_000_000, 8_000_000])
    parser.add_argument("--orm-rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, help="default: the command's own")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5, help="rounds, interleaved")
    parser.add_argument("--json", dest="json_file")
    parser.add_argument(
        "--before-src",
        help="also run ormshift --workers 1 from this src directory in every round (e.g. a "
        "`git archive main src` unpacked), for a before/after in the same rounds",
    )
    args = parser.parse_args()
    server = os.environ.get("ORMSHIFT_BENCH_DSN") or os.environ.get("ORMSHIFT_TEST_DSN")
    if not server:
        raise SystemExit("set ORMSHIFT_BENCH_DSN to a PostgreSQL server URL")
    note = pgcopydb_note()
    if note:
        print(note, flush=True)
    src, tgt, names = create(server)
    out: dict[str, Any] = {"rows": args.rows, "batch_size": args.batch_size}
    out["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    out["pgcopydb"] = note or "pgcopydb copy table-data --table-jobs 1"
    try:
        t0 = time.perf_counter()
        grow(src, 0, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - t0:.0f} s", flush=True)
        pipes: list[float] = []
        relays: list[float] = []
        copydbs: list[dict[str, float]] = []
        migrates: dict[int, list[dict[str, Any]]] = {w: [] for w in args.workers}
        befores: list[dict[str, Any]] = []
        for _ in range(args.repeat):  # interleaved, so a busy moment hits every path
            reset(tgt, ["big"])
            pipes.append(psql_pipe(src, tgt))
            reset(tgt, ["big"])
            relays.append(relay(src, tgt))
            if not note:
                reset(tgt, ["big"])
                copydbs.append(pgcopydb(src, tgt))
            for w in args.workers:
                reset(tgt, ["big"])
                migrates[w].append(run_migrate(src, tgt, args.batch_size, w))
            if args.before_src:
                reset(tgt, ["big"])
                befores.append(run_migrate(src, tgt, args.batch_size, 1, args.before_src))
        pipe, rel = min(pipes), min(relays)
        relay_ratios = [p / r for p, r in zip(pipes, relays, strict=True)]
        out["psql_pipe"] = {"seconds": round(pipe, 3), "rows_per_second": round(args.rows / pipe)}
        out["psycopg_relay"] = {
            "seconds": round(rel, 3),
            "rows_per_second": round(args.rows / rel),
            "of_psql_pipe": round(pipe / rel, 3),
            "median_of_round_ratios": round(median(relay_ratios), 3),
        }
        print(f"psql pipe: {pipe:.1f} s; psycopg relay: {rel:.1f} s", flush=True)
        if copydbs:
            cdb = min(float(c["seconds"]) for c in copydbs)
            out["pgcopydb_copy_table_data"] = {
                "seconds": round(cdb, 3),
                "rows_per_second": round(args.rows / cdb),
                "of_psql_pipe": round(pipe / cdb, 3),
                "all_seconds": [c["seconds"] for c in copydbs],
                "peak_rss_mb": max(c["peak_rss_mb"] for c in copydbs),
            }
            print(f"pgcopydb: {cdb:.1f} s", flush=True)
        out["ormshift"] = []
        for w in args.workers:
            m = min(migrates[w], key=lambda r: float(r["seconds"]))
            m["workers"] = w
            m["rows_per_second"] = round(args.rows / m["seconds"])
            m["of_psql_pipe"] = round(pipe / m["seconds"], 3)  # best against best
            ratios = [p / float(r["seconds"]) for p, r in zip(pipes, migrates[w], strict=True)]
            m["round_ratios"] = [round(x, 3) for x in ratios]
            m["median_of_round_ratios"] = round(median(ratios), 3)
            m["all_seconds"] = [r["seconds"] for r in migrates[w]]
            m["all_outside_batches"] = [r["time"]["outside_batches"] for r in migrates[w]]
            m["max_peak_rss_mb"] = max(r["peak_rss_mb"] for r in migrates[w])
            if copydbs:  # > 1: ormshift faster than pgcopydb in that round
                vs = [
                    float(c["seconds"]) / float(r["seconds"])
                    for c, r in zip(copydbs, migrates[w], strict=True)
                ]
                m["pgcopydb_round_ratios"] = [round(x, 3) for x in vs]
                m["pgcopydb_median_of_round_ratios"] = round(median(vs), 3)
            out["ormshift"].append(m)
            print(f"ormshift --workers {w}: {json.dumps(m)}", flush=True)
        if befores:  # the code before, --workers 1, in the same rounds
            ratios = [p / float(r["seconds"]) for p, r in zip(pipes, befores, strict=True)]
            out["before"] = {
                "src": args.before_src,
                "all_seconds": [r["seconds"] for r in befores],
                "round_ratios": [round(x, 3) for x in ratios],
                "median_of_round_ratios": round(median(ratios), 3),
                "outside_batches": [r["time"]["outside_batches"] for r in befores],
                "cpu_seconds": [r["cpu_seconds"] for r in befores],
            }
            print(f"before: {json.dumps(out['before'])}", flush=True)
        out["psql_pipe"]["all_seconds"] = [round(x, 3) for x in pipes]
        out["rss"] = []
        have = args.rows
        for size in sorted(args.rss_rows):
            if size > have:
                grow(src, have, size)
                have = size
            elif size < have:
                continue  # the table only grows; measure smaller sizes with --rows
            entry: dict[str, Any] = {"rows": size, "ormshift": []}
            if size == args.rows:  # measured above: the rounds' best pipe, every round's RSS
                entry["psql_pipe_seconds"] = round(pipe, 3)
                if copydbs:
                    entry["pgcopydb_seconds"] = out["pgcopydb_copy_table_data"]["seconds"]
                for m in out["ormshift"]:
                    entry["ormshift"].append(
                        {
                            "workers": m["workers"],
                            "seconds": m["seconds"],
                            "peak_rss_mb": m["max_peak_rss_mb"],
                        }
                    )
            else:
                reset(tgt, ["big"])
                entry["psql_pipe_seconds"] = round(psql_pipe(src, tgt), 3)
                if not note:
                    reset(tgt, ["big"])
                    entry["pgcopydb_seconds"] = pgcopydb(src, tgt)["seconds"]
                for w in args.workers:
                    reset(tgt, ["big"])
                    m = run_migrate(src, tgt, args.batch_size, w)
                    entry["ormshift"].append(
                        {"workers": w, "seconds": m["seconds"], "peak_rss_mb": m["peak_rss_mb"]}
                    )
            for m in entry["ormshift"]:
                m["of_psql_pipe"] = round(entry["psql_pipe_seconds"] / m["seconds"], 3)
                if "pgcopydb_seconds" in entry:
                    m["of_pgcopydb"] = round(entry["pgcopydb_seconds"] / m["seconds"], 3)
            out["rss"].append(entry)
            print(f"at {size:,} rows: {json.dumps(entry)}", flush=True)
        # The ORM load runs last (it grows this process; the RSS readings are the
        # children's own, from /usr/bin/time, but a smaller driver disturbs the rest less).
        reset(tgt, ["big"])
        orm = orm_add_all(src, tgt, args.orm_rows)
        out["orm_add_all"] = {
            "rows": args.orm_rows,
            "seconds": round(orm, 3),
            "rows_per_second": round(args.orm_rows / orm),
        }
        print(f"ORM add_all: {orm:.1f} s, {args.orm_rows / orm:,.0f} rows/s", flush=True)
    finally:
        drop(server, names)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
