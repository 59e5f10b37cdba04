"""TypeORM's ``InsertQueryBuilder``: ``qb.insert().into(Book).values(obj | [objs])
.or_update([cols], [conflict], {skipUpdateIfNoValuesChanged}).execute()`` ->
`InsertResult` (identifiers, generated maps, raw), run by the manager's insert and
upsert, which send TypeORM's statement, fill the values' generated columns back (the
builder's ``updateEntity(true)``) and broadcast ``before_insert``/``after_insert`` with
the value sets as TypeORM's builder does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ormshift.orm.manager import InsertResult
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.write import WriteQueryBuilder

__all__ = ["InsertQueryBuilder"]


class InsertQueryBuilder(WriteQueryBuilder):
    kind = "insert"

    def __init__(self, source: Any) -> None:
        super().__init__(source)
        self.value_sets: Any = None
        self.overwrite: list[str] | None = None
        self.conflict: list[str] = []
        self.skip_unchanged = False

    def into(self, entity: Any, columns: Sequence[str] | None = None) -> InsertQueryBuilder:
        if columns is not None:
            raise QueryBuilderError("into(entity, columns) is not supported; give the values")
        self._target(entity)
        return self

    def values(self, values: Any) -> InsertQueryBuilder:
        self.value_sets = values
        return self

    def or_update(
        self,
        overwrite: Sequence[str],
        conflict_target: str | Sequence[str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> InsertQueryBuilder:
        unsupported = set(options or {}) - {"skipUpdateIfNoValuesChanged"}
        if unsupported:
            raise QueryBuilderError(f"or_update options not supported: {sorted(unsupported)}")
        self.overwrite = list(overwrite)
        if isinstance(conflict_target, str):
            self.conflict = [conflict_target]
        else:
            self.conflict = list(conflict_target or [])
        self.skip_unchanged = bool((options or {}).get("skipUpdateIfNoValuesChanged"))
        return self

    def execute(self) -> InsertResult:
        info = self.info
        if self.returns is not None:
            raise QueryBuilderError("returning() on an insert builder is not supported yet")
        values = self.value_sets if self.value_sets is not None else []
        if not self.listeners or not self.entity_update:
            raise QueryBuilderError(
                "call_listeners(false) / update_entity(false) on an insert is not supported yet"
            )
        if self.overwrite is None:
            return self._shaped(self.manager.insert(info.cls, values), values)
        items = list(values) if isinstance(values, list | tuple) else [values]
        for item in items:
            given = set(item) if isinstance(item, Mapping) else set()
            if set(self.overwrite) != given - set(self.conflict):
                raise QueryBuilderError(
                    "or_update overwrites exactly the non-conflict columns the values set"
                )
        found = self.manager.upsert(
            info.cls,
            values,
            self.conflict,
            skip_update_if_no_values_changed=self.skip_unchanged,
        )
        return self._shaped(found, values)

    def _shaped(self, found: InsertResult, values: Any) -> InsertResult:
        """The generated maps as TypeORM's builder makes them: one per value set (``{}``
        for a row the statement did not return), the delete date among the returned
        columns (``getInsertionReturningColumns``)."""
        info = self.info
        items = list(values) if isinstance(values, list | tuple) else [values]
        if not items:
            return found
        maps = [dict(m) for m in found.generated_maps]
        deleted = info.delete_date
        if deleted is not None:
            prop = info.property_of(deleted)
            for index, made in enumerate(maps):
                if deleted not in made and index < len(items):
                    item = items[index]
                    given = item.get(prop) if isinstance(item, Mapping) else None
                    made[deleted] = getattr(item, deleted, None) if given is None else given
        maps += [{} for _ in range(len(items) - len(maps))]
        return replace(found, generated_maps=maps)
