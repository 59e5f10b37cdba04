"""Write statements built once per shape and reused with new parameters.

Building a Core ``INSERT``/``UPDATE``/``DELETE`` and its cache key costs more than
sending it. As for finds (`ormshift.orm.cache`), the shape of a write — the entity,
the criteria with every value left out, the columns written — is the key; values are
parameters: ``w0, w1, ...`` in the criteria (the order `cache` collects them), ``v__0,
v__1, ...`` for written values, ``u0, u1, ...`` for the column arrays of a multi-row
insert. Criteria that cannot be cached (``Raw`` SQL, a ``None`` that must raise, empty
ones) are built every time, by `writes.criteria_condition`, which raises what it must.

`run` sends a cached statement that needs no bind or result processing straight to the
driver's cursor, its SQL compiled once; anything else, and anything on a connection
someone watches (echo, execution listeners), goes through ``Connection.execute``.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from sqlalchemy import (
    INTEGER,
    VARCHAR,
    BigInteger,
    BinaryExpression,
    BindParameter,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Unicode,
    UnicodeText,
    Uuid,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ClauseElement

from ormshift.orm.cache import _Uncacheable, _where
from ormshift.orm.errors import OrmError
from ormshift.orm.guard import connection_watched
from ormshift.orm.internals import bind_processors, invalidate_pooled, result_columns
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.options import attribute_keys
from ormshift.orm.values import coerce_value
from ormshift.orm.where import BINDS, Binds
from ormshift.orm.writes import _is_primitive, criteria_condition

__all__ = [
    "Criteria",
    "Written",
    "any_sql",
    "clear",
    "criteria",
    "cursor_rows",
    "is_sql",
    "observed",
    "run",
    "statement",
    "unnest_statement",
]

S = TypeVar("S")

_LIMIT = 2048
_CACHE: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()
_UNNEST_TYPES = (String, Integer, Numeric, Boolean, DateTime, Date, Float, Uuid)


@dataclass(frozen=True)
class Criteria:
    """A condition for update/delete criteria; ``key`` is its shape (None: not cached)."""

    key: tuple[Any, ...] | None
    condition: ColumnElement[bool]
    params: dict[str, Any] = field(default_factory=dict)


_VALUES = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime, datetime.date})


def is_sql(value: Any) -> bool:
    """A SQL expression given as a value: written into the statement, never bound."""
    return type(value) not in _VALUES and (
        isinstance(value, ClauseElement) or hasattr(value, "__clause_element__")
    )


def any_sql(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any value of ``rows`` is a SQL expression (`is_sql`): only a value of a
    type other than the plain ones can be, so their types are looked at first."""
    if _VALUES.issuperset({type(v) for row in rows for v in row.values()}):
        return False
    return any(is_sql(v) for row in rows for v in row.values())


def statement(key: tuple[Any, ...] | None, build: Callable[[], S]) -> S:
    """The statement cached under ``key``, built by ``build`` the first time (every time
    when ``key`` is None)."""
    if key is None:
        return build()
    found = _CACHE.get(key)
    if found is None:
        found = build()
        with _LOCK:
            if len(_CACHE) >= _LIMIT:
                _CACHE.clear()
            _CACHE[key] = found
    return found


def _shape(info: EntityInfo, value: Any) -> tuple[tuple[Any, ...], list[Any]]:
    """The shape of criteria and their values; `_Uncacheable` when they must be built."""
    if _is_primitive(value) or isinstance(value, datetime.date):
        if value == "":
            raise _Uncacheable
        value = coerce_value(value, info.columns[info.primary[0]])
        return ("id", type(value)), [value]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if value and all(_is_primitive(v) for v in value):
            pk = info.columns[info.primary[0]]
            value = [coerce_value(v, pk) for v in value]
            return ("ids", type(value[0]), frozenset(map(type, value))), [value]
        if not value or not all(isinstance(v, Mapping) and v for v in value):
            raise _Uncacheable
    elif not isinstance(value, Mapping) or not value:
        raise _Uncacheable
    for item in value if isinstance(value, Sequence) else [value]:
        if any(_falsy_key(info, k, v) for k, v in item.items()):
            raise _Uncacheable
    shape: list[Any] = []
    values: list[Any] = []
    _where(info, value, shape, values)
    return ("where", tuple(shape)), values


