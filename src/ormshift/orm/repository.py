"""`Repository[T]`: TypeORM's ``Repository`` methods for one entity, in snake case."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ormshift.orm.metadata import entity_info

if TYPE_CHECKING:
    from ormshift.orm.manager import DeleteResult, EntityManager, InsertResult, UpdateResult

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

    def create_query_builder(self, alias: str) -> Any:
        """``repo.create_query_builder("post")``: a builder selecting this entity as ``alias``."""
        return self.manager.create_query_builder(self.target, alias)

    def create(self, data: Mapping[str, Any] | None = None, **values: Any) -> T:
        return self.manager.create(self.target, {**(data or {}), **values})

    def find(self, **options: Any) -> list[T]:
        return self.manager.find(self.target, **options)

    def find_by(self, where: Any) -> list[T]:
        return self.manager.find_by(self.target, where)

    def find_one(self, **options: Any) -> T | None:
        return self.manager.find_one(self.target, **options)

    def find_one_by(self, where: Any) -> T | None:
        return self.manager.find_one_by(self.target, where)

    def find_one_or_fail(self, **options: Any) -> T:
        return self.manager.find_one_or_fail(self.target, **options)

    def find_one_by_or_fail(self, where: Any) -> T:
        return self.manager.find_one_by_or_fail(self.target, where)

    def find_and_count(self, **options: Any) -> tuple[list[T], int]:
        return self.manager.find_and_count(self.target, **options)

    def find_and_count_by(self, where: Any) -> tuple[list[T], int]:
        return self.manager.find_and_count_by(self.target, where)

    def count(self, **options: Any) -> int:
        return self.manager.count(self.target, **options)

    def count_by(self, where: Any) -> int:
        return self.manager.count_by(self.target, where)

    def exists(self, **options: Any) -> bool:
        return self.manager.exists(self.target, **options)

    def exists_by(self, where: Any) -> bool:
        return self.manager.exists_by(self.target, where)

    def sum(self, column: str, where: Any = None) -> float | None:
        return self.manager.sum(self.target, column, where)

    def average(self, column: str, where: Any = None) -> float | None:
        return self.manager.average(self.target, column, where)

    def minimum(self, column: str, where: Any = None) -> float | None:
        return self.manager.minimum(self.target, column, where)

    def maximum(self, column: str, where: Any = None) -> float | None:
        return self.manager.maximum(self.target, column, where)

    def save(self, entity_or_entities: Any) -> Any:
        return self.manager.save(entity_or_entities)

    def remove(self, entity_or_entities: Any) -> Any:
        return self.manager.remove(entity_or_entities)

    def soft_remove(self, entity_or_entities: Any) -> Any:
        return self.manager.soft_remove(entity_or_entities)

    def recover(self, entity_or_entities: Any) -> Any:
        return self.manager.recover(entity_or_entities)

    def insert(self, values: Any) -> InsertResult:
        return self.manager.insert(self.target, values)

    def update(self, criteria: Any, values: Any) -> UpdateResult:
        return self.manager.update(self.target, criteria, values)

    def upsert(
        self,
        values: Any,
        conflict_paths: Sequence[str] | Mapping[str, Any],
        *,
        skip_update_if_no_values_changed: bool = False,
    ) -> InsertResult:
        return self.manager.upsert(
            self.target,
            values,
            conflict_paths,
            skip_update_if_no_values_changed=skip_update_if_no_values_changed,
        )

    def delete(self, criteria: Any) -> DeleteResult:
        return self.manager.delete(self.target, criteria)

    def soft_delete(self, criteria: Any) -> UpdateResult:
        return self.manager.soft_delete(self.target, criteria)

    def restore(self, criteria: Any) -> UpdateResult:
        return self.manager.restore(self.target, criteria)

    def increment(self, criteria: Any, prop: str, value: Any) -> UpdateResult:
        return self.manager.increment(self.target, criteria, prop, value)

    def decrement(self, criteria: Any, prop: str, value: Any) -> UpdateResult:
        return self.manager.decrement(self.target, criteria, prop, value)

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return self.manager.query(sql, params)
