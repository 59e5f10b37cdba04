"""Which database a connection reaches, told by the server, not by the URL's text.

``127.0.0.1`` and ``localhost``, a socket path, another user or a pooler in front all
reach the same database under different URLs. The server knows: its cluster's
``system_identifier`` (shared by its physical replicas, whose data *is* the primary's,
so they count as the same) when the user may read it, else the postmaster's start
time, which no two running clusters share; and the database's oid within it.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ormshift.db import catalog


@dataclass(frozen=True)
class Identity:
    database_oid: int
    database: str
    started: str
    system_identifier: int | None

    def same_as(self, other: Identity) -> bool:
        if self.database_oid != other.database_oid or self.database != other.database:
            return False
        if self.system_identifier is not None and other.system_identifier is not None:
            return self.system_identifier == other.system_identifier
        return self.started == other.started


def identity(conn: psycopg.Connection) -> Identity:
    """The server's own word on which database ``conn`` is connected to."""
    oid, name, started = catalog.database_identity(conn)
    return Identity(oid, name, started, catalog.system_identifier(conn))


def same_database(a: psycopg.Connection, b: psycopg.Connection) -> bool:
    return identity(a).same_as(identity(b))
