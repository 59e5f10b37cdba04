"""A write builder's ``get_query`` / ``get_sql`` / ``get_query_and_parameters`` give its
own statement (TypeORM's ``InsertQueryBuilder.getQuery`` and its siblings), values bound:
the text run with its parameters on real PostgreSQL does the write ``execute()`` does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ExecStatus
from sqlalchemy import create_engine, text

from ormshift.dsn import sqlalchemy_url
from ormshift.orm import DataSource
from ormshift.orm.querybuilder.errors import QueryBuilderError
from tests.golden.support import generated, imported


@pytest.fixture
def library(fresh_db: str, tmp_path: Path) -> Iterator[tuple[DataSource, ModuleType, str]]:
    with imported(generated("library"), tmp_path) as pkg:
        engine = create_engine(sqlalchemy_url(fresh_db))
        pkg.Base.metadata.create_all(engine)
        engine.dispose()
        with DataSource(fresh_db) as ds:
            ds.query(
                'insert into author ("firstName", "lastName", active) values '
                "('Ada', 'Lovelace', true), ('Jane', 'Austen', true)"
            )
            ds.query(
                'insert into book (version, title, pages, "authorId") values '
                "(1, 'Emma', 474, 2), (1, 'Persuasion', 249, 2), (1, 'Ivanhoe', 600, 1)"
            )
            yield ds, pkg, fresh_db


def run_numbered(url: str, sql: str, values: list[object]) -> list[tuple[Any, ...]]:
    """``sql`` with ``$1``... sent as it is (libpq's ``PQexecParams``, as node-postgres
    sends TypeORM's) with ``values`` adapted by psycopg: its rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        tx = Transformer(conn)
        params = tx.dump_sequence(values, [PyFormat.AUTO] * len(values))
        result = conn.pgconn.exec_params(
            sql.encode(), list(params), list(tx.types), list(tx.formats)
        )
        assert result.status in (ExecStatus.COMMAND_OK, ExecStatus.TUPLES_OK), result.error_message
        tx.set_pgresult(result)
        return [tx.load_row(i, tuple) for i in range(result.ntuples)]  # type: ignore[misc]


def books(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        query = 'select title, pages, version, "deletedAt" is not null from book order by id'
        return conn.execute(query).fetchall()


def test_insert_builder_gives_its_insert(library: tuple[DataSource, ModuleType, str]) -> None:
    ds, m, url = library
    qb = ds.get_repository(m.Book).create_query_builder("book")
    insert = (
        qb.insert()
        .into(m.Book)
        .values([{"title": "Dune", "pages": 412, "extra": {"a": 1}}, {"title": "Kim", "pages": 9}])
        .returning(["title"])
    )
    sql, values = insert.get_query_and_parameters()
    assert sql.startswith("INSERT INTO book (")
    assert insert.get_sql() == sql
    assert "Dune" not in sql and "412" not in sql  # bound, not written into the text
    assert "Dune" in values and 412 in values
    rows = run_numbered(url, sql, values)
    assert [row[0] for row in rows] == ["Dune", "Kim"]
    assert books(url)[3:] == [("Dune", 412, 1, False), ("Kim", 9, 1, False)]

    # get_query: parameters by name, their values among get_parameters (as TypeORM's
    # createParameter sets them on the builder)
    again = qb.insert().into(m.Book).values({"title": "Emma 2", "pages": 5})
    query = again.get_query()
    assert query.startswith("INSERT INTO book (") and ":orm_param_" in query
    with ds.manager._scope() as session:
        session.execute(text(query), again.get_parameters())
    assert books(url)[-1] == ("Emma 2", 5, 1, False)


def test_insert_builder_without_values_says_so(library: tuple[DataSource, ModuleType, str]) -> None:
    ds, m, _ = library
    insert = ds.get_repository(m.Book).create_query_builder("book").insert().into(m.Book)
    with pytest.raises(QueryBuilderError, match="values are not defined"):
        insert.get_query()


def test_update_builder_gives_its_update(library: tuple[DataSource, ModuleType, str]) -> None:
    ds, m, url = library
    update = (
        ds.get_repository(m.Book)
        .create_query_builder("book")
        .update(m.Book)
        .set({"title": "Long", "extra": {"k": [1]}})
        .where("pages > :least", {"least": 400})
        .returning(["id"])
    )
    query = update.get_query()
    assert query.startswith('UPDATE "book" SET "title" = :orm_param_')
    assert 'WHERE "pages" > :least RETURNING "id"' in query
    sql, values = update.get_query_and_parameters()
    assert update.get_sql() == sql
    assert sql.startswith('UPDATE "book" SET "title" = $1') and "Long" in values
    assert sorted(run_numbered(url, sql, values)) == [(1,), (3,)]
    assert [b[:3] for b in books(url)] == [
        ("Long", 474, 2),
        ("Persuasion", 249, 1),
        ("Long", 600, 2),
    ]


def test_delete_builder_gives_its_delete(library: tuple[DataSource, ModuleType, str]) -> None:
    ds, m, url = library
    delete = (
        ds.get_repository(m.Book)
        .create_query_builder("book")
        .delete()
        .from_(m.Book)
        .where("title IN (:...titles)", {"titles": ["Emma", "Ivanhoe"]})
    )
    assert delete.get_query() == 'DELETE FROM "book" WHERE "title" IN (:...titles)'
    sql, values = delete.get_query_and_parameters()
    assert sql == 'DELETE FROM "book" WHERE "title" IN ($1, $2)'
    assert values == ["Emma", "Ivanhoe"]
    run_numbered(url, sql, values)
    assert [b[0] for b in books(url)] == ["Persuasion"]


def test_soft_delete_and_restore_give_their_updates(
    library: tuple[DataSource, ModuleType, str],
) -> None:
    ds, m, url = library
    qb = ds.get_repository(m.Book).create_query_builder("book")
    soft = qb.soft_delete().from_(m.Book).where("id = :id", {"id": 2})
    query = soft.get_query()
    assert query.startswith('UPDATE "book" SET "deletedAt" = CURRENT_TIMESTAMP')
    assert query.endswith('WHERE "id" = :id AND "deletedAt" IS NULL')
    assert soft.get_query() == query  # asking twice adds no condition
    sql, values = soft.get_query_and_parameters()
    run_numbered(url, sql, values)
    assert books(url)[1] == ("Persuasion", 249, 2, True)

    restore = qb.restore().from_(m.Book).where("id = :id", {"id": 2})
    sql, values = restore.get_query_and_parameters()
    assert sql.endswith('WHERE "id" = $1 AND "deletedAt" IS NOT NULL')
    run_numbered(url, sql, values)
    assert books(url)[1] == ("Persuasion", 249, 3, False)
    # execute() after get_query runs the same statement once: one more soft delete
    assert soft.execute().affected == 1
    assert books(url)[1] == ("Persuasion", 249, 4, True)


def test_or_update_statement_upserts(library: tuple[DataSource, ModuleType, str]) -> None:
    ds, m, url = library
    ds.query("update book set isbn = 'isbn-1' where id = 1")
    upsert = (
        ds.get_repository(m.Book)
        .create_query_builder("book")
        .insert()
        .into(m.Book)
        .values({"title": "Emma (2nd)", "pages": 480, "isbn": "isbn-1"})
        .or_update(["title", "pages"], ["isbn"], {"skipUpdateIfNoValuesChanged": True})
    )
    sql, values = upsert.get_query_and_parameters()
    assert "ON CONFLICT (isbn) DO UPDATE SET" in sql and "IS DISTINCT FROM" in sql
    assert "Emma (2nd)" in values and "Emma (2nd)" not in sql
    run_numbered(url, sql, values)
    assert books(url)[0][:2] == ("Emma (2nd)", 480)
    assert len(books(url)) == 3  # updated, not inserted
