"""MySQL/MariaDB sources through SQLAlchemy Core.

The tables are reflected with SQLAlchemy; each batch is one keyset ``SELECT`` (row
comparison on the primary key, ``ORDER BY`` key, ``LIMIT``) whose rows are written to
PostgreSQL with text COPY (``write_row``), so this path builds one Python tuple per row:
the price of a driver without COPY. A mapping's transforms run here in Python (TypeORM's
simple-array split on commas), its expressions in MySQL's SQL, and its casts are the
target column's own type parsing the text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ormshift.db import catalog, mysql
from ormshift.db.backends import MYSQL
from ormshift.dsn import redact
from ormshift.transfer.copy import Copied, copy_in
from ormshift.transfer.errors import ROW_ERRORS, PreflightError, TransferError
from ormshift.transfer.keyset import Key
from ormshift.transfer.plan import Plan, SourceTable, TablePlan
from ormshift.transfer.rejects import (
    Loaded,
    Reject,
    bisect,
    classified_rows,
    describe,
    reason,
)
from ormshift.transfer.sources import Ask, BatchResult

Row = tuple[Any, ...]
Convert = Callable[[Any], Any]

_SIZES = sa.text(mysql.TABLE_SIZES)


def key_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _coerce(column: sa.Column[Any], text: str) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return text
    if kind is int:
        return int(text)
    if kind is bytes:
        return bytes.fromhex(text)
    return text


def _time(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return (dt.datetime.min + value).time()
    return value


def _bool(value: Any) -> Any:
    return bool(value) if isinstance(value, int) else value


def _simple_array(value: Any) -> Any:
    """TypeORM's simple-array: ``"a,b"`` -> ``["a", "b"]``, ``""`` -> ``[]``."""
    if isinstance(value, str):
        return value.split(",") if value else []
    return value


def _transform(name: str | None) -> Convert | None:
    # simple-json needs nothing: the JSON text goes through text COPY into jsonb as it is
    return _simple_array if name == "simple-array" else None


def _chain(first: Convert | None, then: Convert | None) -> Convert | None:
    if first is None or then is None:
        return first or then
    return lambda v: then(first(v))


def _converter(fmt: str) -> Convert | None:
    if fmt == "boolean":
        return _bool
    if fmt.startswith("time") and not fmt.startswith("timestamp"):
        return _time
    return None


