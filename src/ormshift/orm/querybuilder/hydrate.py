"""Raw rows -> entities, as TypeORM's ``RawSqlResultsToEntityTransformer`` builds them.

Rows are grouped by the alias's primary key values (in order of first appearance; by
row when no key is selected); each group is one entity of the alias's class (of the
single-table subclass its discriminator names) holding the columns the query selected
for it, and, for every selected relation join under it, the related entities built
from the same group of rows (a list for a to-many relation, the first or None for a
to-one; a relation joined twice keeps what TypeORM's merge keeps). An entity whose
selected columns are all NULL is no entity (a LEFT join that found nothing). Each call
makes new objects, as TypeORM has no identity map: the entities are detached (transient
when their key was not selected).

Column values are the driver's, passed through the column type's result processor
(the values a find gives).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.querybuilder.names import property_path
from ormshift.orm.querybuilder.sql import column_alias
from ormshift.orm.querybuilder.state import Alias, ExpressionMap

__all__ = ["Processor", "entities"]

#: (result key, column type) -> the value an entity holds
Processor = Callable[[str, Any, Any], Any]


def _hashable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


class _Transformer:
    def __init__(self, em: ExpressionMap, process: Processor) -> None:
        self.em = em
        self.process = process
        self.selections = {s.selection for s in em.selects}

    def transform(self, rows: list[Mapping[str, Any]], alias: Alias) -> list[Any]:
        out = []
        for group in self._group(rows, alias).values():
            entity = self._entity(group, alias)
            if entity is not None:
                out.append(entity)
        return out

    def _group(
        self, rows: list[Mapping[str, Any]], alias: Alias
    ) -> dict[Any, list[Mapping[str, Any]]]:
        info = alias.info
        assert info is not None
        keys = [column_alias(alias.name, info, k) for k in info.primary]
        selected = bool(rows) and any(k in rows[0] for k in keys)
        groups: dict[Any, list[Mapping[str, Any]]] = {}
        for index, row in enumerate(rows):
            ident: Any = tuple(_hashable(row.get(k)) for k in keys) if selected else ("row", index)
            groups.setdefault(ident, []).append(row)
        return groups

    def _class_of(self, rows: list[Mapping[str, Any]], alias: Alias) -> EntityInfo:
        info = alias.info
        assert info is not None
        disc = info.discriminator[0] if info.discriminator else _root_discriminator(info)
        if disc is None:
            return info
        label = column_alias(alias.name, info, disc)
        values = {row.get(label) for row in rows}
        for mapper in info.mapper.self_and_descendants:
            if mapper is not info.mapper and mapper.polymorphic_identity in values:
                return entity_info(mapper.class_)
        return info

    def _columns(self, alias: Alias, info: EntityInfo) -> list[str]:
        whole = alias.name in self.selections
        return [
            k
            for k in info.record_columns
            if whole or f"{alias.name}.{property_path(info, k)}" in self.selections
        ]

    def _entity(self, rows: list[Mapping[str, Any]], alias: Alias) -> Any:
        info = self._class_of(rows, alias)
        obj = info.mapper.class_manager.new_instance()
        first = rows[0]
        has_data = False
        assert alias.info is not None
        for key in self._columns(alias, info):
            label = column_alias(alias.name, info, key)
            if label not in first:
                continue
            raw = first[label]
            if raw is not None:
                has_data = True
            set_committed_value(obj, key, self.process(label, raw, info.columns[key].type))
        for join in self.em.joins:
            if join.alias.info is None or not self._selected(join.alias):
                continue
            if join.map_to is not None:
                owner, _, prop = join.map_to.partition(".")
                if owner != alias.name:
                    continue
                found = self.transform(rows, join.alias)
                value: Any = found if join.map_many else (found[0] if found else None)
                if prop in info.relations:
                    set_committed_value(obj, prop, value)
                else:
                    setattr(obj, prop, value)
                continue
            if join.parent != alias.name or join.relation not in info.relations:
                continue
            found = self.transform(rows, join.alias)
            value = found if info.is_many(join.relation) else (found[0] if found else None)
            held = instance_dict(obj)
            if join.relation in held:
                value = _merged(held[join.relation], value)
            set_committed_value(obj, join.relation, value)
        if not has_data:
            return None
        held = instance_dict(obj)
        if all(held.get(k) is not None for k in info.primary):
            make_transient_to_detached(obj)
        return obj

    def _selected(self, alias: Alias) -> bool:
        info = alias.info
        assert info is not None
        if alias.name in self.selections:
            return True
        return any(
            f"{alias.name}.{property_path(info, k)}" in self.selections for k in info.columns
        )


def _merged(held: Any, value: Any) -> Any:
    """A relation joined twice (``post.author`` as ``a`` and as ``b``): TypeORM merges
    the later join's value into the earlier one's (``OrmUtils.mergeDeep``): an entity
    already there stays, a list takes the later list's items by position."""
    if isinstance(held, list) and isinstance(value, list):
        out = list(held)
        for i, item in enumerate(value):
            if i < len(out):
                out[i] = item
            else:
                out.append(item)
        return out
    return value if held is None else held


def _root_discriminator(info: EntityInfo) -> str | None:
    on = info.mapper.polymorphic_on
    if on is None:
        return None
    return next((k for k, c in info.columns.items() if c is on), None)


def entities(em: ExpressionMap, rows: Sequence[Mapping[str, Any]], process: Processor) -> list[Any]:
    """The main alias's entities of ``rows``."""
    assert em.main is not None and em.main.info is not None
    return _Transformer(em, process).transform(list(rows), em.main)
