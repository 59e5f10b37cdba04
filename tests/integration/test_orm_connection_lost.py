"""A connection lost under a call is one error, `ConnectionLost`, on every path.

The pooled connection's backend is ended by ``pg_terminate_backend`` (the server says
why: SQLSTATE 57P01, as at a shutdown), or its socket is cut by a proxy on loopback (the
driver finds it closed, no SQLSTATE); a "restart" is the proxy going away and coming
back. Each kind of operation then fails with `ConnectionLost` and a one-line message,
and the next call gets a new connection and works.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

from ormshift.errors import ConnectionFailed
from ormshift.orm import ConnectionLost, DataSource, OrmError, PoolTimeout
from tests.models.blog import Post, Tag, User
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase

Operation = Callable[[DataSource], Any]

OPERATIONS: dict[str, Operation] = {
    # the plain path (driver's cursor, no session)
    "find_one_by": lambda ds: ds.get_repository(Post).find_one_by({"id": 1}),
    "find plain": lambda ds: ds.get_repository(Post).find(where={"id": 1}),
    # the session path
    "find": lambda ds: ds.get_repository(Post).find(where={"id": 1}, relations={"author": True}),
    "find_one": lambda ds: ds.get_repository(Post).find_one(
        where={"id": 1}, relations={"tags": True}
    ),
    "count": lambda ds: ds.get_repository(User).count(),
    "query": lambda ds: ds.query("select 1 as one"),
    # simple_save, and the unit of work
    "save": lambda ds: ds.get_repository(Tag).save(Tag(name="lost", label="l")),
    "save many": lambda ds: ds.get_repository(Tag).save(
        [Tag(name="lost1", label="l"), Tag(name="lost2", label="l")]
    ),
    # the write cache
    "insert": lambda ds: ds.get_repository(Tag).insert({"name": "lost3", "label": "l"}),
    "update": lambda ds: ds.get_repository(Tag).update({"name": "lost3"}, {"label": "m"}),
    "delete": lambda ds: ds.get_repository(Tag).delete({"name": "lost3"}),
    "transaction": lambda ds: ds.transaction(
        lambda m: m.get_repository(Tag).insert({"name": "lost4", "label": "l"})
    ),
}


def _assert_lost(exc: BaseException) -> None:
    assert type(exc) is ConnectionLost, repr(exc)
    assert isinstance(exc, OrmError) and isinstance(exc, ConnectionFailed)
    message = str(exc)
    assert message.startswith("the database connection was lost"), message
    assert "\n" not in message, message
    assert "Background on this error" not in message and "sqlalche.me" not in message
    assert "[SQL:" not in message and "psycopg" not in message, message


def _terminate(server_url: str, pid: int) -> None:
    """End backend ``pid`` and wait until the server has let it go."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        assert conn.execute("select pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(2000):
            if conn.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
                time.sleep(0.005)
            else:
                return
    raise AssertionError(f"backend {pid} did not end")


def _pid(ds: DataSource) -> int:
    return int(ds.query("select pg_backend_pid() as pid")[0]["pid"])


@pytest.fixture
def url(blog: SchemaDatabase) -> str:
    return blog.reset(SEED)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_terminated_pooled_connection_is_connection_lost(
    url: str, pg_server_url: str, name: str
) -> None:
    operation = OPERATIONS[name]
    with DataSource(url, size=1, overflow=0, timeout=30) as ds:
        _terminate(pg_server_url, _pid(ds))
        with pytest.raises(ConnectionLost) as lost:
            operation(ds)
        _assert_lost(lost.value)
        assert lost.value.sqlstate == "57P01"
        assert ds.pool_stats().checked_out == 0
        # the data source recovers: a new connection, and the operation works
        operation(ds)
        assert ds.query("select 1 as one") == [{"one": 1}]
        stats = ds.pool_stats()
        assert (stats.checked_out, stats.timeouts_total) == (0, 0)
        assert stats.connections_total == 2


def test_a_connection_terminated_inside_a_transaction(url: str, pg_server_url: str) -> None:
    with DataSource(url, size=2, overflow=0, timeout=30) as ds:
        with pytest.raises(ConnectionLost) as lost, ds.transaction() as m:
            m.get_repository(Tag).insert({"name": "before", "label": "l"})
            _terminate(pg_server_url, int(m.query("select pg_backend_pid() as p")[0]["p"]))
            m.get_repository(Tag).insert({"name": "after", "label": "l"})
        _assert_lost(lost.value)
        # nothing of the transaction was committed, and the next one works
        tags = ds.get_repository(Tag)
        assert tags.count(where={"name": "before"}) == 0
        with ds.transaction() as m:
            m.get_repository(Tag).insert({"name": "again", "label": "l"})
        assert tags.find_one_by({"name": "again"}) is not None
        assert ds.pool_stats().checked_out == 0


def test_a_connection_terminated_before_commit(url: str, pg_server_url: str) -> None:
    with DataSource(url, size=2, overflow=0, timeout=30) as ds:
        with pytest.raises(ConnectionLost) as lost, ds.transaction() as m:
            m.get_repository(Tag).insert({"name": "uncommitted", "label": "l"})
            _terminate(pg_server_url, int(m.query("select pg_backend_pid() as p")[0]["p"]))
        _assert_lost(lost.value)
        assert ds.get_repository(Tag).count(where={"name": "uncommitted"}) == 0


