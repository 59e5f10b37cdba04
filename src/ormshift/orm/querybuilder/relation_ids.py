"""``load_relation_id_and_map("book.categoryIds", "book.categories")``: TypeORM's
``loadRelationIdAndMap`` (its ``RelationIdLoader`` and the entity transformer's
``transformRelationIds``).

After the entities of a builder are made, each asked relation's ids are set on the
entities of its alias under the property named: a many-to-one's (or an owning
one-to-one's) foreign key as the entity holds it (``None`` when it is null); a
one-to-many's related keys, one query on the related table without an order (its
soft-deleted rows left out, as TypeORM's loader leaves them out), an inverse
one-to-one's first of them; a many-to-many's from the junction table joined to the
related table (soft-deleted rows left out unless the builder is ``with_deleted``),
ordered by the related keys as TypeORM orders them. A relation with one key gives bare
keys, else (or with ``{"disableMixedMap": True}``) maps of the related entity's key
properties.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import MANYTOONE

from ormshift.orm.metadata import EntityInfo, entity_info, related_class
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.names import property_path
from ormshift.orm.querybuilder.state import ExpressionMap

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["RelationIdsUnsupported", "asked", "load"]


class RelationIdsUnsupported(NotImplementedError):
    """A ``load_relation_id_and_map`` ormshift does not do (a condition factory, a
    property that is a mapped column or relation)."""


def _info(em: ExpressionMap, alias: str) -> EntityInfo:
    found = em.alias(alias)
    if found is None:
        raise QueryBuilderError(f'"{alias}" alias was not found. Maybe you forgot to join it?')
    if found.info is None:
        raise QueryBuilderError(f'"{alias}" alias has no entity')
    return found.info


def asked(
    em: ExpressionMap, map_to: str, relation: str, options: Any, factory: Any
) -> tuple[str, str, bool]:
    """The checked request: (``alias.property``, ``alias.relation``, no mixed map)."""
    parent, _, path = relation.partition(".")
    info = _info(em, parent)
    if info.attribute(path) not in info.relations:
        raise QueryBuilderError(f"Relation with property path {path} in entity was not found.")
    owner, _, prop = map_to.partition(".")
    if not prop or owner != parent:
        raise RelationIdsUnsupported(
            f"load_relation_id_and_map maps onto the relation's alias ({parent}.property)"
        )
    mapped = info.attribute(prop)
    if mapped in info.columns or mapped in info.relations or mapped in info.prefixes:
        raise RelationIdsUnsupported(
            f"load_relation_id_and_map onto {prop!r}, a mapped property of {info.name}"
        )
    rel = info.relation(path)
    if factory is not None:
        if rel.direction is MANYTOONE:  # a many-to-one, an owning one-to-one
            raise QueryBuilderError(
                "Additional condition can not be used with ManyToOne or OneToOne owner relations."
            )
        raise RelationIdsUnsupported("load_relation_id_and_map with a condition")
    no_mix = isinstance(options, Mapping) and bool(options.get("disableMixedMap"))
    return map_to, relation, no_mix


def _walk(em: ExpressionMap, found: list[Any], alias: str) -> Iterator[Any]:
    """The entities of ``alias`` among ``found`` (the main alias's) and what they hold."""
    main = em.main
    assert main is not None
    if alias == main.name:
        yield from found
        return
    join = next((j for j in em.joins if j.alias.name == alias), None)
    if join is None or join.parent is None or join.relation is None:
        return
    for parent in _walk(em, found, join.parent):
        value = parent.__dict__.get(join.relation)
        if isinstance(value, list):
            yield from value
        elif value is not None:
            yield value


def _key_of(info: EntityInfo, column: Any) -> str:
    return str(info.mapper.get_property_by_column(column).key)


def _shaped(target: EntityInfo, keys: list[str], values: tuple[Any, ...], no_mix: bool) -> Any:
    if len(keys) == 1 and not no_mix:
        return values[0]
    return {property_path(target, k): v for k, v in zip(keys, values, strict=True)}


def _rows(manager: EntityManager, stmt: Any) -> list[Any]:
    with manager._scope() as session:
        return list(session.connection().execute(stmt).fetchall())


def _one(
    manager: EntityManager,
    em: ExpressionMap,
    entities: list[Any],
    info: EntityInfo,
    path: str,
    no_mix: bool,
) -> dict[int, Any]:
    """``id(entity)`` -> the value TypeORM maps (absent: left unset)."""
    rel = info.relation(path)
    target = entity_info(related_class(rel))
    out: dict[int, Any] = {}
    if rel.direction is MANYTOONE:
        pairs = list(rel.local_remote_pairs or [])
        local = [_key_of(info, lc) for lc, _ in pairs]
        remote = [_key_of(target, rc) for _, rc in pairs]
        for entity in entities:
            held = entity.__dict__
            if any(k not in held for k in local):
                continue
            values = tuple(held[k] for k in local)
            if len(local) == 1 and not no_mix:
                out[id(entity)] = values[0]
            else:
                out[id(entity)] = {
                    property_path(target, r): v for r, v in zip(remote, values, strict=True)
                }
        return out
    if rel.secondary is None:
        # one-to-many, inverse one-to-one: the related rows' foreign keys
        pairs = list(rel.local_remote_pairs or [])
        parent_keys = [_key_of(info, lc) for lc, _ in pairs]
        fk_cols = [rc for _, rc in pairs]
        key_cols = list(target.table.primary_key.columns)
        keys = [_key_of(target, c) for c in key_cols]
        owners = _owners(entities, parent_keys)
        if not owners:
            return out
        stmt = select(*fk_cols, *key_cols).select_from(target.table)
        stmt = stmt.where(_matching(fk_cols, list(owners)))
        if target.delete_date is not None:
            stmt = stmt.where(target.table.c[target.columns[target.delete_date].name].is_(None))
        # no ORDER BY, as TypeORM's loader: the rows in the order PostgreSQL gives them
        grouped = _grouped(_rows(manager, stmt), len(fk_cols))
        for values, items in owners.items():
            ids = [_shaped(target, keys, row, no_mix) for row in grouped.get(values, [])]
            for entity in items:
                if rel.uselist:
                    out[id(entity)] = ids
                elif ids:
                    out[id(entity)] = ids[0]
        return out
    # many-to-many: the junction's rows joined to the related table
    junction = rel.secondary
    parent_pairs = list(rel.synchronize_pairs or [])  # (parent column, junction column)
    target_pairs = list(rel.secondary_synchronize_pairs or [])  # (target column, junction)
    parent_keys = [_key_of(info, pc) for pc, _ in parent_pairs]
    join_cols = [jc for _, jc in parent_pairs]
    inverse_cols = [jc for _, jc in target_pairs]
    keys = [_key_of(target, tc) for tc, _ in target_pairs]
    owners = _owners(entities, parent_keys)
    if not owners:
        return out
    on = and_(*(jc == tc for tc, jc in target_pairs))
    stmt = (
        select(*join_cols, *inverse_cols)
        .select_from(target.table.join(junction, on))
        .where(_matching(join_cols, list(owners)))
    )
    if target.delete_date is not None and not em.with_deleted:
        stmt = stmt.where(target.table.c[target.columns[target.delete_date].name].is_(None))
    stmt = stmt.order_by(*inverse_cols, *join_cols)
    grouped = _grouped(_rows(manager, stmt), len(join_cols))
    for values, items in owners.items():
        ids = [_shaped(target, keys, row, no_mix) for row in grouped.get(values, [])]
        for entity in items:
            out[id(entity)] = ids
    return out


def _owners(entities: list[Any], keys: list[str]) -> dict[tuple[Any, ...], list[Any]]:
    out: dict[tuple[Any, ...], list[Any]] = {}
    for entity in entities:
        held = entity.__dict__
        values = tuple(held.get(k) for k in keys)
        if any(v is None for v in values):
            continue
        out.setdefault(values, []).append(entity)
    return out


def _matching(columns: list[Any], values: list[tuple[Any, ...]]) -> Any:
    if len(columns) == 1:
        return columns[0].in_([v[0] for v in values])
    return or_(*(tuple_(*columns) == tuple_(*v) for v in values))


def _grouped(rows: list[Any], width: int) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    out: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        values = tuple(row)
        out.setdefault(values[:width], []).append(values[width:])
    return out


def load(manager: EntityManager, em: ExpressionMap, found: list[Any]) -> None:
    """Each of ``em.relation_ids`` set on the entities of its alias in ``found``."""
    for map_to, relation, no_mix in em.relation_ids:
        parent, _, path = relation.partition(".")
        prop = map_to.partition(".")[2]
        info = _info(em, parent)
        entities = [e for e in _walk(em, found, parent) if isinstance(e, info.cls)]
        if not entities:
            continue
        values = _one(manager, em, entities, info, path, no_mix)
        for entity in entities:
            if id(entity) in values:
                setattr(entity, prop, values[id(entity)])
