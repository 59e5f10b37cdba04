"""Value transformers, listener discovery and subscriber matching, without a database
(their placement in reads and writes is compared with TypeORM in
tests/integration/test_compare_hooks.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import String, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ormshift.codegen.hooks import transformer_names
from ormshift.manifest import Entity, EntityColumn, load
from ormshift.orm import EntitySubscriber, Transformed, after_load, before_insert, before_update
from ormshift.orm.guard import hooks_apply
from ormshift.orm.hooks import _allowed
from ormshift.orm.listeners import listeners_of
from ormshift.orm.metadata import entity_info
from ormshift.orm.transformers import apply_from, apply_to, has_transformers


class Suffix:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_database(self, value: Any) -> Any:
        return None if value is None else value + self.text

    def from_database(self, value: Any) -> Any:
        if value is None:
            return None
        assert value.endswith(self.text), (value, self.text)
        return value[: -len(self.text)]


class Lower:
    def to_database(self, value: Any) -> Any:
        return None if value is None else value.lower()

    def from_database(self, value: Any) -> Any:
        return value


def test_transformers_apply_in_order_and_back_in_reverse() -> None:
    chain = [Suffix("-a"), Suffix("-b")]
    assert apply_to(chain, "x") == "x-a-b"
    assert apply_from(chain, "x-a-b") == "x"
    with pytest.raises(AssertionError):
        apply_from(list(reversed(chain)), "x-a-b")  # the wrong order shows


def test_transformed_binds_and_reads_through_the_transformers() -> None:
    col_type = Transformed(String(20), Suffix("-a"), Lower())
    dialect = postgresql.dialect()
    bind = col_type.dialect_impl(dialect).bind_processor(dialect)
    result = col_type.dialect_impl(dialect).result_processor(dialect, None)
    assert bind is not None and result is not None
    assert bind("AB") == "ab-a"
    assert result("ab-a") == "ab"
    assert bind(None) is None and result(None) is None


def test_a_change_is_decided_on_the_database_side() -> None:
    col_type = Transformed(String(20), Lower())
    assert col_type.compare_values("ADA", "ada")  # to("ADA") == to("ada"): no change
    assert not col_type.compare_values("ADA", "bob")
    assert not col_type.compare_values(None, "ada")
    assert col_type.compare_values(None, None)


def test_transformed_refuses_what_is_not_a_transformer() -> None:
    with pytest.raises(TypeError, match="not a value transformer"):
        Transformed(String(), object())
    with pytest.raises(TypeError, match="at least one"):
        Transformed(String())


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Transformed(String(20), Lower()))

    @before_insert
    def first(self) -> None: ...

    @after_load
    @before_update
    def both(self) -> None: ...


class Special(Item):
    @before_insert
    def second(self) -> None: ...

    def both(self) -> None: ...  # overridden without a mark: no longer a listener


def test_listeners_are_found_base_first_in_definition_order() -> None:
    assert listeners_of(Item) == {
        "before_insert": ("first",),
        "after_load": ("both",),
        "before_update": ("both",),
    }
    assert listeners_of(Special)["before_insert"] == ("first", "second")
    assert "after_load" in listeners_of(Special)  # the base's mark, by the base's name


def test_a_where_value_binds_through_the_transformers() -> None:
    stmt = select(Item.id).where(Item.code == "ABC")
    compiled = stmt.compile(dialect=postgresql.dialect())
    bind = next(iter(compiled.binds.values()))
    processor = bind.type.dialect_impl(postgresql.dialect()).bind_processor(postgresql.dialect())
    assert processor is not None and processor("ABC") == "abc"


class Hears(EntitySubscriber):
    def __init__(self, target: type[Any] | None) -> None:
        self.target = target

    def listen_to(self) -> type[Any] | None:
        return self.target


def test_subscribers_hear_their_class_and_its_subclasses() -> None:
    assert _allowed(Hears(None), Item)
    assert _allowed(Hears(object), Item)
    assert _allowed(Hears(Item), Special)
    assert not _allowed(Hears(Special), Item)
    assert _allowed(object(), Item)  # no listen_to at all: every class


def test_the_guard_sees_listeners_transformers_and_subscribers() -> None:
    info = entity_info(Item)
    assert has_transformers(Item)
    assert hooks_apply(info, ())
    assert hooks_apply(info, (Hears(None),))


def test_a_version_1_manifest_loads_as_version_2() -> None:
    text = json.dumps(
        {
            "format_version": 1,
            "source": {"kind": "typeorm"},
            "tables": [
                {"name": "t", "columns": [{"name": "id", "type": "integer", "nullable": False}]}
            ],
            "entities": [
                {
                    "name": "T",
                    "table": "t",
                    "columns": [
                        {
                            "property_path": "id",
                            "column": "id",
                            "declared_type": "integer",
                            "has_transformer": True,
                        }
                    ],
                }
            ],
        }
    )
    manifest = load(text)
    assert manifest.format_version == 2
    entity = manifest.entity("T")
    assert entity.listeners == () and manifest.subscribers == ()
    assert entity.columns[0].has_transformer and entity.columns[0].transformers == ()


def test_an_object_literal_transformer_is_named_after_its_column() -> None:
    entity = Entity("Account", "account")
    prop = EntityColumn("home.zip", "homeZip", "varchar", transformers=("", "Trim", ""))
    assert transformer_names(entity, prop) == (
        "AccountHomeZipTransformer",
        "Trim",
        "AccountHomeZipTransformer3",
    )
