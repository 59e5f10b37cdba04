"""Shared helpers of the transfer tests; holds no tests itself."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from ormshift.monitor import Rule, Sample
from ormshift.transfer import ThrottleSettings

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def kill_after(args: list[str], batches: int, log: Path) -> int:
    """Start ``ormshift ARGS`` (with ``--json``) and SIGKILL it once it has reported
    ``batches`` batches (or let it end first); its exit code."""
    with log.open("wb") as fh:
        proc = subprocess.Popen([*CLI, *args], stdout=fh, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            if log.read_text().count('"event": "batch"') >= batches:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for stmt in statements:
            conn.execute(stmt)  # type: ignore[arg-type]


def query(url: str, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(statement, params).fetchall()  # type: ignore[arg-type]


def digest(url: str, table: str, order: str) -> tuple[int, str]:
    """Row count and MD5 of every row's text, in key order."""
    row = query(
        url,
        f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by {order}), ''))"
        f" from {table} t",
    )[0]
    return int(row[0]), str(row[1])


def same(source: str, target: str, table: str, order: str) -> None:
    s, t = digest(source, table, order), digest(target, table, order)
    assert s == t, f"{table}: source {s} != target {t}"


def ledger_ranges(url: str) -> list[tuple[Any, ...]]:
    return query(
        url,
        "select table_name, key_from::text, key_to::text from ormshift.ledger"
        " order by table_name, batch_no",
    )


#: The rule `CriticalAfter`'s metric is judged by: pass as ``MigrateOptions(throttle=...)``.
TEST_LOAD = ThrottleSettings(rules=(Rule("test_load", abort=50),), interval=0.0)  # every batch


@dataclass
class CriticalAfter:
    """A monitor probe whose ``test_load`` crosses `TEST_LOAD`'s abort from check ``n + 1``."""

    n: int
    name: str = "test-load"
    checks: int = 0

    def collect(self) -> list[Sample]:
        self.checks += 1
        return [Sample("test_load", 99.0 if self.checks > self.n else 0.0)]