def _falsy_key(info: EntityInfo, key: str, value: Any) -> bool:
    """``{relation: {..., key: 0}}``: whether TypeORM compares the foreign key or
    refuses the criteria depends on the value (JavaScript's truth), not on the shape."""
    if info.attribute(key) not in info.relations or not isinstance(value, Mapping):
        return False
    return any(v in (0, "") or v is False for v in value.values())


def _build(
    info: EntityInfo, value: Any, kind: str, method: str, count: int
) -> ColumnElement[bool] | None:
    """The condition of criteria shaped ``kind`` with parameters ``w0, ...``; None when
    the builder does not bind as expected (the caller then builds it for this call)."""
    if kind == "where":
        binds = Binds()
        token = BINDS.set(binds)
        try:
            cond = criteria_condition(info, value, method)
        finally:
            BINDS.reset(token)
        return cond if binds.count == count else None
    sample = criteria_condition(info, value, method)
    right = sample.right if isinstance(sample, BinaryExpression) else None
    if not isinstance(right, BindParameter) or right.expanding != (kind == "ids"):
        return None
    pk = getattr(info.cls, info.primary[0])
    param = bindparam("w0", type_=right.type, expanding=right.expanding)
    return pk.in_(param) if kind == "ids" else pk == param  # type: ignore[no-any-return]


def criteria(info: EntityInfo, value: Any, method: str) -> Criteria:
    """TypeORM's update/delete criteria as a condition, cached by shape where it can be."""
    value = attribute_keys(info, value)
    try:
        shape, values = _shape(info, value)
    except (_Uncacheable, OrmError):
        return Criteria(None, criteria_condition(info, value, method))
    key = (info.cls, shape)
    params = {f"w{i}": v for i, v in enumerate(values)}
    found = _CACHE.get(key)
    if found is None:
        cond = _build(info, value, shape[0], method, len(values))
        if cond is None:
            return Criteria(None, criteria_condition(info, value, method))
        found = statement(key, lambda: cond)
    return Criteria(key, found, params)


def unnest_statement(stmt: Any, names: Sequence[str]) -> Any:
    """``INSERT ... SELECT * FROM unnest(:u0, :u1, ...)``: one short statement for many
    rows, one array parameter per column (a 100-row VALUES list is long text that the
    driver parses again on every call). Only for scalar column types; None otherwise."""
    table = stmt.table
    cols = [table.c[name] for name in names]
    if any(isinstance(c.type, Enum) or not isinstance(c.type, _UNNEST_TYPES) for c in cols):
        return None
    arrays = [bindparam(f"u{i}", type_=ARRAY(col.type)) for i, col in enumerate(cols)]
    aliases = [f"c{i}" for i in range(len(cols))]
    source = func.unnest(*arrays).table_valued(*aliases).render_derived()
    return stmt.from_select(list(names), select(*(source.c[a] for a in aliases)))


def clear() -> None:
    with _LOCK:
        _CACHE.clear()
        _DIRECT.clear()


@dataclass(frozen=True)
class Written:
    """What a write statement gave back: RETURNING rows (with their names) and rowcount."""

    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    rowcount: int


@dataclass(frozen=True)
class _Direct:
    compiled: Any  # SQLCompiler
    names: tuple[str, ...]  # of the RETURNING columns
    # array parameters psycopg may send in binary, and the element types that allows
    arrays: dict[str, frozenset[type]] = field(default_factory=dict)
    binary: str = ""  # the SQL with those parameters in binary (``%(u0)b``)


# types whose values psycopg binds and returns as SQLAlchemy would (no processors)
_DIRECT_TYPES = (String, Integer, Boolean, DateTime, Date)
_DIRECT: dict[tuple[Any, ...], _Direct | None] = {}
_UNKNOWN = object()
# column arrays (``unnest``) psycopg dumps much faster in binary than in text: only where
# every element is of a type whose binary form PostgreSQL casts as it parses the text
_BINARY_ARRAYS: dict[type, frozenset[type]] = {
    **dict.fromkeys((String, VARCHAR, Text, Unicode, UnicodeText), frozenset({str, type(None)})),
    **dict.fromkeys((Integer, INTEGER, BigInteger, SmallInteger), frozenset({int, type(None)})),
    Boolean: frozenset({bool, type(None)}),
}


