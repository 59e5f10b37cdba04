"""Write statements cached by shape: the same SQL as building them anew, without a database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql

from ormshift.orm import FindOptionsError, In, MoreThan, Raw, RelationNotJoined
from ormshift.orm.metadata import entity_info
from ormshift.orm.write_cache import criteria, is_sql, statement
from ormshift.orm.writes import criteria_condition
from tests.models.blog import Post, Tag

DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def sql(clause: Any) -> str:
    return str(clause.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize(
    "given",
    [
        5,
        [1, 2, 3],
        {"title": "a"},
        {"viewCount": MoreThan(10), "status": In(["draft", "published"])},
        [{"title": "a"}, {"slug": "b"}],
        {"author": {"id": 1}},  # the foreign key: TypeORM joins nothing here
    ],
)
def test_a_cached_condition_says_what_a_built_one_says(given: Any) -> None:
    info = entity_info(Post)
    first = criteria(info, given, "update")
    again = criteria(info, given, "update")
    assert first.key is not None and first.key == again.key
    assert first.condition is again.condition  # built once
    cached = select(Post.id).where(first.condition).params(first.params)
    built = select(Post.id).where(criteria_condition(info, given, "update"))
    assert sql(cached) == sql(built)


def test_criteria_through_a_relation_compare_its_key_or_are_refused() -> None:
    info = entity_info(Post)
    keyed = criteria(info, {"author": {"id": 2, "username": "not looked at"}}, "update")
    assert sql(select(Post.id).where(keyed.condition).params(keyed.params)).endswith(
        'WHERE post."authorId" = 2'
    )
    for through in (
        {"author": {"username": "ada"}},
        {"comments": {"id": 1}},
        {"author": {"id": 0}},
    ):
        with pytest.raises(RelationNotJoined, match="Cannot find alias for relation at"):
            criteria(info, through, "delete")


def test_new_values_reuse_the_shape() -> None:
    info = entity_info(Tag)
    one = criteria(info, {"name": "a"}, "delete")
    two = criteria(info, {"name": "b"}, "delete")
    assert one.key == two.key and one.condition is two.condition
    assert (one.params, two.params) == ({"w0": "a"}, {"w0": "b"})


def test_raw_sql_and_empty_criteria_are_built_every_time() -> None:
    info = entity_info(Post)
    raw = criteria(info, {"viewCount": Raw("{alias} > :n", {"n": 5})}, "update")
    assert raw.key is None and raw.params == {}
    for empty in ({}, [], "", None, [{}]):
        with pytest.raises(FindOptionsError, match="Empty criteria"):
            criteria(info, empty, "delete")


def test_a_statement_is_built_once_per_key() -> None:
    built: list[int] = []
    table = entity_info(Tag).table

    def build() -> Any:
        built.append(1)
        return update(table).values(label="x")

    key = ("test_write_cache", "label")
    assert statement(key, build) is statement(key, build)
    assert len(built) == 1
    statement(None, build)
    statement(None, build)
    assert len(built) == 3  # no key: built for each call


def test_sql_values_are_told_apart() -> None:
    assert is_sql(Post.__table__.c.title) and not is_sql("title") and not is_sql(None)
