"""Find statements built once per shape of find options, then reused with new values.

Building a SQLAlchemy ``Select`` from find options costs more than running it. The
shape of the options (names, operators, order, relations, select, paging, lock), with
every value left out, is the key; the values are collected, in the order the builder
binds them, into parameters ``w0``, ``w1``, ... of the cached statement. Options that
cannot be cached (``Raw`` SQL, a ``None`` that must raise) are built every time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select

from ormshift.orm.errors import FindOptionsError
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.operators import FindOperator
from ormshift.orm.options import FindOptions
from ormshift.orm.query import find_statement
from ormshift.orm.transformers import transformers_of
from ormshift.orm.values import coerce_value
from ormshift.orm.where import BINDS, COUNT_KINDS, Binds, count_value

__all__ = ["cached_find", "cached_find_statement", "clear"]

_LIMIT = 2048
_CACHE: dict[tuple[Any, ...], Select[Any]] = {}
_LOCK = threading.Lock()
_ONE_VALUE = frozenset(
    {
        "lessThan",
        "lessThanOrEqual",
        "moreThan",
        "moreThanOrEqual",
        "like",
        "ilike",
        "any",
        "arrayContains",
        "arrayContainedBy",
        "arrayOverlap",
        "jsonContains",
    }
)


class _Uncacheable(Exception):
    pass


def _operator(value: Any, shape: list[Any], values: list[Any], col: Any = None) -> None:
    """Mirror of `where.compile_operator`: the values it binds, in its order, as
    `values.coerce_value` makes them for ``col``."""
    if value is None:
        raise _Uncacheable
    if not isinstance(value, FindOperator):
        shape.append("v")
        values.append(coerce_value(value, col))
        return
    kind, arg = value.kind, value.value
    shape.append(kind)
    if kind == "not":
        if isinstance(arg, FindOperator):
            _operator(arg, shape, values, col)
        else:
            shape.append("v")
            values.append(coerce_value(arg, col))
    elif kind == "equal":
        _operator(arg, shape, values, col)
    elif kind in _ONE_VALUE:
        if isinstance(arg, FindOperator):
            raise _Uncacheable
        if kind == "any":
            if transformers_of(col):
                raise _Uncacheable  # the whole array through the transformers
            items = [coerce_value(v, col) for v in arg]
            if len({type(v) for v in items}) > 1:
                raise _Uncacheable  # mixed items: the builder binds them one by one
            values.append(items)
        elif kind in ("arrayContains", "arrayContainedBy", "arrayOverlap"):
            values.append(list(arg))
        else:
            values.append(arg if kind in ("like", "ilike") else coerce_value(arg, col))
    elif kind == "between":
        values.extend(coerce_value(v, col) for v in arg)
    elif kind == "in":
        if arg:
            values.append([coerce_value(v, col) for v in arg])
        else:
            shape.append("empty")
    elif kind == "isNull":
        pass
    elif kind in ("and", "or"):
        shape.append(len(arg))
        for item in arg:
            _operator(item, shape, values, col)
    else:  # raw, or unknown (the builder says what is wrong)
        raise _Uncacheable
    shape.append(")")


def _where(
    info: EntityInfo, where: Any, shape: list[Any], values: list[Any], prefix: str = ""
) -> None:
    """Mirror of `where.compile_where`."""
    if where is None:
        shape.append("none")
        return
    if isinstance(where, list | tuple):
        shape.append(("or", len(where)))
        for item in where:
            _where(info, item, shape, values)
        return
    if not isinstance(where, Mapping):
        raise _Uncacheable
    shape.append("{")
    for key, value in where.items():
        kind, path = info.resolve(prefix, str(key))
        shape.append(path)
        if kind == "column":
            _operator(value, shape, values, info.columns[path])
        elif kind == "embedded":
            if not isinstance(value, Mapping):
                raise _Uncacheable
            _where(info, value, shape, values, path)
        elif value is None:
            raise _Uncacheable
        elif isinstance(value, FindOperator) and value.kind in COUNT_KINDS:
            shape.append(("count", value.kind))
            try:
                values.append(count_value(value.value, path))
            except FindOptionsError:
                raise _Uncacheable from None  # the builder says what is wrong
        elif isinstance(value, FindOperator):
            _operator(value, shape, values)
        elif isinstance(value, Mapping) and not value:
            shape.append("{}")
        else:
            _where(info.target(path), value, shape, values)
    shape.append("}")


def _frozen(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=repr)


def cached_find_statement(
    info: EntityInfo, opts: FindOptions
) -> tuple[Select[Any], dict[str, Any]]:
    """The find statement for ``opts`` and the parameters to run it with."""
    stmt, params, _ = cached_find(info, opts)
    return stmt, params


def cached_find(
    info: EntityInfo, opts: FindOptions
) -> tuple[Select[Any], dict[str, Any], tuple[Any, ...] | None]:
    """The find statement for ``opts``, its parameters and its key in the cache (None:
    built for this call only)."""
    shape: list[Any] = []
    values: list[Any] = []
    try:
        _where(info, opts.where, shape, values)
    except _Uncacheable:
        return find_statement(info, opts), {}, None
    key = (
        info.cls,
        tuple(shape),
        _frozen(opts.order),
        _frozen(opts.relations),
        _frozen(opts.select),
        opts.skip,
        opts.take,
        opts.with_deleted,
        _frozen(opts.lock),
        opts.relation_load_strategy,
        opts.load_eager_relations,
    )
    params = {f"w{i}": v for i, v in enumerate(values)}
    stmt = _CACHE.get(key)
    if stmt is not None:
        return stmt, params, key
    binds = Binds()
    token = BINDS.set(binds)
    try:
        stmt = find_statement(info, opts)
    finally:
        BINDS.reset(token)
    if binds.count != len(values):  # the two walks disagree: never reuse this one
        return find_statement(info, opts), {}, None
    with _LOCK:
        if len(_CACHE) >= _LIMIT:
            _CACHE.clear()
        _CACHE[key] = stmt
    return stmt, params, key


def clear() -> None:
    with _LOCK:
        _CACHE.clear()
