"""The SELECT text of an expression map, written as TypeORM's ``getQuery`` writes it:
select list, FROM, joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT/OFFSET, lock.

Identifiers the builder writes itself (tables, columns, aliases) are quoted here;
the caller's fragments are left as given, and `expressions.render` then rewrites their
property paths and binds their parameters over the whole text (TypeORM's
``replacePropertyNamesForTheWholeQuery`` and ``escapeQueryWithParameters``), skipping
what is quoted.
"""

from __future__ import annotations

from typing import Any

from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.expressions import resolve_path
from ormshift.orm.querybuilder.joins import join_sql
from ormshift.orm.querybuilder.names import build_alias, escape, is_selectable, property_path
from ormshift.orm.querybuilder.schemas import table_sql
from ormshift.orm.querybuilder.state import Alias, ExpressionMap, Selection, Where

__all__ = ["column_alias", "entity_column_selects", "query_text", "where_clauses"]

_LOCKS = {
    "pessimistic_read": " FOR SHARE",
    "pessimistic_write": " FOR UPDATE",
    "for_no_key_update": " FOR NO KEY UPDATE",
    "for_key_share": " FOR KEY SHARE",
}
_ON_LOCKED = {"nowait": " NOWAIT", "skip_locked": " SKIP LOCKED"}


def column_alias(alias: str, info: EntityInfo, key: str) -> str:
    """The result key of a selected column: ``alias_databaseName`` (``post_title``),
    hashed as TypeORM hashes it when that passes 63 characters."""
    return build_alias(alias, info.columns[key].name)


def entity_column_selects(em: ExpressionMap, alias: Alias) -> list[tuple[str, str]]:
    """(SQL, result key) of ``alias``'s columns the query selects
    (``buildEscapedEntityColumnSelects``): all selectable ones when the alias itself is
    selected, those selected by property path, and the primary keys when entities are
    built."""
    info = alias.info
    assert info is not None
    paths = {f"{alias.name}.{property_path(info, k)}": k for k in info.columns}
    whole = any(s.selection == alias.name for s in em.selects)
    keys: list[str] = [k for k in info.columns if is_selectable(info, k)] if whole else []
    keys += [paths[s.selection] for s in em.selects if s.selection in paths]
    if not keys:
        return []
    if em.query_entity:
        keys += [k for k in info.primary if k not in keys]
    out: list[tuple[str, str]] = []
    for key in keys:
        sql = f"{escape(alias.name)}.{escape(info.columns[key].name)}"
        named = [s for s in em.selects if s.selection == f"{alias.name}.{property_path(info, key)}"]
        if named:
            out += [(sql, s.alias_name or column_alias(alias.name, info, key)) for s in named]
        else:
            out.append((sql, column_alias(alias.name, info, key)))
    return out


def _consumed(em: ExpressionMap, alias: Alias) -> set[Selection]:
    info = alias.info
    assert info is not None
    paths = {f"{alias.name}.{property_path(info, k)}" for k in info.columns}
    return {s for s in em.selects if s.selection == alias.name or s.selection in paths}


def _select_list(em: ExpressionMap) -> str:
    items: list[tuple[str, str | None]] = []
    excluded: set[Selection] = set()
    entity_aliases = [em.main] if em.main is not None else []
    entity_aliases += [j.alias for j in em.joins]
    for alias in entity_aliases:
        if alias is None:
            continue
        if alias.info is not None:
            items += list(entity_column_selects(em, alias))
            excluded |= _consumed(em, alias)
        elif alias is not em.main:
            mine = [s for s in em.selects if s.selection == alias.name]
            if mine:
                items.append((f"{escape(alias.name)}.*", None))
                excluded |= set(mine)
    items += [(s.selection, s.alias_name) for s in em.selects if s not in excluded]
    if not items:
        items.append(("*", None))
    return ", ".join(sql + (f" AS {escape(name)}" if name else "") for sql, name in items)


def _froms(em: ExpressionMap) -> str:
    out = []
    for alias in em.aliases:
        if alias.kind != "from":
            continue
        if alias.subquery is not None:
            out.append(f"{alias.subquery} {escape(alias.name)}")
        elif alias.info is not None:
            out.append(f"{table_sql(alias.info.table, em.schemas)} {escape(alias.name)}")
        elif alias.table is not None:
            out.append(f"{alias.table} {escape(alias.name)}")
    return ", ".join(out)


def _condition(condition: Any, always_wrap: bool = False) -> str:
    if isinstance(condition, str):
        return condition
    kind, inner = condition
    if kind == "not":
        return f"NOT({_condition(('list', inner))})"
    if kind == "brackets":
        return _condition(("list", inner), True)
    if not inner:
        return "1=1"
    if len(inner) == 1 and not always_wrap:
        return where_clauses(inner)
    return "(" + where_clauses(inner) + ")"


