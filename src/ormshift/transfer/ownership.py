"""Which rows inside a batch's key range the run wrote, and which the target already had.

A batch is recorded as a key range ``(lo, hi]``. When the run appends to a table that
already has rows, some of those rows can sit inside the range without colliding with a
source key (the source has a gap where the target has a row). Rollback must leave them,
so the batch records them, inside its own transaction, right after it wrote its rows:

* count the target's rows in the range; equal to the rows written means none were there;
* otherwise the keys in the range minus the keys written: the written keys are known
  exactly when rows were refused (the reject path lists them), and otherwise every row
  the batch wrote came from one COPY in one subtransaction, so they share one ``xmin``
  (read off the batch's last row, which the batch wrote), and any other ``xmin`` in the
  range is a row the batch did not write.

A batch sorted out on the target (the reject path) reads the keys already in its range
before it writes anything (`keyset.keys_in_range`): the target's own rows, exactly.

Rollback deletes ``range - preexisting - rejected`` and first checks, per batch, that
this matches no more rows than the batch wrote (rows added to the range later by
someone else make it refuse rather than guess).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import (
    Key,
    key_in,
    keys_in_range,
    qualified,
    range_predicate,
    text_key,
)
from ormshift.transfer.plan import TablePlan


def preexisting_keys(
    conn: psycopg.Connection,
    table: TablePlan,
    lo: Key | None,
    hi: Key | None,
    written: int,
    written_keys: Sequence[Key] | None,
) -> list[Key]:
    """Keys in ``(lo, hi]`` of ``table`` on the target that this batch did not write (see
    above).

    Call inside the batch's target transaction, after its rows are written."""
    key = table.target_key
    if not key or hi is None:
        return []
    where, params = range_predicate(key, lo, hi)
    target = qualified(table.schema, table.target)
    counted = conn.execute(
        sql.SQL("select count(*) from {} where {}").format(target, where), params
    )
    row = counted.fetchone()
    if row is not None and int(row[0]) == written:
        return []
    if written_keys is not None:
        ours = set(written_keys)
        found = keys_in_range(conn, table.schema, table.target, key, lo, hi)
        return sorted(k for k in found if k not in ours)
    cond, hi_params = key_in(key, [hi])
    mark = conn.execute(
        sql.SQL("select {t}.xmin::text from {t} where {c}").format(t=target, c=cond), hi_params
    ).fetchone()
    if mark is None:
        raise TransferError(
            f"table {table.target!r}: the batch's last row {hi} is not on the target after the "
            "batch; cannot record which rows it wrote (is a trigger or rule rewriting the inserts?)"
        )
    query = sql.SQL("select {k} from {t} where {w} and not ({t}.xmin = %s::xid)").format(
        k=text_key(key), t=target, w=where
    )
    rows = conn.execute(query, [*params, mark[0]]).fetchall()
    return sorted(tuple(str(v) for v in r) for r in rows)
