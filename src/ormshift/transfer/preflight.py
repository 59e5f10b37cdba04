"""Checks before the first row moves, beyond the column match in `plan`: the rights the
run needs, the extensions the copied types come from, and (when the target server runs
on this machine) free disk against the data's size.

Each failure is one `PreflightError` line saying what to do; doubts are warnings.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import psutil
import psycopg

from ormshift.db import catalog
from ormshift.transfer.errors import PreflightError
from ormshift.transfer.keyset import qualified
from ormshift.transfer.plan import Plan

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "")
#: the target needs room for the data and about as much again for indexes, WAL and slack
DISK_FACTOR = 2.0


def _regclass(conn: psycopg.Connection, schema: str, table: str) -> str:
    return qualified(schema, table).as_string(conn)


def _denied(
    conn: psycopg.Connection, rels: list[str], privileges: list[str]
) -> set[tuple[str, str]]:
    """The (relation, privilege) pairs the session's user lacks, in one round trip."""
    if not rels:
        return set()
    rows = conn.execute(
        "select r, p from unnest(%s::text[]) r cross join unnest(%s::text[]) p"
        " where not has_table_privilege(r, p)",
        [rels, privileges],
    ).fetchall()
    return {(str(r[0]), str(r[1])) for r in rows}


def rights(
    source: psycopg.Connection | None,
    target: psycopg.Connection,
    plan: Plan,
    *,
    truncate: bool,
) -> list[str]:
    """Raise when the run lacks a right it needs; warnings for rights rollback needs."""
    warnings: list[str] = []
    user = target.info.user
    needed = ["INSERT", "SELECT"] + (["TRUNCATE"] if truncate else [])
    rels = [_regclass(target, t.schema, t.target) for t in plan.tables]
    denied = _denied(target, rels, [*needed, "DELETE"])
    srcs = [_regclass(source, plan.schema, t.name) for t in plan.tables] if source else []
    src_denied = _denied(source, srcs, ["SELECT"]) if source is not None else set()
    for i, rel in enumerate(rels):
        for privilege in needed:
            if (rel, privilege) in denied:
                raise PreflightError(
                    f"user {user!r} may not {privilege} on target table {rel}; grant it "
                    f"(GRANT {privilege} ON {rel} TO {user}) or run as the table's owner"
                )
        if (rel, "DELETE") in denied:
            warnings.append(f"user {user!r} may not DELETE on {rel}: a rollback would fail")
        if source is not None:
            src = srcs[i]
            if (src, "SELECT") in src_denied:
                raise PreflightError(
                    f"user {source.info.user!r} may not SELECT from source table {src}; grant "
                    "it or use a user who may"
                )
    row = target.execute(
        "select to_regnamespace('ormshift') is not null,"
        " has_database_privilege(current_database(), 'CREATE')"
    ).fetchone()
    assert row is not None
    if not row[0] and not row[1]:
        raise PreflightError(
            f"user {user!r} may not create the ledger schema 'ormshift' in the target database; "
            "grant CREATE on the database, or have an owner create the schema first"
        )
    return warnings


def extensions(source: psycopg.Connection, target: psycopg.Connection, plan: Plan) -> None:
    """Raise when a copied column's type comes from an extension the target lacks."""
    have = set(catalog.extensions(target))
    used: dict[str, list[str]] = {}
    for ext, column in catalog.extension_types(source, plan.schema, [t.name for t in plan.tables]):
        used.setdefault(ext, []).append(column)
    for ext, columns in sorted(used.items()):
        if ext not in have:
            raise PreflightError(
                f"source column {columns[0]} has a type from extension {ext!r}, which the "
                f"target database lacks; run CREATE EXTENSION {ext} on the target first"
            )


def disk_verdict(free: int, data: int) -> str | None:
    """None when ``free`` bytes hold ``data`` bytes comfortably; else what is wrong."""
    if free >= DISK_FACTOR * data:
        return None
    gib = 1024**3
    return (
        f"the target's disk has {free / gib:.1f} GiB free and the data is about "
        f"{data / gib:.1f} GiB (with indexes and WAL, about {DISK_FACTOR * data / gib:.1f} GiB)"
    )


def disk(target: psycopg.Connection, plan: Plan) -> list[str]:
    """When the target server is on this machine: refuse if the data cannot fit."""
    host = target.info.host or ""
    if host not in _LOCAL_HOSTS and not host.startswith("/"):
        return []
    try:
        row = target.execute("select current_setting('data_directory')").fetchone()
    except psycopg.Error:  # not allowed to read it: nothing to estimate against
        return []
    directory = str(row[0]) if row else ""
    if not directory or not os.path.isdir(directory):
        return []
    data = sum(t.est_bytes for t in plan.tables)
    problem = disk_verdict(psutil.disk_usage(directory).free, data)
    if problem is None:
        return []
    if psutil.disk_usage(directory).free < data:
        raise PreflightError(problem + "; free some space on the target first")
    return [problem + "; it may run out"]


def check(
    source: psycopg.Connection | None,
    target: psycopg.Connection,
    plan: Plan,
    *,
    truncate: bool,
) -> Sequence[str]:
    """Every check above; returns the warnings."""
    warnings = rights(source, target, plan, truncate=truncate)
    if source is not None:
        extensions(source, target, plan)
    warnings += disk(target, plan)
    return warnings
