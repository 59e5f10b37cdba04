"""Each serial or identity column's sequence must hand out values above the column's max."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from ormshift.db.catalog import owned_sequences
from ormshift.verify.model import SequenceCheck


def check_sequences(
    conn: psycopg.Connection, schema: str, tables: Iterable[str]
) -> list[SequenceCheck]:
    """One check per sequence-owning column of ``tables`` (ascending sequences only)."""
    wanted = set(tables)
    out: list[SequenceCheck] = []
    for owned in owned_sequences(conn, schema):
        table, column, increment = owned.table, owned.column, owned.increment
        if table not in wanted or increment <= 0:
            continue
        ident = owned.identifier()
        state = conn.execute(sql.SQL("select last_value, is_called from {}").format(ident))
        row = state.fetchone()
        assert row is not None
        last, called = int(row[0]), bool(row[1])
        top = conn.execute(
            sql.SQL("select max({})::text from {}.{}").format(
                sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchone()
        highest = int(top[0]) if top and top[0] is not None else None
        out.append(
            SequenceCheck(
                table=table,
                column=column,
                sequence=f"{owned.schema}.{owned.name}",
                next_value=last + increment if called else last,
                max_value=highest,
            )
        )
    return out
