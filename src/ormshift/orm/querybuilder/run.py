"""Running a builder's SQL: one statement on the manager's session (its transaction's,
or one for this call), rows as the driver gives them.

Raw rows (``get_raw_*``) hold the values TypeORM's PostgreSQL driver (node-postgres)
returns, by the column's type OID: ``bigint`` and ``numeric`` as text (``COUNT(*)`` is
``"3"``), ``date`` as a naive ``datetime`` at midnight (node-postgres's local-midnight
``Date``), the rest as psycopg reads them (numbers,
booleans, ``datetime`` for timestamps, decoded JSON, lists for arrays). Entities hold
what a find gives: the driver's value through the column type's result processor.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from ormshift.orm.guard import connection_watched
from ormshift.orm.intervals import node_pg_interval
from ormshift.orm.write_cache import cursor_rows

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["Fetched", "Run", "fetch", "node_pg_param", "node_pg_value", "reader", "stream"]

_INT8, _NUMERIC, _DATE = 20, 1700, 1082
_INT8_ARRAY, _NUMERIC_ARRAY, _DATE_ARRAY = 1016, 1231, 1182
_INTERVAL, _POINT, _CIRCLE = 1186, 600, 718
_TEXT = frozenset((_INT8, _NUMERIC, _DATE))
#: the types whose values `node_pg_value` changes
_CONVERTED = frozenset(
    (_INT8, _NUMERIC, _DATE, _INT8_ARRAY, _NUMERIC_ARRAY, _DATE_ARRAY, _INTERVAL, _POINT, _CIRCLE)
)


def _text(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is Decimal:
        return str(value)
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        # node-postgres: a Date at local midnight (new Date(y, m, d))
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, Decimal | int):
        return str(value)
    return value


def _floats(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"[-+0-9.eE]+|Infinity|NaN", text)]


def node_pg_value(value: Any, oid: int | None) -> Any:
    """``value`` as node-postgres gives a column of type ``oid``."""
    if oid in _TEXT:
        return _text(value)
    if oid == _INTERVAL and isinstance(value, datetime.timedelta):
        return node_pg_interval(value)
    if oid == _POINT and isinstance(value, str):
        x, y = _floats(value)
        return {"x": x, "y": y}
    if oid == _CIRCLE and isinstance(value, str):
        x, y, radius = _floats(value)
        return {"x": x, "y": y, "radius": radius}
    if oid in (_INT8_ARRAY, _NUMERIC_ARRAY, _DATE_ARRAY) and isinstance(value, list):
        return [node_pg_value(v, oid - 1000 if oid != _DATE_ARRAY else _DATE) for v in value]
    return value


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list | tuple):
        return _array(value)
    if isinstance(value, bytes):
        return '"\\\\x' + value.hex() + '"'
    text = str(node_pg_param(value))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(values: list[Any] | tuple[Any, ...]) -> str:
    return "{" + ",".join(_array_item(v) for v in values) + "}"


def node_pg_param(value: Any) -> Any:
    """A parameter as node-postgres sends it: text PostgreSQL reads as the type the
    query gives it (numbers, booleans, dates written out; a list as an array literal,
    an object as JSON); bytes and None as they are. psycopg binds a ``str`` untyped, so
    ``genre = '1'`` and ``pages > '400'`` resolve as in TypeORM."""
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, enum.Enum):
        return node_pg_param(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return _array(value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return value


class Fetched:
    """Rows by result key, the OID of each key, and the dialect (for processors)."""

    def __init__(self, rows: list[dict[str, Any]], oids: dict[str, int], dialect: Any) -> None:
        self.rows = rows
        self.oids = oids
        self.dialect = dialect
        self._procs: dict[str, Callable[[Any], Any] | None] = {}

    def raw(self) -> list[dict[str, Any]]:
        # only the keys whose type node-postgres gives otherwise than psycopg are
        # converted (node_pg_value leaves every other value as it is)
        special = [
            (k, _text if oid in _TEXT else partial(node_pg_value, oid=oid))
            for k, oid in self.oids.items()
            if oid in _CONVERTED
        ]
        out = []
        for row in self.rows:
            made = dict(row)
            for key, convert in special:
                if key in made:
                    made[key] = convert(made[key])
            out.append(made)
        return out

    def processor(self, label: str, col_type: Any) -> Callable[[Any], Any] | None:
        """The function making ``label``'s driver value the value an entity holds (the
        column type's result processor), None when it is the value itself."""
        if label not in self._procs:
            impl = col_type.dialect_impl(self.dialect)
            self._procs[label] = impl.result_processor(self.dialect, self.oids.get(label))
        return self._procs[label]


def stream(
    manager: EntityManager, sql: str, values: dict[str, Any], batch: int = 1000
) -> Generator[dict[str, Any]]:
    """Raw rows of ``sql`` from a server-side cursor, ``batch`` at a time (memory bounded
    by the batch, not the result); outside a transaction in one of its own, which a
    server-side cursor needs."""
    with manager._scope(atomic=True) as session:
        options = {"stream_results": True, "yield_per": batch}
        result = session.connection().exec_driver_sql(sql, values, execution_options=options)
        description = result.cursor.description or []
        names = [str(d[0]) for d in description]
        oids: dict[str, int] = {str(d[0]): d[1] for d in description}  # type: ignore[misc]
        for row in result:
            yield {k: node_pg_value(v, oids.get(k)) for k, v in zip(names, row, strict=True)}


def _described(rows: list[Any], description: Any, dialect: Any) -> Fetched:
    names = [str(d[0]) for d in description or []]
    oids: dict[str, int] = {str(d[0]): d[1] for d in description or []}
    return Fetched([dict(zip(names, row, strict=True)) for row in rows], oids, dialect)


#: runs one statement on the connection a `reader` holds
Run = Callable[[str, dict[str, Any]], Fetched]


def _direct(connection: Any, sql: str, values: dict[str, Any]) -> Fetched:
    rows, description, _ = cursor_rows(connection, sql, values, fetch=True, describe=True)
    return _described(rows, description, connection.dialect)


def _through(connection: Any, sql: str, values: dict[str, Any]) -> Fetched:
    result = connection.exec_driver_sql(sql, values)
    description = result.cursor.description
    return _described(result.fetchall(), description, connection.dialect)


@contextmanager
def reader(manager: EntityManager) -> Iterator[Run]:
    """One connection for a terminal's statements (TypeORM's query runner for one
    ``getMany``): statements (psycopg's ``%(name)s`` style) go to the driver's cursor
    when nobody could tell (`guard`: no echo, no statement or session listeners), as
    plain finds and cached writes do; else through the session's connection."""
    connect = manager._direct_connect()
    if connect is not None:
        with connect() as connection:
            yield partial(_direct, connection)
        return
    with manager._scope() as session:  # the manager's own unit of work
        connection = session.connection()
        yield partial(_through if connection_watched(connection) else _direct, connection)


def fetch(manager: EntityManager, sql: str, values: dict[str, Any]) -> Fetched:
    """``sql`` run with ``values`` on a connection of its own (`reader`)."""
    with reader(manager) as run:
        return run(sql, values)
