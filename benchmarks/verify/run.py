"""``ormshift verify`` against the server-side floor, on identical and one-row-different tables.

Creates two databases on the server of ``$ORMSHIFT_BENCH_DSN`` (else ``$ORMSHIFT_TEST_DSN``,
else ``postgresql://postgres@127.0.0.1:5432/postgres``), fills a table of ``--rows`` rows
in each with the same deterministic ``generate_series`` data (bigint key, uuid, text of
50-200 characters, int with NULLs, timestamptz, small jsonb, numeric(14,2)), then times,
median of ``--repeat`` runs:

* the floor: ``select count(*), sum(hashtext(t::text)::bigint) from t`` on both sides at
  once (two threads, one connection each) -- one server-side scan per side;
* ``ormshift verify`` in-process (the engine, connections included) and as the CLI
  (a whole process: Python start, connect, reflect, verify), with its peak RSS;
* the same after one row in the middle of the target is changed: the time to name it.

Databases are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ormshift.verify import Difference, Event, verify

ROOT = Path(__file__).resolve().parents[2]

CREATE = """
create table bench (
  id bigint primary key, u uuid not null, body text not null, i int, ts timestamptz not null,
  j jsonb not null, n numeric(14,2) not null)
"""
FILL = """
insert into bench
select g, md5(g::text)::uuid, substr(repeat(md5(g::text), 7), 1, 50 + mod(g, 151)::int),
       case when mod(g, 5) = 0 then null else mod(g, 100000)::int end,
       '2020-01-01 00:00+00'::timestamptz + g * interval '1 second',
       jsonb_build_object('k', mod(g, 100), 'f', mod(g, 7) / 4.0, 'tag', 't' || mod(g, 13)),
       mod(g * 37, 100000000) / 100.0
from generate_series(1, %s) g
"""
FLOOR = "select count(*), sum(hashtext(t::text)::bigint) from bench t"


def server_url() -> str:
    return (
        os.environ.get("ORMSHIFT_BENCH_DSN")
        or os.environ.get("ORMSHIFT_TEST_DSN")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def with_database(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def create(server: str, rows: int) -> str:
    name = f"ormshift_bench_verify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(CREATE)
        conn.execute(FILL, [rows])
        conn.execute("vacuum analyze bench")
    return url


def drop(server: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def floor(source: str, target: str) -> float:
    def one(url: str) -> tuple[int, int]:
        with psycopg.connect(url) as conn:
            row = conn.execute(FLOOR).fetchone()
            assert row is not None
            return int(row[0]), int(row[1])

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        a, b = ex.submit(one, source), ex.submit(one, target)
        a.result(), b.result()
    return time.perf_counter() - started


def engine(source: str, target: str) -> tuple[float, list[Difference]]:
    found: list[Difference] = []

    def on_event(e: Event) -> None:
        if isinstance(e, Difference):
            found.append(e)

    started = time.perf_counter()
    verify(source, target, on_event=on_event)
    return time.perf_counter() - started, found


def cli(source: str, target: str) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (kB) of ``ormshift verify --json``."""
    code = "import resource, sys; from ormshift.cli.main import main\ntry:\n  main()\nfinally:\n"
    code += "  print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", code, "verify", "--source", source, "--target", target, "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    rss = int(run.stderr.strip().splitlines()[-1])
    return wall, run.returncode, rss


def measure(source: str, target: str, repeat: int) -> dict[str, float]:
    """Medians of ``repeat`` rounds; each round runs floor, engine and CLI back to back, so
    that load from elsewhere on the machine falls on all three alike."""
    floors, engines, clis = [], [], []
    for _ in range(repeat):
        floors.append(floor(source, target))
        engines.append(engine(source, target)[0])
        clis.append(cli(source, target))
    return {
        "floor_s": statistics.median(floors),
        "engine_s": statistics.median(engines),
        "cli_s": statistics.median(r[0] for r in clis),
        "exit": clis[0][1],
        "rss_mb": max(r[2] for r in clis) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    server = server_url()
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        fs, ft = ex.submit(create, server, args.rows), ex.submit(create, server, args.rows)
        source, target = fs.result(), ft.result()
    print(f"generated 2 x {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
    try:
        same = measure(source, target, args.repeat)
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("update bench set body = body || '!' where id = %s", [args.rows // 2])
        one = measure(source, target, args.repeat)
        _, found = engine(source, target)
        named = [(d.kind, d.key, d.column) for d in found]
        result = {
            "rows": args.rows,
            "identical": same,
            "one_row_changed": one,
            "found": named,
            "ratio_identical": same["engine_s"] / same["floor_s"],
            "ratio_identical_cli": same["cli_s"] / same["floor_s"],
            "ratio_one_row": one["engine_s"] / one["floor_s"],
            "ratio_one_row_cli": one["cli_s"] / one["floor_s"],
        }
        print(json.dumps(result, indent=2, default=str))
    finally:
        if not args.keep:
            drop(server, source)
            drop(server, target)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"benchmark driver peak RSS {usage / 1024:.0f} MB")


if __name__ == "__main__":
    main()
