"""A builder's statement text, written once per shape, as the find path's statements are
(`ormshift.orm.cache`).

Writing a SELECT (`sql.query_text`) and rendering it (`expressions.render`: property
paths to columns, parameters to binds) walk the whole text character by character: for
a page of entities with a join, about as long as sending it. Both depend on the
expression map's structure and on which parameters it has (and how many items each
list has, for ``:...name``), never on the parameters' values: the text and, per driver
parameter, the builder parameter (and list item) it holds are kept under that shape,
and each call only binds its values.

The shape is every field of the expression map (new fields count without being named
here) but its parameters' values and what the terminals read after the statement: an
alias's entity counts by its class. A map holding anything else (a value that is no
plain data) is not cached, and is written afresh each time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.expressions import Binds, items_of
from ormshift.orm.querybuilder.run import node_pg_param
from ormshift.orm.querybuilder.state import Alias, ExpressionMap, Join, Selection, Where

__all__ = ["clear", "rendered", "shape_of"]

_LIMIT = 1024
_LOCK = threading.Lock()
#: fields that do not reach the text: values, the optimistic lock's expected version,
#: find options (run by their own compiler), the relation ids loaded afterwards
_NOT_TEXT = frozenset({"parameters", "lock_version", "find_options", "relation_ids"})
_PLAIN = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class _Text:
    sql: str
    #: per driver parameter, in order: (its name, the builder parameter's key, the item
    #: of its list for ``:...key``, else None)
    binds: tuple[tuple[str, str, int | None], ...]


_TEXTS: dict[tuple[Any, ...], _Text] = {}
_FIELDS: dict[type[Any], tuple[str, ...]] = {}


class _Unkeyed(Exception):
    """A value with no stable key: the map is written afresh."""


def _names(cls: type[Any]) -> tuple[str, ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return found


def _frozen(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    kind = type(value)
    fast = _FAST.get(kind)
    if fast is not None:
        return fast(value)
    if isinstance(value, EntityInfo):
        return value.cls
    if isinstance(value, list | tuple):
        return tuple([_frozen(v) for v in value])
    if isinstance(value, dict):
        return tuple([(k, _frozen(v)) for k, v in value.items()])
    if is_dataclass(value) and not isinstance(value, type):
        return (kind, *[_frozen(getattr(value, n)) for n in _names(kind)])
    raise _Unkeyed


def _alias(a: Alias) -> Any:
    return (a.name, a.kind, None if a.info is None else a.info.cls, a.subquery, a.table)


def _where(w: Where) -> Any:
    c = w.condition
    return (w.type, c if isinstance(c, str) else _frozen(c))


def _join(j: Join) -> Any:
    return (
        j.direction,
        _alias(j.alias),
        j.parent,
        j.relation,
        j.condition,
        j.map_to,
        j.map_many,
        j.junction,
    )


#: the state's own classes, frozen field by field (tests/unit/test_orm_querybuilder.py
#: checks these name every field)
_FAST: dict[type[Any], Callable[[Any], Any]] = {
    Alias: _alias,
    Where: _where,
    Join: _join,
    Selection: lambda s: s,  # frozen: hashable as it is
    list: lambda v: tuple([_frozen(x) for x in v]),
}


def shape_of(em: ExpressionMap) -> tuple[Any, ...] | None:
    """What the text of ``em`` depends on, or None when it cannot be keyed."""
    try:
        return tuple(_frozen(getattr(em, n)) for n in _names(ExpressionMap) if n not in _NOT_TEXT)
    except _Unkeyed:
        return None


def _signature(params: Mapping[str, Any]) -> tuple[tuple[str, int | None], ...]:
    """The parameters' names and, for lists, their lengths (``:...key`` writes one bind
    per item)."""
    return tuple(
        (k, len(v) if isinstance(v, list | tuple | set) else None) for k, v in params.items()
    )


def rendered(
    kind: str,
    em: ExpressionMap,
    params: Mapping[str, Any],
    write: Callable[[Binds], str],
) -> tuple[str, dict[str, Any]]:
    """The driver SQL ``write`` renders for ``em`` with ``params``, and its values;
    written once per (``kind``, shape of ``em``, parameter signature)."""
    shape = shape_of(em)
    key = None if shape is None else (kind, shape, _signature(params))
    found = _TEXTS.get(key) if key is not None else None
    if found is None:
        binds = Binds(origins={})
        sql = write(binds)
        assert binds.origins is not None
        if key is not None and len(binds.origins) == len(binds.values):
            made = _Text(sql, tuple((name, *binds.origins[name]) for name in binds.values))
            with _LOCK:
                if len(_TEXTS) >= _LIMIT:
                    _TEXTS.clear()
                _TEXTS[key] = made
        return sql, binds.values
    values = {}
    for name, param, item in found.binds:
        value = params[param]
        values[name] = node_pg_param(value if item is None else items_of(value)[item])
    return found.sql, values


def clear() -> None:
    with _LOCK:
        _TEXTS.clear()
