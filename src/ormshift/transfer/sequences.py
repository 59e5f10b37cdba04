"""Sequences and identity columns: set past the copied maximum, restored on rollback."""

from __future__ import annotations

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.transfer.keyset import qualified
from ormshift.transfer.plan import TablePlan


def _ident(conn: psycopg.Connection, seq: str) -> sql.Composed:
    return qualified(*catalog.relation_name(conn, seq))


def state(conn: psycopg.Connection, seq: str) -> tuple[int, bool]:
    """(last_value, is_called) of the sequence named by ``pg_get_serial_sequence``."""
    query = sql.SQL("select last_value, is_called from {}").format(_ident(conn, seq))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), bool(row[1])


def advance(conn: psycopg.Connection, table: TablePlan) -> None:
    """Set every sequence of ``table`` past the largest value now in its column."""
    for ref in table.sequences:
        query = sql.SQL("select max({c})::bigint from {t}").format(
            c=sql.Identifier(ref.column), t=qualified(table.schema, table.target)
        )
        row = conn.execute(query).fetchone()
        if row is None or row[0] is None:
            continue
        last, called = state(conn, ref.sequence)
        current = last if called else last - 1
        if int(row[0]) > current:
            conn.execute("select setval(%s::regclass, %s, true)", [ref.sequence, int(row[0])])


def restore(conn: psycopg.Connection, seq: str, last_value: int, is_called: bool) -> None:
    conn.execute("select setval(%s::regclass, %s, %s)", [seq, last_value, is_called])
