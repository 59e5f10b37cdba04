"""TypeORM's ``DeleteQueryBuilder``: ``qb.delete().from_(Book).where(...).execute()`` ->
`DeleteResult`; ``DELETE FROM "table"`` with the write builders' WHERE, listeners
``before_remove``/``after_remove`` called without an entity as TypeORM's builder calls
them."""

from __future__ import annotations

from ormshift.orm.manager import DeleteResult
from ormshift.orm.querybuilder.update import _event
from ormshift.orm.querybuilder.write import WriteQueryBuilder

__all__ = ["DeleteQueryBuilder"]


class DeleteQueryBuilder(WriteQueryBuilder):
    kind = "delete"

    # a write builder's from_ takes a mapped class only, its alias optional (TypeORM's
    # DeleteQueryBuilder.from), unlike the select builder's it inherits
    def from_(  # type: ignore[override]
        self, entity: type[object], alias: str | None = None
    ) -> DeleteQueryBuilder:
        self._target(entity, alias)
        return self

    def _head(self) -> str:
        return f"DELETE FROM {self._table()}"

    def execute(self) -> DeleteResult:
        _event(self, "before_remove", None)
        sql, values = self._statement()
        affected, raw = self._run(sql, values)
        _event(self, "after_remove", None)
        return DeleteResult(affected, raw)
