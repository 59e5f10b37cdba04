"""Rows the target refuses: a failing batch is sorted out until the bad rows are isolated.

The good rows of the batch load inside the batch's transaction, each bad row is
recorded with the database's reason, and the batch's ledger row counts them, so that
``read = written + rejected`` always holds. A refused batch is first staged on the target
and sorted out there in one round trip (`ormshift.transfer.classify`); where that cannot
run, it is bisected from here, each half in a savepoint of its own (`bisect`), which
gives the same rows and reasons with a round trip per half.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ormshift.dsn import redact
from ormshift.errors import OutputError
from ormshift.transfer.classify import Classified, classify
from ormshift.transfer.copy import Copied, checksum_range, copy_out, stream_range
from ormshift.transfer.copyout import copy_out as read_copy
from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import (
    Key,
    key_in,
    order_by,
    qualified,
    range_predicate,
    text_key,
)
from ormshift.transfer.plan import TablePlan
from ormshift.transfer.shape import shape_of

#: Errors that belong to the rows of a batch, not to the connection or the schema.
ROW_ERRORS: tuple[type[psycopg.Error], ...] = (psycopg.DataError, psycopg.IntegrityError)
#: Errors after which a batch is bisected instead of sorted out on the target (a row
#: error outside the per-row tries, or no right to create temporary tables there).
_NOT_CLASSIFIED: tuple[type[psycopg.Error], ...] = (
    *ROW_ERRORS,
    psycopg.errors.InsufficientPrivilege,
)


class RawJson(str):
    """A row as JSON text the database wrote: it goes into the reject line as it is
    (parsing it and writing it back cost more than the rest of a reject)."""


@dataclass(frozen=True)
class Reject:
    table: str
    key: dict[str, str]
    row: Any
    error: str

    def to_json(self) -> str:
        raw = isinstance(self.row, RawJson)
        line = json.dumps(
            {"table": self.table, "key": self.key, "row": None if raw else self.row,
             "error": self.error},
            sort_keys=True,
            default=str,
        )  # fmt: skip
        # "row" is the only member that can be null, and a string can hold no bare quote
        return line.replace('"row": null', f'"row": {self.row}', 1) if raw else line


def describe(exc: psycopg.Error) -> str:
    diag = exc.diag
    return reason(diag.message_primary or str(exc).strip().splitlines()[0], diag.message_detail)


def reason(message: str, detail: str | None) -> str:
    """A reject's reason: the database's message, its detail in parentheses."""
    text = f"{message} ({detail})" if detail else message
    # what `redact` replaces needs one of these; most reasons have neither (and redact
    # costs 0.1 ms on a long row's detail)
    if "://" in text or "password" in text.lower():
        return redact(text)
    return text


@dataclass
class Loaded:
    """What one batch wrote. ``written_keys`` lists the keys of the rows written when
    some were refused (None means every row read was written); rollback needs it to
    tell the run's rows from rows the target already had inside the batch's range."""

    copied: Copied
    rejects: list[Reject]
    rejected_keys: list[Key]
    written_keys: list[Key] | None = None


def bisect(
    n: int,
    first: psycopg.Error,
    target: psycopg.Connection,
    load: Callable[[int, int], Copied],
    reject: Callable[[int, psycopg.Error], None],
) -> Copied:
    """Load items ``[0, n)`` that failed as a whole with ``first``, halving on errors.

    ``load(i, j)`` writes items i..j-1 (run here in a savepoint of its own);
    ``reject(i, error)`` records item i as refused. Returns the totals of what loaded.
    """
    written = 0
    read_s = write_s = 0.0
    fmt = ""

    def split(i: int, j: int, error: psycopg.Error) -> None:
        nonlocal written, read_s, write_s, fmt
        if j - i == 1:
            reject(i, error)
            return
        mid = (i + j) // 2
        for a, b in ((i, mid), (mid, j)):
            try:
                with target.transaction():
                    c = load(a, b)
                written += c.rows
                read_s += c.read_seconds
                write_s += c.write_seconds
                fmt = c.format
            except ROW_ERRORS as exc:
                split(a, b, exc)

    if n:
        split(0, n, first)
    return Copied(written, "", read_s, write_s, fmt)


def load_batch(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
) -> Loaded:
    """Load (lo, hi] in a savepoint; on a row error, bisect down to the bad rows."""
    try:
        with target.transaction():
            return Loaded(stream_range(source, target, table, source_schema, lo, hi), [], [])
    except ROW_ERRORS as exc:
        if not table.key:
            raise
        return settle_batch(source, target, table, source_schema, lo, hi, exc)


def settle_batch(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
    first: psycopg.Error | None,
) -> Loaded:
    """(lo, hi] failed as a whole with ``first`` (None: expected to fail, not tried):
    sorted out on the target where it can be (`classified_batch`), bisected otherwise."""
    loaded = classified_batch(source, target, table, source_schema, lo, hi)
    if loaded is not None:
        return loaded
    if first is None:
        try:
            with target.transaction():
                return Loaded(stream_range(source, target, table, source_schema, lo, hi), [], [])
        except ROW_ERRORS as exc:
            first = exc
    return bisect_batch(source, target, table, source_schema, lo, hi, first)


def classified_batch(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
) -> Loaded | None:
    """(lo, hi] copied again into a staging table and sorted out there; None when the
    target table's shape does not allow it or a step failed (nothing is left written)."""
    shape = shape_of(target, table)
    if shape is None:
        return None
    keys = _keys(source, table, source_schema, lo, hi)
    digest = hashlib.sha1(usedforsecurity=False)
    out_query, params = copy_out(table, source_schema, lo, hi)
    t0 = time.perf_counter()
    staged = t0

    def write(sink: psycopg.Copy) -> None:
        nonlocal staged
        with read_copy(source, out_query, params, binary=table.binary) as stream:
            for chunk in stream:
                digest.update(chunk)
                sink.write(chunk)
        staged = time.perf_counter()

    try:
        with target.transaction():
            result = classify(target, shape, table.binary, write)
    except _NOT_CLASSIFIED:
        return None
    done = time.perf_counter()
    if result.written + len(result.refused) != len(keys):
        raise TransferError(
            f"table {table.name!r}: the batch after {lo} staged "
            f"{result.written + len(result.refused)} rows for {len(keys)} keys; the batch was "
            "rolled back"
        )
    copied = Copied(result.written, digest.hexdigest(), staged - t0, done - staged, _fmt(table))
    return _loaded(source, table, source_schema, (lo, hi), keys, result, copied)


