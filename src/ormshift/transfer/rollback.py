"""Undo a run: delete exactly the rows its batches wrote, restore its sequences.

A batch's rows are its key range ``(key_from, key_to]`` less the keys it rejected and
the keys the target already had inside that range (recorded by the batch, see
`ownership`). Everything happens in one target transaction, tables children first:
either the whole run is undone, or nothing is. Before it deletes, every batch is
checked: if its range (less those keys) now holds more rows than the batch wrote,
somebody else has written there since, and the rollback refuses instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ormshift.dsn import connect
from ormshift.extract.database import reflect
from ormshift.transfer import claims, constraints, ledger, sequences
from ormshift.transfer.errors import RunNotFound, TransferError
from ormshift.transfer.keyset import Key, qualified, range_predicate
from ormshift.transfer.ledger import Batch, Run, RunStatus
from ormshift.transfer.rejects import describe


@dataclass(frozen=True)
class RollbackReport:
    run_id: str
    deleted: dict[str, int]
    sequences_restored: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Table:
    """One planned table as the rollback sees it on the target."""

    name: str  # the source table: ledger rows use it
    schema: str
    target: str
    key: tuple[str, ...]
    batches: tuple[Batch, ...]

    @property
    def kept(self) -> list[Key]:
        """Keys inside the batches' ranges that are not the run's rows."""
        keys: set[Key] = set()
        for b in self.batches:
            keys.update(b.rejected_keys)
            keys.update(b.preexisting_keys or ())
        return sorted(keys)


def rollback(
    target_url: str, run_id: str, on_table: Callable[[str, int], None] | None = None
) -> RollbackReport:
    """Remove what run ``run_id`` wrote to the target, children first, in one transaction."""
    try:
        return _rollback(target_url, run_id, on_table)
    except psycopg.Error as exc:
        raise TransferError(
            f"the rollback of run {run_id} stopped and changed nothing: {describe(exc)}"
        ) from exc


def _rollback(
    target_url: str, run_id: str, on_table: Callable[[str, int], None] | None
) -> RollbackReport:
    with connect(target_url) as conn:
        ledger.check_version(conn)
        run = ledger.find_run(conn, run_id)
        if run is None:
            raise RunNotFound(
                f"the target's ledger has no run {run_id!r}; check the id and the --target URL"
            )
        ledger.upgrade(conn)
        locked = conn.execute(
            "select pg_try_advisory_lock(hashtext('ormshift.run'), hashtext(%s))", [run_id]
        ).fetchone()
        if not (locked and locked[0]) or not claims.no_workers(conn, run_id):
            raise TransferError(
                f"run {run_id} is being worked on by another process right now; stop it "
                "(and every process that joined it) first"
            )
        tables = _tables(conn, run)
        if run.status is RunStatus.ROLLED_BACK:
            return RollbackReport(
                run_id,
                {t.name: 0 for t in reversed(tables)},
                0,
                ("the run was rolled back already",),
            )
        warnings: list[str] = []
        if run.options.get("truncate"):
            warnings.append(
                "the run truncated its tables first; rows deleted then are not restored"
            )
        deleted: dict[str, int] = {}
        with conn.transaction():
            constraints.drop_again(conn, run_id)
            for table in reversed(tables):
                deleted[table.name] = _delete(conn, run_id, table, warnings)
            _restore_constraints(conn, run_id)
            saved = ledger.saved_sequences(conn, run_id)
            for seq, last_value, is_called in saved:
                sequences.restore(conn, seq, last_value, is_called)
            ledger.set_status(conn, run_id, RunStatus.ROLLED_BACK)
    if on_table:
        for name, count in deleted.items():
            on_table(name, count)
    return RollbackReport(run_id, deleted, len(saved), tuple(warnings))


def _tables(conn: psycopg.Connection, run: Run) -> list[_Table]:
    """The run's planned tables with their live batches; refuses what it cannot undo."""
    planned: list[dict[str, Any]] = run.plan.get("tables", [])
    schemas = {str(t["schema"]) for t in planned} or {run.schema}
    reflected = {
        (s, t.name): t for s in schemas for t in reflect(conn, s).tables if t.kind == "table"
    }
    live = ledger.batches(conn, run.run_id, live_only=True)
    appended = bool(run.options.get("append"))
    out: list[_Table] = []
    for entry in planned:
        name, schema = str(entry["table"]), str(entry["schema"])
        tname = str(entry.get("target_table", name))
        planned_key = tuple(str(k) for k in entry.get("target_key", entry["key"]))
        batches = tuple(sorted((b for b in live if b.table == name), key=lambda b: b.batch_no))
        table = reflected.get((schema, tname))
        if table is None:
            if not batches:
                continue
            raise TransferError(
                f"the target has no table {tname!r} any more; cannot roll back run {run.run_id}"
            )
        names = {c.name for c in table.columns}
        if any(k not in names for k in planned_key):
            raise TransferError(
                f"target table {tname!r} lost key columns {list(planned_key)}; cannot roll back"
            )
        if batches and appended and not planned_key:
            raise TransferError(
                f"table {name!r} has no key and the run appended to it; its rows cannot be "
                "told apart from the rows it had, so nothing was rolled back: delete them by hand"
            )
        if batches and appended and any(b.preexisting_keys is None for b in batches):
            raise TransferError(
                f"run {run.run_id} appended to {name!r} with an older ormshift that did not record "
                "which keys the target already had, so its rows cannot be told apart exactly; "
                "nothing was rolled back"
            )
        out.append(_Table(name, schema, tname, planned_key, batches))
    return out


