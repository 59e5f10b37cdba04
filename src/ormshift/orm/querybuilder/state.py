"""What a query builder holds: TypeORM's ``QueryExpressionMap`` as plain data."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ormshift.orm.metadata import EntityInfo

if TYPE_CHECKING:
    from ormshift.orm.querybuilder.builder import SelectQueryBuilder

__all__ = ["Alias", "Brackets", "ExpressionMap", "Join", "NotBrackets", "Selection", "Where"]


@dataclass
class Alias:
    name: str
    kind: str  # "from" | "join"
    info: EntityInfo | None = None
    #: a subquery's text (``(SELECT ...)``) or a table's name, for aliases without an entity
    subquery: str | None = None
    table: str | None = None


@dataclass(frozen=True)
class Selection:
    selection: str
    alias_name: str | None = None


@dataclass
class Where:
    type: str  # "simple" | "and" | "or"
    #: a string, or ("brackets" | "not", [Where, ...])
    condition: Any


@dataclass
class Join:
    direction: str  # "LEFT" | "INNER"
    alias: Alias
    #: the relation's owner alias and property (a relation join), else None
    parent: str | None = None
    relation: str | None = None
    condition: str | None = None
    #: ``left_join_and_map_one/many``: "alias.property" and whether it holds a list
    map_to: str | None = None
    map_many: bool | None = None

    #: a many-to-many join's junction alias (TypeORM's ``parent_alias`` from the owning
    #: side, ``alias_parent`` from the other)
    junction: str | None = None


class Brackets:
    """``new Brackets(qb => qb.where(...).orWhere(...))``: conditions in parentheses."""

    negated = False

    def __init__(self, factory: Callable[[SelectQueryBuilder[object]], object]) -> None:
        self.factory = factory


class NotBrackets(Brackets):
    """``NOT (...)`` of the conditions ``factory`` adds."""

    negated = True


@dataclass
class ExpressionMap:
    main: Alias | None = None
    aliases: list[Alias] = field(default_factory=list)
    selects: list[Selection] = field(default_factory=list)
    joins: list[Join] = field(default_factory=list)
    wheres: list[Where] = field(default_factory=list)
    havings: list[Where] = field(default_factory=list)
    group_bys: list[str] = field(default_factory=list)
    order_bys: dict[str, str | tuple[str, str]] = field(default_factory=dict)
    limit: int | None = None
    offset: int | None = None
    skip: int | None = None
    take: int | None = None
    distinct: bool = False
    distinct_on: list[str] = field(default_factory=list)
    with_deleted: bool = False
    #: ``call_listeners(False)``: no ``after_load`` for the entities loaded
    call_listeners: bool = True
    parameters: dict[str, Any] = field(default_factory=dict)
    #: the pagination step's ``alias.id IN (...)``
    extra_where: str | None = None
    #: primary keys selected even when not asked for (entities are grouped by them)
    query_entity: bool = False
    #: a ``sub_query()``: its query text is parenthesised
    sub_query: bool = False
    lock_mode: str | None = None
    lock_version: Any = None
    lock_tables: list[str] | None = None
    on_locked: str | None = None
    #: ``set_find_options``: the options, run through the Repository's compiler
    find_options: dict[str, Any] | None = None
    #: ``load_relation_id_and_map``: (map to "alias.property", "alias.relation", disable
    #: mixed map)
    relation_ids: list[tuple[str, str, bool]] = field(default_factory=list)
    #: find options' relations loaded by queries of their own (``relationLoadStrategy:
    #: "query"``, `query_relations`): their keys and the options they are loaded with
    query_relations: list[str] = field(default_factory=list)
    query_options: dict[str, Any] | None = None
    #: the last ``set_find_options`` gave a ``select``: a count is of the distinct
    #: selected columns (TypeORM's ``computeSelectedColumnExpressions``)
    find_select: bool = False
    #: the ``schema_translate_map`` its tables are written with (`schemas.in_force`)
    schemas: tuple[tuple[str | None, str | None], ...] = ()

    def copy(self) -> ExpressionMap:
        out = copy.copy(self)
        out.aliases = list(self.aliases)
        out.selects = list(self.selects)
        out.joins = list(self.joins)
        out.wheres = list(self.wheres)
        out.havings = list(self.havings)
        out.group_bys = list(self.group_bys)
        out.order_bys = dict(self.order_bys)
        out.distinct_on = list(self.distinct_on)
        out.parameters = dict(self.parameters)
        out.relation_ids = list(self.relation_ids)
        out.query_relations = list(self.query_relations)
        out.find_options = None if self.find_options is None else dict(self.find_options)
        out.lock_tables = None if self.lock_tables is None else list(self.lock_tables)
        return out

    def alias(self, name: str) -> Alias | None:
        return next((a for a in self.aliases if a.name == name), None)

    def entity_aliases(self) -> dict[str, EntityInfo | None]:
        return {a.name: a.info for a in self.aliases}
