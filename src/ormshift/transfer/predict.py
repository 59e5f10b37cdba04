"""A refused batch copied straight to the target, the rows it will refuse set aside first.

`ormshift.transfer.classify` stages a whole refused batch on the target and inserts its
good rows from there: the batch is written twice. Here only what the target's
constraints read is staged (the columns its CHECKs, foreign keys and unique indexes
read, and whether some NOT NULL column is null, computed on the source), the
classifier's own predictions mark the rows to set aside, and the batch is streamed once
more from the source (the same snapshot): every other row goes straight into the
target by COPY, and the rows set aside are then sorted out by the classifier on their
own, with its reasons and its tries.

The outcome is the classifier's (and so bisection's): the predictions decide only what
is tried how. The rows set aside come after the rest of their batch, which changes
nothing only when no row of the batch shares a unique value with another and nothing
else makes the order matter (`Shape.ordered`: triggers, a foreign key to the same
table, ...); when some do, or the COPY of the other rows fails after all (a refusal
the predictions did not see), nothing is left written and the caller stages the batch
as before. A table where that happened is not tried this way again on that connection.
Binary COPY only (so the staged columns have the target's types); none of the rows is
held in memory but those set aside.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import psycopg
from psycopg import sql

from ormshift.transfer.classify import BAD, _predictions, _run, classify, create_tables
from ormshift.transfer.copy import copy_in, copy_out
from ormshift.transfer.copyout import HEADER, TRAILER
from ormshift.transfer.copyout import copy_out as read_copy
from ormshift.transfer.errors import ROW_ERRORS, TransferError
from ormshift.transfer.keyset import Key, order_by, qualified, range_predicate
from ormshift.transfer.plan import TablePlan, output_sql
from ormshift.transfer.shape import ORD, Shape

NARROW = sql.Identifier("pg_temp", "ormshift_narrow")
NULLS = sql.Identifier("ormshift_nulls")

_failed: WeakKeyDictionary[psycopg.Connection, set[tuple[str, str]]] = WeakKeyDictionary()


@dataclass(frozen=True)
class Predicted:
    written: int
    refused: list[tuple[int, str, str]]  # (position in the batch, message, detail)
    checksum: str  # of the batch's whole stream, as a clean batch's
    read_seconds: float
    write_seconds: float


def _read(table: TablePlan) -> dict[str, sql.Composable]:
    """What the source SELECT computes for each target column."""
    return {
        o.target: output_sql(o) if not o.plain else sql.Identifier(o.source or o.target)
        for o in table.outputs
    }


def _staged(shape: Shape) -> tuple[str, ...] | None:
    """The columns the constraints read, in the table's order; None when the shape
    does not allow this path."""
    if shape.ordered or any(c.enum for c in shape.columns):
        return None
    wanted = set(shape.check_columns)
    for fk in shape.foreign_keys:
        wanted.update(fk.columns)
    for u in shape.uniques:
        wanted.update(u.columns)
    names = {c.name for c in shape.columns}
    if not wanted <= names:
        return None  # a CHECK reads a column the run does not copy (its default)
    return tuple(c.name for c in shape.columns if c.name in wanted)


def predicted_batch(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
    shape: Shape,
    fresh: bool,
) -> Predicted | None:
    """(lo, hi] loaded as described above, inside the caller's transactions; None (and
    nothing written) when it cannot be."""
    done = _failed.setdefault(target, set())
    name = (table.schema, table.target)
    staged = _staged(shape)
    if not table.binary or not table.key or staged is None or name in done:
        return None
    t0 = time.perf_counter()
    aside = _predict(source, target, table, source_schema, lo, hi, shape, fresh, staged)
    if aside is None:
        done.add(name)
        return None
    digest = hashlib.sha1(usedforsecurity=False)
    out_query, params = copy_out(table, source_schema, lo, hi)
    kept: list[bytes] = []
    try:
        with target.transaction():
            with target.cursor() as cur:
                with (
                    cur.copy(copy_in(table)) as sink,
                    read_copy(source, out_query, params, binary=True) as stream,
                ):
                    for chunk in stream.split(frozenset(aside), kept, digest):
                        sink.write(chunk)
                total = stream.rows
                good = cur.rowcount
            read = time.perf_counter()
            if good + len(kept) != total or len(kept) != len(aside):
                raise TransferError(
                    f"table {table.name!r}: the batch after {lo} sent {total} rows, "
                    f"{good} written and {len(kept)} set aside of {len(aside)}; the batch "
                    "was rolled back"
                )
            written, refused = good, []
            if kept:
                rest = HEADER + bytes(8) + b"".join(kept) + TRAILER
                result = classify(target, shape, True, lambda s: s.write(rest), fresh=fresh)
                written += result.written
                refused = [(aside[i], m, d) for i, m, d in result.refused]
    except ROW_ERRORS:
        done.add(name)
        return None
    return Predicted(written, refused, digest.hexdigest(), read - t0, time.perf_counter() - read)


def _predict(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
    shape: Shape,
    fresh: bool,
    staged: tuple[str, ...],
) -> list[int] | None:
    """Positions (0-based, key order) of the rows to set aside; None when a row shares
    a unique value with another of the batch (or a prediction could not run)."""
    create_tables(target, shape, True)
    by_name = {c.name: c for c in shape.columns}
    reads = _read(table)
    target.execute(
        sql.SQL(
            "drop table if exists {n}; create temp table {n} ({o} int generated always as"
            " identity, {cols}{sep}{nulls} boolean) on commit drop"
        ).format(
            n=NARROW,
            o=sql.Identifier(ORD),
            cols=sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(by_name[c].fmt)) for c in staged
            ),
            sep=sql.SQL(", " if staged else ""),
            nulls=NULLS,
        )
    )
    not_null = [reads[c.name] for c in shape.columns if c.not_null and c.name in reads]
    where, params = range_predicate(table.key, lo, hi)
    narrow = sql.SQL(
        "copy (select {cols}{sep}{nulls} from {t} s where {w} order by {o}) to stdout"
        " (format binary)"
    ).format(
        cols=sql.SQL(", ").join(reads[c] for c in staged),
        sep=sql.SQL(", " if staged else ""),
        nulls=sql.SQL("num_nulls({}) > 0").format(sql.SQL(", ").join(not_null))
        if not_null
        else sql.SQL("false"),
        t=qualified(source_schema, table.name),
        w=where,
        o=order_by(table.key, alias="s"),
    )
    into = sql.SQL("copy {} ({}{}{}) from stdin (format binary)").format(
        NARROW,
        sql.SQL(", ").join(sql.Identifier(c) for c in staged),
        sql.SQL(", " if staged else ""),
        NULLS,
    )
    with target.cursor().copy(into) as sink, read_copy(source, narrow, params, binary=True) as s:
        for chunk in s:
            sink.write(chunk)
    block = sql.SQL(
        """
declare safe boolean := false;
begin
  set local jit = off;
  {predictions}
  perform set_config('ormshift.safe', safe::text, true);
end"""
    ).format(predictions=sql.Composed(_predictions(shape, NARROW, fresh, NULLS)))
    _run(target, block)
    row = target.execute("select current_setting('ormshift.safe')").fetchone()
    marked = target.execute(
        sql.SQL("select {}, single from {} order by 1").format(sql.Identifier(ORD), BAD)
    ).fetchall()
    if (row is not None and row[0] == "true") or any(single for _, single in marked):
        return None
    return [int(o) - 1 for o, _ in marked]
