"""Find options compiled to SQL, and the errors TypeORM 1.x raises, without a database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from ormshift.orm import (
    And,
    Any_,
    ArrayContainedBy,
    ArrayContains,
    ArrayOverlap,
    Between,
    Equal,
    FindOptionsError,
    ILike,
    In,
    IsNull,
    JsonContains,
    LessThan,
    LessThanOrEqual,
    Like,
    MoreThan,
    MoreThanOrEqual,
    Not,
    Or,
    Raw,
    UnknownProperty,
)
from ormshift.orm.metadata import entity_info
from ormshift.orm.options import FindOptions
from ormshift.orm.query import count_statement, find_statement
from ormshift.orm.where import compile_find_where, compile_where
from ormshift.orm.writes import criteria_condition
from tests.models.blog import Comment, Post, Profile, User
from tests.models.types import AlertRule

_CAST = re.compile(r"::[A-Z]+(\[\])?")


def compiled(clause: Any) -> str:
    """The SQL text, without the casts the dialect adds to bound values."""
    return _CAST.sub("", str(clause.compile(dialect=postgresql.dialect())))


def sql_of(entity: type[Any], **options: Any) -> str:
    return compiled(find_statement(entity_info(entity), FindOptions.of(options)))


def where_sql(entity: type[Any], where: Any) -> str:
    cond = compile_where(entity_info(entity), where)
    assert cond is not None
    return compiled(cond)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (5, 'post."viewCount" = %(param_1)s'),
        (Equal(5), 'post."viewCount" = %(param_1)s'),
        (Not(5), 'post."viewCount" != %(param_1)s'),
        (LessThan(5), 'post."viewCount" < %(param_1)s'),
        (LessThanOrEqual(5), 'post."viewCount" <= %(param_1)s'),
        (MoreThan(5), 'post."viewCount" > %(param_1)s'),
        (MoreThanOrEqual(5), 'post."viewCount" >= %(param_1)s'),
        (Between(1, 9), 'post."viewCount" BETWEEN %(param_1)s AND %(param_2)s'),
        (In([1, 2]), 'post."viewCount" IN (%(param_1)s, %(param_2)s)'),
        (In([]), "false"),
        (Any_([1, 2]), 'post."viewCount" = ANY (%(param_1)s)'),
        (IsNull(), 'post."viewCount" IS NULL'),
        (Not(IsNull()), 'post."viewCount" IS NOT NULL'),
        (Raw("{alias} % 2 = :r", {"r": 1}), 'post."viewCount" %% 2 = %(param_1)s'),
        (Raw(lambda a: f"abs({a}) > 3"), 'abs(post."viewCount") > 3'),
        (
            And(MoreThan(1), LessThan(9)),
            'post."viewCount" > %(param_1)s AND post."viewCount" < %(param_2)s',
        ),
        (
            Or(LessThan(1), MoreThan(9)),
            'post."viewCount" < %(param_1)s OR post."viewCount" > %(param_2)s',
        ),
    ],
)
def test_operators_on_a_column(value: Any, fragment: str) -> None:
    assert fragment in where_sql(Post, {"viewCount": value})


def test_text_operators_bind_their_patterns() -> None:
    assert "post.title LIKE %(param_1)s" in where_sql(Post, {"title": Like("A%")})
    assert "post.title ILIKE %(param_1)s" in where_sql(Post, {"title": ILike("a%")})


def test_array_and_json_operators() -> None:
    assert "alert_rule.channels @> %(param_1)s" in where_sql(
        AlertRule, {"channels": ArrayContains(["a"])}
    )
    assert "alert_rule.channels <@ %(param_1)s" in where_sql(
        AlertRule, {"channels": ArrayContainedBy(["a"])}
    )
    assert "alert_rule.recipients && %(param_1)s" in where_sql(
        AlertRule, {"recipients": ArrayOverlap(["a"])}
    )
    assert "alert_rule.labels @> %(param_1)s" in where_sql(
        AlertRule, {"labels": JsonContains({"a": 1})}
    )


def test_mapping_is_and_list_is_or() -> None:
    assert " AND " in where_sql(Post, {"title": "a", "slug": "b"})
    assert " OR " in where_sql(Post, [{"title": "a"}, {"slug": "b"}])


def test_embedded_paths_resolve_to_flattened_columns() -> None:
    assert 'post."metaTitle" = ' in where_sql(Post, {"seo": {"metaTitle": "x"}})
    assert 'profile."homeGeoLatitude" > ' in where_sql(
        Profile, {"home": {"geo": {"latitude": MoreThan(1)}}}
    )


def test_relation_conditions_are_exists_with_soft_delete_filter() -> None:
    text = where_sql(Post, {"author": {"username": "ada"}})
    assert "EXISTS" in text and '"user"."deletedAt" IS NULL' in text
    assert "EXISTS" in where_sql(Post, {"comments": {"isApproved": True}})
    assert 'post."authorId" IN' in where_sql(Post, {"author": In([1, 2])})


def test_find_conditions_through_relations_are_on_left_joins() -> None:
    info = entity_info(Post)
    cond = compile_find_where(info, {"comments": {"author": {"id": IsNull()}}})
    assert cond is not None
    text = compiled(cond)
    # the row itself again, its relations LEFT-joined (the deleted ones left out in
    # the join), the condition on the joined aliases
    assert text.startswith("EXISTS (SELECT 1 \nFROM post AS post_1 LEFT OUTER JOIN (comment")
    assert 'LEFT OUTER JOIN "user" AS user_1 ON comment_1."authorId" = user_1.id AND' in text
    assert 'user_1."deletedAt" IS NULL) ON post_1.id = comment_1."postId"' in text
    assert "WHERE post_1.id = post.id AND user_1.id IS NULL" in text
    # a required many-to-one to an entity with a delete date is LEFT-joined too
    assert "LEFT OUTER JOIN" in compiled(compile_find_where(info, {"author": {"id": 1}}))
    with_deleted = compile_find_where(info, {"author": {"id": 1}}, with_deleted=True)
    assert 'JOIN "user" AS user_1 ON post_1."authorId" = user_1.id,' in compiled(with_deleted)
    assert "LEFT OUTER" not in compiled(with_deleted)
    # no relation condition: the plain condition
    assert compiled(compile_find_where(info, {"title": "a", "author": True})) == (
        "post.title = %(param_1)s"
    )


def test_null_in_where_raises_like_typeorm() -> None:
    with pytest.raises(FindOptionsError, match="Null value encountered"):
        compile_where(entity_info(Post), {"title": None})
    with pytest.raises(FindOptionsError, match="Null value encountered"):
        compile_where(entity_info(Post), {"author": None})


@pytest.mark.parametrize(
    "where",
    [{"nope": 1}, {"seo": {"nope": 1}}, {"author": {"nope": 1}}, {"home": 1}],
)
def test_unknown_names_are_errors_never_sql(where: Any) -> None:
    with pytest.raises((UnknownProperty, FindOptionsError)):
        compile_where(entity_info(Post), where)


def test_unknown_names_in_order_select_relations() -> None:
    with pytest.raises(UnknownProperty):
        sql_of(Post, order={"nope": "ASC"})
    with pytest.raises(UnknownProperty):
        sql_of(Post, select={"nope": True})
    with pytest.raises(UnknownProperty):
        sql_of(Post, relations={"nope": True})
    with pytest.raises(FindOptionsError, match="String-array"):
        sql_of(Post, relations=["author"])
    with pytest.raises(FindOptionsError, match="String-array"):
        sql_of(Post, select=["id"])
    with pytest.raises(FindOptionsError, match="unknown find option"):
        FindOptions.of({"wher": {}})
    with pytest.raises(FindOptionsError, match="direction"):
        sql_of(Post, order={"id": "UP"})


def test_soft_deleted_rows_are_filtered_unless_asked() -> None:
    assert 'post."deletedAt" IS NULL' in sql_of(Post)
    assert '"deletedAt" IS NULL' not in sql_of(Post, with_deleted=True)
    assert (
        "deletedAt" not in sql_of(Comment).split("WHERE")[-1]
        if "WHERE" in sql_of(Comment)
        else True
    )


def test_order_nested_and_nulls() -> None:
    text = sql_of(
        Post,
        order={
            "publishedAt": {"direction": "DESC", "nulls": "LAST"},
            "author": {"username": "ASC"},
        },
    )
    assert 'post."publishedAt" DESC NULLS LAST' in text
    assert "LEFT OUTER JOIN" in text and ".username ASC" in text


def test_pagination_with_collections_pages_entities() -> None:
    text = sql_of(Post, relations={"comments": True}, take=2, skip=1, order={"id": "ASC"})
    # the paginated root query is wrapped, then the collection joined to it
    assert text.index("LIMIT") < text.index("LEFT OUTER JOIN comment")


def test_eager_relations_and_opt_out() -> None:
    assert 'LEFT OUTER JOIN "user"' in sql_of(Comment)
    assert 'LEFT OUTER JOIN "user"' not in sql_of(Comment, load_eager_relations=False)


def test_count_ignores_pagination() -> None:
    stmt = count_statement(entity_info(Post), FindOptions.of({"where": {"title": "a"}}))
    text = str(stmt.compile(dialect=postgresql.dialect()))
    assert "count(DISTINCT post.id)" in text and "LIMIT" not in text


@pytest.mark.parametrize("criteria", [None, {}, [], "", [{}], [1, {}]])
def test_empty_criteria_are_refused(criteria: Any) -> None:
    with pytest.raises(FindOptionsError, match="Empty criteria"):
        criteria_condition(entity_info(Post), criteria, "update")


def test_criteria_forms() -> None:
    info = entity_info(User)
    assert '"user".id = ' in str(
        criteria_condition(info, 3, "delete").compile(dialect=postgresql.dialect())
    )
    assert '"user".id IN' in str(
        criteria_condition(info, [1, 2], "delete").compile(dialect=postgresql.dialect())
    )
    assert '"user".username' in str(
        criteria_condition(info, {"username": "a"}, "delete").compile(dialect=postgresql.dialect())
    )


def test_roles_are_read_from_the_model() -> None:
    info = entity_info(Post)
    assert info.delete_date == "deletedAt"
    assert info.version == "version"
    assert info.update_date == "updatedAt"
    assert info.primary == ("id",)


def test_find_statements_are_cached_by_shape() -> None:
    from ormshift.orm.cache import cached_find_statement  # noqa: PLC0415

    info = entity_info(Post)
    first, p1 = cached_find_statement(
        info, FindOptions.of({"where": {"id": 1, "title": In(["a", "b"])}})
    )
    again, p2 = cached_find_statement(
        info, FindOptions.of({"where": {"id": 7, "title": In(["c"])}})
    )
    assert first is again
    assert p1 == {"w0": 1, "w1": ["a", "b"]} and p2 == {"w0": 7, "w1": ["c"]}
    other, _ = cached_find_statement(info, FindOptions.of({"where": {"id": MoreThan(1)}}))
    assert other is not first
    raw, params = cached_find_statement(info, FindOptions.of({"where": {"id": Raw("{alias} > 1")}}))
    assert params == {} and "> 1" in compiled(raw)
    _, params = cached_find_statement(
        info,
        FindOptions.of({"where": [{"viewCount": Between(1, 2)}, {"seo": {"noIndex": Not(True)}}]}),
    )
    assert params == {"w0": 1, "w1": 2, "w2": True}
