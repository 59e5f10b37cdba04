"""Reading a ``COPY ... TO STDOUT`` in chunks straight from libpq.

libpq hands COPY data over one row per call. psycopg's ``Copy.read()`` wraps each of those
calls in a generator and a wait loop written in Python, which costs about 1 µs per row:
half a CPU-second for a million rows, taken from the two database backends this process
shares the machine with. Here the rows are taken from the connection's ``PGconn`` (the
C implementation) in a tight loop and gathered into chunks of about ``CHUNK_BYTES``, so
Python code runs a few times per chunk and once per row only to append bytes.

The query runs inside whatever transaction the connection has open (`copy_out` holds
the connection's lock meanwhile; `ormshift.transfer.lookahead`, whose connection one
worker thread owns, sends and receives on its own). Leaving early (an error in the
consumer) reads the rest of the COPY and discards it rather than cancelling: the source's
transaction stays usable.
"""

from __future__ import annotations

import select
from collections.abc import Container, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from psycopg import errors, pq, sql

CHUNK_BYTES = 128 * 1024
TRAILER = b"\xff\xff"  # binary COPY's end: a field count of -1


def _wait(pgconn: pq.abc.PGconn, event: int) -> None:
    poller = select.poll()
    poller.register(pgconn.socket, event)
    poller.poll()


def _fail(conn: psycopg.Connection, result: pq.abc.PGresult | None) -> psycopg.Error:
    if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
        return errors.error_from_result(result, encoding=conn.info.encoding)
    message = conn.pgconn.error_message.decode(conn.info.encoding, "replace").strip()
    return psycopg.OperationalError(message or "the COPY from the source failed")


def _next_result(pgconn: pq.abc.PGconn) -> pq.abc.PGresult | None:
    """The next result of the current query (None: no more), waited for without the GIL."""
    while pgconn.is_busy():
        _wait(pgconn, select.POLLIN)
        pgconn.consume_input()
    return pgconn.get_result()


def _results(conn: psycopg.Connection) -> list[pq.abc.PGresult]:
    """Every pending result of the current query."""
    out: list[pq.abc.PGresult] = []
    while (result := _next_result(conn.pgconn)) is not None:
        out.append(result)
    return out


def render(conn: psycopg.Connection, query: sql.Composed, params: Sequence[str]) -> str:
    """``query`` with its parameters merged in.

    COPY takes no parameters: psycopg's copy() merges them client-side, and so do we, with
    the same quoting (untyped literals the server resolves against the key columns).
    """
    with psycopg.ClientCursor(conn) as cur:
        return cur.mogrify(query, params)


def send(conn: psycopg.Connection, text: str) -> None:
    """Send ``text`` (statements ending in one ``COPY ... TO STDOUT``) without waiting for
    the server; `receive` picks the COPY up."""
    pgconn = conn.pgconn
    pgconn.send_query(text.encode(conn.info.encoding))
    while pgconn.flush():
        _wait(pgconn, select.POLLOUT)


def command(conn: psycopg.Connection, text: str) -> None:
    """Run a statement without results (COMMIT, ROLLBACK) and wait for it."""
    send(conn, text)
    for result in _results(conn):
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise _fail(conn, result)


def receive(conn: psycopg.Connection, *, binary: bool) -> CopyStream:
    """Wait for the COPY that `send` started (after any statements before it)."""
    while True:
        result = _next_result(conn.pgconn)
        if result is not None and result.status == pq.ExecStatus.COMMAND_OK:
            continue  # a statement before the COPY (BEGIN, COMMIT)
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            _results(conn)
            raise _fail(conn, result)
        return CopyStream(conn, binary)


