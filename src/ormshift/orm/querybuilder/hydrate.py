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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, instance_state, set_committed_value

from ormshift.orm.internals import detach_loaded
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.querybuilder.names import property_path
from ormshift.orm.querybuilder.sql import column_alias
from ormshift.orm.querybuilder.state import Alias, ExpressionMap, Join

__all__ = ["Processor", "entities"]

#: (result key, column type) -> the function making the driver's value of that key the
#: value an entity holds (None: as it is)
Processor = Callable[[str, Any], Callable[[Any], Any] | None]


def _hashable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


@dataclass
class _Layout:
    """What one alias's entities of one class read from the rows, decided once a call:
    (attribute key, result key, processor) of each selected column the rows hold, and
    the joins whose entities go under them; whether they are detached the quick way
    (`internals.detach_loaded`) or by ``make_transient_to_detached``."""

    columns: list[tuple[str, str, Callable[[Any], Any] | None]]
    joins: list[Join]
    quick: bool


@dataclass(frozen=True)
class _Detaching:
    """A class's attribute keys ``make_transient_to_detached`` expires when unloaded
    (its column attributes), and whether anyone listens to ``expire`` events."""

    scalar: frozenset[str]
    listened: bool


def _detaching(info: EntityInfo) -> _Detaching:
    manager = info.mapper.class_manager
    scalar = frozenset(k for k in manager if manager[k].impl.accepts_scalar_loader)
    return _Detaching(scalar, bool(manager.dispatch.expire))


class _Transformer:
    def __init__(self, em: ExpressionMap, processor: Processor, labels: frozenset[str]) -> None:
        self.em = em
        self.processor = processor
        #: the result keys of the rows (every row has the same)
        self.labels = labels
        self.selections = {s.selection for s in em.selects}
        self.selected_joins = [
            j for j in em.joins if j.alias.info is not None and self._selected(j.alias)
        ]
        self._layouts: dict[tuple[str, int], _Layout] = {}
        self._keys: dict[str, list[str]] = {}

    def transform(self, rows: list[Mapping[str, Any]], alias: Alias) -> list[Any]:
        out = []
        for group in self._group(rows, alias):
            entity = self._entity(group, alias)
            if entity is not None:
                out.append(entity)
        return out

    def _group(
        self, rows: list[Mapping[str, Any]], alias: Alias
    ) -> Iterable[list[Mapping[str, Any]]]:
        keys = self._keys.get(alias.name)
        if keys is None:
            info = alias.info
            assert info is not None
            keys = [column_alias(alias.name, info, k) for k in info.primary]
            if not any(k in self.labels for k in keys):
                keys = []
            self._keys[alias.name] = keys
        if not keys:
            return [[row] for row in rows]  # by row when no key is selected
        groups: dict[Any, list[Mapping[str, Any]]] = {}
        if len(keys) == 1:
            key = keys[0]
            for row in rows:
                groups.setdefault(_hashable(row.get(key)), []).append(row)
        else:
            for row in rows:
                ident = tuple(_hashable(row.get(k)) for k in keys)
                groups.setdefault(ident, []).append(row)
        return groups.values()

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

    def _layout(self, alias: Alias, info: EntityInfo) -> _Layout:
        found = self._layouts.get((alias.name, id(info)))
        if found is not None:
            return found
        whole = alias.name in self.selections
        columns = []
        for key in info.record_columns:
            if key in info.virtual:
                continue  # a tree's column: TypeORM's transformer skips virtual columns
            if whole or f"{alias.name}.{property_path(info, key)}" in self.selections:
                label = column_alias(alias.name, info, key)
                if label in self.labels:
                    columns.append((key, label, self.processor(label, info.columns[key].type)))
        joins = []
        # an attribute set as a user sets it (a mapped-to property that is no relation)
        # may leave the state modified: make_transient_to_detached commits it
        quick = True
        for join in self.selected_joins:
            if join.map_to is not None:
                if join.map_to.partition(".")[0] == alias.name:
                    joins.append(join)
                    mapped = info.attribute(join.map_to.partition(".")[2])
                    quick = quick and mapped in info.relations
            elif join.parent == alias.name and join.relation in info.relations:
                joins.append(join)
        found = self._layouts[(alias.name, id(info))] = _Layout(columns, joins, quick)
        return found

    def _entity(self, rows: list[Mapping[str, Any]], alias: Alias) -> Any:
        info = self._class_of(rows, alias)
        layout = self._layout(alias, info)
        obj = info.mapper.class_manager.new_instance()
        held = instance_dict(obj)
        first = rows[0]
        has_data = False
        # a new instance's state has nothing committed, expired or pending: its dict
        # filled directly is what set_committed_value of each column leaves
        for key, label, proc in layout.columns:
            raw = first[label]
            if raw is not None:
                has_data = True
                held[key] = raw if proc is None else proc(raw)
            else:
                held[key] = None
        for join in layout.joins:
            if join.map_to is not None:
                prop = info.attribute(join.map_to.partition(".")[2])  # a relation by either name
                found = self.transform(rows, join.alias)
                value: Any = found if join.map_many else (found[0] if found else None)
                if prop in info.relations:
                    set_committed_value(obj, prop, value)
                else:
                    setattr(obj, prop, value)
                continue
            relation = join.relation
            assert relation is not None
            found = self.transform(rows, join.alias)
            value = found if info.is_many(relation) else (found[0] if found else None)
            if relation in held:
                value = _merged(held[relation], value)
            set_committed_value(obj, relation, value)
        if not has_data:
            return None
        ident = tuple(held.get(k) for k in info.primary)
        if any(v is None for v in ident):
            return obj  # transient: no identity
        detaching = _DETACHING.get(info.cls)
        if detaching is None:
            detaching = _DETACHING[info.cls] = _detaching(info)
        if layout.quick and not detaching.listened:
            identity = info.mapper.identity_key_from_primary_key(ident)
            detach_loaded(instance_state(obj), identity, set(detaching.scalar.difference(held)))
        else:
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


#: class -> what detaching its entities needs (mappers are configured once)
_DETACHING: dict[type[Any], _Detaching] = {}


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


def entities(
    em: ExpressionMap, rows: Sequence[Mapping[str, Any]], processor: Processor
) -> list[Any]:
    """The main alias's entities of ``rows``."""
    assert em.main is not None and em.main.info is not None
    labels = frozenset(rows[0]) if rows else frozenset()
    return _Transformer(em, processor, labels).transform(list(rows), em.main)
