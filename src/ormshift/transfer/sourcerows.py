"""Refused rows as the source has them: their keys and JSON, read by position in a batch."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from ormshift.transfer.copy import Span
from ormshift.transfer.keyset import Key, order_by, qualified, range_predicate


class RawJson(str):
    """A row as JSON text the database wrote: it goes into the reject line as it is
    (parsing it and writing it back cost more than the rest of a reject)."""


_RN = "ormshift_rn"


def rows_at(span: Span, positions: Sequence[int]) -> list[tuple[int, Key, RawJson]]:
    """The rows at ``positions`` (0-based, key order) of ``span``: each as its position,
    its key as text and its JSON, in one query (the batch's snapshot is still open, so
    the positions are those of the batch's own stream)."""
    if not positions:
        return []
    source, _, table, source_schema, lo, hi = span
    where, params = range_predicate(table.key, lo, hi)
    keys = [sql.Identifier(f"{_RN}_k{i}") for i in range(len(table.key))]
    query = sql.SQL(
        "select x.{rn} - 1, {k}, (select row_to_json(r) from (select {xcols}) r)::text"
        " from (select row_number() over (order by {ord}) as {rn}, {keys}, {cols} from {t} s"
        " where {where}) x where x.{rn} = any(%s::bigint[]) order by 1"
    ).format(
        rn=sql.Identifier(_RN),
        k=sql.SQL(", ").join(sql.SQL("x.{}::text").format(k) for k in keys),
        xcols=sql.SQL(", ").join(sql.SQL("x.{}").format(sql.Identifier(c)) for c in table.columns),
        ord=order_by(table.key, alias="s"),
        keys=sql.SQL(", ").join(
            sql.SQL("s.{} as {}").format(sql.Identifier(c), k)
            for c, k in zip(table.key, keys, strict=True)
        ),
        cols=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in table.columns),
        t=qualified(source_schema, table.name),
        where=where,
    )
    rows = source.execute(query, [*params, [p + 1 for p in positions]]).fetchall()
    return [(int(r[0]), tuple(str(v) for v in r[1:-1]), RawJson(r[-1])) for r in rows]
