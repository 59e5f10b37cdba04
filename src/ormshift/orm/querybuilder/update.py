"""TypeORM's ``UpdateQueryBuilder`` and ``SoftDeleteQueryBuilder``:
``qb.update(Book).set({...}).where(...).returning(...).execute()`` -> `UpdateResult`.

The SET list is TypeORM's ``createUpdateExpression``: each value bound (a callable's
SQL text as written), the version bumped and the update date set unless the values set
them; a soft delete / restore sets the delete date (``CURRENT_TIMESTAMP`` / ``NULL``),
bumps the version, sets the update date and ANDs ``"deletedAt" IS [NOT] NULL`` onto the
conditions. ``UPDATE "table" SET ...`` names no alias, as TypeORM's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.dialects.postgresql import psycopg

from ormshift.orm import hooks
from ormshift.orm.errors import UnknownProperty, UpdateValuesMissing
from ormshift.orm.guard import hooks_apply
from ormshift.orm.manager import UpdateResult
from ormshift.orm.querybuilder.names import escape, replacements
from ormshift.orm.querybuilder.state import Where
from ormshift.orm.querybuilder.write import WriteQueryBuilder
from ormshift.orm.writes import column_values, soft_delete_stamps

if TYPE_CHECKING:
    from ormshift.orm.querybuilder.builder import SelectQueryBuilder

__all__ = ["SoftDeleteQueryBuilder", "UpdateQueryBuilder"]

_DIALECT = psycopg.dialect()  # type: ignore[no-untyped-call]
_MISSING = "Cannot perform update query because update values are not defined."


def _event(builder: WriteQueryBuilder, event: str, values: Any) -> None:
    info = builder.info
    if builder.listeners and hooks_apply(info, builder.manager.subscribers):
        hooks.query_event(builder.manager, event, info.cls, [values])


class UpdateQueryBuilder(WriteQueryBuilder):
    kind = "update"

    def __init__(
        self,
        source: SelectQueryBuilder[object],
        entity: type[object] | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(source)
        if entity is not None:
            self._target(entity)
        self.values_set: Any = values

    def where_entity(self, entity: object) -> UpdateQueryBuilder:
        """TypeORM's ``whereEntity``: where the ids are those of ``entity`` (or of each
        entity of a list); their update date and version are merged back after
        ``execute()`` when ``returning`` is a list."""
        self._where_entity(entity)
        return self

    def set(self, values: Mapping[str, object]) -> UpdateQueryBuilder:
        self.values_set = values
        return self

    def _sets(self) -> list[str]:
        info = self.info
        given = self.values_set
        if given is None:
            raise UpdateValuesMissing(_MISSING)
        found = replacements(info.cls)
        plain = dict(given)
        for key in plain:
            mapped = info.attribute(key)
            if key not in found and mapped not in info.relations and mapped not in info.prefixes:
                raise UnknownProperty(f'Property "{key}" was not found in "{info.name}".')
        raw = {k: v for k, v in plain.items() if callable(v)}
        bound = column_values(
            info, {k: v for k, v in plain.items() if k not in raw}, what=f"update {info.name}"
        )
        sets: list[str] = []
        written: set[str] = set()
        for key, value in bound.items():
            if key in info.no_update or key in written:
                continue
            written.add(key)
            col = info.columns[key]
            sets.append(f"{escape(col.name)} = {self._typed(col, value)}")
        for prop, fn in raw.items():
            key = found[prop]
            if key in info.no_update:
                continue
            written.add(key)
            sets.append(f"{escape(info.columns[key].name)} = {fn()}")
        if sets or not plain:
            if info.version is not None and info.version not in written:
                name = escape(info.columns[info.version].name)
                sets.append(f"{name} = {name} + 1")
            if info.update_date is not None and info.update_date not in written:
                sets.append(f"{escape(info.columns[info.update_date].name)} = CURRENT_TIMESTAMP")
        if not sets:
            raise UpdateValuesMissing(_MISSING)
        return sets

    def _head(self) -> str:
        return f"UPDATE {self._table()} SET {', '.join(self._sets())}"

    def _typed(self, col: Any, value: Any) -> str:
        """``value`` as the column's type binds it, through a parameter."""
        processor = col.type.dialect_impl(self._dialect()).bind_processor(self._dialect())
        return self._parameter(processor(value) if processor is not None else value)

    @staticmethod
    def _dialect() -> Any:
        return _DIALECT

    def execute(self) -> UpdateResult:
        _event(self, "before_update", self.values_set)
        sql, values = self._statement()
        affected, raw = self._run(sql, values)
        self._merge_returned(raw)
        _event(self, "after_update", self.values_set)
        return UpdateResult(affected, raw)


#: a `soft_delete_stamps` entry as SQL, given its quoted column name
_STAMP_SQL = {"now": "{0} = CURRENT_TIMESTAMP", "null": "{0} = NULL", "bump": "{0} = {0} + 1"}


class SoftDeleteQueryBuilder(WriteQueryBuilder):
    kind = "soft-delete"
    returned_kinds = ("update_date", "version", "delete_date")

    def __init__(self, source: SelectQueryBuilder[object], restore: bool = False) -> None:
        super().__init__(source)
        self.restoring = restore
        if restore:
            self.kind = "restore"

    def where_entity(self, entity: object) -> SoftDeleteQueryBuilder:
        """TypeORM's ``whereEntity``, as the update builder's."""
        self._where_entity(entity)
        return self

    # a write builder's from_ takes a mapped class only, its alias optional (TypeORM's
    # DeleteQueryBuilder.from), unlike the select builder's it inherits
    def from_(  # type: ignore[override]
        self, entity: type[object], alias: str | None = None
    ) -> SoftDeleteQueryBuilder:
        self._target(entity, alias)
        return self

    def _head(self) -> str:
        info = self.info
        sets = soft_delete_stamps(info, restore=self.restoring)
        sql_sets = [_STAMP_SQL[stamp].format(escape(info.columns[k].name)) for k, stamp in sets]
        return f"UPDATE {self._table()} SET {', '.join(sql_sets)}"

    def _extra_wheres(self) -> list[Where]:
        info = self.info
        deleted = escape(info.columns[soft_delete_stamps(info, restore=self.restoring)[0][0]].name)
        return [Where("and", f"{deleted} IS {'NOT NULL' if self.restoring else 'NULL'}")]

    def execute(self) -> UpdateResult:
        soft_delete_stamps(self.info)  # no delete date: refused before any listener
        before, after = (
            ("before_recover", "after_recover")
            if self.restoring
            else ("before_soft_remove", "after_soft_remove")
        )
        _event(self, before, None)
        sql, values = self._statement()
        affected, raw = self._run(sql, values)
        self._merge_returned(raw)
        _event(self, after, None)
        return UpdateResult(affected, raw)