def where_clauses(clauses: list[Where]) -> str:
    """``createWhereClausesExpression``: each clause after the first with its AND/OR."""
    parts = []
    for index, clause in enumerate(clauses):
        expression = _condition(clause.condition)
        if clause.type in ("and", "or") and index > 0:
            expression = f"{clause.type.upper()} {expression}"
        parts.append(expression)
    return " ".join(parts).strip()


def _where(em: ExpressionMap) -> str:
    conditions = []
    expression = where_clauses(em.wheres)
    if expression and expression != "1=1":
        conditions.append(expression)
    main = em.main
    if main is not None and main.info is not None:
        info = main.info
        if not em.with_deleted and info.delete_date is not None:
            conditions.append(f"{main.name}.{property_path(info, info.delete_date)} IS NULL")
        disc = info.discriminator
        if disc is not None and info.mapper.inherits is not None and info.mapper.single:
            column = f"{escape(main.name)}.{escape(info.columns[disc[0]].name)}"
            conditions.append(f"{column} IN (:...discriminatorColumnValues)")
    if em.extra_where:
        conditions.append(em.extra_where)
    if not conditions:
        return ""
    if len(conditions) == 1:
        return f" WHERE {conditions[0]}"
    return " WHERE ( " + " ) AND ( ".join(conditions) + " )"


def _having(em: ExpressionMap) -> str:
    if not em.havings:
        return ""
    parts = []
    for index, having in enumerate(em.havings):
        text = str(having.condition)
        if having.type in ("and", "or") and index > 0:
            text = f"{having.type.upper()} {text}"
        parts.append(text)
    return " HAVING " + " ".join(parts)


def order_value(value: str | tuple[str, str]) -> str:
    text = value if isinstance(value, str) else f"{value[0]} {value[1]}"
    if any(c in text for c in ";'\"\\"):
        raise QueryBuilderError(f'Unsafe order-by value "{text}".')
    return text


def _order(em: ExpressionMap) -> str:
    if not em.order_bys:
        return ""
    parts = []
    for key, value in em.order_bys.items():
        text = order_value(value)
        if any(s.alias_name == key for s in em.selects):
            parts.append(f"{escape(key)} {text}")
            continue
        chosen = next((s for s in em.selects if s.selection == key), None)
        if chosen is not None and chosen.alias_name is None and "." in key:
            alias_name, _, path = key.partition(".")
            alias = em.alias(alias_name)
            if alias is not None and alias.info is not None:
                col = resolve_path(alias_name, alias.info, path)
                parts.append(f"{escape(column_alias(alias_name, alias.info, col))} {text}")
                continue
        parts.append(f"{key} {text}")
    return " ORDER BY " + ", ".join(parts)


def _limit(em: ExpressionMap) -> str:
    offset, limit = em.offset, em.limit
    if offset is None and limit is None and not em.joins:
        offset, limit = em.skip, em.take
    if limit is not None and offset is not None:
        return f" LIMIT {int(limit)} OFFSET {int(offset)}"
    if limit is not None:
        return f" LIMIT {int(limit)}"
    if offset is not None:
        return f" OFFSET {int(offset)}"
    return ""


def _select_head(em: ExpressionMap) -> str:
    if em.distinct_on:
        return f"SELECT DISTINCT ON ({', '.join(em.distinct_on)}) "
    return "SELECT DISTINCT " if em.distinct else "SELECT "


def _lock(em: ExpressionMap) -> str:
    """``FOR UPDATE`` and its kin (TypeORM 1.x's modes; another mode locks nothing), with
    ``OF`` the locked aliases and ``NOWAIT`` / ``SKIP LOCKED``."""
    tables = ""
    if em.lock_tables is not None:
        if not em.lock_tables:
            raise QueryBuilderError("lockTables cannot be an empty array")
        known = {a.name for a in em.aliases}
        for name in em.lock_tables:
            if name not in known:
                raise QueryBuilderError(f'"{name}" is not part of this query')
        tables = " OF " + ", ".join(escape(t) for t in em.lock_tables)
    mode = _LOCKS.get(em.lock_mode or "")
    if mode is None:
        return ""
    return mode + tables + _ON_LOCKED.get(em.on_locked or "", "")


def query_text(em: ExpressionMap) -> str:
    """The SELECT (not yet rendered: fragments as the caller wrote them)."""
    if em.main is None:
        raise QueryBuilderError(
            "Cannot build query because main alias is not set (call qb#from method)"
        )
    sql = _select_head(em) + _select_list(em) + " FROM " + _froms(em)
    joins = join_sql(em)
    sql += (" " + joins.strip()) if joins.strip() else ""
    sql += _where(em)
    if em.group_bys:
        sql += " GROUP BY " + ", ".join(em.group_bys)
    sql += _having(em)
    sql += _order(em)
    sql += _limit(em)
    sql += _lock(em)
    return sql.strip()
