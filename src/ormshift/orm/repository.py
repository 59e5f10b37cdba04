"""`Repository[T]`: TypeORM's ``Repository`` methods for one entity, in snake case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar, Unpack, overload

from ormshift.orm.metadata import entity_info

if TYPE_CHECKING:
    from ormshift.orm.manager import DeleteResult, EntityManager, InsertResult, UpdateResult
    from ormshift.orm.querybuilder import SelectQueryBuilder
    from ormshift.orm.types import (
        Amount,
        Criteria,
        FindManyOptions,
        FindOneOptions,
        Params,
        Row,
        Values,
        WhereOption,
    )

__all__ = ["Repository"]

T = TypeVar("T")


class Repository(Generic[T]):
    """Operations on one entity through a manager (the data source's or a transaction's)."""

    def __init__(self, entity: type[T], manager: EntityManager) -> None:
        entity_info(entity)  # fail early on an unmapped class
        self.target = entity
        self.manager = manager

    def __repr__(self) -> str:
        return f"Repository[{self.target.__name__}]"

    def create_query_builder(self, alias: str) -> SelectQueryBuilder[T]:
        """``repo.create_query_builder("post")``: a builder selecting this entity as ``alias``."""
        return self.manager.create_query_builder(self.target, alias)

    def create(self, data: Mapping[str, object] | None = None, **values: object) -> T:
        return self.manager.create(self.target, {**(data or {}), **values})

    def find(self, **options: Unpack[FindManyOptions]) -> list[T]:
        return self.manager.find(self.target, **options)

    def find_by(self, where: WhereOption) -> list[T]:
        return self.manager.find_by(self.target, where)

    def find_one(self, **options: Unpack[FindOneOptions]) -> T | None:
        return self.manager.find_one(self.target, **options)

    def find_one_by(self, where: WhereOption) -> T | None:
        return self.manager.find_one_by(self.target, where)

    def find_one_or_fail(self, **options: Unpack[FindOneOptions]) -> T:
        return self.manager.find_one_or_fail(self.target, **options)

    def find_one_by_or_fail(self, where: WhereOption) -> T:
        return self.manager.find_one_by_or_fail(self.target, where)

    def find_and_count(self, **options: Unpack[FindManyOptions]) -> tuple[list[T], int]:
        return self.manager.find_and_count(self.target, **options)

    def find_and_count_by(self, where: WhereOption) -> tuple[list[T], int]:
        return self.manager.find_and_count_by(self.target, where)

    def count(self, **options: Unpack[FindManyOptions]) -> int:
        return self.manager.count(self.target, **options)

    def count_by(self, where: WhereOption) -> int:
        return self.manager.count_by(self.target, where)

    def exists(self, **options: Unpack[FindManyOptions]) -> bool:
        return self.manager.exists(self.target, **options)

    def exists_by(self, where: WhereOption) -> bool:
        return self.manager.exists_by(self.target, where)

    def sum(self, column: str, where: WhereOption | None = None) -> float | None:
        return self.manager.sum(self.target, column, where)

    def average(self, column: str, where: WhereOption | None = None) -> float | None:
        return self.manager.average(self.target, column, where)

    def minimum(self, column: str, where: WhereOption | None = None) -> float | None:
        return self.manager.minimum(self.target, column, where)

    def maximum(self, column: str, where: WhereOption | None = None) -> float | None:
        return self.manager.maximum(self.target, column, where)

    # the entity or entities given, written back (TypeORM returns the same objects)
    @overload
    def save(self, entity_or_entities: list[T]) -> list[T]: ...
    @overload
    def save(self, entity_or_entities: tuple[T, ...]) -> tuple[T, ...]: ...
    @overload
    def save(self, entity_or_entities: T) -> T: ...
    def save(self, entity_or_entities: T | list[T] | tuple[T, ...]) -> T | list[T] | tuple[T, ...]:
        return self.manager.save(entity_or_entities)

    @overload
    def remove(self, entity_or_entities: list[T]) -> list[T]: ...
    @overload
    def remove(self, entity_or_entities: tuple[T, ...]) -> tuple[T, ...]: ...
    @overload
    def remove(self, entity_or_entities: T) -> T: ...
    def remove(
        self, entity_or_entities: T | list[T] | tuple[T, ...]
    ) -> T | list[T] | tuple[T, ...]:
        return self.manager.remove(entity_or_entities)

    @overload
    def soft_remove(self, entity_or_entities: list[T]) -> list[T]: ...
    @overload
    def soft_remove(self, entity_or_entities: tuple[T, ...]) -> tuple[T, ...]: ...
    @overload
    def soft_remove(self, entity_or_entities: T) -> T: ...
    def soft_remove(
        self, entity_or_entities: T | list[T] | tuple[T, ...]
    ) -> T | list[T] | tuple[T, ...]:
        return self.manager.soft_remove(entity_or_entities)

    @overload
    def recover(self, entity_or_entities: list[T]) -> list[T]: ...
    @overload
    def recover(self, entity_or_entities: tuple[T, ...]) -> tuple[T, ...]: ...
    @overload
    def recover(self, entity_or_entities: T) -> T: ...
    def recover(
        self, entity_or_entities: T | list[T] | tuple[T, ...]
    ) -> T | list[T] | tuple[T, ...]:
        return self.manager.recover(entity_or_entities)

    def insert(self, values: Values[T] | Sequence[Values[T]]) -> InsertResult:
        return self.manager.insert(self.target, values)

    def update(self, criteria: Criteria, values: Values[T]) -> UpdateResult:
        return self.manager.update(self.target, criteria, values)

    def upsert(
        self,
        values: Values[T] | Sequence[Values[T]],
        conflict_paths: Sequence[str] | Mapping[str, object],
        *,
        skip_update_if_no_values_changed: bool = False,
    ) -> InsertResult:
        return self.manager.upsert(
            self.target,
            values,
            conflict_paths,
            skip_update_if_no_values_changed=skip_update_if_no_values_changed,
        )

    def delete(self, criteria: Criteria) -> DeleteResult:
        return self.manager.delete(self.target, criteria)

    def soft_delete(self, criteria: Criteria) -> UpdateResult:
        return self.manager.soft_delete(self.target, criteria)

    def restore(self, criteria: Criteria) -> UpdateResult:
        return self.manager.restore(self.target, criteria)

    def increment(self, criteria: Criteria, prop: str, value: Amount) -> UpdateResult:
        return self.manager.increment(self.target, criteria, prop, value)

    def decrement(self, criteria: Criteria, prop: str, value: Amount) -> UpdateResult:
        return self.manager.decrement(self.target, criteria, prop, value)

    def query(self, sql: str, params: Params | None = None) -> list[Row]:
        return self.manager.query(sql, params)
