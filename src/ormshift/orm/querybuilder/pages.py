"""The statements a builder's terminals derive from its expression map, as TypeORM's
``SelectQueryBuilder`` derives them: a page of entities with joins in two steps (the
page's distinct keys, ``createOrderByCombinedWithSelectExpression``, then the query
for those keys, bound as parameters), the count (``COUNT(1)``, or
``COUNT(DISTINCT(keys))`` with joins), ``EXISTS``, and the count ``getManyAndCount``
takes from the page itself (``lazyCount``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.errors import (
    QueryBuilderError,
    UnknownAlias,
    UnknownAliasProperty,
)
from ormshift.orm.querybuilder.expressions import resolve_path
from ormshift.orm.querybuilder.names import build_alias, escape, property_path
from ormshift.orm.querybuilder.sql import column_alias, order_value, query_text
from ormshift.orm.querybuilder.state import Alias, ExpressionMap, Selection

__all__ = ["count_map", "exists_text", "keys_condition", "keys_map", "lazy_count"]


def _combined_order(em: ExpressionMap, parent: str) -> tuple[str, dict[str, Any]]:
    """The order columns selected from the page's subquery and the page's ORDER BY."""
    selects: list[str] = []
    orders: dict[str, Any] = {}
    for key, value in em.order_bys.items():
        order_value(value)
        if "." in key:
            alias_name, _, path = key.partition(".")
            alias = em.alias(alias_name)
            if alias is None:
                raise UnknownAlias(alias_name, [a.name for a in em.aliases])
            db = path
            if alias.info is not None:
                found = _find_column(alias.info, alias_name, path)
                db = alias.info.columns[found].name if found is not None else path
            ref = f"{escape(parent)}.{escape(build_alias(alias_name, db))}"
            selects.append(ref)
            orders[ref] = value
        elif any(key in (s.selection, s.alias_name) for s in em.selects):
            ref = f"{escape(parent)}.{escape(key)}"
            selects.append(ref)
            orders[ref] = value
        else:
            selects.append("")
            orders[key] = value
    return ", ".join(selects), orders


def _find_column(info: EntityInfo, alias: str, path: str) -> str | None:
    try:
        return resolve_path(alias, info, path)
    except UnknownAliasProperty:
        by_name = [k for k, c in info.columns.items() if c.name == path]
        return by_name[0] if by_name else None


def _key_alias(main: Alias, info: EntityInfo, key: str) -> str:
    return build_alias(f"ids_{main.name}", info.columns[key].name)


def keys_map(em: ExpressionMap) -> ExpressionMap:
    """The first step: the distinct keys (and order columns) of the page, from the
    whole query (unordered) as the subquery ``distinctAlias``."""
    main = em.main
    assert main is not None and main.info is not None
    info = main.info
    select_text, orders = _combined_order(em, "distinctAlias")
    picks = []
    for key in info.primary:
        ordered = f"{escape('distinctAlias')}.{escape(column_alias(main.name, info, key))}"
        orders.setdefault(ordered, "ASC")
        picks.append(f"{ordered} AS {escape(_key_alias(main, info, key))}")
    inner = em.copy()
    inner.order_bys = {}
    # TypeORM's subquery is a clone, whose expression map is no entity query: the keys
    # not selected are not added, so a selection without them fails in PostgreSQL
    inner.query_entity = False
    sub = Alias("distinctAlias", "from", subquery=f"({query_text(inner)})")
    return ExpressionMap(
        main=sub,
        aliases=[sub],
        selects=[Selection("DISTINCT " + ", ".join(picks))]
        + ([Selection(select_text)] if select_text else []),
        order_bys=orders,
        offset=em.skip,
        limit=em.take,
        parameters=dict(em.parameters),
    )


def keys_condition(em: ExpressionMap, rows: Sequence[Mapping[str, Any]]) -> str:
    """The second step's extra condition: the main alias's keys among ``rows``, as
    parameters added to ``em`` (TypeORM writes numbers into the text; values here are
    always bound)."""
    main = em.main
    assert main is not None and main.info is not None
    info = main.info
    if len(info.primary) > 1:
        branches = []
        for index, row in enumerate(rows):
            parts = []
            for key in info.primary:
                name = f"orm_distinct_ids_{index}_{info.columns[key].name}"
                em.parameters[name] = row[_key_alias(main, info, key)]
                parts.append(f"{main.name}.{property_path(info, key)}=:{name}")
            branches.append(" AND ".join(parts))
        return " OR ".join(branches)
    key = info.primary[0]
    values = [row[_key_alias(main, info, key)] for row in rows]
    path = f"{main.name}.{property_path(info, key)}"
    em.parameters["orm_distinct_ids"] = values
    return f"{path} IN (:...orm_distinct_ids)"


def _unpaged(em: ExpressionMap, selection: Selection) -> ExpressionMap:
    out = em.copy()
    out.order_bys = {}
    out.group_bys = []
    out.offset = out.limit = out.skip = out.take = None
    out.selects = [selection]
    out.query_entity = False
    return out


def count_map(em: ExpressionMap) -> ExpressionMap:
    """``getCount``'s query: the same FROM, joins and conditions, one count."""
    main = em.main
    if main is None or main.info is None:
        raise QueryBuilderError('Alias is not set. Use "from" method to set an alias.')
    chosen = _selected_columns(em) if em.find_select else []
    if chosen:
        counted = f"COUNT(DISTINCT({', '.join(chosen)}))"
    elif em.joins:
        cols = ", ".join(
            f"{escape(main.name)}.{escape(main.info.columns[k].name)}" for k in main.info.primary
        )
        counted = f"COUNT(DISTINCT({cols}))"
    else:
        counted = "COUNT(1)"
    return _unpaged(em, Selection(counted, "cnt"))


def _selected_columns(em: ExpressionMap) -> list[str]:
    """``"alias"."column"`` of each selection naming an entity alias's column, each
    once, in the order first selected (TypeORM's ``computeSelectedColumnExpressions``,
    which a count uses when the find options have a ``select``)."""
    out: list[str] = []
    for selection in em.selects:
        alias_name, dot, path = selection.selection.partition(".")
        alias = em.alias(alias_name) if dot else None
        if alias is None or alias.info is None:
            continue
        found = [k for k in alias.info.columns if property_path(alias.info, k) == path]
        if found:
            column = f"{escape(alias_name)}.{escape(alias.info.columns[found[0]].name)}"
            if column not in out:
                out.append(column)
    return out


def exists_text(em: ExpressionMap) -> tuple[ExpressionMap, str]:
    """``getExists``'s query: the map of its ``EXISTS`` subquery, and the whole text."""
    sub = _unpaged(em, Selection("1"))
    text = (
        'SELECT 1 AS "row_exists" FROM (SELECT 1 AS dummy_column) "dummy_table" '
        f"WHERE EXISTS ({query_text(sub)}) LIMIT 1"
    )
    return sub, text


def lazy_count(em: ExpressionMap, found: int) -> int | None:
    """The count ``getManyAndCount`` knows from a page of ``found`` entities, or None
    when it must count (TypeORM's ``lazyCount``)."""
    if em.joins and em.limit is not None:
        return None
    most = em.limit if em.limit is not None else em.take
    if most is not None and found == most:
        return None
    skip = em.skip is not None and em.skip > 0
    offset = em.offset is not None and em.offset > 0
    if not found and (skip or offset):
        return None
    before = em.offset if offset else em.skip if skip else 0
    return found + (before or 0)
