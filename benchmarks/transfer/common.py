"""What the transfer benchmarks share: scratch databases, and an empty target per round."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

#: pgcopydb's executable (Debian's ``pgcopydb`` package): a comparator of the benchmarks
#: only, never a dependency of ormshift; None when it is not installed.
PGCOPYDB = shutil.which("pgcopydb")


def run_measured(
    cmd: Sequence[str], env: dict[str, str] | None = None
) -> tuple[float, int, float, float, bytes]:
    """Run ``cmd``: (wall seconds, exit code, peak RSS in MB, CPU seconds, stderr).

    Peak RSS and CPU come from ``/usr/bin/time``, i.e. from wait4() of ``cmd``'s own
    process (with its waited-for children). Not from wait4() here: a child forked by
    this driver keeps the driver's RSS high-water mark across exec (Linux's ``maxrss``
    survives exec), so every reading taken that way is at least the driver's own RSS
    (~58 MB with psycopg and SQLAlchemy imported): the figures before 2026-12-04 were.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        seconds = time.perf_counter() - t0
        rss_kb, user, system = out.read().strip().splitlines()[-1].split()
    cpu = float(user) + float(system)
    return seconds, proc.returncode, int(rss_kb) / 1024, cpu, proc.stderr


def pgcopydb_note() -> str | None:
    """One line to print when pgcopydb is missing (its path is then skipped)."""
    if PGCOPYDB:
        return None
    return "pgcopydb not found on PATH (apt-get install pgcopydb): its path is skipped"


def pgcopydb(src: str, tgt: str, jobs: int = 1) -> dict[str, float]:
    """``pgcopydb copy table-data``: the data of every table into the target's existing
    tables (no schema, no index builds: the target already has its indexes and
    constraints), ``jobs`` COPY processes. pgcopydb 0.10 also runs VACUUM ANALYZE of each
    table it copied and resets sequences, with no option to skip either; both are in its
    time. Seconds and peak RSS (the largest of its processes, from wait4)."""
    assert PGCOPYDB is not None
    with tempfile.TemporaryDirectory(prefix="ormshift_pgcopydb_") as work:
        cmd = [PGCOPYDB, "copy", "table-data", "--source", src, "--target", tgt]
        cmd += ["--dir", os.path.join(work, "run"), "--table-jobs", str(jobs)]
        seconds, code, rss, cpu, err = run_measured(cmd)
    if code:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise SystemExit(f"pgcopydb failed with exit code {code}: {tail}")
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(rss, 1),
        "cpu_seconds": round(cpu, 2),
    }


def with_db(url: str, name: str) -> str:
    """``url`` with its database set to ``name``."""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def create_pair(server: str, prefix: str) -> tuple[str, str, list[str]]:
    """A fresh source and target database on ``server``: (source url, target url, names)."""
    names = [f"{prefix}_{k}_{uuid.uuid4().hex[:8]}" for k in ("src", "tgt")]
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(n)))
    src, tgt = (with_db(server, n) for n in names)
    return src, tgt, names


def drop(server: str, names: Sequence[str]) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n))
            )


def reset(tgt: str, tables: Sequence[str]) -> None:
    """Empty target ``tables``, no ledger, and a checkpoint: every path starts with no dirty
    pages or WAL of the run before it to flush (CHECKPOINT needs a superuser or
    pg_checkpoint)."""
    with psycopg.connect(tgt, autocommit=True) as conn:
        conn.execute("drop schema if exists ormshift cascade")
        conn.execute(
            sql.SQL("truncate {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables))
        )
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("checkpoint")
