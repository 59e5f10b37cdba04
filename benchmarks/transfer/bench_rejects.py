"""`ormshift migrate` on tables the target partly or wholly refuses, against clean data.

    ORMSHIFT_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/transfer/bench_rejects.py --rows 500000 --repeat 3 \\
        --before-src /tmp/ormshift-before/src --before-rows 5000 \\
        --json benchmarks/transfer/rejects.json

One source database holds tables of the same shape (bigint key, uuid, 50-200
characters of text, int, timestamptz, a quantity, a code, a parent id, a number as text)
and the same ``--rows`` rows; only what the target refuses differs:

* ``clean``: nothing (the reference rate);
* ``check10`` / ``check100``: 10 % / every row's quantity is negative, and the target has
  ``check (qty >= 0)`` (binary COPY);
* ``unique10``: 10 % of the codes are on the target already, under other keys
  (``--append``);
* ``fk10``: 10 % of the parent ids have no parent row on the target;
* ``cast10``: the number-as-text column goes into an ``int`` column and 10 % of the values
  are not numbers (text COPY, the target parses them).

Each refusing table ``K10`` is also set against ``K_clean``: the same target table (the
same CHECK, unique index, foreign key or text COPY, which cost something on every row
whether or not one is refused) loaded with data it refuses nothing of. That is the
"clean-data rate" of the table; ``clean`` (a target without those constraints) is
reported beside it.

Each path is ``ormshift migrate --table T`` as a user runs it (default batch size, its
own process), from a target emptied and CHECKPOINTed before each; the paths take turns
for ``--repeat`` rounds so that a busy moment of this shared machine hits all of them,
and each round's rate is set against that round's clean rate (the median of those
ratios is reported beside the best of each path). With ``--before-src``, the same is done
once at ``--before-rows`` rows with the code found there (PYTHONPATH), the bisecting
engine before the classifier, and with this one, for a before/after at the same size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

SRC = Path(__file__).resolve().parents[2] / "src"
COLUMNS = (
    "id bigint primary key, uid uuid not null, body text not null, n int, at timestamptz not"
    " null, qty int not null, code text not null, parent_id int, num text"
)
FILL = """
insert into {t}
select i, md5(i::text)::uuid, substr(repeat(md5(i::text), 7), 1, (50 + (i * 7919) %% 151)::int),
       (i * 31) %% 100000, timestamptz '2024-01-01' + i * interval '1 second',
       case when {bad} then -1 else i %% 1000 end, 'c' || i,
       case when {kind} = 'fk' and {bad} then 0 else 1 + i %% 1000 end,
       case when {kind} = 'cast' and {bad} then 'x' || i else i::text end
