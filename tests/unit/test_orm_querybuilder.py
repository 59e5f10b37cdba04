"""`ormshift.orm.querybuilder` without a database: the SQL it would send, how user
text becomes SQL (paths rewritten, values always bound), and its errors. What the
builder returns is compared against TypeORM in tests/integration/test_compare_querybuilder.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ormshift.compare.qb_chain import python_name
from ormshift.orm import DataSource, RelationIdsNotSupported, UnsupportedFindOptions
from ormshift.orm.metadata import entity_info
from ormshift.orm.operators import MoreThan
from ormshift.orm.querybuilder import (
    Brackets,
    NotBrackets,
    QueryBuilderError,
    UnknownAlias,
    UnknownAliasProperty,
)
from ormshift.orm.querybuilder.names import property_path, replacements
from tests.golden.support import generated, imported


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    with imported(generated("library"), Path(tmp_path_factory.mktemp("qb"))) as package:
        yield package


@pytest.fixture(scope="module")
def ds() -> Iterator[DataSource]:
    # never connects: only SQL is built here
    with DataSource("postgresql://nobody@127.0.0.1:1/none") as source:
        yield source


def qb(ds: DataSource, models: ModuleType, name: str = "Book", alias: str = "book") -> Any:
    return ds.get_repository(getattr(models, name)).create_query_builder(alias)


def test_values_are_always_bound_never_written(ds: DataSource, models: ModuleType) -> None:
    evil = "x'; DROP TABLE book; --"
    sql, params = qb(ds, models).where("book.title = :t", {"t": evil}).get_query_and_parameters()
    assert evil not in sql
    assert params == [evil]
    assert '"book"."title" = $1' in sql


def test_list_parameters_expand_and_a_repeated_key_is_one_parameter(
    ds: DataSource, models: ModuleType
) -> None:
    sql, params = (
        qb(ds, models)
        .where("book.id IN (:...ids)", {"ids": [3, 1, 2]})
        .and_where("(book.pages > :n OR book.price > :n)", {"n": 10})
        .get_query_and_parameters()
    )
    assert '"book"."id" IN ($1, $2, $3)' in sql
    assert '"book"."pages" > $4 OR "book"."price" > $4' in sql
    # sent as node-postgres sends them: text the query gives its type
    assert params == ["3", "1", "2", "10"]


def test_a_key_without_a_parameter_and_casts_are_left(ds: DataSource, models: ModuleType) -> None:
    sql = qb(ds, models).where("book.pages::text LIKE '4%' AND :missing IS NULL").get_sql()
    assert """"book"."pages"::text LIKE '4%' AND :missing IS NULL""" in sql


def test_property_paths_become_columns(ds: DataSource, models: ModuleType) -> None:
    sql = (
        qb(ds, models, "Author", "author")
        .where("author.contact.place.city = 'x' AND author.contactEmail IS NULL")
        .get_sql()
    )
    assert '"author"."contactPlaceCity" = \'x\'' in sql
    assert '"author"."contactEmail" IS NULL' in sql
    book = qb(ds, models).where("book.author = 1 OR book.author.id = 2").get_sql()
    assert '"book"."authorId" = 1 OR "book"."authorId" = 2' in book


def test_text_in_quotes_is_not_rewritten(ds: DataSource, models: ModuleType) -> None:
    sql = qb(ds, models).where("""book.title <> 'book.title' AND "book".pages > 0""").get_sql()
    assert """"book"."title" <> 'book.title' AND "book".pages > 0""" in sql


def test_a_cast_right_after_a_path_is_rewritten_too(ds: DataSource, models: ModuleType) -> None:
    # intentional difference (docs/orm.md): TypeORM leaves "book.publishedAt::date"
    # as written, which PostgreSQL then refuses (column book.publishedat)
    sql = qb(ds, models).select("book.publishedAt::date", "day").get_sql()
    assert '"book"."publishedAt"::date AS "day"' in sql


def test_raw_keys_and_soft_delete(ds: DataSource, models: ModuleType) -> None:
    sql = qb(ds, models).get_sql()
    assert '"book"."title" AS "book_title"' in sql
    assert sql.endswith('WHERE "book"."deletedAt" IS NULL')
    assert "deletedAt" not in qb(ds, models).with_deleted().get_sql().split("FROM")[1]


def test_select_false_columns_are_left_out_unless_named(ds: DataSource, models: ModuleType) -> None:
    assert '"author"."secret"' not in qb(ds, models, "Author", "author").get_sql()
    named = qb(ds, models, "Author", "author").add_select("author.secret").get_sql()
    assert '"author"."secret" AS "author_secret"' in named


def test_joins_as_typeorm_writes_them(ds: DataSource, models: ModuleType) -> None:
    sql = (
        qb(ds, models, "Author", "author")
        .left_join_and_select("author.books", "book", "book.pages > :p", {"p": 1})
        .inner_join("book.categories", "category")
        .get_sql()
    )
    assert 'LEFT JOIN ("book" "book" INNER JOIN "book_categories_category" "book_category"' in sql
    assert 'ON "book"."authorId"="author"."id" AND ( "book"."pages" > $1 AND ' in sql
    assert '"book"."deletedAt" IS NULL)' in sql


def test_brackets(ds: DataSource, models: ModuleType) -> None:
    sql = (
        qb(ds, models)
        .where("book.id = 1")
        .and_where(Brackets(lambda q: q.where("book.id = 2").or_where("book.id = 3")))
        .or_where(NotBrackets(lambda q: q.where("book.id = 4").and_where("book.id = 5")))
        .get_sql()
    )
    assert (
        '"book"."id" = 1 AND ("book"."id" = 2 OR "book"."id" = 3) '
        'OR NOT(("book"."id" = 4 AND "book"."id" = 5))'
    ) in sql


def test_unknown_names_are_clear_errors(ds: DataSource, models: ModuleType) -> None:
    with pytest.raises(UnknownAliasProperty, match='"nope" was not found in "Book"') as err:
        qb(ds, models).where("book.nope = 1").get_sql()
    assert err.value.sqlstate == "42703"
    with pytest.raises(QueryBuilderError, match='"other" alias was not found'):
        qb(ds, models).left_join("other.author", "a")
    with pytest.raises(QueryBuilderError, match="Relation with property path nope"):
        qb(ds, models).left_join("book.nope", "a")
    with pytest.raises(QueryBuilderError, match="already used"):
        qb(ds, models).left_join("book.author", "book")
    with pytest.raises(UnknownAlias, match='"ghost" alias was not found'):
        # a page with joins orders by "alias.path" columns of its subquery: refused
        # before anything is sent (TypeORM fails with a TypeError there)
        qb(ds, models).left_join("book.author", "a").order_by("ghost.id").take(2).get_many()


def test_bad_builder_arguments(ds: DataSource, models: ModuleType) -> None:
    with pytest.raises(QueryBuilderError, match="Invalid order direction"):
        qb(ds, models).order_by("book.id", "UP")
    with pytest.raises(QueryBuilderError, match="Invalid nulls option"):
        qb(ds, models).order_by("book.id", "ASC", "NULLS SOMETIMES")
    with pytest.raises(QueryBuilderError, match='"take" value is not a number'):
        qb(ds, models).take("many")
    with pytest.raises(QueryBuilderError, match="parameter keys"):
        qb(ds, models).set_parameter("a-b", 1)
    with pytest.raises(QueryBuilderError, match="main alias is not set"):
        ds.create_query_builder().select("1").get_sql()


def test_select_from_and_subqueries(ds: DataSource, models: ModuleType) -> None:
    sql, params = (
        ds.create_query_builder()
        .select(["a.id"])
        .add_select(
            lambda sq: (
                sq.select("COUNT(*)")
                .from_(models.Book, "b")
                .where("b.authorId = a.id AND b.pages > :p", {"p": 5})
            ),
            "books",
        )
        .from_(models.Author, "a")
        .get_query_and_parameters()
    )
    assert sql.startswith('SELECT "a"."id" AS "a_id", (SELECT COUNT(*) FROM "book" "b" WHERE')
    assert '"b"."authorId" = "a"."id" AND "b"."pages" > $1' in sql
    assert params == ["5"]


def test_names() -> None:
    assert python_name("leftJoinAndSelect") == "left_join_and_select"
    assert python_name("from") == "from_"
    assert python_name("getManyAndCount") == "get_many_and_count"
    assert python_name("whereInIds") == "where_in_ids"


def test_what_alias_paths_name(models: ModuleType) -> None:
    author = entity_info(models.Author)
    assert property_path(author, "contact_place_city") == "contact.place.city"
    table = replacements(models.Author)
    assert table["contact.place.city"] == "contact_place_city"
    assert table["contactPlaceCity"] == "contact_place_city"
    # TypeORM's names and the Python attributes name the same column
    assert property_path(author, "first_name") == "firstName"
    assert table["firstName"] == table["first_name"] == "first_name"
    book = replacements(models.Book)
    assert book["author.id"] == book["authorId"] == book["author_id"] == "author_id"


def test_the_text_cache_keys_every_field_of_the_builder_state() -> None:
    """`text_cache` freezes the state's own classes field by field: a field added to one
    of them must be added to its key too (else two shapes would share one text)."""
    from dataclasses import fields  # noqa: PLC0415

    from ormshift.orm.querybuilder import state, text_cache  # noqa: PLC0415

    alias = state.Alias("a", "from", None, "(SELECT 1)", "t")
    join = state.Join("LEFT", alias, "p", "rel", "c", "p.m", True, "j")
    where = state.Where("and", "x = 1")
    assert len(text_cache._alias(alias)) == len(fields(state.Alias))
    assert len(text_cache._join(join)) == len(fields(state.Join))
    assert len(text_cache._where(where)) == len(fields(state.Where))
    assert [f.name for f in fields(state.Selection)] == ["selection", "alias_name"]


def test_the_shape_differs_with_the_text_and_not_with_values(
    ds: DataSource, models: ModuleType
) -> None:
    from ormshift.orm.querybuilder.text_cache import shape_of  # noqa: PLC0415

    def shape(title: str, op: str = "=") -> object:
        return shape_of(qb(ds, models).where(f"book.title {op} :t", {"t": title}).em)

    assert shape("Emma") == shape("Persuasion")
    assert shape("Emma") != shape("Emma", "<>")
    # an entity of another class under the same alias is another shape
    other = qb(ds, models, "Author", "book").where("book.title = :t", {"t": "Emma"}).em
    assert shape_of(other) != shape("Emma")


def test_query_builder_entities_are_detached_as_make_transient_to_detached_leaves_them(
    models: ModuleType,
) -> None:
    """`internals.detach_loaded` (the hydrator's quick way) against SQLAlchemy's own
    function, for an entity with every column, with some, and with a relation set."""
    from sqlalchemy.orm import make_transient_to_detached  # noqa: PLC0415
    from sqlalchemy.orm.attributes import (  # noqa: PLC0415
        instance_dict,
        instance_state,
        set_committed_value,
    )

    from ormshift.orm.internals import detach_loaded  # noqa: PLC0415

    info = entity_info(models.Book)
    manager = info.mapper.class_manager
    scalar = {k for k in manager if manager[k].impl.accepts_scalar_loader}
    everything = {k: None for k in info.record_columns} | {"id": 7, "title": "Emma"}
    relation = next(iter(info.relations))

    def state_of(obj: Any) -> tuple[Any, ...]:
        st = instance_state(obj)
        return (
            st.key,
            st.identity_token,
            set(st.expired_attributes),
            dict(st.committed_state),
            st.modified,
            st.expired,
            dict(st.callables),
            set(instance_dict(obj)),
            st.detached,
        )

    for values, with_relation in (
        (everything, False),
        ({"id": 7, "title": "E"}, False),
        (everything, True),
    ):
        made = []
        for quick in (False, True):
            obj = manager.new_instance()
            instance_dict(obj).update(values)
            if with_relation:
                set_committed_value(obj, relation, [] if info.is_many(relation) else None)
            if quick:
                key = info.mapper.identity_key_from_primary_key([7])
                detach_loaded(instance_state(obj), key, scalar.difference(instance_dict(obj)))
            else:
                make_transient_to_detached(obj)
            made.append(state_of(obj))
        assert made[0] == made[1]


def test_a_trailing_underscore_is_no_embedded_prefix(ds: DataSource, tmp_path: Path) -> None:
    """shadowed's Link has a column ``text_`` beside its relation ``text`` (join column
    ``textId``): ``text_`` is its own property path, selected and ordered by its raw key."""
    with imported(generated("shadowed"), tmp_path) as package:
        link = package.Link
        assert property_path(entity_info(link), "text_") == "text_"
        assert replacements(link)["text_"] == "text_"
        sql = (
            ds.get_repository(link)
            .create_query_builder("e")
            .select(["e.text_", "e.id"])
            .add_order_by("e.text_", "ASC")
            .get_sql()
        )
    assert sql == (
        'SELECT "e"."text_" AS "e_text_", "e"."id" AS "e_id" FROM "link" "e" ORDER BY "e_text_" ASC'
    )


def test_an_entity_with_no_column_to_insert_writes_its_value_sets_bare(tmp_path: Path) -> None:
    """TypeORM's insert builder finds no column of an entity whose only column is its
    generated key (junctions' Student): each value set's own values as one row with no
    column list, nothing for an empty set (which still ends a row before it with a
    comma), DEFAULT VALUES when no set has a value."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415
    from sqlalchemy.dialects.postgresql import psycopg  # noqa: PLC0415

    from ormshift.orm.querybuilder.columnless import (  # noqa: PLC0415
        columnless_sql,
        inserts_no_column,
    )

    dialect = psycopg.dialect()
    with imported(generated("junctions"), tmp_path) as package:
        student = entity_info(package.Student)
        assert inserts_no_column(student)
        assert inserts_no_column(entity_info(package.Photo))
        assert not inserts_no_column(entity_info(package.Course))
        assert not inserts_no_column(entity_info(package.PhotoLabel))
        stmt = pg_insert(student.table).on_conflict_do_nothing().returning(student.table.c.id)
        cases = {
            "[{}, {}]": ([{}, {}], " DEFAULT VALUES ON CONFLICT", {}),
            "[{}, {id: 4}]": ([{}, {"id": 4}], " VALUES (%(cv_0)s) ON CONFLICT", {"cv_0": 4}),
            "[{id: 7}, {}]": ([{"id": 7}, {}], " VALUES (%(cv_0)s),  ON CONFLICT", {"cv_0": 7}),
            "[{id: 4}, {}, {id: 3}]": (
                [{"id": 4}, {}, {"id": 3}],
                " VALUES (%(cv_0)s), (%(cv_1)s) ON CONFLICT",
                {"cv_0": 4, "cv_1": 3},
            ),
        }
        for name, (values, middle, params) in cases.items():
            sql, bound = columnless_sql(student, stmt, values, dialect)
            assert sql == f"INSERT INTO student{middle} DO NOTHING RETURNING student.id", name
            assert bound == params, name


def test_find_options_merge_into_a_builder_holding_its_own_calls(
    ds: DataSource, models: ModuleType
) -> None:
    qb = ds.get_repository(models.Book).create_query_builder("book").where("book.pages > 1")
    qb.set_find_options(
        {
            "where": [{"genre": "novel", "pages": 5}, {"genre": "essay"}],
            "order": {"id": "desc", "pages": {"direction": "ASC", "nulls": "last"}},
            "relations": {"author": True},
            "take": 2,
        }
    )
    assert qb.em.find_options is None  # the builder's own calls now
    sql = qb.get_query()
    # TypeORM's buildWhere text ANDed on, its order added, the relation joined after
    assert (
        'WHERE ( "book"."pages" > 1 AND (((("book"."genre" = :orm_param_0) AND '
        '("book"."pages" = :orm_param_1))) OR ((("book"."genre" = :orm_param_2)))) )'
    ) in sql
    assert 'LEFT JOIN "author" "book__book_author"' in sql
    assert qb.em.order_bys == {"book.id": "DESC", "book.pages": ("ASC", "NULLS LAST")}
    assert qb.em.take == 2


def test_find_options_refusals_name_what_is_wrong(ds: DataSource, models: ModuleType) -> None:
    def builder() -> Any:
        return ds.get_repository(models.Book).create_query_builder("book").where("1=1")

    # a count operator on a many-to-one: TypeORM's plain Error
    with pytest.raises(UnsupportedFindOptions, match="isn't supported by given find operator"):
        builder().set_find_options({"where": {"author": MoreThan(1)}})
    # loadRelationIds: refused on any builder and by find (TypeORM puts the ids in the
    # relation's own property)
    for qb in (builder(), ds.get_repository(models.Book).create_query_builder("book")):
        with pytest.raises(RelationIdsNotSupported, match="loadRelationIds"):
            qb.set_find_options({"loadRelationIds": {"relations": ["author"]}})
    with pytest.raises(RelationIdsNotSupported):
        ds.get_repository(models.Book).find(loadRelationIds=True)
    with pytest.raises(Exception, match=r"Null value encountered in property 'book\.genre'"):
        builder().set_find_options({"where": {"genre": None}})