class CopyStream:
    """The data of one running ``COPY ... TO STDOUT``, in chunks of about CHUNK_BYTES.

    Once iterated to the end: ``rows`` is the COPY's own count (its command tag) and
    ``last_row`` the last data message (binary format: the one before the trailer, the
    file header still in front of it when it is also the first).
    """

    def __init__(self, conn: psycopg.Connection, binary: bool) -> None:
        self._conn = conn
        self._binary = binary
        self.finished = False
        self.rows = 0
        self.last_row: bytes | None = None

    @property
    def encoding(self) -> str:
        """The client encoding the COPY's text is in."""
        return self._conn.info.encoding

    def __iter__(self) -> Iterator[bytes]:
        pgconn = self._conn.pgconn
        get = pgconn.get_copy_data
        consume = pgconn.consume_input
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN)
        poll = poller.poll
        chunk = bytearray()
        size = 0  # len(chunk), kept by hand: this loop runs once per row
        # where the last two messages start in ``chunk`` (-1: not in it); libpq's buffer
        # is reused, so the messages themselves are kept only as offsets, and copied
        # out (``tail``) once per chunk
        p = q = -1
        tail: tuple[bytes, ...] = ()
        while True:
            nbytes, data = get(1)
            if nbytes > 0:
                p = q
                q = size
                chunk += data
                size += nbytes
                if size >= CHUNK_BYTES:
                    tail = _last_two(chunk, p, q, tail)
                    yield bytes(chunk)
                    chunk.clear()
                    size = 0
                    p = q = -1
            elif nbytes == 0:  # no complete row buffered: wait for the socket
                poll()
                consume()
            elif nbytes == -1:
                break
            else:
                raise _fail(self._conn, None)
        self._finish()
        tail = _last_two(chunk, p, q, tail)
        if self._binary:  # the trailer is a message of its own; if not, no last row
            row = tail[0] if len(tail) == 2 and tail[1] == TRAILER else None
        else:
            row = tail[-1] if tail else None
        self.last_row = row if self.rows else None
        if chunk:
            yield bytes(chunk)

    def split(
        self, aside: Container[int], kept: list[bytes], digest: Any | None = None
    ) -> Iterator[bytes]:
        """The COPY's data without the rows at positions ``aside`` (0-based; in binary
        format the file header and trailer stay), in chunks; those rows go to ``kept``
        (as data messages, without the header), and the whole stream, as read, to
        ``digest`` (so it is the checksum of every row, as a clean batch's)."""
        binary = self._binary
        pgconn = self._conn.pgconn
        get = pgconn.get_copy_data
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN)
        update = digest.update if digest is not None else _ignore
        chunk = bytearray()
        done = 0  # how much of ``chunk`` the digest has seen (it takes runs of rows)
        i = -1  # the position of the message just read (the trailer: one past the rows)
        while True:
            nbytes, data = get(1)
            if nbytes > 0:
                i += 1
                if i in aside:
                    row = bytes(data)
                    update(memoryview(chunk)[done:])
                    update(row)
                    if i == 0 and binary:  # the file header comes first: it stays
                        n = header_length(row)
                        if not n:
                            raise psycopg.DataError(
                                "the source's binary COPY data does not start with its header"
                            )
                        chunk += row[:n]
                        row = row[n:]
                    done = len(chunk)
                    kept.append(row)
                else:
                    chunk += data
                    if len(chunk) >= CHUNK_BYTES:
                        update(memoryview(chunk)[done:])
                        yield bytes(chunk)
                        chunk.clear()
                        done = 0
            elif nbytes == 0:
                poller.poll()
                pgconn.consume_input()
            elif nbytes == -1:
                break
            else:
                raise _fail(self._conn, None)
        self._finish()
        update(memoryview(chunk)[done:])
        if chunk:
            yield bytes(chunk)

    def _finish(self) -> None:
        """The COPY's end: its own row count (the command tag), or its error."""
        for result in _results(self._conn):
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise _fail(self._conn, result)
            self.rows = result.command_tuples or 0
        self.finished = True

    def drain(self) -> None:
        """Read the COPY to its end; a cancel would abort the source's transaction."""
        if not self.finished:
            for _ in self:
                pass


def _ignore(_: bytes | memoryview) -> None:
    pass


#: binary COPY's file header: signature, flags, then the length of an extension area
HEADER = b"PGCOPY\n\xff\r\n\x00"


def header_length(message: bytes | memoryview) -> int:
    """Where the first row starts in a binary COPY message: after the file header when
    the message carries it (the first one does), else 0."""
    if bytes(message[: len(HEADER)]) != HEADER:
        return 0
    ext = bytes(message[len(HEADER) + 4 : len(HEADER) + 8])
    return len(HEADER) + 8 + int.from_bytes(ext, "big", signed=True)


def _last_two(chunk: bytearray, p: int, q: int, before: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The last two messages so far: those starting at ``p`` and ``q`` in ``chunk``, or
    from ``before`` (the previous chunks') where ``chunk`` has fewer."""
    if p >= 0:
        return bytes(chunk[p:q]), bytes(chunk[q:])
    if q >= 0:
        return (*before[-1:], bytes(chunk[q:]))
    return before


@contextmanager
def copy_out(
    conn: psycopg.Connection, query: sql.Composed, params: Sequence[str], *, binary: bool
) -> Iterator[CopyStream]:
    """Run ``query`` (a ``COPY ... TO STDOUT``) and give its data as a `CopyStream`."""
    with conn.lock:
        send(conn, render(conn, query, params))
        with reading(receive(conn, binary=binary)) as stream:
            yield stream


@contextmanager
def reading(stream: CopyStream) -> Iterator[CopyStream]:
    """``stream``, read to its end on the way out, whatever happened."""
    try:
        yield stream
    except BaseException:
        with suppress(psycopg.Error):  # the first error is the one to report
            stream.drain()
        raise
    stream.drain()
