"""Seed, migrate, verify for a real-world app: the database TypeORM's synchronize() made is
filled with valid generated rows (the fuzzer's seed builder, from the manifest), then
``ormshift migrate`` copies it into the database the generated models made (create_all)
and ``ormshift verify`` must find both identical; every table's row count is compared too,
so that a table left behind fails the test even where verify would not look."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ormshift.compare.fuzz.schema import FuzzSchema
from ormshift.compare.fuzz.seed import build_seed
from ormshift.manifest import Manifest

from .apps import App

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


@dataclass(frozen=True)
class Moved:
    tables: int
    #: tables that received at least one seed row
    seeded_tables: int
    seeded: int
    migrated: int
    #: tables ``ormshift verify`` found identical
    verified: int


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )


def row_counts(url: str, tables: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for t in tables:
            row = conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(t))
            ).fetchone()
            assert row is not None
            counts[t] = int(row[0])
    return counts


def seed_migrate_verify(
    app: App, manifest: Manifest, source: str, target: str, rows_per_table: int, cwd: Path
) -> Moved:
    name = app.name
    tables = [t.name for t in manifest.tables if t.kind == "table"]
    with psycopg.connect(source) as conn:
        seeded = build_seed(
            conn, FuzzSchema.of(manifest), random.Random(f"realworld:{name}"), rows_per_table
        )
    empty = sorted(t for t in tables if not seeded.rows.get(t))
    assert not empty, f"{name}: no valid seed row for " + ", ".join(
        f"{t} ({seeded.refused.get(t)})" for t in empty
    )
    seeded_rows = sum(len(r) for r in seeded.rows.values())

    migrated = cli("migrate", "--source", source, "--target", target, *app.migrate_args, cwd=cwd)
    assert migrated.returncode == 0, f"{name}: migrate failed\n{migrated.stdout}\n{migrated.stderr}"
    verified = cli("verify", "--source", source, "--target", target, "--json", cwd=cwd)
    assert verified.returncode == 0, f"{name}: verify failed\n{verified.stdout}\n{verified.stderr}"
    events = [json.loads(line) for line in verified.stdout.splitlines() if line.startswith("{")]
    statuses = {e["table"]: e["status"] for e in events if e["type"] == "table"}
    assert statuses == dict.fromkeys(tables, "identical"), f"{name}: {statuses}"

    before, after = row_counts(source, tables), row_counts(target, tables)
    assert after == before, f"{name}: row counts differ: " + ", ".join(
        f"{t} {before[t]} -> {after[t]}" for t in tables if before[t] != after[t]
    )
    return Moved(
        len(tables), len(tables) - len(empty), seeded_rows, sum(after.values()), len(statuses)
    )
