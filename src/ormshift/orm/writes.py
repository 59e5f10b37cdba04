"""Rows and criteria for the write methods: values by column, criteria as conditions."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import MANYTOMANY, ONETOMANY
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.errors import FindOptionsError, UnknownProperty, UnsupportedFindOptions
from ormshift.orm.metadata import EntityInfo, entity_info
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
    "updatable",
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
    _flatten(info, data, "", out, what)
    return out


def _flatten(
    info: EntityInfo, data: Mapping[str, Any], prefix: str, out: dict[str, Any], what: str
) -> None:
    for key, value in data.items():
        path = f"{prefix}_{key}" if prefix else info.attribute(key)
        if path in info.columns:
            out[path] = coerce_value(value, info.columns[path])
        elif not prefix and key in info.relations:
            rel = info.relations[key]
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
                ref = value.get(rkey) if isinstance(value, Mapping) else getattr(value, rkey, None)
                out[lkey] = ref
        elif path in info.prefixes and isinstance(value, Mapping):
            _flatten(info, value, path, out, what)
        elif path in info.prefixes and value is not None and not isinstance(value, _PRIMITIVES):
            _flatten(
                info,
                {k: v for k, v in vars(value).items() if not k.startswith("_")},
                path,
                out,
                what,
            )
        else:
            raise UnknownProperty(f'{what}: Property "{path}" was not found in "{info.name}".')


def insert_rows(info: EntityInfo, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (by attribute key) as TypeORM inserts them: ``insert: false`` and
    ``increment`` columns left out (the database numbers them, whatever was given), the
    single-table discriminator set to the class's value."""
    drop = info.no_insert
    disc = info.discriminator
    if not drop and disc is None:
        return rows
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
    if isinstance(criteria, Mapping):
        criteria = _through_relations(info, criteria)
    else:
        criteria = [_through_relations(info, c) for c in criteria]
    cond = compile_where(info, criteria)
    if cond is None:
        raise empty
    return cond


def _through_relations(info: EntityInfo, where: Mapping[str, Any]) -> dict[str, Any]:
    """A criteria mapping as TypeORM's update and delete builders read it: they join
    nothing, so a related entity given by the key its foreign key references (``author:
    {id: 1}``) is that foreign key (the rest of it ignored), any other condition through
    a relation fails as TypeORM fails, and an empty one is no condition."""
    out: dict[str, Any] = {}
    for key, value in where.items():
        if str(key) not in info.relations or not isinstance(value, Mapping | list | tuple):
            out[key] = value
            continue
        if not value:
            continue
        pairs = _reference_keys(info, str(key))
        if isinstance(value, Mapping) and pairs and all(value.get(r) for _, r in pairs):
            out.update({lkey: value[rkey] for lkey, rkey in pairs})
            continue
        raise UnsupportedFindOptions(f"Cannot find alias for relation at {key}")
    return out


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
    if not set(value) <= set(target.primary):
        return False
    pairs = _reference_keys(info, key)
    if pairs is None or any(rkey not in value for _, rkey in pairs):
        return False
    for lkey, rkey in pairs:
        setattr(obj, lkey, value[rkey])
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
    target = entity_info(info.relations[key].mapper.class_)
    if not isinstance(value, target.cls):
        return False
    state = inspect(value)
    held = {k: v for k, v in state.dict.items() if k in target.columns or k in target.relations}
    if not state.transient or not held or not set(held) <= set(target.primary):
        return False
    pairs = _reference_keys(info, key)
    return pairs is not None and all(
        rkey in held and given.get(lkey) == held[rkey] for lkey, rkey in pairs
    )


def _fill(info: EntityInfo, obj: Any, data: Mapping[str, Any], prefix: str) -> None:
    for key, value in data.items():
        path = f"{prefix}_{key}" if prefix else info.attribute(key)
        if path in info.columns:
            setattr(obj, path, coerce_value(value, info.columns[path]))
        elif not prefix and key in info.relations:
            target = info.relations[key].mapper.class_
            if value is None and info.relations[key].uselist:
                continue  # TypeORM's save leaves a null collection as it is
            # set as loaded, so that no back reference is filled in (TypeORM's create
            # sets the property given and nothing on the other side)
            if value is None:
                set_committed_value(obj, key, None)
            elif info.relations[key].uselist:  # an inverse one-to-one is one entity
                set_committed_value(obj, key, [create(target, v) for v in value])
            else:
                _set_reference(info, obj, key, value)
                set_committed_value(obj, key, create(target, value))
        elif path in info.prefixes and isinstance(value, Mapping):
            _fill(info, obj, value, path)
        else:
            raise UnknownProperty(f'create: Property "{path}" was not found in "{info.name}".')
