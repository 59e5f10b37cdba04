"""The source is never the target: refused by the server's identity, under any spelling."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.integration.test_transfer_support import query, run_sql

CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]


def _spellings(url: str) -> list[str]:
    """Other URLs that reach the same database as ``url``."""
    parts = urlsplit(url)
    out = [
        urlunsplit(parts._replace(scheme="postgres")),
        urlunsplit(parts._replace(scheme="postgresql+psycopg")),
        urlunsplit(
            parts._replace(query=urlencode([*parse_qsl(parts.query), ("application_name", "x")]))
        ),
    ]
    host = parts.hostname or ""
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(host)
    if other is not None:
        netloc = parts.netloc.replace(host, other)
        out.append(urlunsplit(parts._replace(netloc=netloc)))
        out.append(urlunsplit(parts._replace(netloc=parts.netloc.replace(host, other.upper()))))
        if parts.port is None:
            out.append(urlunsplit(parts._replace(netloc=f"{netloc}:5432")))
    info = psycopg.conninfo.conninfo_to_dict(url)
    out.append(" ".join(f"{k}={v}" for k, v in info.items() if v is not None))
    return out


@pytest.fixture
def db(make_db: Callable[[str], str]) -> str:
    url = make_db("same")
    run_sql(
        url,
        "create table parent (id serial primary key, name text)",
        "create table child (id serial primary key, parent_id int references parent)",
        "insert into parent (name) select 'p' || i from generate_series(1, 500) i",
        "insert into child (parent_id) select 1 + i % 500 from generate_series(1, 800) i",
    )
    return url


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


def _state(url: str) -> list[tuple[object, ...]]:
    return query(
        url,
        "select (select count(*) from parent), (select count(*) from child),"
        " to_regclass('ormshift.runs') is null",
    )


@pytest.mark.parametrize("mode", ["--truncate", "--append", "--dry-run"])
def test_migrate_refuses_its_own_source_under_every_spelling(db: str, mode: str) -> None:
    before = _state(db)
    assert before == [(500, 800, True)]
    for spelling in [db, *_spellings(db)]:
        result = _cli("migrate", "--source", db, "--target", spelling, mode)
        assert result.returncode == 2, (spelling, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "same database" in lines[0], (spelling, result.stderr)
        assert "Traceback" not in result.stderr
        assert _state(db) == before, spelling


def test_verify_refuses_comparing_a_database_with_itself(db: str) -> None:
    for spelling in [db, *_spellings(db)]:
        result = _cli("verify", "--source", spelling, "--target", db)
        assert result.returncode == 2, (spelling, result.stdout, result.stderr)
        assert "same database" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_another_user_on_the_same_database_is_the_same_database(db: str) -> None:
    role = f"ormshift_other_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("grant select on all tables in schema public to {}").format(
                sql.Identifier(role)
            )
        )
    try:
        other = psycopg.conninfo.make_conninfo(db, user=role)
        result = _cli("migrate", "--source", other, "--target", db, "--truncate")
        assert result.returncode == 2 and "same database" in result.stderr, result.stderr
        assert _state(db) == [(500, 800, True)]
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_another_database_of_the_same_server_is_not_refused(
    db: str, make_db: Callable[[str], str]
) -> None:
    other = make_db("other")
    run_sql(
        other,
        "create table parent (id serial primary key, name text)",
        "create table child (id serial primary key, parent_id int references parent)",
    )
    result = _cli("migrate", "--source", db, "--target", other)
    assert result.returncode == 0, result.stderr
    assert query(other, "select count(*) from child") == [(800,)]


def test_another_schema_of_the_same_database_is_a_copy(db: str) -> None:
    run_sql(
        db,
        "create schema copy",
        "create table copy.parent (id serial primary key, name text)",
        "create table copy.child (id serial primary key, parent_id int references copy.parent)",
    )
    result = _cli("migrate", "--source", db, "--target", db, "--target-schema", "copy")
    assert result.returncode == 0, result.stderr
    assert query(db, "select count(*) from copy.child") == [(800,)]
    assert _state(db)[0][:2] == (500, 800)
