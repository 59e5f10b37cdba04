"""``relationLoadStrategy: "query"`` in find options merged into a builder's own calls.

TypeORM's ``applyFindOptions`` joins nothing for the relations of such options: it
keeps each top-level relation (and, unless ``loadEagerRelations: false``, each eager
relation of the main entity) in ``relationMetadatas``, and ``executeEntitiesAndRawResults``
loads them after the entities, one relation after the other, each by a builder of the
related entity holding the find options' ``select``, ``order`` and ``relations`` below
that relation (``OrmUtils.deepValue``), ``withDeleted``, the strategy and
``loadEagerRelations``.

Here each relation is loaded by the Repository's own query strategy (the one
``find(..., relation_load_strategy="query")`` uses): a find of the main entity by the
keys of the entities the builder found, with that relation and the options below it;
the value it loads is set on the builder's entity of the same key, without history
(`sqlalchemy.orm.attributes.set_committed_value`, as a loader sets it), or nothing is
when the entity does not hold the columns TypeORM matches the ids on (`query_groups`).
The related entities get ``after_load`` as the related builder's ``getMany`` gives it them, before
the builder's own entities get theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm import hooks
from ormshift.orm.guard import hooks_apply
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.operators import In
from ormshift.orm.options import FindOptions
from ormshift.orm.query_groups import matched_columns

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["load"]


def _below(value: Any, name: str) -> Any:
    """TypeORM's ``OrmUtils.deepValue(value, name)`` of an options tree."""
    return value.get(name) if isinstance(value, Mapping) else None


def load(
    manager: EntityManager,
    info: EntityInfo,
    found: Sequence[Any],
    keys: Sequence[str],
    options: Mapping[str, Any],
    listeners: bool,
) -> None:
    """Each relation of ``keys`` loaded onto the entities ``found``."""
    if not found or not keys:
        return
    primary = list(info.primary)
    # (read off each entity's state: an entity that does not hold its key loads nothing)
    held = [inspect(e).dict for e in found]
    if len(primary) == 1:
        where: Any = {info.property_of(primary[0]): In([h.get(primary[0]) for h in held])}
    else:
        where = [{info.property_of(k): h.get(k) for k in primary} for h in held]
    select = options.get("select")
    for key in keys:
        name = info.property_of(key)
        below = _below(options.get("relations"), name)
        opts: dict[str, Any] = {
            "where": where,
            "relations": {name: below if isinstance(below, Mapping) else True},
            "relationLoadStrategy": "query",
            "withDeleted": bool(options.get("withDeleted")),
            "loadEagerRelations": options.get("loadEagerRelations") is not False,
        }
        if isinstance(select, Mapping):
            chosen = _below(select, name)
            opts["select"] = {
                **{info.property_of(k): True for k in primary},
                name: chosen if isinstance(chosen, Mapping) else True,
            }
        order = _below(options.get("order"), name)
        if isinstance(order, Mapping):
            opts["order"] = {name: order}
        loaded = manager._run_find(info, FindOptions.of(opts, info), listeners=False)
        states = [inspect(e).dict for e in loaded]
        values = {tuple(h.get(k) for k in primary): h.get(key) for h in states}
        target = info.target(key)
        rel = info.relations[key]
        matched = matched_columns(info, rel)
        related: list[Any] = []
        for entity in found:
            state = inspect(entity)
            if any(k in state.unloaded for k in matched):
                # TypeORM matches the loaded ids on columns the entity does not hold
                set_committed_value(entity, key, [] if rel.uselist else None)
                continue
            ident = tuple(state.dict.get(k) for k in primary)
            if ident not in values:
                continue
            value = values[ident]
            set_committed_value(entity, key, value)
            if isinstance(value, list):
                related += value
            elif value is not None:
                related.append(value)
        if listeners and related and hooks_apply(target, manager.subscribers):
            hooks.loaded(manager, target.cls, related)
