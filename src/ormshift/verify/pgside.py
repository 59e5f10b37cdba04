"""One table on one PostgreSQL side: segment checksums, split points and rows, in SQL.

Every query reads one key range; checksums of all of a range's segments come from one
scan. Rows are only ever read for a range small enough to hold (the bisection threshold)
or streamed through a server-side cursor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import Any, Literal

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.verify.checksum import INTEGERS, ColumnView, canonical, display, row_hash, row_text
from ormshift.verify.model import Key
from ormshift.verify.segments import Binder, KeySpec, in_range, segment_number, spread

Checksum = tuple[int, int]
Values = tuple[str | None, ...]
LeafRow = tuple[Key, Values, Values]  # key, canonical values, display values
KeyOrder = Literal["integer", "uuid", "text"]

#: tables up to this many pages are split exactly; larger ones from a block sample
SAMPLE_ABOVE_PAGES = 2000
SAMPLE_PAGES = 256
SAMPLE_PAGES_PER_PART = 2
_STREAM_ROWS = 2000
_SEGMENT_COL = "ormshift_segment"
#: memory for grouping a grid's cells and sorting a stream of differing cells' rows
_WORK_MEM = "64MB"


@dataclass(frozen=True)
class SideTable:
    schema: str
    name: str
    key: KeySpec
    columns: tuple[ColumnView, ...]
    portable: bool = False  # the other side is MySQL/MariaDB: render values as it does

    @property
    def qualified(self) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))


class PgTable:
    """Queries on one table of one PostgreSQL connection."""

    def __init__(self, conn: psycopg.Connection, table: SideTable) -> None:
        self.conn = conn
        self.table = table

    def checksums(self, lo: Key | None, hi: Key | None, bounds: Sequence[Key]) -> list[Checksum]:
        """(rows, sum of row hashes) of each of the ``len(bounds) + 1`` segments of [lo, hi)."""
        t = self.table
        binder = Binder()
        query = sql.SQL(
            "select {seg} as {segcol}, count(*), coalesce(sum({h}), 0) from {t} where {where} "
            "group by 1"
        ).format(
            seg=segment_number(t.key, binder, bounds),
            segcol=sql.Identifier(_SEGMENT_COL),
            h=row_hash(t.columns, t.portable),
            t=t.qualified,
            where=in_range(t.key, binder, lo, hi),
        )
        out: list[Checksum] = [(0, 0)] * (len(bounds) + 1)
        # A segment number derives from the key, so the planner expects as many groups as
        # keys and sorts (spilling to disk) to group them; hashing the few groups is far
        # cheaper. Should the query fail, rolling back its savepoint undoes the setting.
        self.conn.execute("set enable_sort = off")
        rows = self.conn.execute(query, binder.params).fetchall()
        self.conn.execute("reset enable_sort")
        for seg, count, total in rows:
            out[int(seg)] = (int(count), int(total))
        return out

    def estimated_rows(self) -> int:
        """The planner's row count, or the exact count when the table was never analyzed."""
        estimate = catalog.estimated_rows(self.conn, self.table.qualified.as_string(self.conn))
        if estimate is not None and estimate > 0:
            return int(estimate)
        return self.count()

    def segment_checksums(self, bounds: Sequence[Key]) -> list[Checksum]:
        """(rows, sum of row hashes) of each of the ``len(bounds) + 1`` segments of the
        whole table, in one scan; a one-column key finds its segment with ``width_bucket``
        over the bounds bound as one array (a binary search for a fixed-length type)."""
        t = self.table
        if len(t.key.columns) != 1 or not bounds:
            return self.checksums(None, None, bounds)
        query = sql.SQL(
            "select width_bucket({k}, {b}::{ty}[]) as {segcol}, count(*), coalesce(sum({h}), 0) "
            "from {t} group by 1"
        ).format(
            k=t.key.row(),
            b=sql.Placeholder("bounds"),
            ty=sql.SQL(self.key_types[0]),
            segcol=sql.Identifier(_SEGMENT_COL),
            h=row_hash(t.columns, t.portable),
            t=t.qualified,
        )
        out: list[Checksum] = [(0, 0)] * (len(bounds) + 1)
        # hashing the groups, not sorting the table (see `checksums`)
        self.conn.execute("set enable_sort = off")
        rows = self.conn.execute(query, {"bounds": [b[0] for b in bounds]}).fetchall()
        self.conn.execute("reset enable_sort")
        for seg, count, total in rows:
            out[int(seg)] = (int(count), int(total))
        return out

    @cached_property
    def key_fixed(self) -> bool:
        """Whether the key is one column of a fixed-length type (bigint, uuid, date...)."""
        t = self.table
        if len(t.key.columns) != 1:
            return False
        length = catalog.type_length(self.conn, t.qualified.as_string(self.conn), t.key.columns[0])
        return length is not None and length > 0

    def key_ends(self) -> tuple[Key, Key] | None:
        """The smallest and the largest key here (None: no rows), each by the index."""
        t = self.table
        found: list[Key] = []
        for desc in (False, True):
            row = self.conn.execute(
                sql.SQL("select {texts} from {t} as s order by {order} limit 1").format(
                    texts=t.key.texts("s"), t=t.qualified, order=t.key.order("s", desc=desc)
                )
            ).fetchone()
            if row is None:
                return None
            found.append(tuple(str(v) for v in row))
        return found[0], found[1]

    @cached_property
    def key_order(self) -> KeyOrder:
        """How this side's key can be streamed in an order Python reproduces: "integer"
        (one integer column, read as an int, in its own order), "uuid" (one uuid column,
        in its own order, which is its text's bytes' order), else "text" (the key texts,
        sorted by their bytes)."""
        if len(self.key_types) == 1 and self.key_types[0] in INTEGERS:
            return "integer"
        if self.key_types == ("uuid",):
            return "uuid"
        return "text"

    @contextmanager
    def range_rows(
        self,
        ranges: Sequence[tuple[Key | None, Key | None]] | None,
        order: KeyOrder = "text",
    ) -> Iterator[psycopg.ServerCursor[tuple[object, ...]]]:
        """A server-side cursor over (key texts..., row hash) of the rows in the key
        ranges ``[lo, hi)`` (None: open; ``ranges`` None: every row), ordered by the key
        texts' bytes. The ranges are one join against ``unnest`` of bound arrays of their
        ends (an open end closed by this side's smallest or largest key), so each range
        is an index range scan.

        ``order`` `key_order` "integer" or "uuid" (both sides agreeing) orders by the key
        itself instead, so the whole table streams straight off the key's index, with no
        sort; an "integer" key comes as an int, not its text."""
        t = self.table
        params: dict[str, object] = {}
        source: sql.Composable = sql.SQL("{} as s").format(t.qualified)
        if ranges is not None:
            source = self._ranges_join(ranges, params)
        texts = t.key.texts("s")
        by = _text_order(t.key)
        if order != "text":
            assert order == self.key_order
            key = sql.Identifier("s", t.key.columns[0])
            texts = key if order == "integer" else texts
            by = key
            if ranges is not None:
                # The ranges ascend and are disjoint, so (range's lower end, key) is key
                # order; by the key alone the planner would read the whole table off the
                # index and test every row against every range, to spare the sort.
                by = sql.SQL("{}, {}").format(sql.Identifier("r", "ormshift_l0"), key)
        query = sql.SQL("select {texts}, {h} from {source} order by {order}").format(
            texts=texts, h=row_hash(t.columns, t.portable), source=source, order=by
        )
        self.conn.execute(sql.SQL("set work_mem = {}").format(sql.Literal(_WORK_MEM)))
        # binary: a bigint hash (and an integer key) comes as 8 bytes, not digits to parse
        with self.conn.cursor(name="ormshift_verify_ranges", binary=True) as cur:
            cur.execute(query, params)
            yield cur
        self.conn.execute("reset work_mem")

    def _ranges_join(
        self, ranges: Sequence[tuple[Key | None, Key | None]], params: dict[str, object]
    ) -> sql.Composable:
        t = self.table
        n = len(t.key.columns)
        ends = self.key_ends() if any(lo is None or hi is None for lo, hi in ranges) else None
        los: list[Key] = []
        his: list[Key] = []
        last: list[bool] = []
        smallest, largest = ends if ends is not None else (None, None)
        for lo, hi in ranges:
            start = lo if lo is not None else smallest
            end = hi if hi is not None else largest
            if start is None or end is None:
                continue  # open at an end, and no rows here at all
            los.append(start)
            his.append(end)
            last.append(hi is None)  # its upper end is this side's largest key: included
        arrays: list[sql.Composable] = []
        for prefix, keys in (("l", los), ("h", his)):
            for i, type_ in enumerate(self.key_types):
                params[f"{prefix}{i}"] = [k[i] for k in keys]
                arrays.append(
                    sql.SQL("{}::{}[]").format(sql.Placeholder(f"{prefix}{i}"), sql.SQL(type_))
                )
        params["last"] = last
        arrays.append(sql.SQL("{}::boolean[]").format(sql.Placeholder("last")))
        names = [f"ormshift_l{i}" for i in range(n)] + [f"ormshift_h{i}" for i in range(n)]
        r_lo = sql.SQL(", ").join(sql.Identifier("r", c) for c in names[:n])
        r_hi = sql.SQL(", ").join(sql.Identifier("r", c) for c in names[n:])
        return sql.SQL(
            "{t} as s join unnest({arrays}) as r({names}) "
            "on {k} >= ({lo}) and {k} <= ({hi}) and (r.ormshift_last or {k} < ({hi}))"
        ).format(
            t=t.qualified,
            arrays=sql.SQL(", ").join(arrays),
            names=sql.SQL(", ").join(sql.Identifier(c) for c in [*names, "ormshift_last"]),
            k=t.key.row("s"),
            lo=r_lo,
            hi=r_hi,
        )

    @property
    def sorts_as_python(self) -> bool:
        """Whether text collated "C" sorts here as Python sorts str (a UTF-8 database)."""
        return self.conn.info.parameter_status("server_encoding") == "UTF8"

    @cached_property
    def key_types(self) -> tuple[str, ...]:
        """The SQL type of each key column, as the server spells it."""
        rel = self.table.qualified.as_string(self.conn)
        types = catalog.column_formats(self.conn, rel, modifiers=False)
        return tuple(types[c] for c in self.table.key.columns)

    def rows_by_keys(self, keys: Sequence[Key]) -> list[LeafRow]:
        """The rows with these keys (those that exist), like `rows`; the keys are bound as
        one array per key column."""
        t = self.table
        if not keys:
            return []
        params = {f"k{i}": [k[i] for k in keys] for i in range(len(t.key.columns))}
        arrays = [
            sql.SQL("{}::{}[]").format(sql.Placeholder(f"k{i}"), sql.SQL(type_))
            for i, type_ in enumerate(self.key_types)
        ]
        cols = [sql.Identifier("s", c) for c in t.key.columns]
        if len(cols) == 1:
            where = sql.SQL("{} = any({})").format(cols[0], arrays[0])
        else:
            where = sql.SQL("({}) in (select * from unnest({}))").format(
                sql.SQL(", ").join(cols), sql.SQL(", ").join(arrays)
            )
        # a column whose canonical text is its display text (text, integers, uuids...)
        # is read once and stands for both
        exprs: list[sql.Composable] = []
        where_of: dict[str, int] = {}

        def place(e: sql.Composable) -> int:
            text = e.as_string(self.conn)
            if text not in where_of:
                where_of[text] = len(exprs)
                exprs.append(e)
            return where_of[text]

        nk = len(t.key.columns)
        canon = [nk + place(canonical(v, t.portable)) for v in t.columns]
        shown = [nk + place(display(v)) for v in t.columns]
        query = sql.SQL("select {texts}, {values} from {t} as s where {where}").format(
            texts=t.key.texts("s"),
            values=sql.SQL(", ").join(exprs),
            t=t.qualified,
            where=where,
        )
        pick_c, pick_s = _picker(canon), _picker(shown)
        return [
            (tuple(str(v) for v in r[:nk]), pick_c(r), pick_s(r))
            for r in self.conn.execute(query, params)
        ]

    def split(self, lo: Key | None, hi: Key | None, rows: int, parts: int) -> list[Key]:
        """Keys that cut [lo, hi), holding ``rows`` rows here, into ``parts`` equal segments."""
        t = self.table
        step = max(1, math.ceil(rows / parts))
        binder = Binder()
        query = sql.SQL(
            "select {texts} from (select {cols}, row_number() over (order by {order}) as {rn} "
            "from {t} where {where}) s where mod({rn} - 1, {step}) = 0 and {rn} > 1 "
            "order by {rn} limit {limit}"
        ).format(
            texts=t.key.texts(alias="s"),
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in t.key.columns),
            order=t.key.order(),
            rn=sql.Identifier("ormshift_rn"),
            t=t.qualified,
            where=in_range(t.key, binder, lo, hi),
            step=sql.Literal(step),
            limit=sql.Literal(parts - 1),
        )
        return [tuple(str(v) for v in r) for r in self.conn.execute(query, binder.params)]

    def pages(self) -> int:
        return catalog.relation_pages(self.conn, self.table.qualified.as_string(self.conn))

    def first_split(self, parts: int) -> list[Key]:
        """Split points for the whole table: exact when small, from a block sample when big."""
        t = self.table
        pages = self.pages()
        if pages <= SAMPLE_ABOVE_PAGES:
            row = self.conn.execute(
                sql.SQL("select count(*) from {}").format(t.qualified)
            ).fetchone()
            return self.split(None, None, int(row[0]) if row else 0, parts)
        # One key from each sampled page: the rows of a page come in clumps of nearby keys
        # (a table loaded in key order), so taking all of them would cut many tiny
        # segments inside clumps and leave wide ones between them.
        want = max(SAMPLE_PAGES, parts * SAMPLE_PAGES_PER_PART)
        percent = min(100.0, 100.0 * want / pages)
        query = sql.SQL(
            "select {texts} from (select distinct on ((ctid::text::point)[0]) {cols} "
            "from {t} tablesample system ({pct}) repeatable (7) "
            "order by (ctid::text::point)[0], {inner}) as s order by {order}"
        ).format(
            texts=t.key.texts("s"),
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in t.key.columns),
            t=t.qualified,
            pct=sql.Literal(percent),
            inner=t.key.order(),
            order=t.key.order("s"),
        )
        keys = [tuple(str(v) for v in r) for r in self.conn.execute(query)]
        return spread(keys, parts)

    def rows(self, lo: Key | None, hi: Key | None) -> list[LeafRow]:
        """Every row of [lo, hi) in key order: key, canonical values, display values."""
        key, binder = self.table.key, Binder()
        # the order qualified: the output columns shadow the key's names
        rest = sql.SQL("as s where {} order by {}")
        return self._leaf_rows(rest.format(in_range(key, binder, lo, hi), key.order("s")), binder)

    def count(self) -> int:
        row = self.conn.execute(
            sql.SQL("select count(*) from {}").format(self.table.qualified)
        ).fetchone()
        return int(row[0]) if row else 0

    def sample_keys(self, percent: float, chunk: int) -> Iterator[list[Key]]:
        """Keys of a random ``percent`` of the rows (Bernoulli), ``chunk`` at a time."""
        t = self.table
        query = sql.SQL(
            "select {texts} from {t} as s tablesample bernoulli ({pct}) repeatable (11) "
            "order by {order}"
        ).format(
            texts=t.key.texts(), t=t.qualified, pct=sql.Literal(percent), order=t.key.order("s")
        )
        with self.conn.cursor(name="ormshift_verify_sample") as cur:
            cur.itersize = chunk
            cur.execute(query)
            while batch := cur.fetchmany(chunk):
                yield [tuple(str(v) for v in r) for r in batch]

    def rows_for(self, keys: Sequence[Key]) -> list[LeafRow]:
        """The rows with these keys (those that exist), like `rows`."""
        binder = Binder()
        wanted = sql.SQL(", ").join(binder.key(k) for k in keys)
        rest = sql.SQL("where {} in ({})").format(self.table.key.row(), wanted)
        return self._leaf_rows(rest, binder)

    def _leaf_rows(self, rest: sql.Composable, binder: Binder) -> list[LeafRow]:
        """The rows that ``rest`` (what follows the table's name) picks, as `rows` gives them."""
        t = self.table
        query = sql.SQL("select {texts}, {canon}, {shown} from {t} {rest}").format(
            texts=t.key.texts(),
            canon=sql.SQL(", ").join(canonical(v, t.portable) for v in t.columns),
            shown=sql.SQL(", ").join(display(v) for v in t.columns),
            t=t.qualified,
            rest=rest,
        )
        nk, nc = len(t.key.columns), len(t.columns)
        return [
            (tuple(str(v) for v in r[:nk]), tuple(r[nk : nk + nc]), tuple(r[nk + nc :]))
            for r in self.conn.execute(query, binder.params)
        ]

    def stream_keyed(self) -> Iterator[tuple[Key, Values]]:
        """Every row as (key, display values) in key order, through a server-side cursor."""
        t = self.table
        query = sql.SQL("select {texts}, {shown} from {t} as s order by {order}").format(
            texts=t.key.texts(),
            shown=sql.SQL(", ").join(display(v) for v in t.columns),
            t=t.qualified,
            order=t.key.order("s"),
        )
        nk = len(t.key.columns)
        with self.conn.cursor(name="ormshift_verify_keyed") as cur:
            cur.itersize = _STREAM_ROWS
            cur.execute(query)
            for r in cur:
                yield tuple(str(v) for v in r[:nk]), tuple(r[nk:])

    def stream_ordered(self) -> Iterator[tuple[str, Values]]:
        """Every row as (canonical row text, display values), ordered by that text's bytes.

        For tables without a key; read through a server-side cursor, so memory stays flat.
        """
        t = self.table
        query = sql.SQL('select ({rt}) collate "C", {shown} from {t} order by 1').format(
            rt=row_text(t.columns),
            shown=sql.SQL(", ").join(display(v) for v in t.columns),
            t=t.qualified,
        )
        with self.conn.cursor(name="ormshift_verify_stream") as cur:
            cur.itersize = _STREAM_ROWS
            cur.execute(query)
            for r in cur:
                yield str(r[0]), tuple(r[1:])


def _picker(indices: Sequence[int]) -> Callable[[Sequence[Any]], Values]:
    """The values at ``indices`` of a row, as a tuple (of any length)."""
    if len(indices) >= 2:
        return itemgetter(*indices)
    return lambda r: tuple(r[i] for i in indices)


def _text_order(key: KeySpec) -> sql.Composable:
    """The key's text forms, by their bytes: the order in which Python compares them."""
    return sql.SQL(", ").join(
        sql.SQL('{}::text collate "C"').format(sql.Identifier("s", c)) for c in key.columns
    )
