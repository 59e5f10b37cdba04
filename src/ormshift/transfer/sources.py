"""Where rows come from: a `Reader` lists the source's tables and reads key-range batches.

PostgreSQL sources stream COPY (`PgReader`); MySQL/MariaDB sources go through
SQLAlchemy Core (`ormshift.transfer.mysql`). Both write into the target the same way:
inside the batch transaction the engine opened, with bisection of refused rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from ormshift.db.backends import MYSQL, POSTGRESQL, Backend, Can, backend_for, engines
from ormshift.dsn import check_url
from ormshift.transfer.copy import Span
from ormshift.transfer.errors import ROW_ERRORS
from ormshift.transfer.keyset import Key, next_bound
from ormshift.transfer.lastkey import KeyDecoder, decoder
from ormshift.transfer.lookahead import Lookahead
from ormshift.transfer.plan import Plan, SourceTable, TablePlan, check_mapped, source_tables
from ormshift.transfer.rejects import Loaded, load_batch, settle_batch


@dataclass(frozen=True)
class BatchResult:
    count: int  # rows read
    hi: Key | None  # last key of the batch (None: a table without key, read whole)
    loaded: Loaded


@dataclass(frozen=True)
class Ask:
    """One batch asked of a reader: up to ``size`` rows of ``table`` after ``lo`` (None:
    from its start) and below ``limit`` (a worker's range; None: to the end), written
    into ``target``."""

    plan: Plan
    table: TablePlan
    lo: Key | None
    size: int
    target: psycopg.Connection
    limit: Key | None = None

    def bound(self, source: psycopg.Connection) -> tuple[int, Key] | None:
        """The batch's row count and last key, asked of the source (None: no rows left)."""
        t = self.table
        return next_bound(source, self.plan.schema, t.name, t.key, self.lo, self.size, self.limit)

    def span(self, source: psycopg.Connection, hi: Key | None) -> Span:
        return Span(source, self.target, self.table, self.plan.schema, self.lo, hi)


class BatchRefused(Exception):
    """The target refused a streamed batch (no savepoint guarded it): the batch's
    transaction is to be rolled back whole and the batch read again, which sorts it out."""


class Reader(Protocol):
    backend: Backend  # what the source can do; the engine asks it, not the reader's class
    conn: Any  # the source connection (psycopg where ``backend.can(Can.CATALOG)``)

    def source_tables(self, schema: str) -> tuple[str, list[SourceTable]]:
        """The source's schema name (``schema`` where the source has schemas) and its
        tables, for `ormshift.transfer.plan.plan_for_target`."""
        ...

    def planned(self, plan: Plan, target: psycopg.Connection) -> None:
        """Get ready to read ``plan`` (or refuse it, with a `PreflightError`)."""
        ...

    def start(self) -> None: ...

    def read_batch(self, ask: Ask) -> BatchResult | None: ...

    def release(self) -> None: ...

    def streams(self, table: TablePlan) -> bool:
        """Whether the next batch of ``table`` is streamed whole (no rows sorted out):
        it then writes nothing but its rows, or raises `BatchRefused`."""
        ...

    def then(self, table: TablePlan | None, size: int) -> None:
        """The table whose first batch (``size`` rows from its start) the run asks for
        once the current table is done, so it can be prepared meanwhile; None: none."""
        ...

    def close(self) -> None: ...


class PgReader:
    """A PostgreSQL source: every batch in its own REPEATABLE READ snapshot, streamed COPY.

    Batches whose key can be read off the stream run through a `Lookahead` (the next
    batch's COPY already running on the source while the target commits this one);
    others ask the source for their upper key first. With `then`, the first batch of
    the next table runs ahead too, while the target commits the last of this one.
    """

    backend = POSTGRESQL

    def __init__(self, url: str) -> None:
        self.conn: psycopg.Connection = POSTGRESQL.connect(url)
        self._ahead: Lookahead | None = None
        self._refusing: set[str] = set()  # tables whose last batch refused rows
        self._refused: dict[str, psycopg.Error] = {}  # a batch to sort out: its COPY's error
        self._then: tuple[TablePlan, KeyDecoder, int] | None = None

    def then(self, table: TablePlan | None, size: int) -> None:
        keys = None if table is None else decoder(table, self.conn.info.encoding)
        if table is None or keys is None or table.name in self._refusing:
            self._then = None
        else:
            self._then = (table, keys, size)

    def streams(self, table: TablePlan) -> bool:
        return (
            decoder(table, self.conn.info.encoding) is not None
            and table.name not in self._refusing
            and table.name not in self._refused
        )

    def source_tables(self, schema: str) -> tuple[str, list[SourceTable]]:
        return schema, source_tables(self.conn, schema)

    def planned(self, plan: Plan, target: psycopg.Connection) -> None:
        check_mapped(self.conn, plan)

    def start(self) -> None:
        self.backend.snapshot(self.conn)  # each batch's transaction: its own snapshot

    def read_batch(self, ask: Ask) -> BatchResult | None:
        keys = decoder(ask.table, self.conn.info.encoding)
        if keys is not None:
            return self._streamed_batch(ask, keys)
        self.release()
        with self.conn.transaction():
            hi: Key | None = None
            count = -1
            if ask.table.key:
                bound = ask.bound(self.conn)
                if bound is None:
                    return None
                count, hi = bound
            loaded = load_batch(ask.span(self.conn, hi))
            if count < 0:
                count = loaded.copied.rows + len(loaded.rejects)
            return BatchResult(count, hi, loaded)

    def _streamed_batch(self, ask: Ask, keys: KeyDecoder) -> BatchResult | None:
        """The next ``size`` rows after ``lo`` in one COPY ... LIMIT, its count and last
        key read off the stream. The COPY runs in the batch's transaction with no savepoint
        (one round trip less each way): when the target refuses it, `BatchRefused` is
        raised, the caller rolls the transaction back and asks for the batch again, which
        is then read in a new snapshot, its range from the source, and sorted out as
        `load_batch` does; so is the next batch of a table whose last batch refused rows
        (its COPY would most likely fail too)."""
        table = ask.table
        if table.name in self._refused:
            return self._settled(ask, self._refused.pop(table.name))
        if table.name in self._refusing:
            return self._settled(ask, None)
        if self._ahead is None or self._ahead.schema != ask.plan.schema:
            self.release()
            self._ahead = Lookahead(self.conn, ask.plan.schema)
        try:
            then = self._then if self._then and self._then[0].name != table.name else None
            copied = self._ahead.copy(
                table, keys, ask.lo, ask.limit, ask.size, ask.target, then=then
            )
        except ROW_ERRORS as exc:
            self._refused[table.name] = exc
            raise BatchRefused(table.name) from exc
        if copied.read == 0 or copied.last_key is None:
            return None
        return BatchResult(copied.read, copied.last_key, Loaded(copied, [], []))

    def _settled(self, ask: Ask, first: psycopg.Error | None) -> BatchResult | None:
        self.release()
        with self.conn.transaction():
            bound = ask.bound(self.conn)
            if bound is None:  # the refused rows are gone from the source meanwhile
                return None
            count, hi = bound
            loaded = settle_batch(ask.span(self.conn, hi), first)
        if loaded.rejects:
            self._refusing.add(ask.table.name)
        else:
            self._refusing.discard(ask.table.name)
        return BatchResult(count, hi, loaded)

    def release(self) -> None:
        """No batch read ahead, no transaction open on the source (before a pause)."""
        if self._ahead is not None:
            self._ahead.release()

    def close(self) -> None:
        self.conn.close()


def _mysql_reader(url: str) -> Reader:
    from ormshift.transfer.mysql import MySQLReader  # noqa: PLC0415 - SQLAlchemy, when asked

    return MySQLReader(url)


_READERS: dict[Backend, Callable[[str], Reader]] = {POSTGRESQL: PgReader, MYSQL: _mysql_reader}


def open_reader(url: str) -> Reader:
    """The reader for ``url``'s backend (by its scheme); one line for an engine that
    cannot be a migrate source."""
    backend = backend_for(url)
    check_url(url, engines(Can.TRANSFER_SOURCE), "the source URL", "a migrate source")
    return _READERS[backend](url)