def _direct(key: tuple[Any, ...], stmt: Any, dialect: Any) -> _Direct | None:
    """The compiled form of a cached statement, when the driver can run it as is: no
    bind or result processors, nothing rendered at execution time. None otherwise."""
    key = (dialect.name, dialect.driver, dialect.server_version_info, key)
    known = _DIRECT.get(key, _UNKNOWN)
    if known is not _UNKNOWN:
        return known  # type: ignore[return-value]
    compiled = stmt.compile(dialect=dialect)
    columns = result_columns(compiled)
    returned = [c[3] for c in columns]
    plain = (
        all(_list_only(compiled.binds[name].type, dialect) for name in bind_processors(compiled))
        and not compiled.post_compile_params
        and not compiled.literal_execute_params
        and all(
            isinstance(t, _DIRECT_TYPES)
            and not isinstance(t, Enum)
            and t.dialect_impl(dialect).result_processor(dialect, None) is None
            for t in returned
        )
    )
    found = None
    if plain:
        arrays = {
            name: _BINARY_ARRAYS[type(bind.type.item_type)]
            for name, bind in compiled.binds.items()
            if isinstance(bind.type, ARRAY) and type(bind.type.item_type) in _BINARY_ARRAYS
        }
        binary = compiled.string
        for name in arrays:
            binary = binary.replace(f"%({name})s", f"%({name})b")
        names = tuple(c[0] for c in columns)
        found = _Direct(compiled, names, arrays, binary)
    with _LOCK:
        if len(_DIRECT) >= _LIMIT:
            _DIRECT.clear()
        _DIRECT[key] = found
    return found


def _list_only(type_: Any, dialect: Any) -> bool:
    """An array of a type without a bind processor: SQLAlchemy's only processing is
    ``list(value)``, and the values given here are lists already."""
    return isinstance(type_, ARRAY) and (
        type_.item_type.dialect_impl(dialect).bind_processor(dialect) is None
    )


def observed(connection: Any) -> bool:
    """Someone could tell a statement on this connection (`guard.connection_watched`)."""
    return connection_watched(connection)


def run(connection: Any, key: tuple[Any, ...] | None, stmt: Any, params: Any) -> Written:
    """Run a write statement. A cached one (``key``) that needs no processing goes to
    the driver's cursor with its SQL compiled once, skipping SQLAlchemy's per-execution
    work; anything else (and any connection with execution listeners or echo) goes through
    ``Connection.execute``. Driver errors are translated by `errors.translated`."""
    direct = None
    if key is not None and isinstance(params, dict) and not observed(connection):
        direct = _direct(key, stmt, connection.dialect)
    if direct is None:
        result = connection.execute(stmt, params)
        rows = [tuple(r) for r in result] if result.returns_rows else []
        names = tuple(result.keys()) if result.returns_rows else ()
        return Written(names, rows, int(result.rowcount))
    compiled = direct.compiled
    sql = compiled.string
    if direct.arrays and all(
        {type(v) for v in params[name]} <= allowed for name, allowed in direct.arrays.items()
    ):
        sql = direct.binary
    rows, _, rowcount = cursor_rows(
        connection, sql, compiled.construct_params(params), fetch=bool(direct.names)
    )
    return Written(direct.names, rows, rowcount)


def cursor_rows(
    connection: Any, sql: str, params: dict[str, Any], *, fetch: bool, describe: bool = False
) -> tuple[list[Any], Any, int]:
    """``sql`` run on the driver's cursor of ``connection``: the rows (if ``fetch``),
    the cursor's description (if ``describe``, else None) and its rowcount. A connection
    the server dropped is invalidated, as SQLAlchemy does, and the driver's error raised."""
    dbapi = connection.connection.dbapi_connection
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if fetch else []
        return rows, cursor.description if describe else None, int(cursor.rowcount)
    except psycopg.Error as exc:
        # as SQLAlchemy does: a connection the server dropped leaves the pool, and
        # those opened before it are replaced at their next checkout (a restart)
        if connection.dialect.is_disconnect(exc, dbapi, cursor):
            invalidate_pooled(connection, exc)
            connection.invalidate(exc)
        raise
    finally:
        cursor.close()
