"""An entity as a plain record: loaded columns and loaded relations, nothing lazy."""

from __future__ import annotations

from sqlalchemy import inspect

from ormshift.orm.metadata import entity_info

__all__ = ["to_record"]


def to_record(entity: object, _seen: frozenset[int] = frozenset()) -> dict[str, object] | None:
    """``{attribute: value}`` of what is loaded; relations as nested records or lists.

    A single-table instance a find made has the columns of its class (and its
    ancestors) only, as TypeORM's entity of that class has; one the caller made holds
    what it was given."""
    if entity is None:
        return None
    info = entity_info(type(entity))
    state = inspect(entity)
    loaded = state.dict
    out: dict[str, object] = {}
    for key in info.columns:
        if key in loaded:
            out[key] = loaded[key]
    seen = _seen | {id(entity)}
    for key in info.relations:
        if key not in loaded:
            continue
        value = loaded[key]
        if isinstance(value, list):
            out[key] = [to_record(v, seen) for v in value if id(v) not in seen]
        elif value is None or id(value) not in seen:
            out[key] = to_record(value, seen)
    return out
