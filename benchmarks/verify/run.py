"""``ormshift verify`` against the server-side floor and reladiff, from identical tables to
100,000 scattered changes.

Creates two databases on the server of ``$ORMSHIFT_BENCH_DSN`` (else ``$ORMSHIFT_TEST_DSN``,
else ``postgresql://postgres@127.0.0.1:5432/postgres``), fills a table of ``--rows`` rows
in each with the same deterministic ``generate_series`` data (bigint key, uuid, text of
50-200 characters, int with NULLs, timestamptz, small jsonb, numeric(14,2)), then, for each
workload (identical; one row changed; each ``--scattered`` count of changes spread over
the whole key range: 8 in 10 updated in the target, 1 in 10 deleted from the target,
1 in 10 deleted from the source), times ``--repeat`` interleaved rounds of:

* the floor: ``select count(*), sum(hashtext(t::text)::bigint) from t`` on both sides at
  once (two threads, one connection each) -- one server-side hash scan per side;
* ``ormshift verify`` in-process (the engine, connections included) and as the CLI
  (a whole process: Python start, connect, reflect, verify), with its peak RSS;
* with ``--reladiff PATH`` (reladiff's executable, installed in a venv of its own),
  ``reladiff --algorithm hashdiff`` on the same tables, with its peak RSS;
* with ``--before SRC`` (another checkout's ``src``, e.g. main's from ``git archive main
  src``), the engine and the CLI of both versions in the same round, the engine then in a
  process of its own for each (``run.py --engine-only``: seconds of ``verify()`` alone,
  connections included, and that process's peak RSS), for an A/B under the same load.

Medians of the rounds; the differences the engine names are checked against the changes
made. Writes the results to ``--out`` (JSON). Databases are dropped unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from argparse import SUPPRESS
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

import ormshift
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
COLUMNS = ("u", "body", "i", "ts", "j", "n")
#: the i-th change's key: a multiplier coprime with 10 ** k spreads them over the key range
SPREAD = 2_654_435_761


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


def measured(
    argv: list[str], timeout: float | None = None, env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess[str], int]:
    """Wall seconds, the finished run and peak RSS (kB) of ``argv``'s own process, taken by
    ``/usr/bin/time`` from wait4() of that process (not inherited from this driver, as
    ``ru_maxrss`` read inside a forked child would be). TimeoutExpired propagates."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        started = time.perf_counter()
        run = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
        )
        wall = time.perf_counter() - started
        rss = int(out.read().strip().splitlines()[-1])
    return wall, run, rss


def cli(source: str, target: str, src: str | None = None) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (kB) of ``ormshift verify --json`` (of the
    ormshift in ``src``, else the one imported here)."""
    argv = [sys.executable, "-m", "ormshift", "verify", "--source", source, "--target", target]
    wall, run, rss = measured([*argv, "--json"], env=_path(src))
    return wall, run.returncode, rss


def _path(src: str | None) -> dict[str, str] | None:
    if src is None:
        return None
    return {"PYTHONPATH": src}


def engine_apart(source: str, target: str, src: str) -> tuple[float, int]:
    """Seconds of ``verify()`` of the ormshift in ``src``, in a process of its own, and
    that process's peak RSS (kB)."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--engine-only", source, target]
    _, run, rss = measured(argv, env={"PYTHONPATH": src})
    if run.returncode != 0:
        raise SystemExit(f"engine ({src}) failed: {run.stderr.strip().splitlines()[-2:]}")
    return float(run.stdout.strip().splitlines()[-1]), rss


def engine_only(source: str, target: str) -> None:
    """``--engine-only``: print the seconds of one ``verify()``."""
    seconds, _ = engine(source, target)
    print(f"{seconds:.6f}")


