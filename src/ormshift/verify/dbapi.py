"""The segment queries for a non-PostgreSQL source, through any DB-API connection.

A `Dialect` says how that engine spells what the queries need: quoting, text and byte
forms, each column's canonical text (as `ormshift.verify.checksum` renders the
PostgreSQL side in portable mode), and the exact sum of the rows' 60-bit MD5 prefixes.
Text keys are compared by their bytes, integer keys as numbers, on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from ormshift.verify.checksum import ColumnView
from ormshift.verify.model import Key
from ormshift.verify.pgside import Checksum, LeafRow, Values

STREAM_ROWS = 2000


class Dialect:
    """How one engine spells the pieces of a verify query."""

    name = "sql"
    param = "%s"
    quote_char = '"'
    text_form = "cast({} as text)"  # an expression as UTF-8 text
    binary_form = "{}"  # an expression in a form that compares by its bytes
    length_form = "length({})"  # the length in bytes of a text expression

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def text(self, expr: str) -> str:
        return self.text_form.format(expr)

    def binary(self, expr: str) -> str:
        return self.binary_form.format(expr)

    def length(self, expr: str) -> str:
        return self.length_form.format(expr)

    def canonical(self, view: ColumnView) -> str:
        raise NotImplementedError

    def hash_sum(self, row_text: str) -> str:
        """An aggregate: the exact sum of the 60-bit MD5 prefixes of ``row_text``."""
        raise NotImplementedError

    def stream(self, conn: Any) -> AbstractContextManager[Any]:
        """A cursor that does not load the whole result."""
        raise NotImplementedError

    def concat(self, exprs: Sequence[str]) -> str:
        return "(" + " || ".join(exprs) + ")"

    def part(self, view: ColumnView) -> str:
        e = self.canonical(view)
        if view.kind in ("text", "simple-array"):
            prefixed = self.concat([self.text(self.length(e)), "':'", e])
            return f"coalesce({prefixed}, 'N')"
        return f"coalesce({e}, 'N')"

    def row_text(self, views: Sequence[ColumnView]) -> str:
        parts: list[str] = []
        for v in views:
            parts.extend([*(["'|'"] if parts else []), self.part(v)])
        return self.concat(parts) if parts else "''"


@dataclass(frozen=True)
class DbKey:
    columns: tuple[str, ...]
    integer: tuple[bool, ...]  # bound as numbers; the others compared by their bytes
    dialect: Dialect

    def _col(self, name: str, integer: bool) -> str:
        q = self.dialect.quote(name)
        return q if integer else self.dialect.binary(q)

    def row(self) -> str:
        cols = zip(self.columns, self.integer, strict=True)
        return "(" + ", ".join(self._col(c, i) for c, i in cols) + ")"

    def order(self) -> str:
        return ", ".join(self._col(c, i) for c, i in zip(self.columns, self.integer, strict=True))

    def texts(self, alias: str | None = None) -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(self.dialect.text(prefix + self.dialect.quote(c)) for c in self.columns)

    def bind(self, key: Key, params: list[Any]) -> str:
        holders = []
        for value, integer in zip(key, self.integer, strict=True):
            params.append(int(value) if integer else value)
            p = self.dialect.param
            holders.append(p if integer else self.dialect.binary(p))
        return "(" + ", ".join(holders) + ")"


@dataclass(frozen=True)
class DbTableSpec:
    name: str
    key: DbKey
    columns: tuple[ColumnView, ...]


class DbApiTable:
    """The `ormshift.verify.bisect.Side` queries, for one table of a DB-API source."""

    def __init__(self, conn: Any, table: DbTableSpec) -> None:
        self.conn = conn
        self.table = table
        self.d = table.key.dialect

    def _range(self, lo: Key | None, hi: Key | None, params: list[Any]) -> str:
        parts = []
        if lo is not None:
            parts.append(f"{self.table.key.row()} >= {self.table.key.bind(lo, params)}")
        if hi is not None:
            parts.append(f"{self.table.key.row()} < {self.table.key.bind(hi, params)}")
        return " and ".join(parts) or "1 = 1"

    def _segment(self, bounds: Sequence[Key], params: list[Any]) -> str:
        def tree(first: int, last: int) -> str:
            if first == last:
                return str(first)
            mid = (first + last) // 2
            b = self.table.key.bind(bounds[mid], params)
            left = tree(first, mid)
            right = tree(mid + 1, last)
            return f"case when {self.table.key.row()} < {b} then {left} else {right} end"

        return tree(0, len(bounds))

    def _query(self, query: str, params: list[Any]) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(query, params)
            return list(cur.fetchall())
        finally:
            cur.close()

    def checksums(self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]) -> list[Checksum]:
        t = self.table
        params: list[Any] = []
        seg = self._segment(bounds, params)
        where = self._range(lo, hi, params)
        query = (
            f"select {seg} as ormshift_segment, count(*), "
            f"{self.d.hash_sum(self.d.row_text(t.columns))} "
            f"from {self.d.quote(t.name)} where {where} group by 1"
        )
        out: list[Checksum] = [(0, 0)] * (len(bounds) + 1)
        for s, count, total in self._query(query, params):
            out[int(s)] = (int(count), int(total or 0))
        return out

    def split(self, lo: Key | None, hi: Key | None, rows: int, parts: int) -> list[Key]:
        t = self.table
        params: list[Any] = []
        step = max(1, math.ceil(rows / parts))
        cols = ", ".join(self.d.quote(c) for c in t.key.columns)
        query = (
            f"select {t.key.texts('s')} from (select {cols}, row_number() over "
            f"(order by {t.key.order()}) as ormshift_rn from {self.d.quote(t.name)} "
            f"where {self._range(lo, hi, params)}) s "
            f"where (ormshift_rn - 1) % {step} = 0 and ormshift_rn > 1 "
            f"order by ormshift_rn limit {parts - 1}"
        )
        if self.d.param == "%s":  # pyformat drivers read % as a placeholder
            query = query.replace(f" % {step}", f" %% {step}")
        return [tuple(str(v) for v in r) for r in self._query(query, params)]

    def first_split(self, parts: int) -> list[Key]:
        rows = self._query(f"select count(*) from {self.d.quote(self.table.name)}", [])
        return self.split(None, None, int(rows[0][0]), parts)

    def _shown(self) -> str:
        return ", ".join(self.d.text(self.d.quote(v.name)) for v in self.table.columns)

    def rows(self, lo: Key | None, hi: Key | None) -> list[LeafRow]:
        t = self.table
        params: list[Any] = []
        canon = ", ".join(self.d.canonical(v) for v in t.columns)
        query = (
            f"select {t.key.texts()}, {canon}, {self._shown()} from {self.d.quote(t.name)} "
            f"where {self._range(lo, hi, params)} order by {t.key.order()}"
        )
        nk, nc = len(t.key.columns), len(t.columns)
        return [
            (
                tuple(str(v) for v in r[:nk]),
                tuple(_str(v) for v in r[nk : nk + nc]),
                tuple(_str(v) for v in r[nk + nc :]),
            )
            for r in self._query(query, params)
        ]

    def stream_keyed(self) -> Iterator[tuple[Key, Values]]:
        """Every row as (key, display values) in key order, unbuffered."""
        t = self.table
        query = (
            f"select {t.key.texts()}, {self._shown()} from {self.d.quote(t.name)} "
            f"order by {t.key.order()}"
        )
        nk = len(t.key.columns)
        with self.d.stream(self.conn) as cur:
            cur.execute(query, [])
            while batch := cur.fetchmany(STREAM_ROWS):
                for r in batch:
                    yield tuple(str(v) for v in r[:nk]), tuple(_str(v) for v in r[nk:])


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
