"""Undo a run: delete exactly the key ranges its ledger records, restore its sequences.

Each ledger row is undone in its own target transaction, together with marking it
rolled back, so a rollback that is interrupted can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ormshift.dsn import connect
from ormshift.extract.database import reflect
from ormshift.transfer import constraints, ledger, sequences
from ormshift.transfer.errors import RunNotFound, TransferError
from ormshift.transfer.keyset import key_in, qualified, range_predicate
from ormshift.transfer.rejects import describe


@dataclass(frozen=True)
class RollbackReport:
    run_id: str
    deleted: dict[str, int]
    sequences_restored: int
    warnings: tuple[str, ...] = ()


def rollback(
    target_url: str, run_id: str, on_table: Callable[[str, int], None] | None = None
) -> RollbackReport:
    """Remove what run ``run_id`` wrote to the target, table by table, children first."""
    try:
        return _rollback(target_url, run_id, on_table)
    except psycopg.Error as exc:
        raise TransferError(f"the rollback of run {run_id} stopped: {describe(exc)}") from exc


def _rollback(
    target_url: str, run_id: str, on_table: Callable[[str, int], None] | None
) -> RollbackReport:
    with connect(target_url) as conn:
        run = ledger.find_run(conn, run_id)
        if run is None:
            raise RunNotFound(
                f"the target's ledger has no run {run_id!r}; check the id and the --target URL"
            )
        locked = conn.execute(
            "select pg_try_advisory_lock(hashtext('ormshift.run'), hashtext(%s))", [run_id]
        ).fetchone()
        if not (locked and locked[0]):
            raise TransferError(
                f"run {run_id} is being worked on by another process right now; stop it first"
            )
        planned = run.plan.get("tables", [])
        schemas = {str(t["schema"]) for t in planned} or {run.schema}
        reflected = {
            (s, t.name): t for s in schemas for t in reflect(conn, s).tables if t.kind == "table"
        }
        live = ledger.batches(conn, run_id, live_only=True)
        warnings: list[str] = []
        if run.options.get("truncate"):
            warnings.append(
                "the run truncated its tables first; rows deleted then are not restored"
            )
        deleted: dict[str, int] = {}
        constraints.drop_again(conn, run_id)
        for entry in reversed(planned):
            name, schema = str(entry["table"]), str(entry["schema"])
            tname = str(entry.get("target_table", name))
            planned_key = entry.get("target_key", entry["key"])
            table = reflected.get((schema, tname))
            if table is None:
                raise TransferError(f"the target has no table {tname!r} any more; cannot roll back")
            names = {c.name for c in table.columns}
            key = tuple(k for k in planned_key if k in names)
            if len(key) != len(planned_key):
                raise TransferError(
                    f"target table {tname!r} lost key columns {planned_key}; cannot roll back"
                )
            count = 0
            for batch in sorted((b for b in live if b.table == name), key=lambda b: -b.batch_no):
                where, params = range_predicate(key, batch.key_from, batch.key_to)
                if not key and run.options.get("append"):
                    raise TransferError(
                        f"table {name!r} has no key and the run appended to it; its rows cannot "
                        "be told apart, delete them by hand"
                    )
                if batch.rejected_keys:
                    cond, more = key_in(key, batch.rejected_keys)
                    where = sql.SQL("{} and not {}").format(where, cond)
                    params = [*params, *more]
                stmt = sql.SQL("delete from {} where {}").format(qualified(schema, tname), where)
                try:
                    with conn.transaction():
                        cur = conn.execute(stmt, params)
                        count += cur.rowcount
                        ledger.mark_rolled_back(conn, run_id, name, batch.batch_no)
                except psycopg.Error as exc:
                    raise TransferError(
                        f"cannot delete the rows run {run_id} wrote to {tname!r}: {describe(exc)};"
                        " fix that and run the rollback again (it continues where it stopped)"
                    ) from exc
            deleted[name] = count
            if on_table:
                on_table(name, count)
        constraints.restore(conn, run_id)
        saved = ledger.saved_sequences(conn, run_id)
        with conn.transaction():
            for seq, last_value, is_called in saved:
                sequences.restore(conn, seq, last_value, is_called)
            ledger.set_status(conn, run_id, "rolled back")
    return RollbackReport(run_id, deleted, len(saved), tuple(warnings))
