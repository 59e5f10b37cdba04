"""Foreign keys in a cycle (and, with --defer-indexes, every foreign key and secondary
index of the planned tables): dropped on the target before the data, added back after.

The drop is recorded in the ledger in the same transaction, so a run killed in between
(or rolled back) still knows what to add back; adding back validates every row. An
index is recorded with its whole ``CREATE INDEX`` statement (``pg_get_indexdef``) as its
definition; unique indexes and those behind constraints stay, as they decide which rows
are rejected.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.transfer import ledger
from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import qualified
from ormshift.transfer.plan import DeferredConstraint
from ormshift.transfer.rejects import describe


def is_index(definition: str) -> bool:
    return definition.upper().startswith("CREATE ")


def for_load(conn: psycopg.Connection, schema: str, tables: list[str]) -> list[DeferredConstraint]:
    """Foreign keys and secondary (non-unique, constraint-free) indexes of ``tables``."""
    out = [
        DeferredConstraint(schema, fk.table, fk.name, fk.definition)
        for fk in catalog.foreign_keys(conn, schema, tables)
    ]
    out += [
        DeferredConstraint(schema, ix.table, ix.name, ix.definition)
        for ix in catalog.secondary_indexes(conn, schema, tables)
    ]
    return out


def _drop_sql(schema: str, table: str, name: str, definition: str) -> sql.Composed:
    if is_index(definition):
        return sql.SQL("drop index if exists {}").format(qualified(schema, name))
    return sql.SQL("alter table {} drop constraint if exists {}").format(
        qualified(schema, table), sql.Identifier(name)
    )


def drop(conn: psycopg.Connection, run_id: str, constraint: DeferredConstraint) -> None:
    """Drop ``constraint`` and remember it; call inside the run's creation transaction."""
    ledger.save_constraint(
        conn, run_id, constraint.schema, constraint.table, constraint.name, constraint.definition
    )
    conn.execute(
        _drop_sql(constraint.schema, constraint.table, constraint.name, constraint.definition)
    )


def drop_again(conn: psycopg.Connection, run_id: str) -> None:
    """Drop once more the constraints the run added back (a rollback deletes across a cycle)."""
    with conn.transaction():
        for schema, table, name, definition in ledger.restored_constraints(conn, run_id):
            conn.execute(_drop_sql(schema, table, name, definition))
            ledger.mark_constraint_dropped(conn, run_id, schema, table, name)


def restore(conn: psycopg.Connection, run_id: str) -> list[str]:
    """Add back every constraint the run dropped, in one transaction; their names."""
    # indexes first: a foreign key validates faster with them in place
    pending = sorted(ledger.pending_constraints(conn, run_id), key=lambda p: not is_index(p[3]))
    if not pending:
        return []
    try:
        with conn.transaction():
            for schema, table, name, definition in pending:
                if is_index(definition):
                    conn.execute(sql.SQL(definition))
                else:
                    conn.execute(
                        sql.SQL("alter table {} add constraint {} {}").format(
                            qualified(schema, table), sql.Identifier(name), sql.SQL(definition)
                        )
                    )
                ledger.mark_constraint_restored(conn, run_id, schema, table, name)
    except psycopg.Error as exc:
        raise TransferError(
            "adding back the foreign keys and indexes dropped for the transfer failed: "
            f"{describe(exc)}; "
            f"fix the rows on the target and run again with --resume {run_id}"
        ) from exc
    return [f"{t}.{n}" for _, t, n, _ in pending]
