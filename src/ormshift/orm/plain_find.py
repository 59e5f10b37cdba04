"""Plain finds: one entity's own columns, run on the driver's cursor and made into
entities without the ORM's per-query machinery.

A find outside a transaction that asks for no relations, selects every column and takes
no lock, on an entity whose relations are all lazy, loads nothing but the entity's
columns. Through the ORM that costs a ``Session`` (opened and closed per call), the
execution context, a result object, and per row the identity map and loader
bookkeeping; and the session's close detaches every entity again before the call
returns. Here the cached statement's SQL is compiled once per shape of options and sent
on the driver's cursor, and each row becomes an instance as SQLAlchemy's loader makes
one (``ClassManager.new_instance``, the identity key, the load path, the column values
after the type's result processor) in the state the generic path returns it: detached,
every column loaded, nothing modified, relations left to their lazy loader. Rows of one
identity come back once, as ``unique()`` gives them.

Anything this does not mirror goes the generic way: a tree's entity (its virtual
columns are left out of the entities, `shape`), a mapper with inheritance,
polymorphic loading, ``always_refresh``, deferred or expression columns, eager
relations, or ``load``/``refresh`` listeners; a session class with listeners; an
engine with echo or execution listeners; parameters that need expanding (``In``) or
that a bind processor rejects (SQLAlchemy then raises what it raises).

The checks of listeners run on every call, so that one added later is heeded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Select
from sqlalchemy.orm.attributes import instance_dict, instance_state
from sqlalchemy.orm.exc import UnmappedColumnError

from ormshift.orm.guard import engine_watched as watched
from ormshift.orm.guard import session_watched
from ormshift.orm.internals import adopt_loaded, bind_processors, path_registry, result_columns
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.options import FindOptions
from ormshift.orm.write_cache import cursor_rows

__all__ = ["clear", "is_plain", "load", "session_watched", "watched"]

_LIMIT = 2048
_LOCK = threading.Lock()
_NONE = object()
_COLUMN_STRATEGY = (("deferred", False), ("instrument", True))


@dataclass
class _Plan:
    sql: str
    compiled: Any  # SQLCompiler
    keys: tuple[str, ...]  # the attribute of each result column
    pk: tuple[int, ...]  # positions of the primary key columns
    types: tuple[Any, ...]  # of the result columns
    identity_class: type[Any]
    load_path: Any
    partial_pks: bool
    binds: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # (position, result processor) of the columns that have one, decided by the first
    # result's column types, as SQLAlchemy decides them once per compiled statement
    processors: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


_PLANS: dict[tuple[Any, ...], _Plan | None] = {}


def is_plain(info: EntityInfo, opts: FindOptions) -> bool:
    """Options whose statement loads nothing but ``info``'s own columns."""
    return (
        not (opts.relations or opts.select or opts.lock or info.virtual)
        and info.lazy_relations_only
    )


def _plain_mapper(info: EntityInfo) -> bool:
    mapper = info.mapper
    if (
        mapper.inherits is not None
        or mapper.polymorphic_on is not None
        or mapper.polymorphic_map
        or mapper.with_polymorphic is not None
        or mapper.always_refresh
    ):
        return False
    for prop in mapper.column_attrs:
        if (
            prop.deferred
            or prop.strategy_key != _COLUMN_STRATEGY
            or len(prop.columns) != 1
            or not isinstance(prop.columns[0], Column)
        ):
            return False
    return info.lazy_relations_only


def _make_plan(info: EntityInfo, stmt: Select[Any], dialect: Any) -> _Plan | None:
    """How to run ``stmt`` and read its rows; None when it is not a plain find."""
    if not _plain_mapper(info):
        return None
    mapper = info.mapper
    compiled: Any = stmt.compile(dialect=dialect)
    if (
        compiled.positional
        or compiled.post_compile_params
        or compiled.literal_execute_params
        or compiled.escaped_bind_names
        or getattr(compiled, "_render_postcompile", False)
    ):
        return None
    keys: list[str] = []
    types: list[Any] = []
    for _keyname, _name, objects, type_ in result_columns(compiled):
        col = objects[0] if objects else None
        if not isinstance(col, Column):
            return None
        try:
            prop = mapper.get_property_by_column(col)
        except UnmappedColumnError:
            return None
        if prop.columns[0] is not col:
            return None
        keys.append(prop.key)
        types.append(type_)
    expected = {prop.key for prop in mapper.column_attrs}
    if len(keys) != len(expected) or set(keys) != expected:
        return None
    pk = tuple(keys.index(mapper.get_property_by_column(c).key) for c in mapper.primary_key)
    identity = mapper.identity_key_from_primary_key((None,) * len(pk))
    processors = bind_processors(compiled)
    binds = {
        name: proc
        for name, proc in processors.items()
        if not isinstance(proc, tuple)  # (a tuple: processors of a tuple's items)
    }
    if len(binds) != len(processors):
        return None
    return _Plan(
        sql=compiled.string,
        compiled=compiled,
        keys=tuple(keys),
        pk=pk,
        types=tuple(types),
        identity_class=identity[0],
        load_path=path_registry(mapper),
        partial_pks=bool(mapper.allow_partial_pks),
        binds=binds,
    )