def reladiff(path: str, source: str, target: str, timeout: float) -> tuple[float, int, int] | None:
    """Wall seconds, lines of differences and peak RSS (kB) of reladiff's hashdiff; None
    when it has not finished after ``timeout`` seconds."""
    columns = [a for c in COLUMNS for a in ("-c", c)]
    argv = [path, source, "bench", target, "bench", "-k", "id", *columns, "--json"]
    try:
        # reladiff prints through rich, which wraps lines at the terminal's width
        wide = {"COLUMNS": "1000000"}
        wall, run, rss = measured([*argv, "--algorithm", "hashdiff"], timeout, wide)
    except subprocess.TimeoutExpired:
        return None
    if run.returncode != 0:
        raise SystemExit(f"reladiff failed: {run.stderr.strip().splitlines()[-2:]}")
    # one line per differing row: ["-" or "+", [values]]
    return wall, sum(1 for line in run.stdout.splitlines() if line.startswith('["')), rss


@dataclass(frozen=True)
class Reladiff:
    path: str
    timeout: float


def measure(
    source: str, target: str, repeat: int, rd: Reladiff | None, ab: AB | None = None
) -> dict[str, Any]:
    """Medians of ``repeat`` rounds; each round runs floor, engine, CLI (and reladiff) back to
    back, so that load from elsewhere on the machine falls on all of them alike. Once
    reladiff times out it is not run again for the workload. With ``ab``, each round runs
    the engine (each in a process of its own) and the CLI of both versions, after then
    before in even rounds, before then after in odd ones."""
    floors, engines, clis, rds = [], [], [], []
    apart: dict[str, list[tuple[float, int]]] = {"after": [], "before": []}
    clis_before = []
    timed_out = False
    for round_ in range(repeat):
        floors.append(floor(source, target))
        if ab is None:
            engines.append(engine(source, target)[0])
            clis.append(cli(source, target))
        else:
            # which version goes first alternates from round to round
            first = ("after", "before") if round_ % 2 == 0 else ("before", "after")
            for name in first:
                apart[name].append(engine_apart(source, target, getattr(ab, name)))
            engines.append(apart["after"][-1][0])
            for name in first:
                if name == "after":
                    clis.append(cli(source, target))
                else:
                    clis_before.append(cli(source, target, ab.before))
        if rd and not timed_out:
            r = reladiff(rd.path, source, target, rd.timeout)
            timed_out = r is None
            if r is not None:
                rds.append(r)
    out: dict[str, Any] = {
        "floor_s": statistics.median(floors),
        "engine_s": statistics.median(engines),
        "cli_s": statistics.median(r[0] for r in clis),
        "exit": clis[0][1],
        "rss_mb": max(r[2] for r in clis) / 1024,
        "rounds": {"floor_s": floors, "engine_s": engines, "cli_s": [r[0] for r in clis]},
    }
    out["ratio_engine"] = out["engine_s"] / out["floor_s"]
    out["ratio_cli"] = out["cli_s"] / out["floor_s"]
    if ab is not None:
        # each round's own ratio too: the floor of that round, the load of that round
        for name, runs in apart.items():
            out[f"engine_{name}_s"] = statistics.median(r[0] for r in runs)
            out[f"engine_{name}_rss_mb"] = max(r[1] for r in runs) / 1024
            out[f"ratio_engine_{name}"] = out[f"engine_{name}_s"] / out["floor_s"]
            out["rounds"][f"engine_{name}_s"] = [r[0] for r in runs]
            out["rounds"][f"ratio_engine_{name}"] = [
                r[0] / f for r, f in zip(runs, floors, strict=True)
            ]
        out["cli_before_s"] = statistics.median(r[0] for r in clis_before)
        out["ratio_cli_before"] = out["cli_before_s"] / out["floor_s"]
        out["rss_before_mb"] = max(r[2] for r in clis_before) / 1024
        out["rounds"]["cli_before_s"] = [r[0] for r in clis_before]
        out["rounds"]["ratio_cli"] = [r[0] / f for r, f in zip(clis, floors, strict=True)]
        out["rounds"]["ratio_cli_before"] = [
            r[0] / f for r, f in zip(clis_before, floors, strict=True)
        ]
    if rds:
        out["reladiff_s"] = statistics.median(r[0] for r in rds)
        out["reladiff_lines"] = rds[0][1]
        out["reladiff_rss_mb"] = max(r[2] for r in rds) / 1024
        out["ratio_reladiff"] = out["reladiff_s"] / out["floor_s"]
        out["rounds"]["reladiff_s"] = [r[0] for r in rds]
    if timed_out:
        assert rd is not None
        out["reladiff_timed_out_after_s"] = rd.timeout
    return out


