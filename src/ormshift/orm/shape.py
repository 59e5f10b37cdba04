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
TypeORM's ``joinEagerRelations`` joins them); its columns are those ``select`` names
there, or all but the ``select: false`` ones (those another place left unloaded in the
same row are loaded, those another place's select loaded are left out).

A place with a ``select`` holds the columns it names only: the primary key ormshift
loads to tell rows apart is left out of the entity when not named (as TypeORM drops
the primary columns it selects as "virtual"), and such an entity is a transient copy.
A tree's own columns (``nsleft``, ``nsright``, ``mpath``), virtual columns in TypeORM's
metadata, are never in an entity (one found holding them is a copy without them), nor
its data: a place selecting only those finds no entity.
An entity whose selected columns are all NULL is no entity, as TypeORM's transformer
finds no data in it: a find leaves it out, a to-one relation holds None, a to-many
relation's list leaves it out. A ``select`` that leaves out a single-table class's
discriminator makes every entity there one of the class queried, as TypeORM cannot
tell the row's class without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import MANYTOONE, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.options import Tree, select_tree

__all__ = ["Place", "place_of", "shaped"]

_EAGER = ("joined", "selectin", "subquery", "immediate")
_DEPTH = 8


@dataclass(eq=False)
class Place:
    """What the entities at one place of a find's tree hold: the columns (None: all)
    and, by relation, what the related entities hold."""

    columns: frozenset[str] | None = None
    relations: dict[str, Place] = field(default_factory=dict)
    #: the primary key columns loaded but not selected (left out of the entity)
    hidden: frozenset[str] = frozenset()
    #: the class every entity here is built as, whatever its discriminator says: a
    #: ``select`` that leaves out the discriminator of a single-table class
    cls: type[Any] | None = None
    #: the class queried here: a row of another class (a sibling's, reached by a to-one
    #: relation's key) is built as this one, as TypeORM builds a row whose discriminator
    #: names none of the class's children as the class itself
    within: type[Any] | None = None


def place_of(
    info: EntityInfo, tree: Tree, eager: bool, select: Any = None, depth: int = 0
) -> Place:
    """The place of a find's root (``tree`` its relations, ``select`` its select)."""
    cols, nested = select_tree(info, select) if isinstance(select, Mapping) else ([], {})
    place = Place(
        frozenset((*cols, *info.primary)) if cols else None,
        hidden=frozenset(k for k in info.primary if k not in cols) if cols else frozenset(),
        within=info.cls,
    )
    disc = _discriminator(info)
    if cols and disc is not None and disc not in cols:
        place.cls = info.cls
    for key, sub in tree.items():
        place.relations[key] = place_of(info.target(key), sub, eager, nested.get(key), depth + 1)
    if eager and depth < _DEPTH:
        for key, rel in info.relations.items():
            if key not in place.relations and rel.lazy in _EAGER:
                place.relations[key] = place_of(info.target(key), {}, eager, None, depth + 1)
    return place


def _discriminator(info: EntityInfo) -> str | None:
    on = info.mapper.polymorphic_on
    if on is None:
        return None
    return next((k for k, c in info.columns.items() if c is on or c.name == on.name), None)


def _data(built: EntityInfo, columns: frozenset[str], place: Place) -> list[str]:
    """The selected columns that make an entity of the row's class: its own (TypeORM's
    transformer takes those of the row's metadata only), not the discriminator nor a
    tree's columns (virtual columns there, never data) nor a key loaded but not
    selected."""
    disc = _discriminator(built)
    return [
        k
        for k in columns
        if k not in place.hidden and k in built.record_set and k != disc and k not in built.virtual
    ]


def shaped(rows: list[Any], place: Place, *, copy: bool) -> list[Any]:
    """``rows`` holding what ``place`` names, each entity a copy when ``copy`` or when
    it holds more (or shares an object that does); called while their session is open."""
    memo: dict[tuple[int, int], Any] = {}
    out = [_shape(row, place, copy, memo) for row in rows]
    return [row for row in out if row is not _NONE]


#: what an entity whose selected columns are all NULL becomes (TypeORM's undefined)
_NONE: Any = object()


def _shape(obj: Any, place: Place, copy: bool, memo: dict[tuple[int, int], Any]) -> Any:
    mark = (id(obj), id(place))
    found = memo.get(mark)
    if found is not None:
        return found
    info = entity_info(type(obj))
    state = inspect(obj)
    held = state.dict
    wanted = place.relations
    columns = place.columns
    built = info if place.cls is None else entity_info(place.cls)
    if place.cls is None and place.within is not None and not isinstance(obj, place.within):
        built = entity_info(place.within)
    if place.cls is not None and columns is not None:
        # built as the class queried: its subclasses' own columns are not its (TypeORM's
        # transformer leaves them out, and finds no data in a row of nothing else)
        columns = frozenset(k for k in columns if k in built.record_columns)
    if columns is not None and all(held.get(k) is None for k in _data(built, columns, place)):
        memo[mark] = _NONE
        return _NONE
    attrs = info.mapper.column_attrs
    if columns is None and state.session is not None:
        # loaded with only the columns another place selected (the same row there)
        unloaded = [
            k
            for k in info.columns
            if k not in held and not attrs[k].deferred and k not in info.virtual
        ]
        if unloaded:
            state.session.refresh(obj, attribute_names=unloaded)
    # a place with a select is always a copy: the same row reached at a place of all
    # columns is loaded whole, possibly after this place has been shaped
    changed = copy or built is not info or columns is not None
    if columns is None and any(k in held and attrs[k].deferred for k in info.columns):
        # a place of all columns has none of the ``select: false`` ones, which another
        # place's select loaded into the same row (a root that selects an author's
        # secret, and that author again as its books' author)
        columns = frozenset(k for k in info.columns if not attrs[k].deferred)
        changed = True
    if not changed and len(built.record_set) != len(built.columns):
        # a single-table class holds its subclasses' columns as loaded; TypeORM's
        # entity of the class has its own (and its children's embedded ones) only
        changed = any(k in held and k not in built.record_set for k in built.columns)
    # a single-table root's join of a child's relation loads it into a sibling's row too
    changed = changed or any(k in held for k in info.foreign_relations)
    # a tree's own columns, loaded with the row: TypeORM's entity never holds them
    changed = changed or any(k in held for k in built.virtual)
    related: dict[str, Any] = {}
    # the relations of the class built (TypeORM's transformer joins those of the row's
    # metadata): a single-table root built for a row of a child holds all the root's
    for key, rel in built.relations.items():
        if key not in held and key in wanted and rel.direction is MANYTOONE:
            # SQLAlchemy's eager loader leaves out a many-to-one back to an entity the
            # row came along (a user's comments' author); the identity map has it
            getattr(obj, key)
        if key not in held:
            continue
        if key not in wanted:
            changed = True
            continue
        value = held[key]
        sub = wanted[key]
        if value is None:
            related[key] = None
        elif isinstance(value, list):
            items = [_shape(v, sub, copy, memo) for v in value]
            changed = changed or any(a is not b for a, b in zip(items, value, strict=True))
            related[key] = [item for item in items if item is not _NONE]
        else:
            one = _shape(value, sub, copy, memo)
            changed = changed or one is not value
            related[key] = None if one is _NONE else one
    if not changed:
        memo[mark] = obj
        return obj
    made = built.mapper.class_manager.new_instance()
    for key, value in held.items():
        wanted_column = columns is None or (key in columns and key not in place.hidden)
        if key in built.record_set and wanted_column and key not in built.virtual:
            set_committed_value(made, key, value)
    for key, value in related.items():
        if key in built.relations:
            set_committed_value(made, key, value)
    if not place.hidden:
        # detached, as the session's own entity is once its session is closed; one
        # without its key stays transient (saving it inserts, as in TypeORM)
        make_transient_to_detached(made)
    memo[mark] = made
    return made
