"""Valid seed data made from the manifest: rows for every table in foreign-key order (a
cycle broken at a nullable key, set afterwards by an UPDATE), tried one by one on a scratch
database (a row a CHECK or unique index refuses is tried again, then left out; one-to-one
keys take each parent once; a required self-reference starts at the row itself), then
written as SQL statements with every key explicit, so that both sides and any scenario
file reproduce the same rows and the same sequence positions."""

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
from ormshift.db import catalog
from ormshift.manifest.model import Column, Table

__all__ = ["Seed", "build_seed"]

#: candidate rows tried for one seed row before it is given up (a CHECK, a unique key)
_ATTEMPTS = 4

_INTEGER_TYPES = ("integer", "int", "int4", "bigint", "int8", "smallint", "int2")


@dataclass
class Seed:
    statements: list[str]
    #: table -> rows as read back (column name -> Python value)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: table -> why its last refused candidate row was refused (the database's message, or
    #: that a required parent table has no rows), to explain a table left empty
    refused: dict[str, str] = field(default_factory=dict)


def _order(tables: list[Table]) -> list[Table]:
    """Parents before children. Where tables reference each other in a cycle, the cycle is
    broken at a nullable foreign key (its rows get NULL there, or a parent already made),
    never at a required one, so that a table with a required parent comes after it."""
    by_name = {t.name: t for t in tables}
    remaining = list(tables)
    done: list[Table] = []
    seen: set[str] = set()

    def parents(t: Table, required_only: bool) -> set[str]:
        return {
            fk.referenced_table
            for fk in t.foreign_keys
            if fk.referenced_table in by_name
            and fk.referenced_table != t.name
            and not (required_only and all(t.column(c).nullable for c in fk.columns))
        }

    while remaining:
        ready = next((t for t in remaining if parents(t, False) <= seen), None)
        if ready is None:  # a cycle: the table least of whose parents are missing
            breakable = [t for t in remaining if parents(t, True) <= seen] or remaining
            ready = min(breakable, key=lambda t: len(parents(t, False) - seen))
        remaining.remove(ready)
        seen.add(ready.name)
        done.append(ready)
    return done


def _generated(col: Column) -> bool:
    """The database makes this column's value (an identity, a serial, an expression); an
    "increment" column of a type no sequence can fill (TypeORM writes those with no
    default) is given values like any other."""
    serial = col.generation == "increment" and col.type in _INTEGER_TYPES
    return col.identity is not None or serial or bool(col.generated_expression)


def _unique_sets(table: Table) -> list[tuple[str, ...]]:
    """Column sets the table keeps unique: its key, unique constraints, unique indices."""
    sets = [table.primary_key.columns] if table.primary_key is not None else []
    sets += [u.columns for u in table.uniques]
    sets += [i.columns for i in table.indices if i.unique and i.where is None and i.columns]
    return sets


def _ident(table: Table) -> sql.Identifier:
    """The table's name, qualified by its schema when that is not ``public``."""
    if table.schema and table.schema != "public":
        return sql.Identifier(table.schema, table.name)
    return sql.Identifier(table.name)


def _types(conn: psycopg.Connection[Any], table: Table) -> dict[str, str]:
    return catalog.column_formats(conn, _ident(table).as_string(conn))


def _members(schema: FuzzSchema, table: str) -> list[FuzzEntity]:
    return [e for e in schema.entities.values() if e.table.name == table]


def _candidate(
    table: Table,
    member: FuzzEntity | None,
    rows: dict[str, list[dict[str, Any]]],
    rng: random.Random,
    n: int,
) -> dict[str, str | None] | None:
    """Column -> SQL text (None = NULL) for one row, or None when a parent is missing.

    A foreign key whose columns are the table's key or a unique set (one-to-one) takes a
    parent no accepted row has taken yet; a required self-reference of the table's first
    row points at the row itself."""
    out: dict[str, str | None] = {}
    fk_cols: set[str] = set()
    own_rows = rows.get(table.name, [])
    unique_sets = _unique_sets(table)
    self_refs = []
    for fk in table.foreign_keys:
        fk_cols.update(fk.columns)
        parents = rows.get(fk.referenced_table, [])
        nullable = all(table.column(c).nullable for c in fk.columns)
        if fk.referenced_table == table.name and not parents and not nullable:
            self_refs.append(fk)
            continue
        if any(set(u) <= set(fk.columns) for u in unique_sets):
            taken = {tuple(str(r.get(c)) for c in fk.columns) for r in own_rows}
            parents = [
                p
                for p in parents
                if tuple(str(p.get(ref)) for ref in fk.referenced_columns) not in taken
            ]
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
        if _generated(col):
            continue
        if member is not None and prop is None:
            if not col.nullable and col.default is None:
                return None
            continue
        out[col.name] = _column_value(col, prop.role if prop else None, prop, rng, n)
    for fk in self_refs:
        if any(out.get(ref) is None for ref in fk.referenced_columns):
            return None
        for c, ref in zip(fk.columns, fk.referenced_columns, strict=True):
            out[c] = out[ref]
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


