"""Shared fixtures: a real PostgreSQL server and a fresh database per test.

The server is ``$ORMSHIFT_TEST_DSN`` when set (CI points it at the local PostgreSQL),
otherwise a throwaway embedded server started from the ``pgserver`` wheel.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from ormshift.manifest import Manifest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
CORPUS_SETS = sorted(p.name for p in CORPUS.iterdir() if (p / "tsconfig.json").is_file())


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    env = os.environ.get("ORMSHIFT_TEST_DSN")
    if env:
        yield env
        return
    import pgserver  # noqa: PLC0415 - only needed without ORMSHIFT_TEST_DSN

    with tempfile.TemporaryDirectory(prefix="ormshift-pg-") as tmp:
        server = pgserver.get_server(Path(tmp), cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


class DatabaseFactory:
    """Creates uniquely named databases on the test server and drops them afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def __call__(self, prefix: str = "t") -> str:
        name = f"ormshift_{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        self.created.append(name)
        return with_database(self.server_url, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


@pytest.fixture
def make_db(pg_server_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(pg_server_url)
    try:
        yield factory
    finally:
        factory.drop_all()


@pytest.fixture
def fresh_db(make_db: DatabaseFactory) -> str:
    """The URL of a new, empty database that is dropped after the test."""
    return make_db()


def server_extensions(url: str | URL) -> set[str]:
    """Extensions the server could install (the embedded pgserver ships no contrib)."""
    if isinstance(url, URL):
        url = url.render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("select name from pg_available_extensions")}


def require_extensions(url: str | URL, needed: tuple[str, ...]) -> None:
    """Gate a test on a server capability, never on a dialect or machine name."""
    missing = sorted(set(needed) - server_extensions(url))
    if missing:
        pytest.skip(
            f"server lacks extension(s) {', '.join(missing)}; point ORMSHIFT_TEST_DSN at a "
            "PostgreSQL with contrib (CI does)"
        )


def create_schemas(url: str, manifest: Manifest) -> None:
    """Create the schemas other than ``public`` that ``manifest`` uses: TypeORM's
    synchronize() expects them to exist (the generated models create them)."""
    names = {t.schema for t in manifest.tables} | {e.schema for e in manifest.enums}
    with psycopg.connect(url, autocommit=True) as conn:
        for name in sorted(n for n in names if n and n != "public"):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(name)))


#: the password of `password_server`; tests search all output for it
SERVER_PASSWORD = "Pw9f3c-sEcret"


@pytest.fixture(scope="session")
def password_server() -> Iterator[str]:
    """An embedded PostgreSQL that checks passwords (the shared test server trusts all)."""
    import pgserver  # noqa: PLC0415 - the embedded server is the only one we may reconfigure

    with tempfile.TemporaryDirectory(prefix="ormshift-pw-") as tmp:
        server = pgserver.get_server(Path(tmp), cleanup_mode="stop")
        try:
            server.psql(f"ALTER ROLE postgres PASSWORD '{SERVER_PASSWORD}';")
            hba = Path(tmp) / "pg_hba.conf"
            hba.write_text("local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n")
            server.psql("SELECT pg_reload_conf();")
            yield server.get_uri()
        finally:
            server.cleanup()


def with_password(url: str, password: str) -> str:
    """``url`` of the password server (``postgresql://postgres:@/...``) with ``password``."""
    return url.replace("postgres:@", f"postgres:{quote(password, safe='')}@", 1)


@pytest.fixture
def drivers() -> Iterator[Counter[str]]:
    """The statements every SQLAlchemy engine sends, counted by driver and asyncio-ness
    (compare's own resets and snapshots go through psycopg, not SQLAlchemy)."""
    seen: Counter[str] = Counter()

    def probe(conn: Any, *_: object) -> None:
        dialect = conn.dialect
        seen[f"{dialect.driver}{' async' if dialect.is_async else ''}"] += 1

    event.listen(Engine, "before_cursor_execute", probe)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", probe)
