"""What TypeORM's write builders share (``UpdateQueryBuilder``, ``DeleteQueryBuilder``,
``SoftDeleteQueryBuilder``): the select builder's where machinery with TypeORM's alias
prefixing off, ``returning``, ``call_listeners``, and running one statement.

With prefixing off TypeORM rewrites a bare property name (``title``, ``author``) to its
quoted column (``"title"``, ``"authorId"``) by ``replacePropertyNamesForTheWholeQuery``'s
pattern and leaves ``alias.path`` as written, for PostgreSQL to resolve against the
table's name; `unprefixed` does the same to the WHERE text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from sqlalchemy import text

from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.querybuilder.builder import SelectQueryBuilder, numbered
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.expressions import Binds, render
from ormshift.orm.querybuilder.names import escape, property_path, replacements
from ormshift.orm.querybuilder.run import Fetched
from ormshift.orm.querybuilder.schemas import in_force, table_sql
from ormshift.orm.querybuilder.sql import where_clauses
from ormshift.orm.querybuilder.state import Alias, Where

__all__ = ["WriteQueryBuilder", "unprefixed"]

_TOKEN = re.compile(r"([ =(]|^)([^ =(),]+)(?=[ =),]|$)", re.MULTILINE)
_PYFORMAT = re.compile(r"%\((p\d+)\)s|%%")


def unprefixed(sql: str, info: EntityInfo) -> str:
    """Bare property names in ``sql`` as quoted columns (TypeORM, prefixing off)."""
    found = replacements(info.cls)

    def swap(match: re.Match[str]) -> str:
        key = found.get(match.group(2))
        if key is None:
            return match.group(0)
        return match.group(1) + escape(info.columns[key].name)

    return _TOKEN.sub(swap, sql)


def _bare(condition: Any) -> Any:
    """``.id = :p`` (a condition made with an empty alias) as ``id = :p``."""
    if isinstance(condition, str):
        return re.sub(r"(^|[ (])\.", r"\1", condition)
    kind, inner = condition
    return (kind, [Where(w.type, _bare(w.condition)) for w in inner])


class WriteQueryBuilder(SelectQueryBuilder[Any]):
    """A write builder: ``where``/``and_where``/``or_where``/``where_in_ids``/
    `Brackets` as the select builder's; ``execute()`` is the subclass's."""

    kind = "write"

    def __init__(self, source: SelectQueryBuilder[object]) -> None:
        super().__init__(source.manager, source.em.copy())
        self._param_index = source._param_index
        self.returns: list[str] | str | None = None
        self.listeners = True
        self.entity_update = True
        #: ``where_entity``'s entities: their generated values are merged in after a write
        self.where_entities: list[Any] = []

    def _target(self, entity: Any, alias: str | None = None) -> None:
        """Write to the mapped class ``entity`` (under ``alias``, when given)."""
        if alias is not None and self.em.main is not None:
            self.em.main.name = alias
        if not isinstance(entity, type):
            raise QueryBuilderError(f"a write builder takes a mapped class, not {entity!r}")
        info = entity_info(entity)
        name = self.em.main.name if self.em.main is not None else info.table.name
        made = Alias(name, "from", info)
        self.em.main = made
        self.em.aliases = [made]

    @property
    def info(self) -> EntityInfo:
        main = self.em.main
        if main is None or main.info is None:
            raise QueryBuilderError("Cannot get entity metadata for the given alias")
        return main.info

    def _table(self) -> str:
        """The target table as the statement names it (`schemas`)."""
        return table_sql(self.info.table, in_force(self.manager))

    def returning(self, returning: str | Sequence[str]) -> Self:
        self.returns = returning if isinstance(returning, str) else list(returning)
        return self

    def output(self, output: str | Sequence[str]) -> Self:
        return self.returning(output)

    def call_listeners(self, enabled: bool) -> Self:
        self.listeners = enabled
        return self

    def update_entity(self, enabled: bool) -> Self:
        self.entity_update = enabled
        return self

    def _where_entity(self, entity: Any) -> None:
        """TypeORM's ``whereEntity`` (update, soft delete, restore): the conditions
        replaced by ``or_where_in_ids`` of each entity's ids."""
        info = self.info
        self.em.wheres = []
        items = list(entity) if isinstance(entity, list | tuple) else [entity]
        for item in items:
            ids = self._id_map(info, item)
            if any(v is None for v in ids.values()):
                raise QueryBuilderError(
                    "Provided entity does not have ids set, cannot perform operation."
                )
            self.or_where_in_ids({property_path(info, k): v for k, v in ids.items()})
        self.where_entities = items

    #: the columns a write returns for ``where_entity``'s entities (TypeORM's
    #: ``getUpdationReturningColumns``; a soft delete adds the delete date)
    returned_kinds: tuple[str, ...] = ("update_date", "version")

    def _extra_returning(self) -> list[str]:
        """The keys TypeORM adds to an array ``returning`` (or none) to update the entities of
        ``where_entity``: generated, update date and version columns (and, for a soft
        delete or restore, the delete date), in the entity's column order."""
        if isinstance(self.returns, str):
            return []
        if not (self.entity_update and self.where_entities):
            return []
        info = self.info
        wanted = {getattr(info, kind) for kind in self.returned_kinds} - {None}
        return [
            k
            for k, col in info.columns.items()
            if k in wanted or getattr(col, "computed", None) is not None
        ]

    def _merge_returned(self, raw: list[dict[str, Any]]) -> None:
        """TypeORM's ``ReturningResultsEntityUpdator.update``: the ``i``-th returned row's
        columns merged into the ``i``-th ``where_entity`` entity (by position)."""
        if not (self.entity_update and self.where_entities):
            return
        info = self.info
        by_name = {col.name: k for k, col in info.columns.items()}
        for i, entity in enumerate(self.where_entities):
            if i >= len(raw):
                break
            for name, value in raw[i].items():
                key = by_name.get(name)
                if key is None:
                    continue
                if isinstance(entity, dict):
                    entity[property_path(info, key)] = value
                elif hasattr(entity, "__mapper__"):
                    setattr(entity, key, value)

    def _unaliased(self, make: Callable[[], Any]) -> Any:
        """What ``make`` builds with the main alias named "" (TypeORM: no alias prefix
        on a write), its ``.path`` made ``path`` for the prefix-less rewrite."""
        main = self.em.main
        saved = main.name if main is not None else ""
        if main is not None:
            main.name = ""
        try:
            made = make()
        finally:
            if main is not None:
                main.name = saved
        return _bare(made)

    def _in_ids(self, ids: Any) -> Any:
        return self._unaliased(lambda: super(WriteQueryBuilder, self)._in_ids(ids))

    def _condition(self, where: Any) -> Any:
        if isinstance(where, Mapping | list | tuple):
            return self._unaliased(lambda: super(WriteQueryBuilder, self)._condition(where))
        return super()._condition(where)

    # -- SQL -----------------------------------------------------------------------

    def _returning_sql(self) -> str:
        """TypeORM's ``createReturningExpression``: property paths as quoted columns,
        a string as written."""
        if self.returns is None:
            info = self.info
            return ", ".join(escape(info.columns[k].name) for k in self._extra_returning())
        if isinstance(self.returns, str):
            return unprefixed(self.returns, self.info)
        info = self.info
        found = replacements(info.cls)
        out = []
        keys = []
        for path in self.returns:
            key = found.get(path)
            keys.append(key)
            out.append(escape(info.columns[key].name) if key in info.columns else path)
        out += [escape(info.columns[k].name) for k in self._extra_returning() if k not in keys]
        return ", ".join(out)

    def _where_sql(self) -> str:
        """The WHERE clause, TypeORM's ``createWhereExpression`` for a write."""
        conditions = []
        wheres = self.em.wheres + self._extra_wheres()
        expression = where_clauses(wheres)
        if wheres and (not expression or expression == "1=1"):
            raise QueryBuilderError(
                f"Empty criteria(s) are not allowed for the {self.kind} operation. "
                "Provide a WHERE condition, or build the query without one to "
                "intentionally affect all rows."
            )
        if expression:
            conditions.append(expression)
        info = self.info
        disc = info.discriminator
        if disc is not None and info.mapper.inherits is not None:
            name = escape(info.columns[disc[0]].name)
            conditions.append(f"{name} IN (:...discriminatorColumnValues)")
        if not conditions:
            return ""
        if len(conditions) == 1:
            return f" WHERE {conditions[0]}"
        return " WHERE ( " + " ) AND ( ".join(conditions) + " )"

    def _head(self) -> str:
        """The statement up to its WHERE (``UPDATE "t" SET ...``, ``DELETE FROM "t"``)."""
        raise NotImplementedError

    def _extra_wheres(self) -> list[Where]:
        """Conditions the builder ANDs onto the user's (a soft delete's delete date)."""
        return []

    def _text(self) -> str:
        """The head + WHERE + RETURNING, parameters still ``:name``."""
        sql = self._head() + unprefixed(self._where_sql(), self.info)
        returning = self._returning_sql()
        if returning:
            sql += f" RETURNING {returning}"
        return sql

    def _statement(self) -> tuple[str, dict[str, Any]]:
        """The statement ``execute()`` runs: property names rewritten, values bound."""
        binds = Binds()
        rendered = render(self._text(), {}, self._params(self.em), binds)
        return rendered, binds.values

    def get_query(self) -> str:
        """The builder's own statement with its parameters still ``:name`` (TypeORM's
        ``getQuery`` of a write builder); `get_parameters` holds their values."""
        return render(self._text(), {}, {}, Binds(), bind=False)

    def get_query_and_parameters(self) -> tuple[str, list[object]]:
        """The statement ``execute()`` sends, as TypeORM's PostgreSQL driver sends it
        (``$1``, ``$2``...), and the values in order."""
        return numbered(*self._statement())

    def _run(self, sql: str, values: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
        """``sql`` run: (rows affected, the RETURNING rows as TypeORM's driver gives them)."""
        with self.manager._scope() as session:
            connection = session.connection()
            result = connection.exec_driver_sql(sql, values)
            count = int(result.rowcount)
            if not result.returns_rows:
                return count, []
            description = result.cursor.description or []
            names = [str(d[0]) for d in description]
            oids: dict[str, int] = {str(d[0]): d[1] for d in description}  # type: ignore[misc]
            rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
            return count, Fetched(rows, oids, connection.dialect).raw()

    @staticmethod
    def _sqlalchemy(sql: str) -> Any:
        """Driver SQL (``%(pN)s``) as a SQLAlchemy text (``:pN``), for statements built
        with SQLAlchemy."""
        return text(_PYFORMAT.sub(lambda m: ":" + m.group(1) if m.group(1) else "%", sql))