class MySQLReader:
    """A MySQL or MariaDB source database (the database named in the URL), read through
    SQLAlchemy Core on the backend's own pymysql connection."""

    backend = MYSQL

    def __init__(self, url: str) -> None:
        self.database = mysql.database(url)  # a bad port or host, or no database: one line
        self.url = url
        try:
            self.engine = sa.create_engine(
                "mysql+pymysql://", creator=lambda: MYSQL.connect(url), poolclass=sa.pool.NullPool
            )
            self.conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise mysql.connection_failed(url, exc) from exc
        self.meta = sa.MetaData()
        self.convert: dict[str, list[Convert | None]] = {}

    def source_tables(self, schema: str) -> tuple[str, list[SourceTable]]:
        """The database's tables (a MySQL database is the schema: ``schema`` names only
        the target's)."""
        try:
            self.meta.reflect(bind=self.conn, views=False)
            sizes = {r[0]: (int(r[1]), int(r[2])) for r in self.conn.execute(_SIZES)}
            self.conn.commit()
        except SQLAlchemyError as exc:
            raise PreflightError(f"cannot read the source schema: {_reason(exc)}") from exc
        tables = [
            _source_table(t, sizes.get(t.name, (0, 0)))
            for t in self.meta.sorted_tables
            if t.schema is None
        ]
        return self.database, tables

    def planned(self, plan: Plan, target: psycopg.Connection) -> None:
        for t in plan.tables:
            rel = psycopg.sql.Identifier(t.schema, t.target).as_string(target)
            fmts = catalog.column_formats(target, rel)
            self.convert[t.name] = [
                _chain(_transform(o.transform), _converter(fmts[o.target])) for o in t.outputs
            ]

    def start(self) -> None:
        return None

    def read_batch(self, ask: Ask) -> BatchResult | None:
        assert ask.limit is None, "MySQL sources are read by one worker"
        table, target = ask.table, ask.target
        t0 = time.perf_counter()
        rows = self._select(table, ask.lo, ask.size)
        read_s = time.perf_counter() - t0
        if table.key and not rows:
            return None
        converters = self.convert[table.name]
        if any(converters):
            rows = [
                tuple(v if f is None else f(v) for f, v in zip(converters, r, strict=True))
                for r in rows
            ]
        digest = hashlib.md5(usedforsecurity=False)
        for r in rows:
            digest.update(repr(r).encode())
        sources = [o.source for o in table.outputs]
        positions = [sources.index(k) for k in table.key]
        hi = tuple(key_text(rows[-1][i]) for i in positions) if table.key else None
        rejects: list[Reject] = []
        bad: list[Key] = []
        try:
            with target.transaction():
                written = _write(target, table, rows)
        except ROW_ERRORS as exc:
            if not table.key:
                raise

            def refuse(i: int, why: str) -> None:
                key = tuple(key_text(rows[i][p]) for p in positions)
                bad.append(key)
                rejects.append(
                    Reject(
                        table=table.name,
                        key=dict(zip(table.key, key, strict=True)),
                        row={
                            c: _jsonable(v)
                            for c, v in zip(table.target_columns, rows[i], strict=True)
                        },
                        error=why,
                    )
                )

            settled = classified_rows(target, table, rows)
            if settled is not None:
                written = settled.written
                for i, message, detail in settled.refused:
                    refuse(i, reason(message, detail))
            else:
                written = bisect(
                    len(rows),
                    exc,
                    target,
                    lambda i, j: _copied(target, table, rows[i:j]),
                    lambda i, error: refuse(i, describe(error)),
                ).rows
        write_s = time.perf_counter() - t0 - read_s
        copied = Copied(written, digest.hexdigest(), read_s, write_s, "rows")
        written_keys = None
        if bad:
            refused = set(bad)
            every = (tuple(key_text(r[p]) for p in positions) for r in rows)
            written_keys = [k for k in every if k not in refused]
        return BatchResult(len(rows), hi, Loaded(copied, rejects, bad, written_keys))

    def _select(self, table: TablePlan, lo: Key | None, size: int) -> list[Row]:
        t = self.meta.tables[table.name]
        stmt = sa.select(
            *(
                t.c[o.source] if o.source is not None else sa.literal_column(o.expression or "")
                for o in table.outputs
            )
        )
        if table.key:
            keys = [t.c[k] for k in table.key]
            if lo is not None:
                bounds = [_coerce(k, v) for k, v in zip(keys, lo, strict=True)]
                stmt = stmt.where(sa.tuple_(*keys) > sa.tuple_(*bounds))
            stmt = stmt.order_by(*keys).limit(size)
        try:
            with self.conn.begin():
                return [tuple(r) for r in self.conn.execute(stmt)]
        except SQLAlchemyError as exc:
            raise TransferError(f"reading {table.name!r} failed: {_reason(exc)}") from exc

    def release(self) -> None:
        """Nothing is read ahead here: each batch is one query in its own transaction."""

    def streams(self, table: TablePlan) -> bool:
        """No COPY here: every batch is sorted out row by row when the target refuses it."""
        return False

    def then(self, table: TablePlan | None, size: int) -> None:
        """Nothing is read ahead here (see `release`)."""

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def _source_table(t: sa.Table, size: tuple[int, int]) -> SourceTable:
    return SourceTable(
        name=t.name,
        columns=tuple(c.name for c in t.columns if c.computed is None),
        key=tuple(c.name for c in t.primary_key.columns),
        parents=frozenset(
            fk.referred_table.name
            for fk in t.foreign_key_constraints
            if fk.referred_table.schema is None
        ),
        est_rows=size[0],
        est_bytes=size[1],
    )


def _write(target: psycopg.Connection, table: TablePlan, rows: Sequence[Row]) -> int:
    with target.cursor() as cur:
        with cur.copy(copy_in(table)) as sink:
            for r in rows:
                sink.write_row(r)
        return cur.rowcount


def _copied(target: psycopg.Connection, table: TablePlan, rows: Sequence[Row]) -> Copied:
    return Copied(_write(target, table, rows), "", 0.0, 0.0, "rows")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _reason(exc: SQLAlchemyError) -> str:
    return redact(str(getattr(exc, "orig", exc)).strip().splitlines()[0])