def _keys(
    source: psycopg.Connection, table: TablePlan, schema: str, lo: Key | None, hi: Key | None
) -> list[Key]:
    """The keys in (lo, hi] as text, in key order (as `keys_in_range`, rows taken as
    they come: each is a tuple of str already)."""
    where, params = range_predicate(table.key, lo, hi)
    query = sql.SQL("select {cols} from {t} as s where {where} order by {ord}").format(
        cols=text_key(table.key),
        t=qualified(schema, table.name),
        where=where,
        ord=order_by(table.key, alias="s"),
    )
    return source.execute(query, params).fetchall()


def _loaded(
    source: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    bounds: tuple[Key | None, Key | None],
    keys: Sequence[Key],
    result: Classified,
    copied: Copied,
) -> Loaded:
    bad = [keys[i] for i, _, _ in result.refused]
    rows = reject_rows(source, table, source_schema, bad, *bounds)
    rejects = [
        Reject(
            table=table.name,
            key=dict(zip(table.key, k, strict=True)),
            row=rows.get(k),
            error=reason(message, detail),
        )
        for k, (_, message, detail) in zip(bad, result.refused, strict=True)
    ]
    refused = set(bad)
    return Loaded(copied, rejects, bad, [k for k in keys if k not in refused])


def reject_rows(
    source: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    keys: Sequence[Key],
    lo: Key | None = None,
    hi: Key | None = None,
) -> dict[Key, Any]:
    """The source rows of ``keys`` (all in (lo, hi]) as JSON objects, in one query when
    the key's types are known (the keys bound as arrays), a thousand keys a query if not."""
    if not keys:
        return {}
    if len(table.key_types) != len(table.key):
        return _rows_by_list(source, table, source_schema, keys)
    arrays = [list(col) for col in zip(*keys, strict=True)]
    casts = [sql.SQL("%s::{}[]").format(sql.SQL(t)) for t in table.key_types]
    if len(table.key) == 1:
        wanted: sql.Composable = sql.SQL("{} = any({})").format(
            sql.Identifier(table.key[0]), casts[0]
        )
    else:
        wanted = sql.SQL("({}) in (select * from unnest({}))").format(
            sql.SQL(", ").join(sql.Identifier(k) for k in table.key), sql.SQL(", ").join(casts)
        )
    where, params = range_predicate(table.key, lo, hi)
    return _json_rows(
        source, table, source_schema, sql.SQL("{} and {}").format(where, wanted), [*params, *arrays]
    )