def test_a_statement_terminated_while_it_runs(url: str, pg_server_url: str) -> None:
    """The backend is ended while the statement runs (``pg_sleep``), not between calls."""
    with DataSource(url, size=1, overflow=0, timeout=30) as ds:
        pid = _pid(ds)

        def terminate_when_sleeping() -> None:
            with psycopg.connect(pg_server_url, autocommit=True) as conn:
                for _ in range(60_000):
                    row = conn.execute(
                        "select wait_event from pg_stat_activity where pid = %s", (pid,)
                    ).fetchone()
                    if row == ("PgSleep",):
                        break
                    time.sleep(0.005)
            _terminate(pg_server_url, pid)

        killer = threading.Thread(target=terminate_when_sleeping)
        killer.start()
        try:
            with pytest.raises(ConnectionLost) as lost:
                ds.query("select pg_sleep(600)")
        finally:
            killer.join()
        _assert_lost(lost.value)
        assert lost.value.sqlstate == "57P01"
        assert ds.get_repository(Post).find_one_by({"id": 1}) is not None


class _Proxy:
    """A TCP proxy on loopback to the test server: ``cut`` drops every connection
    through it, ``stop`` also stops listening, ``start`` listens again (same port)."""

    def __init__(self, target: tuple[int, Any]) -> None:
        self.family, self.address = target
        self.port = 0
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # stopped
                return
            upstream = socket.socket(self.family, socket.SOCK_STREAM)
            upstream.connect(self.address)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def stop(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread (Linux)
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        self.cut()


@pytest.fixture
def proxy(pg_server_url: str) -> Iterator[_Proxy]:
    info = conninfo_to_dict(pg_server_url)
    host, port = str(info.get("host") or "/tmp"), int(info.get("port") or 5432)
    target: tuple[int, Any] = (
        (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
        if host.startswith("/")
        else (socket.AF_INET, (host, port))
    )
    p = _Proxy(target)
    try:
        yield p
    finally:
        p.stop()


def _through(proxy: _Proxy, pg_server_url: str, blog: SchemaDatabase) -> str:
    info = conninfo_to_dict(pg_server_url)
    return URL.create(
        "postgresql",
        username=info.get("user"),
        password=info.get("password") or None,
        host="127.0.0.1",
        port=proxy.port,
        database=blog.name,
    ).render_as_string(hide_password=False)


@pytest.mark.parametrize("name", ["find_one_by", "find", "save", "insert", "transaction"])
def test_a_dropped_socket_is_connection_lost_too(
    url: str, blog: SchemaDatabase, pg_server_url: str, proxy: _Proxy, name: str
) -> None:
    operation = OPERATIONS[name]
    with DataSource(_through(proxy, pg_server_url, blog), size=1, overflow=0, timeout=30) as ds:
        assert ds.query("select 1 as one") == [{"one": 1}]
        proxy.cut()
        with pytest.raises(ConnectionLost) as lost:
            operation(ds)
        _assert_lost(lost.value)
        assert lost.value.sqlstate is None  # the driver found the socket closed
        operation(ds)
        assert ds.pool_stats().checked_out == 0


def test_a_restarted_server(
    url: str, blog: SchemaDatabase, pg_server_url: str, proxy: _Proxy
) -> None:
    """Every pooled connection dies; while the server is away the error says it cannot
    be reached; once back, every path works again at its first try."""
    with DataSource(_through(proxy, pg_server_url, blog), size=3, overflow=0, timeout=30) as ds:
        with ds.transaction() as m1, ds.transaction() as m2, ds.transaction() as m3:
            for m in (m1, m2, m3):
                m.query("select 1")
        assert ds.pool_stats().checked_in == 3
        proxy.stop()
        with pytest.raises(ConnectionLost) as lost:
            OPERATIONS["find_one_by"](ds)
        _assert_lost(lost.value)
        with pytest.raises(ConnectionFailed) as away:
            OPERATIONS["count"](ds)
        assert type(away.value) is ConnectionFailed
        assert str(away.value).startswith("cannot reach the database"), away.value
        assert "\n" not in str(away.value) and "Background on this error" not in str(away.value)
        proxy.start()
        # the other pooled connections were opened before the loss: replaced, not tried
        for name in ("find_one_by", "count", "insert", "save", "transaction"):
            OPERATIONS[name](ds)
        stats = ds.pool_stats()
        assert (stats.checked_out, stats.timeouts_total) == (0, 0)


def test_pool_timeout_is_one_clean_line(url: str) -> None:
    with DataSource(url, size=1, overflow=0, timeout=0.1) as ds, ds.transaction() as m:
        m.query("select 1")
        for name in ("find_one_by", "find", "insert", "transaction"):
            with pytest.raises(PoolTimeout) as timed:
                OPERATIONS[name](ds)
            message = str(timed.value)
            assert message.startswith("no database connection became free in time"), message
            assert "\n" not in message and "Background on this error" not in message
            assert "sqlalche.me" not in message
