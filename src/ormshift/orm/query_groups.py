"""What TypeORM's query strategy leaves on the entities (``relationLoadStrategy: "query"``).

TypeORM loads each relation by a query of its own, then matches the related entities
to the entities found by relation ids (``RelationIdLoader.loadManyToManyRelationIdsAndGroup``).
Four things of that loading show in the result, and SQLAlchemy's selectin loading,
which `ormshift.orm.query` uses for the strategy, does none of them:

* the ids are matched on columns set on the entity (its keys for a to-one relation,
  the columns the relation references for the others): when ``select`` picks columns
  of the entity but not those, nothing matches and the relation is ``null`` (``[]``
  for a to-many one);
* a one-to-many (or inverse one-to-one) relation's ids are read from the related table
  by a builder of their own, which leaves soft-deleted rows out whatever
  ``withDeleted``: they are dropped from what was loaded (unless the related entity's
  keys are its join columns, whose ids need no query);
* a to-one relation's ids are read from the entity's own table the same way, unless
  every join column is a property of the entity and every entity holds its value: a
  soft-deleted entity (found with ``withDeleted``) then gets ``null``;
* the related builder of a class of a single table holds its discriminator condition:
  a key naming a row of another class of that table loads nothing (SQLAlchemy loads
  that row by its key, as the class it is).

`settle` applies them to a find's entities, level by level: each related entity's own
relations are loaded by the same strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect, select, tuple_
from sqlalchemy.orm import MANYTOONE, ONETOMANY, Session
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.metadata import EntityInfo
from ormshift.orm.shape import Place

__all__ = ["matched_columns", "settle"]


def settle(info: EntityInfo, found: Sequence[Any], place: Place, session: Session) -> None:
    """TypeORM's matching of query-loaded relations applied to ``found`` (entities of
    ``info`` at ``place``; ``session`` reads which of them are soft-deleted when they do
    not hold their delete date)."""
    if not found or not place.relations:
        return
    deleted: set[tuple[Any, ...]] | None = None
    chosen = None if place.columns is None else place.columns - place.hidden
    for key, below in place.relations.items():
        rel = info.relations[key]
        target = info.target(key)
        to_one = rel.direction is MANYTOONE
        matched = matched_columns(info, rel)
        blank = chosen is not None and not all(k in chosen for k in matched)
        gone = to_one and info.delete_date is not None and _ids_queried(info, rel, found, chosen)
        if gone and deleted is None:
            deleted = _soft_deleted(info, found, session)
        related: list[Any] = []
        for entity in found:
            state = inspect(entity)
            if key in state.unloaded:
                continue
            value = state.dict.get(key)
            if blank or (gone and _key_of(info, entity) in (deleted or ())):
                set_committed_value(entity, key, [] if rel.uselist else None)
                continue
            if to_one and value is not None and _other_class(target, value):
                # a key to a row of another class of the target's single table: the
                # related builder's discriminator condition leaves it out
                set_committed_value(entity, key, None)
                continue
            if (
                rel.direction is ONETOMANY
                and target.delete_date is not None
                and not _keys_join(target, rel)
            ):
                kept = _alive(target, value)
                if kept is not value:
                    set_committed_value(entity, key, kept)
                    value = kept
            if isinstance(value, list):
                related += value
            elif value is not None:
                related.append(value)
        settle(target, related, below, session)


def matched_columns(info: EntityInfo, rel: Any) -> list[str]:
    """The entity's columns TypeORM matches a relation's loaded ids on: its keys for a
    to-one relation, the columns the relation references for the others."""
    if rel.direction is MANYTOONE:
        return list(info.primary)
    return [info.mapper.get_property_by_column(local).key for local, _ in rel.synchronize_pairs]


def _other_class(target: EntityInfo, value: Any) -> bool:
    """``value``'s row is of a class of the target's single table that is not the
    target's (nor one of its children): its discriminator says so."""
    mapper = target.mapper
    if not mapper.single or target.discriminator is None:
        return False
    disc = target.discriminator[0]
    if disc in inspect(value).unloaded:
        return False
    kinds = {m.polymorphic_identity for m in mapper.self_and_descendants}
    return _held(value, disc) not in kinds


def _key_of(info: EntityInfo, entity: Any) -> tuple[Any, ...]:
    return tuple(_held(entity, k) for k in info.primary)


def _soft_deleted(info: EntityInfo, found: Sequence[Any], session: Session) -> set[tuple[Any, ...]]:
    """The keys of the entities ``found`` whose rows are soft-deleted: from the entity
    where it holds its delete date, else read (TypeORM reads the ids from the table, its
    soft-deleted rows left out, whatever the entity holds)."""
    deleted = info.delete_date
    assert deleted is not None
    out = {_key_of(info, e) for e in found if _held(e, deleted) is not None}
    unknown = [_key_of(info, e) for e in found if deleted in inspect(e).unloaded]
    if unknown:
        keys = [info.columns[k] for k in info.primary]
        stmt = select(*keys).where(tuple_(*keys).in_(unknown), info.columns[deleted].is_not(None))
        out |= {tuple(row) for row in session.execute(stmt)}
    return out


def _held(entity: Any, key: str | None) -> Any:
    """The value ``entity`` holds for attribute ``key`` (None when it holds none: a
    detached entity loads nothing)."""
    return None if key is None else inspect(entity).dict.get(key)


def _keys_join(target: EntityInfo, rel: Any) -> bool:
    """The related entity's keys are the relation's join columns (TypeORM reads the
    ids off the entities, with no query)."""
    joins = {
        target.mapper.get_property_by_column(remote).key for _, remote in rel.local_remote_pairs
    }
    return len(joins) == len(target.primary) and set(target.primary) == joins


def _ids_queried(info: EntityInfo, rel: Any, found: Sequence[Any], chosen: Any) -> bool:
    """TypeORM reads a to-one relation's ids from the entity's table: a join column is
    no property of the entity, or an entity does not hold its value."""
    keys = [info.mapper.get_property_by_column(local).key for local in rel.local_columns]
    if any(k in info.join_only_columns for k in keys):
        return True
    if chosen is not None and not all(k in chosen for k in keys):
        return True
    return any(_held(entity, k) is None for entity in found for k in keys)


def _alive(target: EntityInfo, value: Any) -> Any:
    """``value`` (a list, an entity or None) without its soft-deleted entities."""
    deleted = target.delete_date
    assert deleted is not None
    if isinstance(value, list):
        kept = [v for v in value if _held(v, deleted) is None]
        return kept if len(kept) != len(value) else value
    if value is not None and _held(value, deleted) is not None:
        return None
    return value