def _insert(
    conn: psycopg.Connection[Any], table: Table, row: dict[str, str | None], types: dict[str, str]
) -> sql.Composed:
    cols = list(row)
    if not cols:
        return sql.SQL("insert into {} default values returning *").format(_ident(table))
    return sql.SQL("insert into {} ({}) overriding system value values ({}) returning *").format(
        _ident(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
        sql.SQL(", ").join(_literal(conn, row[c], types[c]) for c in cols),
    )


def _back_references(
    conn: psycopg.Connection[Any],
    ordered: list[Table],
    seed: Seed,
    rng: random.Random,
    types_of: dict[str, dict[str, str]],
) -> None:
    """Where a cycle was broken, the nullable keys that point at a table seeded later are
    NULL in every row: set most of them now (an UPDATE each, written after the inserts)."""
    position = {t.name: i for i, t in enumerate(ordered)}
    for table in ordered:
        if table.primary_key is None:
            continue
        key = table.primary_key.columns
        types = types_of[table.name]
        for fk in table.foreign_keys:
            later = position.get(fk.referenced_table, -1) > position[table.name]
            if not later or set(fk.columns) & set(key):
                continue
            rows = seed.rows.get(table.name, [])
            pool = list(seed.rows.get(fk.referenced_table, []))
            unique = any(set(u) <= set(fk.columns) for u in _unique_sets(table))
            for i, row in enumerate(rows):
                if not pool or rng.random() < 0.25:
                    continue
                parent = rng.choice(pool)
                values = [parent.get(r) for r in fk.referenced_columns]
                if any(v is None for v in values) or any(row.get(k) is None for k in key):
                    continue
                update = sql.SQL("update {} set {} where {}").format(
                    _ident(table),
                    sql.SQL(", ").join(
                        sql.SQL("{} = {}").format(
                            sql.Identifier(c), _literal(conn, _render(v), types[c])
                        )
                        for c, v in zip(fk.columns, values, strict=True)
                    ),
                    sql.SQL(" and ").join(
                        sql.SQL("{} = {}").format(
                            sql.Identifier(k), _literal(conn, _render(row[k]), types[k])
                        )
                        for k in key
                    ),
                )
                try:
                    with conn.transaction():
                        cur = conn.execute(update + sql.SQL(" returning *"))
                        names = [d.name for d in cur.description or []]
                        got = cur.fetchone()
                except psycopg.Error:
                    continue
                if got is None:
                    continue
                rows[i] = dict(zip(names, got, strict=True))
                seed.statements.append(update.as_string(conn))
                if unique:
                    pool.remove(parent)


def build_seed(
    conn: psycopg.Connection[Any], schema: FuzzSchema, rng: random.Random, rows_per_table: int
) -> Seed:
    """Insert seed rows into the (empty, TypeORM-synchronised) database of ``conn``."""
    tables = [t for t in schema.manifest.tables if t.kind == "table"]
    seed = Seed([])
    n = 0
    ordered = _order(tables)
    types_of: dict[str, dict[str, str]] = {}
    for table in ordered:
        types = types_of[table.name] = _types(conn, table)
        members = _members(schema, table.name)
        accepted: list[dict[str, Any]] = []
        for _ in range(rows_per_table + (2 if members else 0)):
            got, names = None, []
            for _attempt in range(_ATTEMPTS):
                n += 1
                member = rng.choice(members) if members else None
                row = _candidate(table, member, seed.rows, rng, n)
                if row is None:
                    seed.refused[table.name] = "no parent row, or a required column has no value"
                    break
                try:
                    with conn.transaction():
                        cur = conn.execute(_insert(conn, table, row, types))
                        names = [d.name for d in cur.description or []]
                        got = cur.fetchone()
                    break
                except psycopg.Error as e:
                    seed.refused[table.name] = str(e).splitlines()[0]
            if got is not None:
                accepted.append(dict(zip(names, got, strict=True)))
                seed.rows[table.name] = accepted
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
                    _ident(table),
                    sql.SQL(", ").join(sql.Identifier(c) for c in names),
                    values,
                )
                .as_string(conn)
            )
    _back_references(conn, ordered, seed, rng, types_of)
    for table in tables:
        for col in table.columns:
            if col.identity is not None or (_generated(col) and not col.generated_expression):
                seed.statements.append(
                    sql.SQL(
                        "select setval(pg_get_serial_sequence({}, {}), "
                        "coalesce((select max({}) from {}), 0) + 1, false)"
                    )
                    .format(
                        sql.Literal(_ident(table).as_string(conn)),
                        sql.Literal(col.name),
                        sql.Identifier(col.name),
                        _ident(table),
                    )
                    .as_string(conn)
                )
    conn.commit()
    return seed
