"""Find results shaped as TypeORM builds them: a tree with one entity per place, each
holding the relations the find asked for and no others.

TypeORM has no identity map: every find makes new objects, and an entity reached along
two paths (a post's author and a comment's author) is two objects, each with the
relations joined at its own place. SQLAlchemy's session hands out one object per row,
so a user loaded as an author and as a comment's (eager) author carries the relations
loaded at either place, and in a transaction an entity found once keeps what an
earlier find loaded into it. `shaped` copies the entities where that shows (always,
in a transaction, so that a later find never changes what an earlier one returned)
and keeps the rest.

The relations a place asks for are those of ``relations`` there and, unless
``load_eager_relations`` is off, the eager relations of its entity, recursively (as
TypeORM's ``joinEagerRelations`` joins them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import MANYTOONE, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.options import Tree

__all__ = ["Spec", "shaped", "spec_of"]

_EAGER = ("joined", "selectin", "subquery", "immediate")
_DEPTH = 8

#: relation key -> what the related entities hold
Spec = dict[str, "Spec"]


def spec_of(info: EntityInfo, tree: Tree, eager: bool, depth: int = 0) -> Spec:
    """The relations each place of a find's result holds."""
    spec: Spec = {}
    for key, sub in tree.items():
        spec[key] = spec_of(info.target(key), sub, eager, depth + 1)
    if eager and depth < _DEPTH:
        for key, rel in info.relations.items():
            if key not in spec and rel.lazy in _EAGER:
                spec[key] = spec_of(info.target(key), {}, eager, depth + 1)
    return spec


def shaped(rows: list[Any], spec: Spec, *, copy: bool) -> list[Any]:
    """``rows`` holding the relations ``spec`` names, each entity a copy when ``copy``
    or when it holds more (or shares an object that does); called while their session
    is open."""
    memo: dict[tuple[int, int], Any] = {}
    return [_shape(row, spec, copy, memo) for row in rows]


def _shape(obj: Any, spec: Spec, copy: bool, memo: dict[tuple[int, int], Any]) -> Any:
    mark = (id(obj), id(spec))
    found = memo.get(mark)
    if found is not None:
        return found
    info = entity_info(type(obj))
    held = inspect(obj).dict
    changed = copy
    related: dict[str, Any] = {}
    for key, rel in info.relations.items():
        if key not in held and key in spec and rel.direction is MANYTOONE:
            # SQLAlchemy's eager loader leaves out a many-to-one back to an entity the
            # row came along (a user's comments' author); the identity map has it
            getattr(obj, key)
        if key not in held:
            continue
        if key not in spec:
            changed = True
            continue
        value = held[key]
        sub = spec[key]
        if value is None:
            related[key] = None
        elif isinstance(value, list):
            items = [_shape(v, sub, copy, memo) for v in value]
            changed = changed or any(a is not b for a, b in zip(items, value, strict=True))
            related[key] = items
        else:
            one = _shape(value, sub, copy, memo)
            changed = changed or one is not value
            related[key] = one
    if not changed:
        memo[mark] = obj
        return obj
    made = info.mapper.class_manager.new_instance()
    for key, value in held.items():
        if key in info.columns:
            set_committed_value(made, key, value)
    for key, value in related.items():
        set_committed_value(made, key, value)
    # detached, as the session's own entity is once its session is closed
    make_transient_to_detached(made)
    memo[mark] = made
    return made
