"""Keyset pagination on a primary key of any type, never OFFSET.

A key is carried as a tuple of the columns' text representations (``k::text``): that is
how it is stored in the ledger, and bound back as untyped literals PostgreSQL resolves
against the key columns' own types, so integer, uuid, text and composite keys all work
with the server's own ordering.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

Key = tuple[str, ...]


def qualified(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def _row(names: Sequence[str]) -> sql.Composed:
    return sql.SQL("({})").format(sql.SQL(", ").join(sql.Identifier(n) for n in names))


def _params(n: int) -> sql.Composed:
    return sql.SQL("({})").format(sql.SQL(", ").join(sql.Placeholder() * n))


def order_by(
    key: Sequence[str], *, descending: bool = False, alias: str | None = None
) -> sql.Composed:
    """``k1, k2`` (or ``alias.k1, ...``: needed when the output columns shadow the keys)."""
    suffix = sql.SQL(" desc") if descending else sql.SQL("")
    return sql.SQL(", ").join(
        sql.SQL("{}{}").format(sql.Identifier(*([alias] if alias else []), k), suffix) for k in key
    )


def range_predicate(
    key: Sequence[str], lo: Key | None, hi: Key | None
) -> tuple[sql.Composable, list[str]]:
    """``(k) > (lo) and (k) <= (hi)``; a missing bound is open. Returns SQL and params."""
    parts: list[sql.Composable] = []
    params: list[str] = []
    if lo is not None:
        parts.append(sql.SQL("{} > {}").format(_row(key), _params(len(key))))
        params.extend(lo)
    if hi is not None:
        parts.append(sql.SQL("{} <= {}").format(_row(key), _params(len(key))))
        params.extend(hi)
    if not parts:
        return sql.SQL("true"), params
    return sql.SQL(" and ").join(parts), params


def key_in(key: Sequence[str], keys: Sequence[Key]) -> tuple[sql.Composable, list[str]]:
    """``(k) in ((...), (...))`` for a list of keys (which must not be empty)."""
    items = sql.SQL(", ").join(_params(len(key)) for _ in keys)
    params = [v for k in keys for v in k]
    return sql.SQL("{} in ({})").format(_row(key), items), params


def text_key(key: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in key)


def next_bound(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    key: Sequence[str],
    lo: Key | None,
    batch_size: int,
    limit: Key | None = None,
) -> tuple[int, Key] | None:
    """Rows and last key of the next batch after ``lo`` (and up to ``limit``), or None
    when none are left.

    Reads only key columns (an index-only scan on the primary key when the table is
    vacuumed), ordered by the key and bounded by ``LIMIT``.
    """
    where, params = range_predicate(key, lo, limit)
    # a full batch: its last key is the n-th, read straight off the primary key's index
    nth = sql.SQL(
        "select {cols} from {t} as s where {where} order by {ord} offset {skip} limit 1"
    ).format(
        cols=text_key(key),
        t=qualified(schema, table),
        where=where,
        ord=order_by(key, alias="s"),
        skip=sql.Literal(batch_size - 1),
    )
    row = conn.execute(nth, params).fetchone()
    if row is not None:
        return batch_size, tuple(str(v) for v in row)
    # the last, partial batch: count it and find its last key
    inner = sql.SQL("select {cols} from {t} where {where} order by {ord} limit {n}").format(
        cols=sql.SQL(", ").join(sql.Identifier(k) for k in key),
        t=qualified(schema, table),
        where=where,
        ord=order_by(key),
        n=sql.Literal(batch_size),
    )
    last = sql.SQL(", ").join(
        sql.SQL("(array_agg({k}::text order by {ord}))[1]").format(
            k=sql.Identifier(k), ord=order_by(key, descending=True)
        )
        for k in key
    )
    query = sql.SQL("select count(*), {last} from ({inner}) s").format(last=last, inner=inner)
    row = conn.execute(query, params).fetchone()
    if row is None or not row[0]:
        return None
    return int(row[0]), tuple(str(v) for v in row[1:])


def keys_in_range(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    key: Sequence[str],
    lo: Key | None,
    hi: Key | None,
) -> list[Key]:
    where, params = range_predicate(key, lo, hi)
    query = sql.SQL("select {cols} from {t} as s where {where} order by {ord}").format(
        cols=text_key(key), t=qualified(schema, table), where=where, ord=order_by(key, alias="s")
    )
    return [tuple(str(v) for v in r) for r in conn.execute(query, params).fetchall()]


def sample_splits(
    conn: psycopg.Connection, schema: str, table: str, key: Sequence[str], est_rows: int, parts: int
) -> list[Key]:
    """Up to ``parts - 1`` keys that cut the table into parts of about equal size, from a
    block sample of about 200 keys per part (``TABLESAMPLE SYSTEM``, not a scan)."""
    if parts < 2 or est_rows <= 0:
        return []
    percent = min(100.0, 100.0 * 200 * parts / est_rows)
    query = sql.SQL(
        "select {cols} from {t} as s tablesample system ({pct}) repeatable (1) order by {ord}"
    ).format(
        cols=text_key(key),
        t=qualified(schema, table),
        pct=sql.Literal(percent),
        ord=order_by(key, alias="s"),
    )
    sample = [tuple(str(v) for v in r) for r in conn.execute(query).fetchall()]
    if len(sample) < 2 * parts:
        return []
    cuts = [sample[len(sample) * i // parts] for i in range(1, parts)]
    return [c for i, c in enumerate(cuts) if i == 0 or c != cuts[i - 1]]