from generate_series(%s::bigint, %s::bigint) i
"""
_CHECK = "qty int not null check (qty >= 0), code text not null, parent_id int, num text"
_UNIQUE = "qty int not null, code text not null unique, parent_id int, num text"
_FK = "qty int not null, code text not null, parent_id int references parent, num text"
_CAST = "qty int not null, code text not null, parent_id int, num int"
TARGETS = {
    "clean": "qty int not null, code text not null, parent_id int, num text",
    "check_clean": _CHECK,
    "check10": _CHECK,
    "check100": _CHECK,
    "unique_clean": _UNIQUE,
    "unique10": _UNIQUE,
    "fk_clean": _FK,
    "fk10": _FK,
    "cast_clean": _CAST,
    "cast10": _CAST,
}
#: the table with the same target and clean data each table is set against
REFERENCE = {"check10": "check_clean", "check100": "check_clean", "unique10": "unique_clean",
             "fk10": "fk_clean", "cast10": "cast_clean"}  # fmt: skip
HEAD = (
    "id bigint primary key, uid uuid not null, body text not null, n int, at timestamptz not null"
)
ORMSHIFT = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def _bad(name: str) -> str:
    if name.endswith("clean"):
        return "false"
    if name == "check100":
        return "true"
    return "i %% 10 = 0"


def create(server: str, tables: list[str], rows: int) -> tuple[str, str, list[str]]:
    names = [f"ormshift_bench_{k}_{uuid.uuid4().hex[:8]}" for k in ("src", "tgt")]
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(n)))
    src, tgt = (with_db(server, n) for n in names)
    with psycopg.connect(src, autocommit=True) as conn:
        for t in tables:
            conn.execute(
                sql.SQL("create table {} ({})").format(sql.Identifier(t), sql.SQL(COLUMNS))
            )
            kind = t.rstrip("0123456789").removesuffix("_clean")
            step = 500_000
            for lo in range(1, rows + 1, step):
                q = sql.SQL(FILL).format(
                    t=sql.Identifier(t),
                    bad=sql.SQL(_bad(t)),
                    kind=sql.Literal(kind),
                )
                conn.execute(q, [lo, min(lo + step - 1, rows)])
        conn.execute("vacuum analyze")
    with psycopg.connect(tgt, autocommit=True) as conn:
        conn.execute("create table parent (id int primary key)")
        conn.execute("insert into parent select generate_series(1, 1000)")
        for t in tables:
            conn.execute(
                sql.SQL("create table {} ({}, {}) with (autovacuum_enabled = false)").format(
                    sql.Identifier(t), sql.SQL(HEAD), sql.SQL(TARGETS[t])
                )
            )
    return src, tgt, names


def reset(tgt: str, table: str, rows: int) -> None:
    with psycopg.connect(tgt, autocommit=True) as conn:
        conn.execute("drop schema if exists ormshift cascade")
        conn.execute(sql.SQL("truncate {}").format(sql.Identifier(table)))
        if table.startswith("unique"):
            # unique10: every tenth code is there already, under keys above the run's;
            # unique_clean: as many rows there, with codes the source does not have
            code = "'c' || i" if table == "unique10" else "'held' || i"
            conn.execute(
                sql.SQL(
                    "insert into {} select %s + i, md5(i::text)::uuid, 'held', 0, now(), 0,"
                    " {}, 1, '0' from generate_series(10, %s, 10) i"
                ).format(sql.Identifier(table), sql.SQL(code)),
                [rows, rows],
            )
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("checkpoint")


def run(src: str, tgt: str, table: str, pythonpath: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [*ORMSHIFT, "migrate", "--source", src, "--target", tgt, "--table", table]
        cmd += ["--json", "--reject-file", str(Path(tmp) / "r.jsonl")]
        if table.startswith("unique"):
            cmd.append("--append")
        env = {**os.environ, "PYTHONPATH": str(pythonpath)}
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        seconds = time.perf_counter() - t0
    with psycopg.connect(tgt) as conn:
        row = conn.execute(
            "select count(*), sum(rows_read), sum(rows_written), sum(rows_rejected)"
            " from ormshift.ledger"
        ).fetchone()
    assert row is not None
    batches, read, written, rejected = (int(x or 0) for x in row)
    if read == 0 or read != written + rejected:
        raise SystemExit(f"{table}: exit {proc.returncode}, {proc.stderr.decode()[-500:]}")
    return {
        "seconds": round(seconds, 3),
        "exit": proc.returncode,
        "batches": batches,
        "read": read,
        "written": written,
        "rejected": rejected,
    }


def drop(server: str, names: list[str]) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n))
            )


def rounds(
    src: str,
    tgt: str,
    tables: list[str],
    rows: int,
    repeat: int,
    pythonpath: Path,
    alongside: Path | None = None,
) -> dict[str, Any]:
    """``alongside``: src/ of other code, run on each refusing table right after this
    code in every round (reported as ``TABLE@alongside``)."""
    paths = [(t, t, pythonpath) for t in tables]
    if alongside is not None:
        paths = [
            p
            for t in tables
            for p in [(t, t, pythonpath)]
            + ([(f"{t}@alongside", t, alongside)] if t in REFERENCE else [])
        ]
    seen: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in paths}
    for r in range(repeat):
        order = paths[r % len(paths) :] + paths[: r % len(paths)]  # who goes first rotates
        for name, t, path in order:
            reset(tgt, t, rows)
            seen[name].append(run(src, tgt, t, path))
            print(f"round {r + 1} {name}: {seen[name][-1]}", flush=True)
    out: dict[str, Any] = {}
    for name, t, _ in paths:
        best = min(seen[name], key=lambda m: float(m["seconds"]))
        out[name] = {
            **best,
            "rows_per_second": round(rows / float(best["seconds"])),
            "all_seconds": [m["seconds"] for m in seen[name]],
        }
        for label, ref in (("clean", "clean"), ("same_table", REFERENCE.get(t))):
            if ref is None or ref not in seen or ref == t:
                continue
            ratios = [
                float(c["seconds"]) / float(m["seconds"])
                for c, m in zip(seen[ref], seen[name], strict=True)
            ]
            best_ref = min(float(x["seconds"]) for x in seen[ref])
            out[name][f"of_{label}_best"] = round(best_ref / float(best["seconds"]), 3)
            out[name][f"{label}_round_ratios"] = [round(x, 3) for x in ratios]
            out[name][f"{label}_median_of_round_ratios"] = round(median(ratios), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tables", nargs="+", default=list(TARGETS))
    parser.add_argument("--before-src", type=Path, help="src/ of the code to compare with")
    parser.add_argument("--before-rows", type=int, default=5000)
    parser.add_argument("--before-tables", nargs="+", default=["clean", "check10", "check100"])
    parser.add_argument(
        "--alongside-src",
        type=Path,
        help="src/ of other code run on each refusing table in the same rounds (before/after)",
    )
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    server = os.environ.get("ORMSHIFT_BENCH_DSN") or os.environ.get("ORMSHIFT_TEST_DSN")
    if not server:
        raise SystemExit("set ORMSHIFT_BENCH_DSN to a PostgreSQL server URL")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # drop the databases on the way out
    wanted = ["clean", *args.tables]
    wanted += [REFERENCE[t] for t in args.tables if t in REFERENCE]
    tables = list(dict.fromkeys(t for t in TARGETS if t in wanted))
    out: dict[str, Any] = {"rows": args.rows, "repeat": args.repeat, "load": [os.getloadavg()]}
    src, tgt, names = create(server, tables, args.rows)
    try:
        out["after"] = rounds(
            src, tgt, tables, args.rows, args.repeat, SRC, alongside=args.alongside_src
        )
    finally:
        drop(server, names)
    if args.before_src:
        small = ["clean", *(t for t in args.before_tables if t != "clean")]
        src, tgt, names = create(server, small, args.before_rows)
        try:
            out["small"] = {"rows": args.before_rows}
            for label, path in (("before", args.before_src), ("after", SRC)):
                out["small"][label] = rounds(src, tgt, small, args.before_rows, 1, path)
        finally:
            drop(server, names)
    out["load"].append(os.getloadavg())
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
