"""Declared SQL expressions rewritten into the server's own deparsed form.

TypeORM declares ``"rating" BETWEEN 1 AND 5``; PostgreSQL stores and shows
``((rating >= 1) AND (rating <= 5))``. No text rule makes those equal, so we ask the
server: inside a transaction that is always rolled back, each declared default, check,
partial-index predicate and generation expression is attached to a temporary copy of its
table and read back.
The expressions come from the manifest (the project's own entity code, which TypeORM
runs as SQL too), never from a command line.
"""

from __future__ import annotations

import dataclasses

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.manifest import Check, Column, Index, Manifest, Table

_SCRATCH = "ormshift_canon"


def _exists(cur: psycopg.Cursor[tuple[object, ...]], schema: str, table: str) -> bool:
    return catalog.table_exists(cur.connection, schema, table)


def _canon_generated(cur: psycopg.Cursor[tuple[object, ...]], col: Column) -> Column:
    """``col``'s generation expression as the server shows it: a stored generated column
    of its type added to the scratch table and read back (then dropped)."""
    expression = col.generated_expression or ""
    fmt = catalog.column_formats(cur.connection, _SCRATCH).get(col.name)
    if fmt is None:
        return col
    probe = sql.Identifier(f"{_SCRATCH}_generated")
    cur.execute(
        sql.SQL("alter table {} add column {} {} generated always as ({}) stored").format(
            sql.Identifier(_SCRATCH), probe, sql.SQL(fmt), sql.SQL(expression)
        )
    )
    found = catalog.column_default(cur.connection, _SCRATCH, f"{_SCRATCH}_generated")
    cur.execute(sql.SQL("alter table {} drop column {}").format(sql.Identifier(_SCRATCH), probe))
    return dataclasses.replace(col, generated_expression=found) if found else col


def _canon_table(cur: psycopg.Cursor[tuple[object, ...]], schema: str, table: Table) -> Table:
    scratch = sql.Identifier(_SCRATCH)
    cur.execute(sql.SQL("drop table if exists {}").format(scratch))
    cur.execute(
        sql.SQL("create temp table {} (like {}.{})").format(
            scratch, sql.Identifier(schema), sql.Identifier(table.name)
        )
    )
    columns: list[Column] = []
    for col in table.columns:
        if col.generated_expression is not None:
            columns.append(_canon_generated(cur, col))
            continue
        if col.default is None or col.generation == "increment":
            columns.append(col)
            continue
        cur.execute(
            sql.SQL("alter table {} alter column {} set default {}").format(
                scratch,
                sql.Identifier(col.name),
                sql.SQL(col.default),
            )
        )
        default = catalog.column_default(cur.connection, _SCRATCH, col.name)
        columns.append(dataclasses.replace(col, default=default or col.default))
    checks: list[Check] = []
    for i, chk in enumerate(table.checks):
        name = f"c{i}"
        cur.execute(
            sql.SQL("alter table {} add constraint {} check ({}) not valid").format(
                scratch,
                sql.Identifier(name),
                sql.SQL(chk.expression),
            )
        )
        definition = catalog.constraint_definition(cur.connection, _SCRATCH, name) or ""
        text = definition.removeprefix("CHECK ").removesuffix(" NOT VALID")
        checks.append(dataclasses.replace(chk, expression=text or chk.expression))
    indices: list[Index] = []
    for i, idx in enumerate(table.indices):
        if idx.where is None:
            indices.append(idx)
            continue
        name = f"ormshift_canon_i{i}"
        cur.execute(
            sql.SQL("create index {} on {} ({}) where {}").format(
                sql.Identifier(name),
                scratch,
                sql.SQL(", ").join(sql.Identifier(c) for c in idx.columns),
                sql.SQL(idx.where),
            )
        )
        where = catalog.index_predicate(cur.connection, name)
        indices.append(dataclasses.replace(idx, where=where or idx.where))
    return dataclasses.replace(
        table, columns=tuple(columns), checks=tuple(checks), indices=tuple(indices)
    )


def server_canonical(conn: psycopg.Connection, manifest: Manifest) -> Manifest:
    """``manifest`` with its expressions as the server at ``conn`` would show them.

    Tables that do not exist there are returned unchanged. Nothing is left behind.
    """
    schema = manifest.default_schema
    tables: list[Table] = []
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        for table in manifest.tables:
            if table.kind != "table" or not _exists(cur, table.schema or schema, table.name):
                tables.append(table)
                continue
            tables.append(_canon_table(cur, table.schema or schema, table))
    return dataclasses.replace(manifest, tables=tuple(tables))