def _rows_by_list(
    source: psycopg.Connection, table: TablePlan, source_schema: str, keys: Sequence[Key]
) -> dict[Key, Any]:
    out: dict[Key, Any] = {}
    for i in range(0, len(keys), 1000):
        cond, params = key_in(table.key, keys[i : i + 1000])
        out.update(_json_rows(source, table, source_schema, cond, params))
    return out


def _json_rows(
    source: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    cond: sql.Composable,
    params: Sequence[Any],
) -> dict[Key, Any]:
    query = sql.SQL(
        "select {k}, row_to_json(s)::text from (select {cols} from {t} where {cond}) s"
    ).format(
        k=text_key(table.key),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in table.columns),
        t=qualified(source_schema, table.name),
        cond=cond,
    )
    return {row[:-1]: RawJson(row[-1]) for row in source.execute(query, params).fetchall()}


def classified_rows(
    target: psycopg.Connection, table: TablePlan, rows: Sequence[Sequence[Any]]
) -> Classified | None:
    """Python rows (a MySQL batch) sorted out on the target as `classified_batch` does."""
    shape = shape_of(target, table)
    if shape is None:
        return None

    def write(sink: psycopg.Copy) -> None:
        for r in rows:
            sink.write_row(r)

    try:
        with target.transaction():
            return classify(target, shape, False, write)
    except _NOT_CLASSIFIED:
        return None


def bisect_batch(
    source: psycopg.Connection,
    target: psycopg.Connection,
    table: TablePlan,
    source_schema: str,
    lo: Key | None,
    hi: Key | None,
    first: psycopg.Error,
) -> Loaded:
    """(lo, hi] failed as a whole with ``first``: load its good rows, reject the bad."""
    keys = _keys(source, table, source_schema, lo, hi)
    rejects: list[Reject] = []
    bad: list[Key] = []

    def load(i: int, j: int) -> Copied:
        return stream_range(
            source, target, table, source_schema, keys[i - 1] if i > 0 else lo, keys[j - 1]
        )

    def reject(i: int, error: psycopg.Error) -> None:
        bad.append(keys[i])
        rejects.append(_reject(source, table, source_schema, keys[i], error))

    copied = bisect(len(keys), first, target, load, reject)
    checksum = checksum_range(source, table, source_schema, lo, hi)
    refused = set(bad)
    return Loaded(
        Copied(copied.rows, checksum, copied.read_seconds, copied.write_seconds, _fmt(table)),
        rejects,
        bad,
        [k for k in keys if k not in refused],
    )


def _fmt(table: TablePlan) -> str:
    return "binary" if table.binary else "text"


def _reject(
    source: psycopg.Connection, table: TablePlan, source_schema: str, key: Key, error: psycopg.Error
) -> Reject:
    cond = sql.SQL(" and ").join(
        sql.SQL("{}::text = %s").format(sql.Identifier(k)) for k in table.key
    )
    query = sql.SQL("select row_to_json(s) from (select {cols} from {t} where {cond}) s").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in table.columns),
        t=qualified(source_schema, table.name),
        cond=cond,
    )
    row = source.execute(query, list(key)).fetchone()
    return Reject(
        table=table.name,
        key=dict(zip(table.key, key, strict=True)),
        row=row[0] if row else None,
        error=describe(error),
    )


class RejectFile:
    """Appends rejects as JSON lines, opened only when there is a first one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def write(self, rejects: Sequence[Reject]) -> None:
        if not rejects:
            return
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                for r in rejects:
                    fh.write(r.to_json() + "\n")
        except OSError as exc:
            raise OutputError(f"cannot write the reject file {self.path}: {exc.strerror}") from exc
        self.count += len(rejects)
