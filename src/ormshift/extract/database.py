"""A manifest of the physical schema reflected from a live PostgreSQL database.

Only the physical layer can be read back: tables, columns in creation order, types,
defaults as the server reports them, constraints, indexes, enum types and extensions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import psycopg

from ormshift.db import catalog
from ormshift.dsn import connect
from ormshift.errors import ExtractError
from ormshift.manifest import (
    Check,
    Column,
    EnumType,
    Exclusion,
    ForeignKey,
    Index,
    Manifest,
    PrimaryKey,
    Source,
    Table,
    UniqueConstraint,
)

#: TypeORM's own bookkeeping tables; they are not part of the application's schema.
BOOKKEEPING_TABLES = ("typeorm_metadata", "migrations", "query-result-cache")

_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_TYPE = re.compile(r"^(?P<base>[^(]+?)(?:\((?P<mods>[^)]*)\)(?P<rest>.*))?$")
_LENGTH_TYPES = {"character varying", "character", "bit", "bit varying"}
_PRECISION_TYPES = {
    "time",
    "timestamp",
    "interval",
}


def parse_type(fmt: str) -> tuple[str, int | None, int | None, int | None]:
    """``format_type`` output -> (base type, length, precision, scale), array suffix removed."""
    fmt = fmt.removesuffix("[]")
    m = _TYPE.match(fmt)
    if m is None:
        return fmt, None, None, None
    base = (m["base"].strip() + " " + (m["rest"] or "").strip()).strip()
    mods = [int(x) for x in (m["mods"] or "").split(",") if x.strip().isdigit()]
    head = m["base"].strip()
    if head in _LENGTH_TYPES and mods:
        return base, mods[0], None, None
    if head == "numeric" and mods:
        return base, None, mods[0], mods[1] if len(mods) > 1 else None
    if head in _PRECISION_TYPES and mods:
        return base, None, mods[0], None
    return base, None, None, None


def _column(row: catalog.AttributeRow, table: str, schema: str) -> Column:
    base, length, precision, scale = parse_type(row.fmt)
    default = row.default_sql
    generation: Any = None
    identity: Any = None
    generated_expression = None
    if row.attidentity in ("a", "d"):
        generation = "identity"
        identity = "ALWAYS" if row.attidentity == "a" else "BY DEFAULT"
    elif row.attgenerated == "s":
        generated_expression, default = default, None
    elif default and default.startswith("nextval(") and default.endswith("::regclass)"):
        generation, default = "increment", None
    elif (
        default
        and base == "uuid"
        and re.fullmatch(r"(uuid_generate_v\d|gen_random_uuid)\(\)", default)
    ):
        generation = "uuid"
    enum_name = enum_schema = None
    if row.typtype == "e":
        base, enum_name = "enum", row.typname
        enum_schema = row.typschema if row.typschema != schema else None
    return Column(
        name=row.attname,
        type=base,
        nullable=not row.attnotnull,
        length=length,
        precision=precision,
        scale=scale,
        array=bool(row.is_array),
        default=default,
        generation=generation,
        identity=identity,
        enum_name=enum_name,
        enum_schema=enum_schema,
        collation=row.collation,
        generated_expression=generated_expression,
        comment=row.comment,
    )


def _strip_wrapper(definition: str, keyword: str) -> str:
    body = definition.strip()
    if body.upper().startswith(keyword):
        body = body[len(keyword) :].strip()
    return body


def _deferrable(row: catalog.ConstraintRow) -> Any:
    if not row.condeferrable:
        return None
    return "INITIALLY DEFERRED" if row.condeferred else "INITIALLY IMMEDIATE"


def reflect(
    conn: psycopg.Connection, schema: str = "public", exclude: tuple[str, ...] = BOOKKEEPING_TABLES
) -> Manifest:
    tables = [r for r in catalog.relations(conn, schema) if r.relname not in exclude]
    columns: dict[int, list[Column]] = defaultdict(list)
    names = {r.oid: r.relname for r in tables}
    for row in catalog.attributes(conn, schema):
        if row.attrelid in names:
            columns[row.attrelid].append(_column(row, names[row.attrelid], schema))
    cons: dict[int, list[catalog.ConstraintRow]] = defaultdict(list)
    for con in catalog.constraints(conn, schema):
        cons[con.conrelid].append(con)
    idx: dict[int, list[catalog.IndexRow]] = defaultdict(list)
    for ix in catalog.indexes(conn, schema):
        idx[ix.indrelid].append(ix)
    enums = tuple(
        EnumType(name=r.typname, values=tuple(r.labels)) for r in catalog.enum_types(conn, schema)
    )
    extensions = tuple(e for e in catalog.extensions(conn) if e != "plpgsql")
    out: list[Table] = []
    for t in tables:
        oid = t.oid
        rows = cons[oid]
        pk = next((r for r in rows if r.contype == "p"), None)
        out.append(
            Table(
                name=t.relname,
                columns=tuple(columns[oid]),
                kind="view" if t.relkind == "v" else "table",
                primary_key=PrimaryKey(pk.conname, tuple(pk.columns)) if pk else None,
                foreign_keys=tuple(
                    ForeignKey(
                        name=r.conname,
                        columns=tuple(r.columns),
                        referenced_table=r.ref_table or "",
                        referenced_columns=tuple(r.ref_columns),
                        referenced_schema=r.ref_schema if r.ref_schema != schema else None,
                        on_delete=_ACTIONS[r.confdeltype],  # type: ignore[arg-type]
                        on_update=_ACTIONS[r.confupdtype],  # type: ignore[arg-type]
                        deferrable=_deferrable(r),
                    )
                    for r in rows
                    if r.contype == "f"
                ),
                uniques=tuple(
                    UniqueConstraint(r.conname, tuple(r.columns), _deferrable(r))
                    for r in rows
                    if r.contype == "u"
                ),
                checks=tuple(
                    Check(r.conname, _strip_wrapper(r.definition, "CHECK"))
                    for r in rows
                    if r.contype == "c"
                ),
                exclusions=tuple(
                    Exclusion(r.conname, _strip_wrapper(r.definition, "EXCLUDE"))
                    for r in rows
                    if r.contype == "x"
                ),
                indices=tuple(
                    Index(
                        name=r.name,
                        columns=tuple(r.columns),
                        unique=r.indisunique,
                        where=r.predicate,
                        spatial=r.amname in ("gist", "spgist"),
                    )
                    for r in idx[oid]
                ),
                view_expression=t.view_sql,
                comment=t.comment,
            )
        )
    return Manifest(
        source=Source(kind="database"),
        tables=tuple(out),
        enums=enums,
        extensions=extensions,
        default_schema=schema,
    )


def reflect_url(url: str, schema: str = "public") -> Manifest:
    with connect(url) as conn:
        manifest = reflect(conn, schema)
    if not manifest.tables:
        raise ExtractError(
            f"schema {schema!r} of that database has no tables; point --db at a database "
            "with a schema (or pass --schema)"
        )
    return manifest