def _plan(key: tuple[Any, ...], info: EntityInfo, stmt: Select[Any], dialect: Any) -> _Plan | None:
    dkey = (dialect.name, dialect.driver, dialect.server_version_info, key)
    found = _PLANS.get(dkey, _NONE)
    if found is _NONE:
        found = _make_plan(info, stmt, dialect)
        with _LOCK:
            if len(_PLANS) >= _LIMIT:
                _PLANS.clear()
            _PLANS[dkey] = found
    return found  # type: ignore[return-value]


def _processors(
    plan: _Plan, description: Sequence[Any], dialect: Any
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """The result processor of each column that has one, with its position."""
    out = []
    for i, (type_, column) in enumerate(zip(plan.types, description, strict=True)):
        proc = type_.dialect_impl(dialect).result_processor(dialect, column.type_code)
        if proc is not None:
            out.append((i, proc))
    return tuple(out)


def load(
    connect: Callable[[], Any],
    key: tuple[Any, ...],
    info: EntityInfo,
    stmt: Select[Any],
    params: dict[str, Any],
    dialect: Any,
) -> list[Any] | None:
    """The entities ``stmt`` finds, or None when this find must go the generic way.

    ``connect`` is a context manager giving a connection for this call (the manager's,
    which translates errors and counts pool timeouts)."""
    events = info.mapper.class_manager.dispatch
    if events.load or events.refresh:
        return None
    plan = _plan(key, info, stmt, dialect)
    if plan is None:
        return None
    try:
        bound = plan.compiled.construct_params(params)
        for name, proc in plan.binds.items():
            if name in bound:
                bound[name] = proc(bound[name])
    except Exception:  # SQLAlchemy raises it, wrapped, on the generic path
        return None
    with connect() as connection:
        describe = plan.processors is None
        rows, description, _ = cursor_rows(
            connection, plan.sql, bound, fetch=True, describe=describe
        )
    procs = plan.processors
    if procs is None:
        procs = plan.processors = _processors(plan, description, dialect)
    return _entities(info, plan, rows, procs)


def _entities(
    info: EntityInfo,
    plan: _Plan,
    rows: list[tuple[Any, ...]],
    procs: tuple[tuple[int, Callable[[Any], Any]], ...],
) -> list[Any]:
    new_instance = info.mapper.class_manager.new_instance
    keys, identity_class, load_path = plan.keys, plan.identity_class, plan.load_path
    pk = itemgetter(*plan.pk)
    single = len(plan.pk) == 1
    seen: dict[Any, Any] = {}
    out: list[Any] = []
    for raw in rows:
        row: Sequence[Any] = raw
        if procs:
            row = list(raw)
            for i, proc in procs:
                row[i] = proc(row[i])
        ident = (pk(row),) if single else pk(row)
        if (ident[0] is None) if single else _no_key(ident, plan.partial_pks):
            # the ORM gives None for a row without a primary key
            if None not in seen:
                seen[None] = None
                out.append(None)
            continue
        identity_key = (identity_class, ident, None)
        if identity_key in seen:
            continue
        obj = new_instance()
        adopt_loaded(instance_state(obj), identity_key, load_path)
        instance_dict(obj).update(zip(keys, row, strict=True))
        seen[identity_key] = obj
        out.append(obj)
    return out


def _no_key(ident: tuple[Any, ...], partial: bool) -> bool:
    """No identity, as the mapper sees it: every value None, or (without partial
    primary keys allowed) any."""
    return all(v is None for v in ident) if partial else None in ident


def clear() -> None:
    with _LOCK:
        _PLANS.clear()
