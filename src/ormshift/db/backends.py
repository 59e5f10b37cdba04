"""One backend per database engine, shared by transfer and verify: how to open a
connection, how to hold a consistent read snapshot, and what the engine can do, said as
data (`Capabilities`) so callers ask "can this source COPY?" rather than "is this
PostgreSQL?".

Each engine's SQL stays in its own module (`ormshift.db.catalog` for PostgreSQL,
`ormshift.db.mysql`, `ormshift.db.sqlite`); transfer's readers and verify's dialects
hold the backend they were made for, and
``tests/integration/test_db_backends.py`` checks each declaration against the real
servers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from ormshift import dsn
from ormshift.db import mysql, sqlite


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do as a source (or target) of a run."""

    copy: bool  # streams rows with COPY: batches whose key is read off the stream
    snapshots: bool  # reads can share one consistent read-only snapshot
    parallel_readers: bool  # several connections read key ranges of one table at once
    create_schema: bool  # its tables can be created on the target from its catalog
    schemas: bool  # a database holds schemas: a run names one of them
    catalog: bool  # PostgreSQL's catalog describes it (rights, extensions, server identity)
    transfer_source: bool  # ``ormshift migrate`` reads from it
    target: bool  # transfer writes to it and verify compares against it


@dataclass(frozen=True)
class Backend:
    name: str  # the engine, as `ormshift.dsn.engine_name` names it
    capabilities: Capabilities
    connect: Callable[[str], Any]  # a DB-API connection, or `ConnectionFailed`
    snapshot: Callable[[Any], None]  # from here on, reads see one consistent state


def _pg_snapshot(conn: psycopg.Connection) -> None:
    """Every transaction of ``conn`` from here on: one read-only repeatable-read snapshot."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True


POSTGRESQL = Backend(
    dsn.POSTGRESQL,
    Capabilities(
        copy=True,
        snapshots=True,
        parallel_readers=True,
        create_schema=True,
        schemas=True,
        catalog=True,
        transfer_source=True,
        target=True,
    ),
    dsn.connect,
    _pg_snapshot,
)
MYSQL = Backend(
    dsn.MYSQL,
    Capabilities(
        copy=False,
        snapshots=True,
        parallel_readers=False,
        create_schema=False,
        schemas=False,
        catalog=False,
        transfer_source=True,
        target=False,
    ),
    mysql.connect,
    mysql.snapshot,
)
SQLITE = Backend(
    dsn.SQLITE,
    Capabilities(
        copy=False,
        snapshots=True,
        parallel_readers=False,
        create_schema=False,
        schemas=False,
        catalog=False,
        transfer_source=False,
        target=False,
    ),
    sqlite.connect,
    sqlite.snapshot,
)
BACKENDS = {b.name: b for b in (POSTGRESQL, MYSQL, SQLITE)}


def backend_for(url: str) -> Backend:
    """The backend of ``url``'s engine by its scheme; PostgreSQL for any other (whose
    connection then says what is wrong with the URL)."""
    return BACKENDS.get(dsn.engine_name(url) or dsn.POSTGRESQL, POSTGRESQL)
