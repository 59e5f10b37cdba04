"""Joins as TypeORM's ``SelectQueryBuilder.join`` records them and
``createJoinTreeRecursively`` writes them.

A join is on a relation path (``post.author``: the parent alias and its relation), on
an entity class (with the caller's condition) or on a subquery text ``(SELECT ...)``
(an alias without an entity). A joined entity with a delete-date column gets
``alias.deletedAt IS NULL`` added to its condition unless the builder is
``with_deleted`` (TypeORM appends it to the caller's condition as text, so
``a OR b`` becomes ``a OR b AND alias.deletedAt IS NULL``, as there). Joins whose
parent is a joined alias are written after it; a LEFT join with an INNER child
nests the child in parentheses, as TypeORM does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.interfaces import MANYTOMANY

from ormshift.orm.metadata import EntityInfo, entity_info, related_class
from ormshift.orm.querybuilder import names
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.names import escape, property_path, relation_key, relations
from ormshift.orm.querybuilder.schemas import table_sql
from ormshift.orm.querybuilder.state import Alias, ExpressionMap, Join

__all__ = ["add_join", "join_sql"]


def _is_mapped(target: Any) -> bool:
    return isinstance(target, type) and hasattr(target, "__mapper__")


def _owning(info: EntityInfo, key: str) -> bool:
    """A many-to-many relation is TypeORM's owning side when its join columns come
    first in the junction table (TypeORM writes the owner's first)."""
    rel = relations(info)[key]
    secondary = rel.secondary
    if not isinstance(secondary, Table):
        return True
    first = next(iter(secondary.columns))
    return any(junction is first for _, junction in rel.synchronize_pairs)


def add_join(
    em: ExpressionMap,
    direction: str,
    target: Any,
    alias_name: str,
    condition: str | None,
) -> Join:
    """Record a join (its alias added to the builder's aliases)."""
    if not isinstance(alias_name, str) or not alias_name:
        raise QueryBuilderError("a join needs an alias name")
    if em.alias(alias_name) is not None:
        raise QueryBuilderError(f'alias "{alias_name}" is already used in this query')
    parent: str | None = None
    relation: str | None = None
    info: EntityInfo | None = None
    subquery: str | None = None
    if _is_mapped(target):
        info = entity_info(target)
    elif isinstance(target, str) and target.startswith("(") and target.endswith(")"):
        subquery = target
    elif isinstance(target, str) and "." in target:
        parent, _, name = target.partition(".")
        owner = em.alias(parent)
        if owner is None:
            raise QueryBuilderError(f'"{parent}" alias was not found. Maybe you forgot to join it?')
        relation = None if owner.info is None else relation_key(owner.info, name)
        if owner.info is None or relation is None:
            raise QueryBuilderError(f"Relation with property path {name} in entity was not found.")
        info = entity_info(related_class(relations(owner.info)[relation]))
    else:
        raise QueryBuilderError(
            f"cannot join {target!r}: give a relation path (alias.relation), a mapped "
            "class or a subquery in parentheses"
        )
    if info is not None and info.delete_date is not None and not em.with_deleted:
        gone = f"{alias_name}.{property_path(info, info.delete_date)} IS NULL"
        condition = f" {condition} AND {gone}" if condition else gone
    alias = Alias(alias_name, "join", info, subquery=subquery)
    join = Join(direction, alias, parent, relation, condition)
    if parent is not None and relation is not None:
        owner_info = em.alias(parent).info  # type: ignore[union-attr]
        assert owner_info is not None
        if relations(owner_info)[relation].direction is MANYTOMANY:
            owning = _owning(owner_info, relation)
            pair = (parent, alias_name) if owning else (alias_name, parent)
            join.junction = names.build_alias(*pair)
            em.aliases.append(Alias(join.junction, "join"))
    em.aliases.append(alias)
    em.joins.append(join)
    return join


def _col(alias: str, column: Any) -> str:
    return f"{escape(alias)}.{escape(column.name)}"


def _clause(
    direction: str, table: str, alias: str, condition: str, children: str = "", nest: bool = False
) -> str:
    joined = f"({table} {escape(alias)}{children})" if nest else f"{table} {escape(alias)}"
    on = f" ON {condition}" if condition else ""
    return f" {direction} JOIN {joined}{on}{'' if nest else children}"


def _tree(em: ExpressionMap, join: Join, children: dict[str, list[Join]]) -> str:
    kids = children.get(join.alias.name, [])
    child_sql = " ".join(_tree(em, kid, children) for kid in kids)
    nest = join.direction == "LEFT" and any(kid.direction == "INNER" for kid in kids)
    appended = f" AND ({join.condition})" if join.condition else ""
    dest = join.alias.name
    if join.parent is None or join.relation is None:
        if join.alias.subquery is not None:
            table = join.alias.subquery
        else:
            assert join.alias.info is not None
            table = table_sql(join.alias.info.table, em.schemas)
        return _clause(join.direction, table, dest, join.condition or "", child_sql, nest)
    owner = em.alias(join.parent)
    assert owner is not None and owner.info is not None and join.alias.info is not None
    rel = relations(owner.info)[join.relation]
    target = join.alias.info
    table = table_sql(target.table, em.schemas)
    if rel.direction is MANYTOMANY:
        assert join.junction is not None and isinstance(rel.secondary, Table)
        first = " AND ".join(
            f"{_col(join.junction, junction)}={_col(join.parent, own)}"
            for own, junction in rel.synchronize_pairs or ()
        )
        second = " AND ".join(
            f"{_col(dest, own)}={_col(join.junction, junction)}"
            for own, junction in rel.secondary_synchronize_pairs or ()
        )
        junction = table_sql(rel.secondary, em.schemas)
        return _clause(join.direction, junction, join.junction, first) + _clause(
            join.direction, table, dest, second + appended, child_sql, nest
        )
    if rel.direction is MANYTOONE:
        cond = " AND ".join(
            f"{_col(dest, remote)}={_col(join.parent, local)}"
            for local, remote in rel.local_remote_pairs
        )
    else:
        cond = " AND ".join(
            f"{_col(dest, remote)}={_col(join.parent, local)}"
            for local, remote in rel.local_remote_pairs
        )
        disc = target.discriminator
        if disc is not None and target.mapper.inherits is not None and target.mapper.single:
            value = str(disc[1]).replace("'", "''")
            column = target.columns[disc[0]].name
            appended += f" AND {dest}.{column}='{value}'"
    return _clause(join.direction, table, dest, cond + appended, child_sql, nest)


def join_sql(em: ExpressionMap) -> str:
    children: dict[str, list[Join]] = {}
    roots: list[Join] = []
    placed: set[str] = set()
    for join in em.joins:
        if join.parent is not None and join.parent in placed:
            children.setdefault(join.parent, []).append(join)
        else:
            roots.append(join)
        placed.add(join.alias.name)
    return " ".join(_tree(em, join, children) for join in roots)
