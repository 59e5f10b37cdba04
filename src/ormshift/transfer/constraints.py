"""Foreign keys in a cycle: dropped on the target before the data, added back after.

The drop is recorded in the ledger in the same transaction, so a run killed in between
(or rolled back) still knows what to add back; adding back validates every row.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from ormshift.transfer import ledger
from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import qualified
from ormshift.transfer.plan import DeferredConstraint
from ormshift.transfer.rejects import describe


def drop(conn: psycopg.Connection, run_id: str, constraint: DeferredConstraint) -> None:
    """Drop ``constraint`` and remember it; call inside the run's creation transaction."""
    ledger.save_constraint(
        conn, run_id, constraint.schema, constraint.table, constraint.name, constraint.definition
    )
    conn.execute(
        sql.SQL("alter table {} drop constraint {}").format(
            qualified(constraint.schema, constraint.table), sql.Identifier(constraint.name)
        )
    )


def drop_again(conn: psycopg.Connection, run_id: str) -> None:
    """Drop once more the constraints the run added back (a rollback deletes across a cycle)."""
    with conn.transaction():
        for schema, table, name in ledger.restored_constraints(conn, run_id):
            conn.execute(
                sql.SQL("alter table {} drop constraint if exists {}").format(
                    qualified(schema, table), sql.Identifier(name)
                )
            )
            ledger.mark_constraint_dropped(conn, run_id, schema, table, name)


def restore(conn: psycopg.Connection, run_id: str) -> list[str]:
    """Add back every constraint the run dropped, in one transaction; their names."""
    pending = ledger.pending_constraints(conn, run_id)
    if not pending:
        return []
    try:
        with conn.transaction():
            for schema, table, name, definition in pending:
                conn.execute(
                    sql.SQL("alter table {} add constraint {} {}").format(
                        qualified(schema, table), sql.Identifier(name), sql.SQL(definition)
                    )
                )
                ledger.mark_constraint_restored(conn, run_id, schema, table, name)
    except psycopg.Error as exc:
        raise TransferError(
            f"adding back the foreign keys dropped for the transfer failed: {describe(exc)}; "
            f"fix the rows on the target and run again with --resume {run_id}"
        ) from exc
    return [f"{t}.{n}" for _, t, n, _ in pending]
