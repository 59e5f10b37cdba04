"""One backend per database engine, shared by transfer and verify: how to open a
connection, how to hold a consistent read snapshot, and what the engine can do, said as
data (`Can`) so callers ask "can this source COPY?" rather than "is this
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
from enum import StrEnum
from typing import Any

import psycopg

from ormshift import dsn
from ormshift.db import mysql, sqlite


class Can(StrEnum):
    """What an engine can do as a source (or target) of a run."""

    COPY = "copy"  # streams rows with COPY: batches whose key is read off the stream
    SNAPSHOTS = "snapshots"  # reads can share one consistent read-only snapshot
    PARALLEL_READERS = "parallel readers"  # several connections read key ranges at once
    CREATE_SCHEMA = "create schema"  # its tables can be created on the target from its catalog
    SCHEMAS = "schemas"  # a database holds schemas: a run names one of them
    CATALOG = "catalog"  # PostgreSQL's catalog describes it (rights, extensions, identity)
    TRANSFER_SOURCE = "transfer source"  # ``ormshift migrate`` reads from it
    TARGET = "target"  # transfer writes to it and verify compares against it


@dataclass(frozen=True)
class Backend:
    name: str  # the engine, as `ormshift.dsn.engine_name` names it
    capabilities: frozenset[Can]
    connect: Callable[[str], Any]  # a DB-API connection, or `ConnectionFailed`
    snapshot: Callable[[Any], None]  # from here on, reads see one consistent state

    def can(self, what: Can) -> bool:
        return what in self.capabilities


def _pg_snapshot(conn: psycopg.Connection) -> None:
    """Every transaction of ``conn`` from here on: one read-only repeatable-read snapshot."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True


POSTGRESQL = Backend(dsn.POSTGRESQL, frozenset(Can), dsn.connect, _pg_snapshot)
MYSQL = Backend(
    dsn.MYSQL, frozenset({Can.SNAPSHOTS, Can.TRANSFER_SOURCE}), mysql.connect, mysql.snapshot
)
SQLITE = Backend(dsn.SQLITE, frozenset({Can.SNAPSHOTS}), sqlite.connect, sqlite.snapshot)
BACKENDS = {b.name: b for b in (POSTGRESQL, MYSQL, SQLITE)}


def backend_for(url: str) -> Backend:
    """The backend of ``url``'s engine by its scheme; PostgreSQL for any other (whose
    connection then says what is wrong with the URL)."""
    return BACKENDS.get(dsn.engine_name(url) or dsn.POSTGRESQL, POSTGRESQL)


def engines(what: Can) -> tuple[str, ...]:
    """The engines that can do ``what``, as `ormshift.dsn.check_url` takes them."""
    return tuple(name for name, b in BACKENDS.items() if b.can(what))
