"""A refused batch copied straight to the target, the rows it will refuse set aside first.

`ormshift.transfer.classify` stages a whole refused batch on the target and inserts its
good rows from there: the batch is written twice. Here the rows the target will refuse
are predicted first, and the batch is streamed once more from the source (the same
snapshot): every other row goes straight into the target by COPY, and the rows set
aside are then sorted out by the classifier on their own, with its reasons and its
tries (their keys and JSON, for the rejects, read from the source meanwhile).

The predictions: when only a row's own values can make the target refuse it (NOT NULL
and CHECKs: no foreign key, no unique value to look up), the source evaluates the
target's CHECK expressions on the values it sends and lists the rows (in a savepoint;
where it cannot, the target does it, for that table from then on). Otherwise only what
the target's constraints read is staged on the target (the columns its CHECKs, foreign
keys and unique indexes read, and whether some NOT NULL column is null, computed on the
source), and the classifier's own predictions mark the rows. A text COPY (columns whose
source type differs from the target's) also sets aside the rows whose text of a column
the target parses into another type does not look like that type: tested by the source
on its text of the values when the rest is predicted there (one query, nothing staged),
else staged as text with the narrow copy; the others must then parse (one that does not
fails the COPY); its constraints must read only columns of the same type on both sides.

The outcome is the classifier's (and so bisection's): the predictions decide only what
is tried how. A row predicted wrongly as refused is written by the classifier; one
predicted wrongly as good fails the COPY. The rows set aside come after the rest of
their batch, which changes nothing only when no row of the batch shares a unique value
with another and nothing else makes the order matter (`Shape.ordered`: triggers, a
foreign key to the same table, ...); when some do, or the COPY of the other rows fails
after all, nothing is left written and the caller stages the batch as before. A table
where that happened is not tried this way again on that connection. None of the rows
is held in memory but those set aside.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.transfer.classify import (
    _ROW_ERRORS,
    BAD,
    _held_uniques,
    _looks_valid,
    _predictions,
    _run,
    classify,
    create_marks,
)
from ormshift.transfer.copy import Span, copy_in, copy_out
from ormshift.transfer.copyout import HEADER, TRAILER
from ormshift.transfer.copyout import copy_out as read_copy
from ormshift.transfer.errors import ROW_ERRORS, TransferError
from ormshift.transfer.keyset import Key, order_by, qualified, range_predicate
from ormshift.transfer.plan import TablePlan, output_sql
from ormshift.transfer.shape import ORD, Column, Shape
from ormshift.transfer.sourcerows import RawJson, rows_at

NARROW = sql.Identifier("pg_temp", "ormshift_narrow")
#: target types any text parses into
_ANY_TEXT = frozenset(("text", "character varying"))
_LENGTH_TYPES = ("character varying(", "character(", "bit varying(", "bit(")
NULLS = sql.Identifier("ormshift_nulls")

_failed: WeakKeyDictionary[psycopg.Connection, set[tuple[str, str]]] = WeakKeyDictionary()
#: the source's columns of built-in types, with their types (format_type), per table
_source_types: WeakKeyDictionary[psycopg.Connection, dict[tuple[str, str], dict[str, str]]] = (
    WeakKeyDictionary()
)
#: tables whose CHECKs the source could not evaluate (they are then on the target)
_remote: WeakKeyDictionary[psycopg.Connection, set[tuple[str, str]]] = WeakKeyDictionary()
#: what evaluating a target's CHECK on the source can raise (a function it does not have,
#: a value it does not take): the prediction is then made on the target
_SOURCE_ERRORS: tuple[type[psycopg.Error], ...] = (
    psycopg.ProgrammingError,
    psycopg.DataError,
    psycopg.NotSupportedError,
    psycopg.IntegrityError,
)


@dataclass(frozen=True)
class Predicted:
    written: int
    refused: list[tuple[int, str, str]]  # (position in the batch, message, detail)
    checksum: str  # of the batch's whole stream, as a clean batch's
    read_seconds: float
    write_seconds: float
    #: the rows set aside as the source has them (position, key, JSON), in key order
    held: list[tuple[int, Key, RawJson]]


def _read(table: TablePlan) -> dict[str, sql.Composable]:
    """What the source SELECT computes for each target column."""
    return {
        o.target: output_sql(o) if not o.plain else sql.Identifier(o.source or o.target)
        for o in table.outputs
    }


def _staged(shape: Shape, fresh: bool) -> tuple[str, ...] | None:
    """The columns the constraints read, in the table's order (not those of a unique
    index holding the batch's key, when nothing is looked up under it: ``fresh``);
    None when the shape does not allow this path."""
    if shape.ordered or any(c.enum for c in shape.columns):
        return None
    wanted = set(shape.check_columns)
    for fk in shape.foreign_keys:
        wanted.update(fk.columns)
    key = set(shape.unique_key)
    for u in shape.uniques:
        if not (fresh and key and set(u.columns) >= key):
            wanted.update(u.columns)
    names = {c.name for c in shape.columns}
    if not wanted <= names:
        return None  # a CHECK reads a column the run does not copy (its default)
    return tuple(c.name for c in shape.columns if c.name in wanted)


def _local(shape: Shape, fresh: bool) -> bool:
    """Only a row's own values can make the target refuse it (NOT NULL, CHECKs): no
    foreign key, and no unique value to look up on the target or within the batch."""
    if shape.foreign_keys or _held_uniques(shape, fresh):
        return False
    key = set(shape.unique_key)
    return all(key and set(u.columns) >= key for u in shape.uniques)


def _predict_on_source(span: Span, shape: Shape, casts: tuple[str, ...] = ()) -> list[int] | None:
    """Positions (0-based, key order) of the rows with a NULL in a NOT NULL column or a
    false CHECK, the target's CHECK expressions evaluated by the source on the values it
    sends (in a savepoint); None when they cannot be. ``casts``: columns of a text COPY
    the target parses into another type; the rows whose text of one of them does not
    look like the type (`_looks_valid`, on the source's text of the value) are listed
    too. A source that judges a row otherwise changes only how the row is tried: a row
    it misses fails the COPY (the batch is then staged whole), a row it holds back is
    sorted out by the classifier."""
    source, _, table, source_schema, lo, hi = span
    reads = _read(table)
    by_name = {c.name: c for c in shape.columns}
    not_null = [reads[c.name] for c in shape.columns if c.not_null and c.name in reads]
    conds: list[sql.Composable] = [sql.SQL("s.{}").format(NULLS)] if not_null else []
    conds += [sql.SQL("not coalesce(({}), true)").format(sql.SQL(x)) for _, x in shape.checks]
    for c in casts:
        looks = _looks_valid(by_name[c])
        assert looks is not None  # `predicted_batch` takes no cast column without a test
        conds.append(sql.SQL("not coalesce({}, true)").format(looks))
    if not conds:
        return []
    where, params = range_predicate(table.key, lo, hi)
    cols = [sql.SQL("{} as {}").format(reads[c], sql.Identifier(c)) for c in shape.check_columns]
    cols += [sql.SQL("({})::text as {}").format(reads[c], sql.Identifier(c)) for c in casts]
    if not_null:
        cols.append(sql.SQL("num_nulls({}) > 0 as {}").format(sql.SQL(", ").join(not_null), NULLS))
    query = sql.SQL(
        "select s.{o} - 1 from (select row_number() over (order by {k}) as {o}{cols}"
        " from {t} s where {w}) s where {conds} order by 1"
    ).format(
        o=sql.Identifier(ORD),
        k=order_by(table.key, alias="s"),
        cols=sql.Composed([sql.SQL(", {}").format(c) for c in cols]),
        t=qualified(source_schema, table.name),
        w=where,
        conds=sql.SQL(" or ").join(conds),
    )
    try:
        with source.transaction():
            return [int(r[0]) for r in source.execute(query, params).fetchall()]
    except _SOURCE_ERRORS:
        return None


def _cast_columns(
    source: psycopg.Connection, table: TablePlan, source_schema: str, shape: Shape
) -> tuple[str, ...]:
    """Of a text COPY's columns, those the target parses into another type than the
    source's (or computed by the SELECT): their values may not parse."""
    per_conn = _source_types.setdefault(source, {})
    if (source_schema, table.name) not in per_conn:
        rel = qualified(source_schema, table.name).as_string(source)
        per_conn[(source_schema, table.name)] = catalog.column_formats(
            source, rel, builtin_only=True
        )
    types = per_conn[(source_schema, table.name)]
    by_name = {c.name: c for c in shape.columns}
    return tuple(
        o.target
        for o in table.outputs
        if (not o.plain or o.source is None or types.get(o.source) != by_name[o.target].fmt)
        and by_name[o.target].fmt not in _ANY_TEXT
    )


def predicted_batch(span: Span, shape: Shape, fresh: bool) -> Predicted | None:
    """``span`` loaded as described above, inside the caller's transactions; None (and
    nothing written) when it cannot be."""
    source, target, table, source_schema, lo, hi = span
    done = _failed.setdefault(target, set())
    name = (table.schema, table.target)
    staged = _staged(shape, fresh)
    if not table.key or staged is None or name in done:
        return None
    casts: tuple[str, ...] = ()
    if not table.binary:
        casts = _cast_columns(source, table, source_schema, shape)
        by_name = {c.name: c for c in shape.columns}
        if set(casts) & set(staged) or any(_looks_valid(by_name[c]) is None for c in casts):
            done.add(name)  # constraints on parsed values, or no test of a value: staged
            return None
    t0 = time.perf_counter()
    aside = None
    remote = _remote.setdefault(source, set())
    if _local(shape, fresh) and name not in remote:
        aside = _predict_on_source(span, shape, casts)
        if aside is None:
            remote.add(name)
    try:
        if aside is None:
            with target.transaction():
                aside = _predict(span, shape, fresh, staged, casts)
    except ROW_ERRORS:  # a staged value the target does not take, a test let one through
        aside = None
    if aside is None:
        done.add(name)
        return None
    digest = hashlib.sha1(usedforsecurity=False)
    out_query, params = copy_out(table, source_schema, lo, hi)
    kept: list[bytes] = []
    # the rows set aside are read from the source (their keys and JSON, for the rejects)
    # while the target sorts them out: the source is idle by then
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            with target.transaction():
                with target.cursor() as cur:
                    with cur.copy(copy_in(table)) as sink:
                        with read_copy(source, out_query, params, binary=table.binary) as stream:
                            for chunk in stream.split(frozenset(aside), kept, digest):
                                sink.write(chunk)
                        held = pool.submit(rows_at, span, aside)
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
                    rest = b"".join(kept)
                    if table.binary:
                        rest = HEADER + bytes(8) + rest + TRAILER
                    result = classify(
                        target,
                        shape,
                        table.binary,
                        lambda s: s.write(rest),
                        fresh=fresh,
                        probe=True,
                    )
                    written += result.written
                    refused = [(aside[i], m, d) for i, m, d in result.refused]
                rows = held.result()
        except ROW_ERRORS:
            done.add(name)
            return None
    return Predicted(
        written, refused, digest.hexdigest(), read - t0, time.perf_counter() - read, rows
    )


def _predict(
    span: Span, shape: Shape, fresh: bool, staged: tuple[str, ...], casts: tuple[str, ...] = ()
) -> list[int] | None:
    """Positions (0-based, key order) of the rows to set aside; None when a row shares
    a unique value with another of the batch (or a prediction could not run).
    ``casts``: columns of a text COPY whose text the target parses into another type;
    they are staged as text, and the rows whose text does not look like the type are
    set aside (the others must then parse, or the prediction fails)."""
    source, target, table, source_schema, lo, hi = span
    create_marks(target)
    by_name = {c.name: c for c in shape.columns}
    reads = _read(table)
    narrow_cols = (*staged, *casts)
    fmt = sql.SQL("binary" if table.binary else "text")
    target.execute(
        sql.SQL(
            "drop table if exists {n}; create temp table {n} ({o} int generated always as"
            " identity, {cols}{sep}{nulls} boolean) on commit drop"
        ).format(
            n=NARROW,
            o=sql.Identifier(ORD),
            cols=sql.SQL(", ").join(
                sql.SQL("{} {}").format(
                    sql.Identifier(c), sql.SQL("text" if c in casts else by_name[c].fmt)
                )
                for c in narrow_cols
            ),
            sep=sql.SQL(", " if narrow_cols else ""),
            nulls=NULLS,
        )
    )
    not_null = [reads[c.name] for c in shape.columns if c.not_null and c.name in reads]
    where, params = range_predicate(table.key, lo, hi)
    narrow = sql.SQL(
        "copy (select {cols}{sep}{nulls} from {t} s where {w} order by {o}) to stdout"
        " (format {fmt})"
    ).format(
        cols=sql.SQL(", ").join(reads[c] for c in narrow_cols),
        sep=sql.SQL(", " if narrow_cols else ""),
        nulls=sql.SQL("num_nulls({}) > 0").format(sql.SQL(", ").join(not_null))
        if not_null
        else sql.SQL("false"),
        t=qualified(source_schema, table.name),
        w=where,
        o=order_by(table.key, alias="s"),
        fmt=fmt,
    )
    into = sql.SQL("copy {} ({}{}{}) from stdin (format {})").format(
        NARROW,
        sql.SQL(", ").join(sql.Identifier(c) for c in narrow_cols),
        sql.SQL(", " if narrow_cols else ""),
        NULLS,
        fmt,
    )
    with (
        target.cursor().copy(into) as sink,
        read_copy(source, narrow, params, binary=table.binary) as s,
    ):
        for chunk in s:
            sink.write(chunk)
    block = sql.SQL(
        """
declare safe boolean := false;
begin
  set local jit = off;{casts}
  {predictions}
  perform set_config('ormshift.safe', safe::text, true);
end"""
    ).format(
        casts=sql.Composed([_cast_marks(by_name[c]) for c in casts]),
        predictions=sql.Composed(_predictions(shape, NARROW, fresh, NULLS)),
    )
    _run(target, block)
    row = target.execute("select current_setting('ormshift.safe')").fetchone()
    marked = target.execute(
        sql.SQL("select {}, single from {} order by 1").format(sql.Identifier(ORD), BAD)
    ).fetchall()
    if (row is not None and row[0] == "true") or any(single for _, single in marked):
        return None
    return [int(o) - 1 for o, _ in marked]


def _cast_marks(c: Column) -> sql.Composed:
    """Set aside the staged rows whose text of ``c`` does not look like its type, when
    some value does not parse (tested in one statement); then the others must parse
    (else the block fails: the batch is staged whole)."""
    looks = _looks_valid(c)
    assert looks is not None
    v = sql.SQL("s.{}").format(sql.Identifier(c.name))
    rest = sql.SQL(
        "perform count({v}::{fmt}) from {n} s where not exists (select 1 from {bad} b"
        " where b.{o} = s.{o});"
    ).format(v=v, fmt=sql.SQL(c.fmt), n=NARROW, bad=BAD, o=sql.Identifier(ORD))
    mark = sql.SQL(
        "insert into {bad} select s.{o}, true, false from {n} s"
        " where not coalesce({looks}, true) on conflict do nothing;"
    ).format(bad=BAD, o=sql.Identifier(ORD), n=NARROW, looks=looks)
    if c.fmt.startswith(_LENGTH_TYPES):  # a cast truncates where COPY fails: always looked at
        return sql.SQL("\n  {}").format(mark)
    return sql.SQL(
        """
  begin
    perform count({v}::{fmt}) from {n} s;
  exception when {errors} then
    {mark}
    {rest}
  end;"""
    ).format(v=v, fmt=sql.SQL(c.fmt), n=NARROW, errors=_ROW_ERRORS, mark=mark, rest=rest)
