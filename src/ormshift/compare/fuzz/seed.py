"""Valid seed data made from the manifest: rows for every table in foreign-key order,
tried one by one on a scratch database (a row a CHECK or unique index refuses is left
out), then written as SQL statements with every key explicit, so that both sides and
any scenario file reproduce the same rows and the same sequence positions."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.range import Range

from ormshift.compare.fuzz.schema import FuzzEntity, FuzzSchema, kind_of
from ormshift.compare.fuzz.values import make_value
from ormshift.compare.normalize import pg_range
from ormshift.manifest.model import Column, Table

__all__ = ["Seed", "build_seed"]

_VOLATILE_DEFAULT = ("now", "uuid", "random", "current_", "gen_random")


@dataclass
class Seed:
    statements: list[str]
    #: table -> rows as read back (column name -> Python value)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _order(tables: list[Table]) -> list[Table]:
    by_name = {t.name: t for t in tables}
    done: list[Table] = []
    seen: set[str] = set()

    def visit(t: Table, stack: frozenset[str]) -> None:
        if t.name in seen:
            return
        for fk in t.foreign_keys:
            ref = by_name.get(fk.referenced_table)
            if ref is not None and ref.name != t.name and ref.name not in stack:
                visit(ref, stack | {t.name})
        seen.add(t.name)
        done.append(t)

    for t in tables:
        visit(t, frozenset())
    return done


def _types(conn: psycopg.Connection[Any], table: str) -> dict[str, str]:
    rows = conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
        "where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped",
        (sql.Identifier(table).as_string(conn),),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _members(schema: FuzzSchema, table: str) -> list[FuzzEntity]:
    return [e for e in schema.entities.values() if e.table.name == table]


def _candidate(
    table: Table,
    member: FuzzEntity | None,
    rows: dict[str, list[dict[str, Any]]],
    rng: random.Random,
    n: int,
) -> dict[str, str | None] | None:
    """Column -> SQL text (None = NULL) for one row, or None when a parent is missing."""
    out: dict[str, str | None] = {}
    fk_cols: set[str] = set()
    for fk in table.foreign_keys:
        fk_cols.update(fk.columns)
        parents = rows.get(fk.referenced_table, [])
        nullable = all(table.column(c).nullable for c in fk.columns)
        if not parents or (nullable and rng.random() < 0.25):
            if not nullable:
                return None
            for c in fk.columns:
                out[c] = None
            continue
        parent = rng.choice(parents)
        for c, ref in zip(fk.columns, fk.referenced_columns, strict=True):
            out[c] = None if parent.get(ref) is None else str(parent[ref])
    own = {p.column.name: p for p in member.props} if member else {}
    for col in table.columns:
        if col.name in fk_cols:
            continue
        prop = own.get(col.name)
        if member is not None and member.discriminator and col.name == member.discriminator[0]:
            out[col.name] = member.discriminator[1]
            continue
        if col.identity is not None or col.generation == "increment" or col.generated_expression:
            continue
        if member is not None and prop is None:
            if not col.nullable and col.default is None:
                return None
            continue
        out[col.name] = _column_value(col, prop.role if prop else None, prop, rng, n)
    return out


def _column_value(
    col: Column, role: str | None, prop: Any, rng: random.Random, n: int
) -> str | None:
    if role == "version":
        return "1"
    if role == "delete-date":
        return None if rng.random() < 0.75 else f"2024-0{rng.randrange(1, 9)}-01 00:00:00"
    if col.nullable and role is None and rng.random() < 0.2:
        return None
    kind = prop.kind if prop is not None else kind_of(col)
    if kind is None:
        return None
    labels = prop.enum_values if prop is not None else ()
    return make_value(kind, col, rng, n, labels).sql


def _literal(conn: psycopg.Connection[Any], text: str | None, type_name: str) -> sql.Composable:
    if text is None:
        return sql.SQL("null")
    return sql.SQL("{}::{}").format(sql.Literal(text), sql.SQL(type_name))


def _render(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, datetime.timedelta):
        return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"
    if isinstance(value, Range):
        return pg_range(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{" + ",".join('"' + str(_render(v)).replace('"', '\\"') + '"' for v in value) + "}"
    if isinstance(value, dict):
        import json  # noqa: PLC0415

        return json.dumps(value)
    return str(value)


def build_seed(
    conn: psycopg.Connection[Any], schema: FuzzSchema, rng: random.Random, rows_per_table: int
) -> Seed:
    """Insert seed rows into the (empty, TypeORM-synchronised) database of ``conn``."""
    tables = [t for t in schema.manifest.tables if t.kind == "table"]
    seed = Seed([])
    n = 0
    for table in _order(tables):
        types = _types(conn, table.name)
        members = _members(schema, table.name)
        accepted: list[dict[str, Any]] = []
        for _ in range(rows_per_table + (2 if members else 0)):
            n += 1
            member = rng.choice(members) if members else None
            row = _candidate(table, member, seed.rows, rng, n)
            if row is None:
                continue
            cols = list(row)
            stmt = sql.SQL(
                "insert into {} ({}) overriding system value values ({}) returning *"
            ).format(
                sql.Identifier(table.name),
                sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                sql.SQL(", ").join(_literal(conn, row[c], types[c]) for c in cols),
            )
            if not cols:
                stmt = sql.SQL("insert into {} default values returning *").format(
                    sql.Identifier(table.name)
                )
            try:
                with conn.transaction():
                    cur = conn.execute(stmt)
                    names = [d.name for d in cur.description or []]
                    got = cur.fetchone()
            except psycopg.Error:
                continue
            if got is not None:
                accepted.append(dict(zip(names, got, strict=True)))
        seed.rows[table.name] = accepted
        if accepted:
            names = [c.name for c in table.columns if not c.generated_expression]
            values = sql.SQL(", ").join(
                sql.SQL("({})").format(
                    sql.SQL(", ").join(_literal(conn, _render(r[c]), types[c]) for c in names)
                )
                for r in accepted
            )
            seed.statements.append(
                sql.SQL("insert into {} ({}) overriding system value values {}")
                .format(
                    sql.Identifier(table.name),
                    sql.SQL(", ").join(sql.Identifier(c) for c in names),
                    values,
                )
                .as_string(conn)
            )
    for table in tables:
        for col in table.columns:
            if col.identity is not None or col.generation == "increment":
                seed.statements.append(
                    sql.SQL(
                        "select setval(pg_get_serial_sequence({}, {}), "
                        "coalesce((select max({}) from {}), 0) + 1, false)"
                    )
                    .format(
                        sql.Literal(sql.Identifier(table.name).as_string(conn)),
                        sql.Literal(col.name),
                        sql.Identifier(col.name),
                        sql.Identifier(table.name),
                    )
                    .as_string(conn)
                )
    conn.commit()
    return seed
