"""Streamed batches from a PostgreSQL source, each in its own snapshot, one batch ahead.

A batch is ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; COPY (SELECT ... WHERE key
> lo ORDER BY key LIMIT n) TO STDOUT; COMMIT`` on the source. Once batch N's rows have
all been read (its count and last key with them, `ormshift.transfer.lastkey`), and
while the target is still loading them, the source is sent ``COMMIT; BEGIN ...; COPY``
for batch N+1 in one message. The source starts producing the next batch while the
target finishes, writes the ledger row and commits this one; without this the target
sat idle at every batch boundary, waiting for the source's round trips.

When the batch is the last of its table (fewer rows than asked for) and the run said
which table comes next (`PgReader.then`), the ``COMMIT; BEGIN ...; COPY`` sent is the
next table's first batch: with many small tables, each table's first rows are on their
way while the target commits the table before it.

The look-ahead is dropped (read to its end, its transaction closed) whenever the next
batch asked for is not the one prepared: another table or range, a refused batch being
bisected, or a pause of the run (`release`), so no source transaction stays open while
the run waits. The connection is used by one thread (its worker).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from ormshift.transfer.copy import Copied, copy_out, relay
from ormshift.transfer.copyout import command, receive, render, send
from ormshift.transfer.errors import TransferError
from ormshift.transfer.keyset import Key, next_bound
from ormshift.transfer.lastkey import KeyDecoder
from ormshift.transfer.plan import TablePlan

BEGIN = "begin isolation level repeatable read read only"


@dataclass(frozen=True)
class _Batch:
    table: str
    lo: Key | None
    limit: Key | None
    take: int
    binary: bool


class Lookahead:
    """Runs the streamed batches of one source connection (in autocommit mode)."""

    def __init__(self, conn: psycopg.Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        self.ahead: _Batch | None = None  # sent and not yet read
        self.open = False  # a batch transaction is open

    def _text(self, table: TablePlan, batch: _Batch) -> str:
        query, params = copy_out(table, self.schema, batch.lo, batch.limit, batch.take)
        return render(self.conn, query, params)

    def copy(
        self,
        table: TablePlan,
        keys: KeyDecoder,
        lo: Key | None,
        limit: Key | None,
        take: int,
        target: psycopg.Connection,
        *,
        then: tuple[TablePlan, KeyDecoder, int] | None = None,
    ) -> Copied:
        """Stream the next ``take`` rows of ``table`` after ``lo`` (up to ``limit``) into
        the target's open transaction; ``read`` and ``last_key`` (read with ``keys``) say
        what was sent. ``then``: (table, its key decoder, rows) of the batch to prepare
        when this one ends its table."""
        batch = _Batch(table.name, lo, limit, take, table.binary)
        if self.ahead != batch:
            self.release()
            send(self.conn, f"{BEGIN}; {self._text(table, batch)}")
        self.ahead = None
        self.open = True
        stream = receive(self.conn, binary=table.binary)

        def after_read(rows: int, last: Key | None) -> Key | None:
            if rows and last is None:  # a stream the decoder did not expect: ask
                bound = next_bound(self.conn, self.schema, table.name, table.key, lo, take, limit)
                if bound is None or bound[0] != rows:
                    raise TransferError(
                        f"table {table.name!r}: the batch after {lo} sent {rows} rows that "
                        "its key range does not hold; the batch was rolled back"
                    )
                last = bound[1]
            if rows == take and last is not None:
                following = _Batch(table.name, last, limit, take, table.binary)
                send(self.conn, f"commit; {BEGIN}; {self._text(table, following)}")
                self.ahead = following
            elif then is not None and limit is None:
                nxt, _, size = then
                first = _Batch(nxt.name, None, None, size, nxt.binary)
                send(self.conn, f"commit; {BEGIN}; {self._text(nxt, first)}")
                self.ahead = first
            else:
                command(self.conn, "commit")
            self.open = False
            return last

        return relay(stream, target, table, keys=keys, after_read=after_read)

    def release(self) -> None:
        """Drop the look-ahead and close any batch transaction: the source is idle."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None:
            self.open = True
            receive(self.conn, binary=ahead.binary).drain()
        if self.open:
            command(self.conn, "rollback")  # read only: nothing to keep
            self.open = False
