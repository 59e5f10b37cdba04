"""Every bad input of `bad_inputs.CASES`, each run as a real ``ormshift`` process: exit
code 2, one ``error:`` line on stderr, no traceback, no password, nothing written, the
target untouched; and docs/bad-inputs.md is the table of exactly these outcomes."""

from __future__ import annotations

import os
import resource
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from ormshift.extract.database import reflect_url
from ormshift.manifest import write as write_manifest
from ormshift.report import write as write_report
from ormshift.report.builders import from_extract

from ..conftest import ROOT, with_database
from .bad_inputs import CASES, SECRET, Outcome, render, run_case

DOC = ROOT / "docs" / "bad-inputs.md"
COST = {"compare": 3, "migrate": 2, "verify": 2, "demo": 2}  # start-up, roughly


def _sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


def _sqlite_file(where: Path) -> bytes:
    path = where / "seed.db"
    conn = sqlite3.connect(path)
    conn.execute("create table item (id integer primary key, v text)")
    conn.executemany("insert into item values (?, ?)", [(i, f"v{i}") for i in range(1, 6)])
    conn.commit()
    conn.close()
    return path.read_bytes()


def _problems(o: Outcome) -> list[str]:
    c, found = o.case, []
    if o.code != c.code:
        found.append(f"exit code {o.code}, expected {c.code}")
    if len(o.lines) != 1:
        found.append(f"{len(o.lines)} lines on stderr, expected one")
    elif not o.lines[0].startswith("error: "):
        found.append("the line does not start with 'error: '")
    elif c.expect.lower() not in o.lines[0].lower():
        found.append(f"the line does not say {c.expect!r}")
    if "Traceback" in o.stderr + o.stdout:
        found.append("a traceback")
    if SECRET in o.stderr + o.stdout:
        found.append("the password")
    if o.stdout.strip():
        found.append("output on stdout")
    if o.changed:
        found.append(f"files written or changed: {', '.join(o.changed)}")
    return found


def test_every_bad_input_is_one_line(
    make_db: Callable[[str], str], pg_server_url: str, tmp_path: Path
) -> None:
    assert len(CASES) >= 110
    src, dst, empty = make_db("bad_src"), make_db("bad_dst"), make_db("bad_empty")
    _sql(src, "create table item (id int primary key, v text)",
         "insert into item select i, 'v' || i from generate_series(1, 50) i")  # fmt: skip
    _sql(dst, "create table item (id int primary key, v text)")
    places = {
        "pg": pg_server_url,
        "src": src,
        "dst": dst,
        "empty": empty,
        "nodb": with_database(pg_server_url, "ormshift_no_such_database"),
        "secret": SECRET,
    }
    seed = tmp_path / "seed"
    seed.mkdir()
    manifest = reflect_url(src)
    write_manifest(manifest, seed / "manifest.json")
    write_report(from_extract(manifest, Path("item")), seed / "report.json")
    extra = {name: (seed / name).read_text("utf-8") for name in ("manifest.json", "report.json")}
    sqlite = _sqlite_file(seed)

    # the slowest commands first, so that none is left running alone at the end
    order = sorted(range(len(CASES)), key=lambda i: -COST.get(CASES[i].command, 1))
    cpu, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    with ThreadPoolExecutor(max(4, 2 * (os.cpu_count() or 2))) as pool:
        futures = {
            i: pool.submit(run_case, CASES[i], tmp_path / f"case{i}", places, extra, sqlite)
            for i in order
        }
        outcomes = [futures[i].result() for i in range(len(CASES))]

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"{len(CASES)} processes: {time.monotonic() - wall:.1f} s wall, "
        f"{used.ru_utime - cpu.ru_utime + used.ru_stime - cpu.ru_stime:.1f} s CPU"
    )
    failures = [
        f"{' '.join(o.case.args)}: {'; '.join(p)}\n    stderr: {o.stderr.strip()[:600]!r}"
        for o in outcomes
        if (p := _problems(o))
    ]
    assert not failures, f"{len(failures)} of {len(CASES)} cases:\n" + "\n".join(failures)
    # nothing reached the databases: the target is empty, with no ledger; the source intact
    assert _count(dst, "select count(*) from item") == 0
    assert _count(dst, "select count(*) from pg_namespace where nspname = 'ormshift'") == 0
    assert _count(src, "select count(*) from item") == 50

    page = render(outcomes, places)
    if os.environ.get("ORMSHIFT_WRITE_DOCS"):
        DOC.write_text(page, "utf-8")
    assert DOC.is_file() and DOC.read_text("utf-8") == page, (
        "docs/bad-inputs.md is out of date: run this test with ORMSHIFT_WRITE_DOCS=1"
    )
