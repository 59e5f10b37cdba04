"""The write builders' SQL without a database: TypeORM's prefix-less property rewrite,
values bound (never written into the text), the UPDATE's version / update-date sets and
the soft delete's appended condition. What they do is compared against TypeORM in
tests/integration/test_compare_querybuilder.py (querybuilder-writes.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from ormshift.compare.qb_chain import qb_args
from ormshift.orm import DataSource
from ormshift.orm.metadata import entity_info
from ormshift.orm.querybuilder import QueryBuilderError
from ormshift.orm.querybuilder.write import unprefixed
from tests.golden.support import generated, imported


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    with imported(generated("library"), Path(tmp_path_factory.mktemp("wqb"))) as package:
        yield package


@pytest.fixture(scope="module")
def ds() -> Iterator[DataSource]:
    with DataSource("postgresql://nobody@127.0.0.1:1/none") as source:
        yield source


def test_bare_property_names_become_columns_dotted_ones_stay(models: ModuleType) -> None:
    info = entity_info(models.Book)
    assert unprefixed("publishedAt IS NULL", info) == '"publishedAt" IS NULL'
    assert unprefixed("(author = :a)", info) == '("authorId" = :a)'
    # TypeORM's rewrite leaves alias.path for PostgreSQL to resolve
    assert unprefixed("book.publishedAt IS NULL", info) == "book.publishedAt IS NULL"
    assert unprefixed("nothing = 1", info) == "nothing = 1"


def test_update_binds_values_and_bumps_version(ds: DataSource, models: ModuleType) -> None:
    evil = "x'; DROP TABLE book; --"
    qb = ds.create_query_builder().update(models.Book).set({"title": evil}).where("id = :id")
    qb.set_parameter("id", 3)
    sql, values = qb._statement()
    assert evil not in sql
    assert evil in values.values()
    assert '"version" = "version" + 1' in sql
    assert '"updatedAt" = CURRENT_TIMESTAMP' in sql
    assert sql.endswith('WHERE "id" = %(p1)s')


def test_update_needs_values(ds: DataSource, models: ModuleType) -> None:
    qb = ds.create_query_builder().update(models.Review).set({})
    with pytest.raises(QueryBuilderError):
        ds.create_query_builder().update()
    with pytest.raises(Exception, match="update values are not defined"):
        qb._sets()


def test_set_is_a_step_of_an_update_chain_and_a_relation_terminal() -> None:
    update = [["update", {"$entity": "Book"}], ["set", {"pages": 1}], ["execute"]]
    assert qb_args({"chain": update}, "t", ValueError)[0]["chain"] == update
    relation = [["relation", {"$entity": "Book"}, "author"], ["of", 1], ["set", 2]]
    assert qb_args({"chain": relation}, "t", ValueError)[0]["chain"] == relation
    with pytest.raises(ValueError, match="may only end the chain"):
        qb_args({"chain": [["execute"], ["getMany"]]}, "t", ValueError)


def test_where_in_ids_on_a_write_names_bare_columns(ds: DataSource, models: ModuleType) -> None:
    # an alias prefix would reach PostgreSQL as `user.id` (a syntax error) or name an
    # alias the UPDATE does not have
    qb = ds.get_repository(models.Book).create_query_builder("b").update().set({"pages": 1})
    qb.where_in_ids([1, 2])
    sql, values = qb._statement()
    assert sql.endswith('WHERE "id" IN (%(p1)s, %(p2)s)')
    assert list(values.values())[1:] == ["1", "2"]  # as node-postgres sends them: text


def _upsert_sql(qb: object) -> tuple[str, dict[str, object]]:
    from sqlalchemy.dialects import postgresql  # noqa: PLC0415
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

    info = qb.info  # type: ignore[attr-defined]
    stmt = qb._on_conflict(pg_insert(info.table).values({"title": "t"}))  # type: ignore[attr-defined]
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect())
    return str(compiled), dict(compiled.params)


def test_overwrite_condition_is_typeorms_where_after_do_update(
    ds: DataSource, models: ModuleType
) -> None:
    evil = "x'; DROP TABLE book; --"
    qb = ds.create_query_builder().insert().into(models.Book).values({"title": "t"})
    qb.or_update(
        ["title"],
        ["isbn"],
        {
            "overwriteCondition": {"where": [{"pages": 60}, {"genre": "essay", "title": evil}]},
            "skipUpdateIfNoValuesChanged": True,
        },
    )
    sql, params = _upsert_sql(qb)
    where = sql.split('"updatedAt" = DEFAULT WHERE ', 1)[1].split(" RETURNING ")[0]
    # the mapping prefixed with the table's name (TypeORM's insert alias), then the
    # skipUpdateIfNoValuesChanged clause ANDed on
    assert where == (
        '("book"."pages" = %(oc_p0)s OR ("book"."genre" = %(oc_p1)s AND "book"."title" = '
        '%(oc_p2)s)) AND "book"."title" IS DISTINCT FROM EXCLUDED."title"'
    )  # one overwritten column: no parentheses, as TypeORM's one-item list
    assert evil not in sql
    assert params["oc_p0"] == "60" and params["oc_p2"] == evil  # node-postgres's text


def test_overwrite_condition_text_and_its_parameters(ds: DataSource, models: ModuleType) -> None:
    qb = ds.create_query_builder().insert().into(models.Book).values({"title": "t"})
    qb.or_update(
        ["title"],
        ["isbn"],
        {
            "overwriteCondition": {
                "where": "book.publishedAt < :d AND x = 'a:b'",
                "parameters": {"d": 1},
            }
        },
    )
    sql, params = _upsert_sql(qb)
    assert """WHERE "book"."publishedAt" < %(oc_p0)s AND x = 'a:b'""" in sql
    assert params["oc_p0"] == "1"
    # none of the options: no WHERE at all
    plain = ds.create_query_builder().insert().into(models.Book).values({"title": "t"})
    assert "WHERE" not in _upsert_sql(plain.or_update(["title"], ["isbn"]))[0]


def test_overwrite_condition_brackets_get_an_insert_builder(
    ds: DataSource, models: ModuleType
) -> None:
    from ormshift.orm.querybuilder import Brackets  # noqa: PLC0415

    qb = ds.create_query_builder().insert().into(models.Book)
    with pytest.raises(TypeError, match=r"qb\.where is not a function"):
        qb.or_update(
            ["title"], ["isbn"], {"overwriteCondition": {"where": Brackets(lambda q: q.where("1"))}}
        )
