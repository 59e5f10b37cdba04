"""Rows and criteria for the write methods: values by column, criteria as conditions.

Update/delete criteria are TypeORM's query-builder ``where``, not a find's: no relation
is joined, so a condition through one is refused ("Cannot find alias for relation"),
except an owning to-one given its referenced key, which compares the foreign key (any
other key given with it is not looked at). A to-one given a value or an operator
(``{author: 5}``, ``{author: In([1, 2])}``) compares its foreign key with it; any other
relation has no such property there."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, Literal

from sqlalchemy import ColumnElement, Enum, String, and_, func, inspect, or_
from sqlalchemy.orm import MANYTOMANY, MANYTOONE, ONETOMANY
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.errors import (
    FindOptionsError,
    MissingDeleteDateColumn,
    RelationNotJoined,
    UnknownProperty,
)
from ormshift.orm.metadata import EntityInfo, entity_info, related_class
from ormshift.orm.operators import FindOperator
from ormshift.orm.values import coerce_value
from ormshift.orm.where import compile_where

__all__ = [
    "column_values",
    "create",
    "criteria_condition",
    "insert_rows",
    "is_reference",
    "reference_values",
    "restrict",
    "soft_delete_stamps",
    "stamp_values",
    "stamps",
    "updatable",
    "without_join_only",
]

_PRIMITIVES = (int, str, float, bytes)


def column_values(
    info: EntityInfo, values: Any, *, what: str, ignore: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``{attribute key: value}`` of the columns set in an entity or a (nested) mapping;
    keys in ``ignore`` are left out (as TypeORM's insert leaves a single-table
    sibling's columns out)."""
    if isinstance(values, info.cls):
        state = inspect(values)
        data = {k: v for k, v in state.dict.items() if not k.startswith("_")}
    elif isinstance(values, Mapping):
        data = dict(values)
    else:
        raise FindOptionsError(f"{what}: expected a {info.name} or a mapping, not {values!r}")
    if ignore and not ignore.isdisjoint(data):
        data = {k: v for k, v in data.items() if k not in ignore}
    out: dict[str, Any] = {}
    _flatten(info, data, "", out, what, set())
    return out


def _flatten(
    info: EntityInfo,
    data: Mapping[str, Any],
    prefix: str,
    out: dict[str, Any],
    what: str,
    referenced: set[str],
) -> None:
    """``referenced``: the foreign keys a related object gave, which TypeORM takes
    before a value given for the column itself (``{order: {id: a}, orderId: b}`` is a)."""
    for key, value in data.items():
        path = info.path(prefix, key)
        if not prefix and path in info.join_only_columns:
            raise UnknownProperty(f'{what}: Property "{path}" was not found in "{info.name}".')
        if path in info.columns:
            if path not in referenced:
                out[path] = coerce_value(value, info.columns[path])
        elif not prefix and path in info.relations:
            rel = info.relations[path]
            if rel.direction in (ONETOMANY, MANYTOMANY):
                continue
            target = entity_info(rel.mapper.class_)
            for local, remote in rel.local_remote_pairs:
                if local.table is not info.table:
                    continue
                lkey = info.mapper.get_property_by_column(local).key
                if value is None:
                    out[lkey] = None
                    continue
                rkey = target.mapper.get_property_by_column(remote).key
                if isinstance(value, Mapping):
                    ref = target.keyed(value).get(rkey)
                else:
                    ref = getattr(value, rkey, None)
                out[lkey] = ref
                if not isinstance(value, _PRIMITIVES):
                    referenced.add(lkey)
        elif path in info.prefixes and isinstance(value, Mapping):
            _flatten(info, value, path, out, what, referenced)
        elif path in info.prefixes and value is not None and not isinstance(value, _PRIMITIVES):
            _flatten(
                info,
                {k: v for k, v in vars(value).items() if not k.startswith("_")},
                path,
                out,
                what,
                referenced,
            )
        else:
            raise UnknownProperty(f'{what}: Property "{path}" was not found in "{info.name}".')


