"""TypeORM's ``InsertQueryBuilder``: ``qb.insert().into(Book).values(obj | [objs])
.or_ignore() / .or_update([cols], [conflict], {skipUpdateIfNoValuesChanged})
.returning(...).update_entity(bool).call_listeners(bool).execute()`` -> `InsertResult`.

The rows go in one statement (the manager's: DEFAULT where a row leaves a column out,
so a failing row writes no other); RETURNING holds the columns asked for and, with
``update_entity`` (default), TypeORM's insertion returning columns, whose values fill
the entities given and make the generated maps (one per value set, ``{}`` for a row not
returned, as TypeORM's ``ReturningResultsEntityUpdator``); without it the result is
empty as TypeORM's.
``or_update(overwrite, conflict_target, options)`` is TypeORM's PostgreSQL
``ON CONFLICT``: ``( columns )`` for a list target (``WHERE ( indexPredicate )`` after
it), ``ON CONSTRAINT name`` for a string, ``DO UPDATE SET col = EXCLUDED.col`` for each
overwritten column and ``= DEFAULT`` for an update date not among them, ``WHERE`` TypeORM's
``overwriteCondition`` (a string, `Brackets`, a mapping or a list of them, alias
prefixing on: ``book.pages`` is ``"book"."pages"``, the table's name the alias) AND one
of the overwritten columns ``IS DISTINCT FROM`` its new value with
``skipUpdateIfNoValuesChanged`` (and a single-table child's discriminator), ``DO
NOTHING`` when nothing is overwritten; its rows return as any insert's.
``before_insert``/``after_insert`` get the value sets unless ``call_listeners(false)``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, literal_column, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.types import NullType

from ormshift.orm.errors import QueryFailed, UnknownProperty
from ormshift.orm.manager import InsertResult
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.builder import SelectQueryBuilder, numbered
from ormshift.orm.querybuilder.columnless import (
    columnless_insert,
    columnless_sql,
    inserts_no_column,
)
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.expressions import Binds, render
from ormshift.orm.querybuilder.names import escape, property_paths, replacements
from ormshift.orm.querybuilder.schemas import in_force, table_sql
from ormshift.orm.querybuilder.sql import where_clauses
from ormshift.orm.querybuilder.state import Brackets, Where
from ormshift.orm.querybuilder.write import WriteQueryBuilder
from ormshift.orm.write_cache import Written

__all__ = ["InsertQueryBuilder", "OrUpdateUnsupported"]

_OPTIONS = {"skipUpdateIfNoValuesChanged", "indexPredicate", "upsertType", "overwriteCondition"}
_PYFORMAT = re.compile(r"%\((p\d+)\)s|%%")
_NAMED = re.compile(r"%\(([^()]+)\)s|%%")
#: the statement text `get_query` gives: psycopg's, without the casts SQLAlchemy adds
#: to each parameter (TypeORM's text has none; PostgreSQL types each by its column)
_DIALECT = psycopg.dialect()  # type: ignore[no-untyped-call]
_DIALECT.bind_typing = BindTyping.NONE
_NO_VALUES = "Cannot perform insert query because values are not defined."


class OrUpdateUnsupported(NotImplementedError):
    """An ``or_update`` option ormshift does not implement (one TypeORM has not)."""


class _NoWhere:
    """What a `Brackets` factory of ``overwriteCondition`` is given: TypeORM gives it
    an insert builder, whose every condition method is missing (a TypeError)."""

    def __getattr__(self, name: str) -> Any:
        raise TypeError(f"qb.{name} is not a function")


def _table_path(info: EntityInfo) -> str:
    """TypeORM's ``tablePath``: the table's name, after its schema if it has one."""
    table = info.table
    return f"{table.schema}.{table.name}" if table.schema else table.name


def _no_values(values: Any) -> bool:
    return isinstance(values, list | tuple) and not values


def _known(info: EntityInfo, values: Any) -> Any:
    """Value sets without the keys TypeORM's metadata has no property for (its insert
    leaves them out): a join column behind its relation, a name it does not know."""
    known = {
        p.split(".")[0]
        for k, p in property_paths(info.cls).items()
        if not info.columns[k].info.get("relation")
    }
    known |= {info.property_of(k) for k in info.relations}

    def keep(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {k: v for k, v in item.items() if k in known}
        return item

    if isinstance(values, list | tuple):
        return [keep(v) for v in values]
    return keep(values)


def _insertion_returning(info: EntityInfo) -> list[Any]:
    """TypeORM's ``getInsertionReturningColumns``: the generated (a primary key the
    database makes), the defaulted (``default: null`` too), the version and the
    create/update/delete dates."""
    auto = info.table.autoincrement_column
    dates = {
        info.roles.get(role) for role in ("create-date", "update-date", "delete-date", "version")
    }
    out = []
    for key, col in info.columns.items():
        generated = col is auto or col.identity is not None
        defaulted = col.server_default is not None or col.info.get("default_null")
        if generated or defaulted or key in dates:
            out.append(col)
    return out


def _named(info: EntityInfo, returning: str) -> list[Any]:
    """``returning("title, pages")`` / ``returning("*")``: the columns it names."""
    if returning.strip() == "*":
        return list(info.table.columns)
    found = replacements(info.cls)
    by_name = {c.name: c for c in info.table.columns}
    cols = []
    for part in returning.split(","):
        name = part.strip().strip('"')
        key = found.get(name)
        col = info.columns[key] if key in info.columns else by_name.get(name)
        if col is None:
            raise QueryBuilderError(f"returning: {part.strip()!r} names no column")
        cols.append(col)
    return cols


def _result(info: EntityInfo, written: Written, values: Any) -> InsertResult:
    """Generated maps of the rows returned (by attribute key), the entities given
    filled from them, and each value set's identifiers (None without its keys), as
    TypeORM's ``ReturningResultsEntityUpdator.insert``."""
    by_name = {col.name: key for key, col in info.columns.items()}
    keys = [by_name[k] for k in written.names]
    generated = [dict(zip(keys, row, strict=True)) for row in written.rows]
    items = list(values) if isinstance(values, list | tuple) else [values]
    identifiers: list[dict[str, Any] | None] = []
    for index, item in enumerate(items):
        made = generated[index] if index < len(generated) else {}
        if isinstance(item, info.cls):
            for key, value in made.items():
                setattr(item, key, value)
        ids = {}
        for key in info.primary:
            # the relation's object ahead of the returned value merged into the
            # column's property: TypeORM's id map reads a join column through it
            linked = _through_relation(info, item, key)
            if linked is not None:
                ids[key] = linked
            elif key in made:
                ids[key] = made[key]
            elif isinstance(item, Mapping) and info.property_of(key) in item:
                ids[key] = item[info.property_of(key)]
            elif isinstance(item, info.cls) and getattr(item, key, None) is not None:
                ids[key] = getattr(item, key)
        identifiers.append(ids if len(ids) == len(info.primary) else None)
    return InsertResult(identifiers, generated, generated)


