"""The query builder on a real database, for what the TypeORM comparison cannot show:
`stream` (rows from a server-side cursor), new objects on every call, a builder in a
transaction seeing its uncommitted rows, and raw values as node-postgres gives them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, event, inspect

from ormshift.dsn import sqlalchemy_url
from ormshift.orm import DataSource
from ormshift.orm.querybuilder import run
from tests.golden.support import generated, imported


@pytest.fixture
def library(fresh_db: str, tmp_path: Path) -> Iterator[tuple[DataSource, ModuleType]]:
    with imported(generated("library"), tmp_path) as pkg:
        engine = create_engine(sqlalchemy_url(fresh_db))
        pkg.Base.metadata.create_all(engine)
        engine.dispose()
        with DataSource(fresh_db) as ds:
            ds.query(
                'insert into author ("firstName", "lastName", active) values '
                "('Ada', 'Lovelace', true), ('Jane', 'Austen', true), ('Leo', 'Tolstoy', false)"
            )
            ds.query(
                'insert into book (version, title, pages, "authorId", "publishedAt") values '
                "(1, 'Emma', 474, 2, '1815-12-23T00:00:00Z'), (1, 'Persuasion', 249, 2, null),"
                " (1, 'War and Peace', 1225, 3, null)"
            )
            yield ds, pkg


def test_stream_gives_every_raw_row_in_batches(library: tuple[DataSource, ModuleType]) -> None:
    ds, m = library
    rows = list(
        ds.get_repository(m.Book)
        .create_query_builder("book")
        .select(["book.id", "book.title"])
        .order_by("book.id")
        .stream(batch=2)
    )
    assert rows == [
        {"book_id": 1, "book_title": "Emma"},
        {"book_id": 2, "book_title": "Persuasion"},
        {"book_id": 3, "book_title": "War and Peace"},
    ]
    # the connection went back to the pool once the iterator was exhausted
    assert ds.pool_stats().checked_out == 0


def test_every_call_makes_new_detached_entities(library: tuple[DataSource, ModuleType]) -> None:
    ds, m = library
    qb = (
        ds.create_query_builder(m.Author, "author")
        .left_join_and_select("author.books", "book")
        .where("author.id = :id", {"id": 2})
        .order_by("book.id")
    )
    first, second = qb.get_one(), qb.get_one()
    assert first is not second
    assert inspect(first).detached
    assert [b.title for b in first.books] == ["Emma", "Persuasion"]
    assert all(inspect(b).detached for b in first.books)


def test_raw_values_are_node_postgres_values(library: tuple[DataSource, ModuleType]) -> None:
    ds, m = library
    row = (
        ds.create_query_builder()
        .select("COUNT(*)", "n")
        .add_select("SUM(book.pages)", "pages")
        .add_select("MIN(book.publishedAt)::date", "day")
        .from_(m.Book, "book")
        .get_raw_one()
    )
    assert row == {"n": "3", "pages": "1948", "day": datetime.datetime(1815, 12, 23)}


def test_a_builder_in_a_transaction_sees_its_writes(
    library: tuple[DataSource, ModuleType],
) -> None:
    ds, m = library
    with ds.transaction() as manager:
        manager.query("insert into book (version, title, pages) values (1, 'Draft', 1)")
        inside = manager.create_query_builder(m.Book, "book").get_count()
        outside = ds.create_query_builder(m.Book, "book").get_count()
        assert (inside, outside) == (4, 3)
        manager.get_repository(m.Author).create_query_builder("a").set_lock(
            "pessimistic_write"
        ).where("a.id = 1").get_one()


def test_a_cached_statement_text_binds_each_calls_values(
    library: tuple[DataSource, ModuleType],
) -> None:
    """The same chain with other values, and lists of other lengths, after its text was
    written once (`text_cache`): each call's rows; a page with a join, twice, each page's
    keys in its second statement."""
    ds, m = library

    def titles(ids: list[int], pages: int) -> list[str]:
        return [
            b.title
            for b in ds.get_repository(m.Book)
            .create_query_builder("book")
            .where("book.id IN (:...ids)", {"ids": ids})
            .and_where("book.pages > :pages", {"pages": pages})
            .order_by("book.id")
            .get_many()
        ]

    assert titles([1, 2, 3], 300) == ["Emma", "War and Peace"]
    assert titles([1, 2, 3], 1000) == ["War and Peace"]
    assert titles([2], 0) == ["Persuasion"]
    assert titles([1, 2], 0) == ["Emma", "Persuasion"]

    def page(skip: int) -> list[tuple[str, str]]:
        return [
            (b.title, b.author.last_name)
            for b in ds.get_repository(m.Book)
            .create_query_builder("book")
            .left_join_and_select("book.author", "author")
            .order_by("book.id")
            .skip(skip)
            .take(2)
            .get_many()
        ]

    assert page(0) == [("Emma", "Austen"), ("Persuasion", "Austen")]
    assert page(2) == [("War and Peace", "Tolstoy")]
    assert page(3) == []


def test_a_pages_keys_are_bound_in_its_second_statement(
    library: tuple[DataSource, ModuleType],
) -> None:
    """Skip/take with a join: the second statement (the rows of the page's keys) binds
    the keys the first found (TypeORM writes numbers into the text), on the driver's
    cursor and through SQLAlchemy alike."""
    ds, m = library
    sent: list[tuple[str, dict[str, object]]] = []
    direct: list[tuple[str, dict[str, object]]] = []

    def page(skip: int) -> list[str]:
        qb = (
            ds.create_query_builder(m.Book, "book")
            .left_join_and_select("book.author", "author")
            .order_by("book.id")
            .skip(skip)
            .take(2)
        )
        return [b.title for b in qb.get_many()]

    def seen(statements: list[tuple[str, dict[str, object]]]) -> list[dict[str, object]]:
        second = [(s, p) for s, p in statements if '"book"."id" IN (' in s]
        assert second, statements
        for sql, _ in second:
            listed = sql.split('"book"."id" IN (', 1)[1].split(")", 1)[0]
            assert all(item.strip().startswith("%(") for item in listed.split(",")), sql
        return [p for _, p in second]

    real = run.cursor_rows

    def spy(connection: object, sql: str, params: dict[str, object], **kw: object) -> object:
        direct.append((sql, params))
        return real(connection, sql, params, **kw)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "cursor_rows", spy)
        assert page(0) == ["Emma", "Persuasion"]
        assert page(1) == ["Persuasion", "War and Peace"]
    assert [sorted(p.values()) for p in seen(direct)] == [["1", "2"], ["2", "3"]]

    def listen(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(ds.engine, "before_cursor_execute", listen)
    try:
        assert page(2) == ["War and Peace"]
    finally:
        event.remove(ds.engine, "before_cursor_execute", listen)
    assert [sorted(p.values()) for p in seen(sent)] == [["3"]]