def insert_rows(info: EntityInfo, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (by attribute key) as TypeORM inserts them: ``insert: false`` and
    ``increment`` columns left out (the database numbers them, whatever was given), the
    single-table discriminator set to the class's value."""
    drop = info.no_insert
    disc = info.discriminator
    if disc is None and (not drop or drop.isdisjoint(chain.from_iterable(rows))):
        return rows  # (no row names a column left out: each is inserted as it is)
    out = []
    for given in rows:
        row = given
        if drop and not drop.isdisjoint(given):
            row = {k: v for k, v in given.items() if k not in drop}
        if disc is not None:
            row = {**row, disc[0]: disc[1]}
        out.append(row)
    return out


def updatable(info: EntityInfo, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the columns TypeORM never updates (``update: false``)."""
    drop = info.no_update
    if not drop or drop.isdisjoint(values):
        return values
    return {k: v for k, v in values.items() if k not in drop}


def restrict(info: EntityInfo, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` restricted to the rows of ``info``'s class (and its subclasses) when
    it is a single-table child, as TypeORM restricts updates and deletes of one."""
    sti = info.sti_filter
    return condition if sti is None else condition & sti


#: what an UPDATE sets a bookkeeping column to: now, NULL, or its value + 1
Stamp = Literal["now", "null", "bump"]


def stamps(info: EntityInfo, written: Sequence[str] = ()) -> list[tuple[str, Stamp]]:
    """The columns (attribute keys) every TypeORM UPDATE sets besides its values: the
    version bumped and the update date set to now, unless ``written`` names them."""
    out: list[tuple[str, Stamp]] = []
    if info.version is not None and info.version not in written:
        out.append((info.version, "bump"))
    if info.update_date is not None and info.update_date not in written:
        out.append((info.update_date, "now"))
    return out


def soft_delete_stamps(info: EntityInfo, *, restore: bool = False) -> list[tuple[str, Stamp]]:
    """The SET of a soft delete (the delete date now) or of a restore (NULL), with the
    `stamps`; raises when the entity has no delete date column."""
    if info.delete_date is None:
        raise MissingDeleteDateColumn(info.name)
    return [(info.delete_date, "null" if restore else "now"), *stamps(info)]


def stamp_values(info: EntityInfo, sets: Sequence[tuple[str, Stamp]]) -> dict[str, Any]:
    """``sets`` as SQLAlchemy values by column name, for ``update(...).values``."""
    out: dict[str, Any] = {}
    for key, stamp in sets:
        col = info.columns[key]
        out[col.name] = (
            func.current_timestamp() if stamp == "now" else None if stamp == "null" else col + 1
        )
    return out


def _is_primitive(value: Any) -> bool:
    return isinstance(value, _PRIMITIVES) and not isinstance(value, bool)


def criteria_condition(info: EntityInfo, criteria: Any, method: str) -> ColumnElement[bool]:
    """TypeORM's update/delete criteria: ids, or a where mapping (or list of them)."""
    empty = FindOptionsError(f"Empty criteria(s) are not allowed for the {method} method.")
    if criteria is None:
        raise empty
    pk = getattr(info.cls, info.primary[0])
    if _is_primitive(criteria) or isinstance(criteria, datetime.date):
        if criteria == "":
            raise empty
        return pk == coerce_value(criteria, pk)  # type: ignore[no-any-return]
    if isinstance(criteria, Sequence) and not isinstance(criteria, str):
        if not criteria:
            raise empty
        if all(_is_primitive(c) for c in criteria):
            return pk.in_([coerce_value(c, pk) for c in criteria])  # type: ignore[no-any-return]
        if any(not isinstance(c, Mapping) or not c for c in criteria):
            raise empty
    elif isinstance(criteria, Mapping):
        if not criteria:
            raise empty
    else:
        raise empty
    _reject_nulls(criteria, "")
    items = [criteria] if isinstance(criteria, Mapping) else list(criteria)
    conds = [c for c in (_builder_where(info, item, "") for item in items) if c is not None]
    if not conds:
        raise empty
    return conds[0] if len(conds) == 1 else or_(*conds)


def _reject_nulls(where: Any, path: str) -> None:
    """TypeORM refuses a null anywhere in the criteria before it looks at any name."""
    if isinstance(where, Sequence) and not isinstance(where, str | bytes) and not path:
        for i, item in enumerate(where):
            _reject_nulls(item, str(i))
        return
    if not isinstance(where, Mapping):
        return
    for key, value in where.items():
        here = f"{path}.{key}" if path else str(key)
        if value is None:
            raise FindOptionsError(
                f"Null value encountered in property '{here}' of a where condition. "
                "To match with SQL NULL, the IsNull() operator must be used."
            )
        _reject_nulls(value, here)


def _builder_where(
    info: EntityInfo, where: Mapping[str, Any], prefix: str
) -> ColumnElement[bool] | None:
    """One mapping of update/delete criteria as TypeORM's query builder reads it, key
    by key (so the first bad key is the one reported)."""
    conds: list[ColumnElement[bool]] = []
    for key, value in where.items():
        kind, path = info.resolve(prefix, str(key))
        if kind == "embedded" and isinstance(value, Mapping):
            cond = _builder_where(info, value, path)
        elif kind == "relation" and isinstance(value, Mapping | list | tuple) and value:
            cond = compile_where(info, _foreign_key(info, path, value))
        elif kind == "relation" and not isinstance(value, Mapping | list | tuple | bool):
            cond = compile_where(info, _key_value(info, path, value))
        else:
            cond = compile_where(info, {key: value}, prefix=prefix)
        if cond is not None:
            conds.append(cond)
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else and_(*conds)


def _foreign_key(info: EntityInfo, key: str, value: Any) -> dict[str, Any]:
    """``{foreign key attribute: referenced value}`` for criteria ``{key: value}``
    through an owning to-one that gives every referenced column (a value JavaScript
    finds true); TypeORM refuses any other condition through a relation."""
    rel = info.relations[key]
    if isinstance(value, Mapping) and rel.direction is MANYTOONE:
        target = entity_info(rel.mapper.class_)
        out: dict[str, Any] = {}
        for local, remote in rel.local_remote_pairs:
            rkey = target.mapper.get_property_by_column(remote).key
            ref = target.keyed(value).get(rkey)
            if not _js_truthy(ref):
                break
            out[info.mapper.get_property_by_column(local).key] = ref
        else:
            if out:
                return out
    raise RelationNotJoined(f"Cannot find alias for relation at {info.property_of(key)}")


def _key_value(info: EntityInfo, key: str, value: Any) -> dict[str, Any]:
    """``{foreign key attribute: value}`` for criteria ``{key: 5}`` or ``{key: In(...)}``:
    TypeORM's builder compares a to-one's join column with the value (an operator
    applies to it); a relation without join columns of its own has no such property."""
    rel = info.relations[key]
    pairs = [loc for loc, _ in rel.local_remote_pairs if loc.table is info.table]
    if rel.direction is MANYTOONE and len(pairs) == 1:
        return {info.mapper.get_property_by_column(pairs[0]).key: value}
    raise UnknownProperty(
        f'Property "{info.property_of(key)}" was not found in "{info.name}". '
        "Make sure your query is correct."
    )


def _js_truthy(value: Any) -> bool:
    if isinstance(value, FindOperator):
        return True
    if isinstance(value, bool | int | float | str):
        return bool(value)
    return value is not None


def without_join_only(info: EntityInfo, values: Any) -> Any:
    """Value mappings (one or a list) without the `EntityInfo.join_only_columns` keys,
    by either name, which TypeORM's insert leaves out (its metadata has no such
    property)."""
    hidden = info.join_only_columns

    def keep(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {k: v for k, v in item.items() if info.attribute(k) not in hidden}
        return item

    if not hidden:
        return values
    if isinstance(values, list | tuple):
        return [keep(v) for v in values]
    return keep(values)


def create(entity: type[Any], data: Any) -> Any:
    """An entity from a (nested) mapping, as TypeORM's ``repository.create``."""
    info = entity_info(entity)
    if isinstance(data, entity):
        return data
    if not isinstance(data, Mapping):
        raise FindOptionsError(f"create {info.name}: expected a mapping, not {data!r}")
    obj = entity()
    _fill(info, obj, data, "")
    return obj


def _reference_keys(info: EntityInfo, key: str) -> list[tuple[str, str]] | None:
    """(foreign key attribute, referenced key attribute) pairs of a to-one relation
    whose row holds the key, or None for any other relation."""
    rel = info.relations[key]
    if rel.uselist:
        return None
    target = entity_info(rel.mapper.class_)
    pairs = [(loc, rem) for loc, rem in rel.local_remote_pairs if loc.table is info.table]
    if not pairs or any(
        rem.table is info.table and rel.mapper.class_ is not info.cls for _, rem in pairs
    ):
        return None
    return [
        (
            info.mapper.get_property_by_column(local).key,
            target.mapper.get_property_by_column(remote).key,
        )
        for local, remote in pairs
    ]


def _set_reference(info: EntityInfo, obj: Any, key: str, value: Any) -> bool:
    """``{"id": 3}`` for an owning to-one relation sets the foreign key, as TypeORM does."""
    if not isinstance(value, Mapping) or not value:
        return False
    target = entity_info(info.relations[key].mapper.class_)
    value = target.keyed(value)
    if not set(value) <= set(target.primary):
        return False
    pairs = _reference_keys(info, key)
    if pairs is None or any(rkey not in value for _, rkey in pairs):
        return False
    for lkey, rkey in pairs:
        # the key as the reference's own column takes it ("2" for a bigint is 2)
        setattr(obj, lkey, coerce_value(value[rkey], info.columns[lkey]))
    return True


def reference_values(info: EntityInfo, key: str, reference: Any) -> dict[str, Any]:
    """The foreign key values (by attribute) that ``reference``, a `is_reference`, names."""
    held = inspect(reference).dict
    return {lkey: held[rkey] for lkey, rkey in _reference_keys(info, key) or ()}


def is_reference(info: EntityInfo, obj: Any, key: str) -> bool:
    """``obj.<key>`` is a reference `create` made: a new entity holding nothing but
    the key that ``obj``'s foreign key already holds. Saving writes the foreign key and
    leaves the referenced row (and the reference) alone."""
    given = inspect(obj).dict
    value = given.get(key)
    if not isinstance(value, info.relations[key].mapper.class_):
        return False
    target = entity_info(type(value))  # (a class of a hierarchy the relation is mapped to)
    state = inspect(value)
    held = {k: v for k, v in state.dict.items() if k in target.columns or k in target.relations}
    disc = target.discriminator  # `create` sets it on a single-table class: not given
    if disc is not None and held.get(disc[0]) == disc[1]:
        del held[disc[0]]
    if not state.transient or not held or not set(held) <= set(target.primary):
        return False
    pairs = _reference_keys(info, key)
    return pairs is not None and all(
        rkey in held and given.get(lkey) == held[rkey] for lkey, rkey in pairs
    )


def _create_order(info: EntityInfo, data: Mapping[str, Any], prefix: str) -> list[str]:
    """The keys of ``data`` in the order TypeORM's ``create`` copies them
    (``PlainObjectToNewEntityTransformer``: the metadata's columns, its own before its
    embeddeds', then its relations), not the order they were given in: a listener that
    lists the entity's properties sees them so."""
    columns = list(info.columns)
    relations = list(info.relations)

    def rank(item: tuple[int, str]) -> tuple[int, int]:
        index, key = item
        path = info.path(prefix, key)
        if path in info.columns:
            # ("event_", a column whose property is "event", is no embedded's)
            embedded = any(path.startswith(p + "_") and path != p + "_" for p in info.prefixes)
            return (1 if embedded and not prefix else 0, columns.index(path))
        if not prefix and path in info.relations:
            return (2, relations.index(path))
        if path in info.prefixes:
            first = next((i for i, c in enumerate(columns) if c.startswith(path + "_")), index)
            return (1, first)
        return (3, index)  # unknown: create says so, in the order given

    return [key for _, key in sorted(enumerate(data), key=rank)]


def _fill(info: EntityInfo, obj: Any, data: Mapping[str, Any], prefix: str) -> None:
    for key in _create_order(info, data, prefix):
        value = data[key]
        path = info.path(prefix, key)
        if not prefix and (path in info.join_only_columns or path in info.virtual):
            # no property TypeORM's create knows, or a tree's virtual column (its
            # PlainObjectToNewEntityTransformer copies nonVirtualColumns): left out
            continue
        if path in info.columns:
            col = info.columns[path]
            if (
                isinstance(value, int | float)
                and isinstance(col.type, String)
                and not isinstance(col.type, Enum)
            ):
                # the entity keeps the number TypeORM's keeps (its text is what's sent)
                setattr(obj, path, value)
            else:
                setattr(obj, path, coerce_value(value, col))
        elif not prefix and path in info.relations:
            target = related_class(info.relations[path])
            if value is None and info.relations[path].uselist:
                continue  # TypeORM's save leaves a null collection as it is
            # set as loaded, so that no back reference is filled in (TypeORM's create
            # sets the property given and nothing on the other side)
            if value is None:
                set_committed_value(obj, path, None)
            elif info.relations[path].uselist:  # an inverse one-to-one is one entity
                set_committed_value(obj, path, [create(target, v) for v in value])
            else:
                _set_reference(info, obj, path, value)
                set_committed_value(obj, path, create(target, value))
        elif path in info.prefixes and isinstance(value, Mapping):
            _fill(info, obj, value, path)
        else:
            raise UnknownProperty(f'create: Property "{path}" was not found in "{info.name}".')