def _through_relation(info: EntityInfo, item: Any, key: str) -> Any:
    """The value key column ``key`` takes from a to-one relation the value set gives
    (``order: {id: ...}`` for ``orderId``): TypeORM's ``getEntityIdMap`` reads a join
    column through its relation, ahead of a property of the same column."""
    column = info.columns[key]
    for name, rel in info.relations.items():
        if rel.direction is not MANYTOONE:
            continue
        for local, remote in rel.local_remote_pairs or ():
            if local is not column:
                continue
            value = (
                item.get(info.property_of(name))
                if isinstance(item, Mapping)
                else getattr(item, name, None)
            )
            target = info.target(name)
            ref = target.mapper.get_property_by_column(remote).key
            if isinstance(value, Mapping):
                return value.get(target.property_of(ref))
            if isinstance(value, target.cls):
                return getattr(value, ref, None)
    return None


class InsertQueryBuilder(WriteQueryBuilder):
    kind = "insert"

    def __init__(self, source: SelectQueryBuilder[object]) -> None:
        super().__init__(source)
        self.value_sets: Any = None
        self.overwrite: list[str] | None = None
        self.skip_unchanged = False
        self.ignore = False
        self.conflict_target: str | list[str] = []
        self.index_predicate: Any = None
        self.upsert_type: Any = None
        #: ``overwriteCondition``'s condition, made when ``or_update`` is called (TypeORM's
        #: ``getWhereCondition`` then): [] or one simple `Where`
        self.overwrite_condition: list[Where] = []
        #: ``into(Entity, [columns])``: the only columns written (property paths)
        self.insert_columns: list[str] = []

    def into(
        self, entity: type[object], columns: Sequence[str] | None = None
    ) -> InsertQueryBuilder:
        """``into(Entity)``; ``into(Entity, ["title", "pages"])`` writes those columns
        only (TypeORM's ``insertColumns``: the others get their database defaults, a
        listed column no value set gives its default too)."""
        self._target(entity)
        main = self.em.main
        if main is not None:
            # TypeORM's ``createFromAlias(entity)``: the alias is the table's path
            main.name = _table_path(self.info)
        self.insert_columns = list(columns or [])
        return self

    def _only_listed(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` cut to the columns ``into`` lists (a join column by its relation's
        name or its own path)."""
        if not self.insert_columns:
            return rows
        info = self.info
        listed = set(self.insert_columns)
        keep = set()
        for key, path in property_paths(info.cls).items():
            relation = info.columns[key].info.get("relation")
            if path in listed or (relation and path.split(".")[0] in listed):
                keep.add(info.columns[key].key)
        return [{k: v for k, v in row.items() if k in keep} for row in rows]

    def values(self, values: object) -> InsertQueryBuilder:
        self.value_sets = values
        return self

    def or_update(
        self,
        overwrite: Sequence[str],
        conflict_target: str | Sequence[str] | None = None,
        options: Mapping[str, object] | None = None,
    ) -> InsertQueryBuilder:
        """TypeORM's ``orUpdate(overwrite, conflictTarget, {skipUpdateIfNoValuesChanged,
        indexPredicate, upsertType, overwriteCondition: {where, parameters}})``; the
        names are the table's column names. ``where`` is made now, as TypeORM makes it
        (a mapping against the main alias as it stands), ``parameters`` set on the
        builder."""
        given = dict(options or {})
        unsupported = set(given) - _OPTIONS
        if unsupported:
            raise OrUpdateUnsupported(f"or_update options not supported: {sorted(unsupported)}")
        self.overwrite_condition = []
        overwrite_condition = given.get("overwriteCondition")
        if overwrite_condition is not None:
            if not isinstance(overwrite_condition, Mapping):
                raise QueryBuilderError("overwriteCondition is {where, parameters}")
            where = overwrite_condition.get("where")
            parameters = overwrite_condition.get("parameters")
            if isinstance(where, Brackets):
                # TypeORM's factory gets an insert builder (``createQueryBuilder()``),
                # which has no ``where``: a TypeError in the factory's first call
                where.factory(_NoWhere())  # type: ignore[arg-type]
                self.overwrite_condition = [Where("simple", ("brackets", []))]
            elif where:
                # the select builder's (alias prefixing on), not the write builders'
                condition = SelectQueryBuilder._condition(self, where)
                if not isinstance(condition, tuple) or condition[1]:
                    self.overwrite_condition = [Where("simple", condition)]
            if parameters:
                self.set_parameters(parameters)
        self.overwrite = list(overwrite)
        self.conflict_target = (
            conflict_target if isinstance(conflict_target, str) else list(conflict_target or [])
        )
        self.skip_unchanged = bool(given.get("skipUpdateIfNoValuesChanged"))
        self.index_predicate = given.get("indexPredicate")
        self.upsert_type = given.get("upsertType")
        return self

    def _column(self, name: str) -> Any:
        """A column of the table by its database name (TypeORM escapes the names given
        as they are): PostgreSQL's 42703 for a name the table has not."""
        info = self.info
        col = info.table.c.get(name)
        if col is None:
            raise QueryFailed(
                f'column "{name}" of relation "{info.table.name}" does not exist',
                sqlstate="42703",
            )
        return col

    def _on_conflict(self, stmt: Any) -> Any:
        """``stmt`` with TypeORM's PostgreSQL ``ON CONFLICT`` clause."""
        info = self.info
        target = self.conflict_target
        where = None
        if isinstance(target, str):
            keys: dict[str, Any] = {"constraint": target}
        elif target:
            keys = {"index_elements": [self._column(n).name for n in target]}
            if self.index_predicate:
                where = text(str(self.index_predicate))
        else:
            keys = {}
        if where is not None:
            keys["index_where"] = where
        overwrite = [self._column(n) for n in self.overwrite or []]
        if not overwrite:
            return stmt.on_conflict_do_nothing(**keys)
        if not isinstance(target, str) and not target:
            raise QueryFailed(
                "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                sqlstate="42601",
            )
        sets: dict[str, Any] = {c.name: stmt.excluded[c.name] for c in overwrite}
        date = info.update_date
        if date is not None and info.columns[date].name not in sets:
            sets[info.columns[date].name] = literal_column("DEFAULT")
        return stmt.on_conflict_do_update(set_=sets, where=self._upsert_where(overwrite), **keys)

    def _upsert_where(self, overwrite: list[Any]) -> Any:
        """TypeORM's ``createUpsertConditionExpression`` after ``DO UPDATE SET``: the
        ``overwriteCondition``, AND (``skipUpdateIfNoValuesChanged``) one of the
        overwritten columns ``IS DISTINCT FROM`` its new value, then a single-table
        child's discriminator; None without either of the first two, as TypeORM."""
        info = self.info
        table = table_sql(info.table, in_force(self.manager))
        wheres = list(self.overwrite_condition)
        if self.skip_unchanged:
            changed = [
                Where("or", f"{table}.{escape(c.name)} IS DISTINCT FROM EXCLUDED.{escape(c.name)}")
                for c in overwrite
            ]
            wheres.append(Where("and", ("list", changed)))
        if not wheres:
            return None
        conditions = []
        expression = where_clauses(wheres)
        if expression and expression != "1=1":
            conditions.append(expression)
        disc = info.discriminator
        if disc is not None and info.mapper.inherits is not None:
            name = escape(info.columns[disc[0]].name)
            conditions.append(f"{table}.{name} IN (:...discriminatorColumnValues)")
        if len(conditions) == 1:
            sql = conditions[0]
        else:
            # none: TypeORM still writes `` WHERE `` (an empty Brackets), which
            # PostgreSQL refuses as a syntax error
            sql = "( " + " ) AND ( ".join(conditions) + " )" if conditions else ""
        main = self.em.main
        aliases = {main.name: info} if main is not None else {}
        binds = Binds()
        rendered = render(sql, aliases, self._params(self.em), binds)
        # driver SQL (%(pN)s, %% doubled) as a SQLAlchemy text with its values bound
        escaped = rendered.replace(":", "\\:")
        found = text(_PYFORMAT.sub(lambda m: f":oc_{m.group(1)}" if m.group(1) else "%", escaped))
        return found.bindparams(
            # untyped, as node-postgres's text (no cast), `node_pg_param`'s values
            *(
                bindparam(f"oc_{name}", value, type_=NullType())
                for name, value in binds.values.items()
            )
        )

    def or_ignore(self, statement: bool | str = True) -> InsertQueryBuilder:
        """``ON CONFLICT DO NOTHING`` (TypeORM's PostgreSQL ``orIgnore``)."""
        self.ignore = bool(statement)
        return self

    def execute(self) -> InsertResult:
        info = self.info
        values = self.value_sets if self.value_sets is not None else []
        if _no_values(values):
            return InsertResult([], [])  # TypeORM sends nothing
        if self.overwrite is not None and self.upsert_type == "primary-key":
            # TypeORM sends ``UPSERT INTO ...``, which PostgreSQL does not know
            raise QueryFailed('syntax error at or near "UPSERT"', sqlstate="42601")
        manager = self.manager
        if self.listeners:
            manager._query_event("before_insert", info, values)
        rows = self._rows(values)
        build = self._builder()

        shape = (
            None
            if isinstance(self.returns, str) or self.overwrite_condition
            else (
                "qb-insert",
                self.ignore,
                self.entity_update,
                *self._asked(),
                repr(
                    (
                        self.overwrite,
                        self.conflict_target,
                        self.skip_unchanged,
                        self.index_predicate,
                    )
                ),
            )
        )
        with manager._scope() as session:
            if not self.insert_columns and inserts_no_column(info):
                written = columnless_insert(session.connection(), info, build(), values)
            else:
                written = manager._execute_rows(session, info, shape, build, rows)
        if self.entity_update:
            found = self._shaped(_result(info, written, values), values, deleted=False)
        else:
            found = InsertResult([], [])
        if self.listeners:
            manager._query_event("after_insert", info, values)
        return found

    def _rows(self, values: Any) -> list[dict[str, Any]]:
        """The rows ``values`` make (by attribute key), cut to the columns ``into`` lists."""
        info = self.info
        rows = self.manager._rows(info, _known(info, values), f"insert into {info.name}")
        return self._only_listed(rows)

    def _builder(self) -> Callable[[], Any]:
        """What builds the statement without its values: the insert with its ON CONFLICT
        and RETURNING."""
        info = self.info
        returning = self._returning_columns()

        def build() -> Any:
            stmt = pg_insert(info.table)
            if self.ignore:
                stmt = stmt.on_conflict_do_nothing()
            elif self.overwrite is not None:
                stmt = self._on_conflict(stmt)
            return stmt.returning(*returning) if returning else stmt

        return build

    def _statement(self) -> tuple[str, dict[str, Any]]:
        """The statement ``execute()`` sends, as one text (``%(name)s`` parameters, their
        values as the driver gets them): every value set one row of VALUES, ``DEFAULT``
        where a row leaves a column out, as TypeORM's ``createValuesExpression``."""
        info = self.info
        values = self.value_sets
        if values is None or _no_values(values):
            raise QueryBuilderError(_NO_VALUES)
        if self.overwrite is not None and self.upsert_type == "primary-key":
            raise QueryFailed('syntax error at or near "UPSERT"', sqlstate="42601")
        build = self._builder()
        schemas = dict(in_force(self.manager))
        options: dict[str, Any] = (
            {"schema_translate_map": schemas, "render_schema_translate": True} if schemas else {}
        )
        if not self.insert_columns and inserts_no_column(info):
            return columnless_sql(info, build(), values, _DIALECT)
        rows = self._rows(values)
        names = list(dict.fromkeys(name for row in rows for name in row))
        default: Any = literal_column("DEFAULT")
        full = [{name: row.get(name, default) for name in names} for row in rows]
        stmt = build().values(full) if names else build()
        compiled = stmt.compile(dialect=_DIALECT, **options)
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        out: dict[str, Any] = {}
        for name, value in compiled.construct_params().items():
            bound = compiled.binds.get(name)
            processor = (
                bound.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
                if bound is not None
                else None
            )
            out[escaped.get(name, name)] = processor(value) if processor is not None else value
        return compiled.string, out

    def get_query(self) -> str:
        """The insert with its values as parameters ``:orm_param_N`` (set on the builder,
        as TypeORM's ``createParameter``; `get_parameters` holds them)."""
        sql, values = self._statement()

        def named(match: re.Match[str]) -> str:
            if match.group(0) == "%%":
                return "%"
            return self._parameter(values[match.group(1)])

        return _NAMED.sub(named, sql)

    def get_query_and_parameters(self) -> tuple[str, list[object]]:
        return numbered(*self._statement())

    def _asked(self) -> list[str]:
        """The columns ``returning([...])`` names, as attribute keys."""
        if self.returns is None or isinstance(self.returns, str):
            return []
        info = self.info
        found = replacements(info.cls)
        out = []
        for path in self.returns:
            key = found.get(path)
            if key is None or key not in info.columns:
                raise UnknownProperty(f'Property "{path}" was not found in "{info.name}".')
            out.append(key)
        return out

    def _returning_columns(self) -> list[Any]:
        """RETURNING: the columns asked for, then (``updateEntity``) TypeORM's insertion
        returning columns (primary, defaulted, version, dates)."""
        info = self.info
        if isinstance(self.returns, str):
            # TypeORM sends a string as written, without its extra columns
            return _named(info, self.returns)
        cols: list[Any] = [info.columns[k] for k in self._asked()]
        if self.entity_update:
            extra = _insertion_returning(info)
            cols += [c for c in extra if not any(c is d for d in cols)]
        return cols

    def _shaped(self, found: InsertResult, values: Any, *, deleted: bool = True) -> InsertResult:
        """The generated maps as TypeORM's builder makes them: one per value set (``{}``
        for a row the statement did not return), the delete date among the returned
        columns (``getInsertionReturningColumns``)."""
        info = self.info
        items = list(values) if isinstance(values, list | tuple) else [values]
        if not items:
            return found
        maps = [dict(m) for m in found.generated_maps]
        deleted_key = info.delete_date if deleted else None
        if deleted_key is not None:
            prop = info.property_of(deleted_key)
            for index, made in enumerate(maps):
                if deleted_key not in made and index < len(items):
                    item = items[index]
                    given = item.get(prop) if isinstance(item, Mapping) else None
                    made[deleted_key] = getattr(item, deleted_key, None) if given is None else given
        maps += [{} for _ in range(len(items) - len(maps))]
        return replace(found, generated_maps=maps)
