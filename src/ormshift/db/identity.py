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

_QUERY = """
select (select oid from pg_database where datname = current_database()),
       current_database(),
       pg_postmaster_start_time()::text
"""


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
    row = conn.execute(_QUERY).fetchone()
    assert row is not None
    return Identity(int(row[0]), str(row[1]), str(row[2]), _system_identifier(conn))


def _system_identifier(conn: psycopg.Connection) -> int | None:
    """The cluster's identifier, or None where this user may not read pg_control."""
    allowed = conn.execute(
        "select has_function_privilege('pg_control_system()', 'execute')"
    ).fetchone()
    if not (allowed and allowed[0]):
        return None
    row = conn.execute("select system_identifier from pg_control_system()").fetchone()
    return int(row[0]) if row else None


def same_database(a: psycopg.Connection, b: psycopg.Connection) -> bool:
    return identity(a).same_as(identity(b))
