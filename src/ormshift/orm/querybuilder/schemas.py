"""The schema each table of a builder's own SQL text is written in.

The select, update, delete and soft-delete builders send text they write themselves
(``exec_driver_sql``), which SQLAlchemy's ``schema_translate_map`` never rewrites: it
rewrites compiled constructs only. So the builders apply it themselves, as SQLAlchemy's
compiler does (``IdentifierPreparer._render_schema_translates``): a table of schema
``s`` is written in ``map[s]`` when ``s`` is a key, else in ``s``; a table without a
schema is qualified only when ``None`` is a key; a translation to ``None`` names the
dialect's default schema. The map is the one of the connection the statement runs
on: the transaction's, else the manager's bind (the engine the autocommit session
connects with), read when the text is written (a subquery's text when it is added).

The map in force becomes part of the builder's expression map (`ExpressionMap.schemas`,
pairs in the map's order), and so of the text cache's key (`text_cache`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from ormshift.orm.querybuilder.names import escape

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["SchemaMap", "in_force", "table_sql"]

#: (schema as the model names it, schema written), the map's items in its order
SchemaMap = tuple[tuple[str | None, str | None], ...]


def _options(manager: EntityManager) -> tuple[Any, Any]:
    """The execution options and dialect of the connection ``manager``'s next statement
    runs on."""
    session = manager._session
    if session is not None:
        connection = session.connection()
        return connection.get_execution_options(), connection.dialect
    bind = manager._autocommit.kw.get("bind")
    if isinstance(bind, Engine | Connection):
        return bind.get_execution_options(), bind.dialect
    return {}, None


def in_force(manager: EntityManager) -> SchemaMap:
    """The ``schema_translate_map`` of ``manager``'s next statement, translations to
    ``None`` resolved to the dialect's default schema; () when there is none."""
    options, dialect = _options(manager)
    found = options.get("schema_translate_map")
    if not found:
        return ()
    default = getattr(dialect, "default_schema_name", None)
    return tuple((source, target or default) for source, target in found.items())


def table_sql(table: Table, schemas: SchemaMap = ()) -> str:
    """``"schema"."table"`` (or ``"table"``) as the statement must name ``table``."""
    name = escape(table.name)
    schema = table.schema
    if schemas:
        mapped = dict(schemas)
        if schema is not None or None in mapped:
            schema = mapped.get(schema, schema)
    return f"{escape(schema)}.{name}" if schema else name
