"""Which finds the plain path (`orm/plain_find.py`) takes, without a database."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    column_property,
    deferred,
    mapped_column,
    relationship,
)

from ormshift.orm import In, MoreThan
from ormshift.orm.cache import cached_find
from ormshift.orm.metadata import entity_info
from ormshift.orm.options import FindOptions
from ormshift.orm.plain_find import _make_plan, is_plain


class Base(DeclarativeBase):
    pass


class Plain(Base):
    __tablename__ = "plain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.id"))
    owner: Mapped[Owner | None] = relationship()


class Owner(Base):
    __tablename__ = "owner"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class Eager(Base):
    __tablename__ = "eager"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.id"))
    owner: Mapped[Owner | None] = relationship(lazy="joined")


class Deferred(Base):
    __tablename__ = "deferred"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = deferred(mapped_column(String(20)))


class Expression(Base):
    __tablename__ = "expression"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    upper: Mapped[str] = column_property(name + "!")


class Animal(Base):
    __tablename__ = "animal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    __mapper_args__: ClassVar[dict[str, Any]] = {
        "polymorphic_on": "kind",
        "polymorphic_identity": "animal",
    }


class Dog(Animal):
    __tablename__ = "dog"
    id: Mapped[int] = mapped_column(ForeignKey("animal.id"), primary_key=True)
    __mapper_args__: ClassVar[dict[str, Any]] = {"polymorphic_identity": "dog"}


DIALECT = psycopg.dialect()


def plan_of(entity: type[Any], **options: Any) -> Any:
    info = entity_info(entity)
    opts = FindOptions.of(options)
    stmt, _, key = cached_find(info, opts)
    assert key is not None
    return _make_plan(info, stmt, DIALECT)


def test_plain_entity_gets_a_plan_in_result_order() -> None:
    plan = plan_of(Plain, where={"id": MoreThan(1)}, order={"name": "DESC"}, take=3)
    assert plan is not None
    assert set(plan.keys) == {"id", "name", "owner_id"}
    assert plan.keys[plan.pk[0]] == "id"
    assert "%(w0)s" in plan.sql
    assert is_plain(entity_info(Plain), FindOptions.of({"where": {"id": 1}}))


def test_order_by_a_relation_selects_only_the_root_columns() -> None:
    plan = plan_of(Plain, order={"owner": {"name": "ASC"}})
    assert plan is not None and len(plan.keys) == 3


@pytest.mark.parametrize(
    "options",
    [
        {"relations": {"owner": True}},
        {"select": {"id": True}},
        {"lock": {"mode": "pessimistic_read"}},
    ],
)
def test_options_that_load_more_or_less_are_not_plain(options: dict[str, Any]) -> None:
    assert not is_plain(entity_info(Plain), FindOptions.of(options))


def test_eager_relations_are_not_plain() -> None:
    assert not is_plain(entity_info(Eager), FindOptions.of({}))
    assert plan_of(Eager) is None


@pytest.mark.parametrize("entity", [Deferred, Expression, Animal, Dog])
def test_mappers_the_plain_path_does_not_mirror_get_no_plan(entity: type[Any]) -> None:
    assert plan_of(entity) is None


def test_expanding_parameters_get_no_plan() -> None:
    assert plan_of(Plain, where={"id": In([1, 2])}) is None
