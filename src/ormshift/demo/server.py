"""A throwaway PostgreSQL for the demo: the ``pgserver`` wheel, in a temporary directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from ormshift.dsn import with_database
from ormshift.errors import OrmshiftError


class DemoError(OrmshiftError):
    """The demo could not set up what it needs."""


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Start an embedded server; yield its URL; stop it and remove its files afterwards."""
    try:
        from pgserver.postgres_server import get_server  # noqa: PLC0415
    except ImportError as exc:
        raise DemoError(
            "the demo needs the pgserver wheel: pip install 'ormshift[embedded]'"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="ormshift-demo-pg-") as tmp:
        server = get_server(Path(tmp), cleanup_mode="stop")
        try:
            yield str(server.get_uri())
        finally:
            server.cleanup()


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(ident))
        conn.execute(sql.SQL("create database {}").format(ident))
    return with_database(server_url, name)
