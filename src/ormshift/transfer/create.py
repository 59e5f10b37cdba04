"""``--create-schema``: the target tables the source has and the target lacks, created from
the source's reflected manifest (`ormshift.extract.database.reflect`).

Columns keep their types, defaults, identity, generated expressions and collations; a
``serial`` column becomes ``serial`` again (a sequence of the target's own). Primary keys,
unique, check and foreign-key constraints and indexes keep the source's names. Types,
defaults and expressions are the source server's own text (``format_type``,
``pg_get_expr``), identifiers are quoted. Exclusion constraints and index methods other
than btree and gist are not recreated (a warning says so).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.extract.database import reflect
from ormshift.manifest import Column, ForeignKey, Index, Manifest, Table
from ormshift.transfer.keyset import qualified

_SERIAL = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
_TIME_TYPES = (
    "timestamp with time zone",
    "timestamp without time zone",
    "time with time zone",
    "time without time zone",
)


def _names(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def column_type(col: Column, schema: str) -> sql.Composable:
    """The column's type as the source declares it (``numeric(14,2)``, ``text[]``, an enum)."""
    if col.type == "enum" and col.enum_name:
        base: sql.Composable = sql.Identifier(col.enum_schema or schema, col.enum_name)
    elif col.generation == "increment" and col.type in _SERIAL and not col.array:
        return sql.SQL(_SERIAL[col.type])
    else:
        text = col.type
        if col.type in _TIME_TYPES and col.precision is not None:
            head, _, rest = col.type.partition(" ")
            text = f"{head}({col.precision}) {rest}"
        elif col.length is not None:
            text = f"{col.type}({col.length})"
        elif col.precision is not None and col.scale is not None:
            text = f"{col.type}({col.precision},{col.scale})"
        elif col.precision is not None:
            text = f"{col.type}({col.precision})"
        base = sql.SQL(text)
    return sql.SQL("{}[]").format(base) if col.array else base


def _column_sql(col: Column, schema: str) -> sql.Composable:
    parts: list[sql.Composable] = [sql.Identifier(col.name), column_type(col, schema)]
    if col.collation:
        parts.append(sql.SQL("collate {}").format(sql.Identifier(col.collation)))
    if col.identity:
        parts.append(sql.SQL(f"generated {col.identity.lower()} as identity"))
    elif col.generated_expression:
        parts.append(
            sql.SQL("generated always as ({}) stored").format(sql.SQL(col.generated_expression))
        )
    elif col.default is not None:
        parts.append(sql.SQL("default {}").format(sql.SQL(col.default)))
    if not col.nullable:
        parts.append(sql.SQL("not null"))
    return sql.SQL(" ").join(parts)


def create_table_sql(table: Table, schema: str) -> sql.Composed:
    items: list[sql.Composable] = [_column_sql(c, schema) for c in table.columns]
    if table.primary_key:
        items.append(
            sql.SQL("constraint {} primary key ({})").format(
                sql.Identifier(table.primary_key.name), _names(table.primary_key.columns)
            )
        )
    for u in table.uniques:
        items.append(
            sql.SQL("constraint {} unique ({}){}").format(
                sql.Identifier(u.name),
                _names(u.columns),
                sql.SQL(f" deferrable {u.deferrable.lower()}" if u.deferrable else ""),
            )
        )
    for c in table.checks:
        items.append(
            sql.SQL("constraint {} check ({})").format(
                sql.Identifier(c.name), sql.SQL(c.expression)
            )
        )
    return sql.SQL("create table {} ({})").format(
        qualified(schema, table.name), sql.SQL(", ").join(items)
    )


def foreign_key_sql(table: Table, fk: ForeignKey, schema: str) -> sql.Composed:
    return sql.SQL(
        "alter table {t} add constraint {n} foreign key ({c}) references {r} ({rc})"
        " on delete {d} on update {u}{defer}"
    ).format(
        t=qualified(schema, table.name),
        n=sql.Identifier(fk.name),
        c=_names(fk.columns),
        r=qualified(schema, fk.referenced_table),
        rc=_names(fk.referenced_columns),
        d=sql.SQL(fk.on_delete),
        u=sql.SQL(fk.on_update),
        defer=sql.SQL(f" deferrable {fk.deferrable.lower()}" if fk.deferrable else ""),
    )


def index_sql(table: Table, index: Index, schema: str) -> sql.Composed:
    names = {c.name for c in table.columns}
    return sql.SQL("create {u}index {n} on {t} using {m} ({c}){w}").format(
        u=sql.SQL("unique " if index.unique else ""),
        n=sql.Identifier(index.name),
        t=qualified(schema, table.name),
        m=sql.SQL("gist" if index.spatial else "btree"),
        c=sql.SQL(", ").join(
            sql.Identifier(c) if c in names else sql.SQL("({})").format(sql.SQL(c))
            for c in index.columns
        ),
        w=sql.SQL(f" where {index.where}" if index.where else ""),
    )


def _create_enums(
    target: psycopg.Connection, manifest: Manifest, tables: Sequence[Table], schema: str
) -> None:
    used = {c.enum_name for t in tables for c in t.columns if c.enum_name and not c.enum_schema}
    for enum in manifest.enums:
        if enum.name not in used:
            continue
        if not catalog.type_exists(target, schema, enum.name):
            target.execute(
                sql.SQL("create type {} as enum ({})").format(
                    sql.Identifier(schema, enum.name),
                    sql.SQL(", ").join(sql.Literal(v) for v in enum.values),
                )
            )


def create_missing(
    source: psycopg.Connection,
    target: psycopg.Connection,
    *,
    schema: str,
    target_schema: str,
    only: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Create the source tables the target lacks, in one target transaction.

    Returns the tables created and warnings (what could not be carried over).
    """
    manifest = reflect(source, schema)
    existing = {t.name for t in reflect(target, target_schema).tables}
    wanted = [
        t
        for t in manifest.tables
        if t.kind == "table" and t.name not in existing and (not only or t.name in only)
    ]
    warnings: list[str] = []
    if not wanted:
        return [], warnings
    created = {t.name for t in wanted}
    with target.transaction():
        target.execute(
            sql.SQL("create schema if not exists {}").format(sql.Identifier(target_schema))
        )
        _create_enums(target, manifest, wanted, target_schema)
        for t in wanted:
            target.execute(create_table_sql(t, target_schema))
        for t in wanted:
            for fk in t.foreign_keys:
                if fk.referenced_table in created or fk.referenced_table in existing:
                    target.execute(foreign_key_sql(t, fk, target_schema))
                else:
                    warnings.append(
                        f"foreign key {t.name}.{fk.name} not created: its table is not copied"
                    )
            for index in t.indices:
                target.execute(index_sql(t, index, target_schema))
            warnings.extend(
                f"exclusion constraint {t.name}.{x.name} not created; add it by hand"
                for x in t.exclusions
            )
    return sorted(created), warnings