@dataclass(frozen=True)
class AB:
    after: str  # the src of the ormshift under test
    before: str  # the src to compare it with


Named = set[tuple[str, int, str | None]]


def scatter(source: str, target: str, rows: int, first: int, last: int) -> Named:
    """Changes ``first`` .. ``last - 1``, spread over the key range; the differences they
    make: the i-th change deletes its row from the target (i % 10 == 0), from the source
    (i % 10 == 1), else appends to its body in the target."""
    keys = {i: 1 + (i * SPREAD) % rows for i in range(first, last)}
    gone_t = [k for i, k in keys.items() if i % 10 == 0]
    gone_s = [k for i, k in keys.items() if i % 10 == 1]
    upd = [k for i, k in keys.items() if i % 10 > 1]
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("delete from bench where id = any(%s)", [gone_t])
        conn.execute("update bench set body = body || '!' where id = any(%s)", [upd])
        conn.execute("vacuum analyze bench")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("delete from bench where id = any(%s)", [gone_s])
        conn.execute("vacuum analyze bench")
    named: Named = {("missing", k, None) for k in gone_t}
    named |= {("extra", k, None) for k in gone_s}
    return named | {("changed", k, "body") for k in upd}


def found_by(source: str, target: str) -> Named:
    _, found = engine(source, target)
    return {(d.kind, int(d.key["id"]), d.column) for d in found if d.key}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scattered", default="1000,100000", help="comma-separated counts")
    parser.add_argument("--reladiff", help="reladiff's executable (in a venv of its own)")
    parser.add_argument("--reladiff-timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path, help="write the results here (JSON)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--before", help="another ormshift's src, run in the same rounds")
    parser.add_argument("--engine-only", nargs=2, metavar=("SOURCE", "TARGET"), help=SUPPRESS)
    args = parser.parse_args()
    if args.engine_only:
        engine_only(*args.engine_only)
        return
    rd = Reladiff(args.reladiff, args.reladiff_timeout) if args.reladiff else None
    ab = None
    if args.before:
        ab = AB(str(Path(ormshift.__file__).resolve().parents[1]), str(Path(args.before)))
    counts = sorted(int(c) for c in args.scattered.split(",") if c.strip())
    server = server_url()
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        fs, ft = ex.submit(create, server, args.rows), ex.submit(create, server, args.rows)
        source, target = fs.result(), ft.result()
    print(f"generated 2 x {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
    result: dict[str, Any] = {"rows": args.rows, "repeat": args.repeat, "workloads": {}}
    result["load_average_start"] = os.getloadavg()
    if ab is not None:
        result["after_src"], result["before_src"] = ab.after, ab.before
    try:
        workloads = result["workloads"]
        workloads["identical"] = measure(source, target, args.repeat, rd, ab)
        print(json.dumps({"identical": workloads["identical"]}, default=str), flush=True)
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute("update bench set body = body || '!' where id = %s", [args.rows // 2])
        workloads["one_row_changed"] = measure(source, target, args.repeat, rd, ab)
        workloads["one_row_changed"]["found"] = sorted(found_by(source, target), key=str)
        print(json.dumps({"one_row_changed": workloads["one_row_changed"]}, default=str))
        with psycopg.connect(target, autocommit=True) as conn:  # back to identical
            conn.execute("update bench set body = rtrim(body, '!') where id = %s", [args.rows // 2])
        named: Named = set()
        done = 0
        for count in counts:
            named |= scatter(source, target, args.rows, done, count)
            done = count
            name = f"scattered_{count}"
            workloads[name] = measure(source, target, args.repeat, rd, ab)
            found = found_by(source, target)
            workloads[name]["named"] = len(found)
            workloads[name]["named_exactly"] = found == named
            print(json.dumps({name: workloads[name]}, default=str), flush=True)
    finally:
        if not args.keep:
            drop(server, source)
            drop(server, target)
    result["load_average_end"] = os.getloadavg()
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["driver_rss_mb"] = usage / 1024
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"benchmark driver peak RSS {usage / 1024:.0f} MB")


if __name__ == "__main__":
    main()
