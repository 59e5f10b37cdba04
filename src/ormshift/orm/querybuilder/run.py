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
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["Fetched", "fetch", "node_pg_value", "stream"]

_INT8, _NUMERIC, _DATE = 20, 1700, 1082
_INT8_ARRAY, _NUMERIC_ARRAY, _DATE_ARRAY = 1016, 1231, 1182


def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        # node-postgres: a Date at local midnight (new Date(y, m, d))
        return datetime.datetime(value.year, value.month, value.day)
    if isinstance(value, Decimal | int):
        return str(value)
    return value


def node_pg_value(value: Any, oid: int | None) -> Any:
    """``value`` as node-postgres gives a column of type ``oid``."""
    if oid in (_INT8, _NUMERIC, _DATE):
        return _text(value)
    if oid in (_INT8_ARRAY, _NUMERIC_ARRAY, _DATE_ARRAY) and isinstance(value, list):
        return [node_pg_value(v, oid - 1000 if oid != _DATE_ARRAY else _DATE) for v in value]
    return value


class Fetched:
    """Rows by result key, the OID of each key, and the dialect (for processors)."""

    def __init__(self, rows: list[dict[str, Any]], oids: dict[str, int], dialect: Any) -> None:
        self.rows = rows
        self.oids = oids
        self.dialect = dialect
        self._procs: dict[str, Callable[[Any], Any] | None] = {}

    def raw(self) -> list[dict[str, Any]]:
        oids = self.oids
        return [{k: node_pg_value(v, oids.get(k)) for k, v in row.items()} for row in self.rows]

    def process(self, label: str, value: Any, col_type: Any) -> Any:
        """The value an entity holds for ``label``'s driver value."""
        if label not in self._procs:
            impl = col_type.dialect_impl(self.dialect)
            self._procs[label] = impl.result_processor(self.dialect, self.oids.get(label))
        proc = self._procs[label]
        return value if proc is None or value is None else proc(value)


def stream(
    manager: EntityManager, sql: str, values: dict[str, Any], batch: int = 1000
) -> Iterator[dict[str, Any]]:
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


def fetch(manager: EntityManager, sql: str, values: dict[str, Any]) -> Fetched:
    """``sql`` (psycopg's ``%(name)s`` style) run with ``values``."""
    with manager._scope() as session:  # the manager's own unit of work
        connection = session.connection()
        result = connection.exec_driver_sql(sql, values)
        description = result.cursor.description or []
        names = [str(d[0]) for d in description]
        oids: dict[str, int] = {str(d[0]): d[1] for d in description}  # type: ignore[misc]
        rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        return Fetched(rows, oids, connection.dialect)