def _delete(conn: psycopg.Connection, run_id: str, table: _Table, warnings: list[str]) -> int:
    """Delete ``table``'s run rows in one statement (self-references stay consistent)."""
    if not table.batches:
        return 0
    target = qualified(table.schema, table.target)
    keep = _keep_table(conn, table)
    written = 0
    for b in table.batches:
        where, bparams = _batch_rows(table, b, keep)
        row = conn.execute(
            sql.SQL("select count(*) from {} as t where {}").format(target, where), bparams
        ).fetchone()
        found = int(row[0]) if row else 0
        if found > b.rows_written:
            raise TransferError(
                f"table {table.target!r}: the key range of run {run_id}'s batch {b.batch_no} "
                f"now holds {found} rows, but the batch wrote {b.rows_written}; rows were added "
                "there after the run, so nothing was rolled back (delete the run's rows by hand, "
                "or remove the newer rows first)"
            )
        written += b.rows_written
    ranges: list[sql.Composable] = []
    params: list[str] = []
    for lo, hi in _ranges(table.batches):
        where, more = range_predicate(table.key, lo, hi)
        ranges.append(sql.SQL("({})").format(where))
        params.extend(more)
    stmt = sql.SQL("delete from {} as t where ({}){}").format(
        target, sql.SQL(" or ").join(ranges), _not_kept(table, keep)
    )
    count = conn.execute(stmt, params).rowcount
    if count < written:
        warnings.append(
            f"{table.target}: {written - count} of the {written} rows the run wrote were gone "
            "already (deleted since the run)"
        )
    for b in table.batches:
        ledger.mark_rolled_back(conn, run_id, table.name, b.batch_no)
    return count


def _ranges(batches: Sequence[Batch]) -> list[tuple[Key | None, Key | None]]:
    """The batches' key ranges, adjacent ones merged (a part's batches chain up)."""
    out: list[tuple[Key | None, Key | None]] = []
    for b in batches:
        if out and out[-1][1] is not None and out[-1][1] == b.key_from:
            out[-1] = (out[-1][0], b.key_to)
        else:
            out.append((b.key_from, b.key_to))
    return out


def _keep_table(conn: psycopg.Connection, table: _Table) -> sql.Identifier | None:
    """A temporary table of the keys to keep, typed like the target's key columns."""
    kept = table.kept
    if not kept or not table.key:
        return None
    name = sql.Identifier("ormshift_keep")
    conn.execute(sql.SQL("drop table if exists {}").format(name))
    conn.execute(
        sql.SQL(
            "create temporary table {} on commit drop as select {} from {} with no data"
        ).format(
            name,
            sql.SQL(", ").join(sql.Identifier(k) for k in table.key),
            qualified(table.schema, table.target),
        )
    )
    with conn.cursor().copy(sql.SQL("copy {} from stdin").format(name)) as copy:
        for key in kept:
            copy.write_row(key)
    return name


def _not_kept(table: _Table, keep: sql.Identifier | None) -> sql.Composable:
    if keep is None:
        return sql.SQL("")
    same = sql.SQL(" and ").join(
        sql.SQL("k.{c} = t.{c}").format(c=sql.Identifier(c)) for c in table.key
    )
    return sql.SQL(" and not exists (select 1 from {} as k where {})").format(keep, same)


def _batch_rows(
    table: _Table, batch: Batch, keep: sql.Identifier | None
) -> tuple[sql.Composable, list[str]]:
    where, params = range_predicate(table.key, batch.key_from, batch.key_to)
    return sql.SQL("({}){}").format(where, _not_kept(table, keep)), params


def _restore_constraints(conn: psycopg.Connection, run_id: str) -> None:
    try:
        constraints.restore(conn, run_id)
    except TransferError as exc:
        cause = exc.__cause__
        why = describe(cause) if isinstance(cause, psycopg.Error) else str(exc)
        raise TransferError(
            "the rollback changed nothing: adding back the constraints the run had dropped "
            f"failed ({why}); fix the rows on the target and roll back again"
        ) from exc
