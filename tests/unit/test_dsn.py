"""Database URLs are read in one module: the engine a scheme names, the parts of a URL,
another database on the same server, SQLite paths and the MySQL driver URL."""

from __future__ import annotations

import pytest

from ormshift import dsn


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgresql://u@h/db", dsn.POSTGRESQL),
        ("postgres://u@h/db", dsn.POSTGRESQL),
        ("postgresql+psycopg://u@h/db", dsn.POSTGRESQL),
        (" host=h dbname=db ", dsn.POSTGRESQL),
        ("MariaDB+pymysql://root@h/db", dsn.MYSQL),
        ("mysql://root@h/db", dsn.MYSQL),
        ("sqlite:///x.db", dsn.SQLITE),
        ("redis://h", None),
        ("nothing", None),
    ],
)
def test_engine_name(url: str, engine: str | None) -> None:
    assert dsn.engine_name(url) == engine


def test_parts_are_unquoted() -> None:
    parts = dsn.parts_of("mysql://us%40er:p%3Ass@db.example:3307/shop%20db")
    assert parts == dsn.Parts("db.example", 3307, "us@er", "p:ss", "shop db")
    bare = dsn.parts_of("mysql://h/")
    assert (bare.user, bare.password, bare.port, bare.database) == (None, None, None, "")


def test_another_database_on_the_same_server() -> None:
    assert (
        dsn.with_database("postgres://u:pw@h:5433/old?sslmode=disable", "new")
        == "postgresql://u:pw@h:5433/new?sslmode=disable"
    )
    assert dsn.with_database("postgresql+psycopg://u@h/a", "b") == "postgresql://u@h/b"


def test_sqlite_paths() -> None:
    assert dsn.sqlite_path("sqlite:///rel/x.db") == "rel/x.db"
    assert dsn.sqlite_path("sqlite:////abs/x%20y.db") == "/abs/x y.db"
