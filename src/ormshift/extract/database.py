"""A manifest of the physical schema reflected from a live PostgreSQL database.

Only the physical layer can be read back: tables, columns in creation order, types,
defaults as the server reports them, constraints, indexes, enum types and extensions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import psycopg
from psycopg.rows import dict_row

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

_TABLES = """
select c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class') as comment,
       case when c.relkind = 'v' then pg_get_viewdef(c.oid, true) end as view_sql
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v')
order by c.relname
"""
_COLUMNS = """
select a.attrelid, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) as fmt,
       a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(d.adbin, d.adrelid) as default_sql,
       coalesce(et.typtype, t.typtype) as typtype,
       coalesce(et.typname, t.typname) as typname,
       coalesce(etn.nspname, tn.nspname) as typschema,
       t.typcategory = 'A' as is_array,
       case when a.attcollation <> t.typcollation then co.collname end as collation,
       col_description(a.attrelid, a.attnum) as comment
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
join pg_namespace tn on tn.oid = t.typnamespace
left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
left join pg_namespace etn on etn.oid = et.typnamespace
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_collation co on co.oid = a.attcollation
where n.nspname = %(schema)s and a.attnum > 0 and not a.attisdropped
  and c.relkind in ('r', 'p', 'v')
order by a.attrelid, a.attnum
"""
_CONSTRAINTS = """
select con.conrelid, con.conname, con.contype, con.condeferrable, con.condeferred,
       con.confdeltype, con.confupdtype, fc.relname as ref_table, fn.nspname as ref_schema,
       pg_get_constraintdef(con.oid, true) as definition,
       array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
             order by k.ord) as columns,
       array(select a.attname from unnest(con.confkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum
             order by k.ord) as ref_columns
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class fc on fc.oid = con.confrelid
left join pg_namespace fn on fn.oid = fc.relnamespace
where n.nspname = %(schema)s and con.contype in ('p', 'f', 'u', 'c', 'x')
order by con.conrelid, con.conname
"""
_INDEXES = """
select i.indrelid, ic.relname as name, i.indisunique, am.amname,
       pg_get_expr(i.indpred, i.indrelid, true) as predicate,
       array(select case when k.attnum = 0 then pg_get_indexdef(i.indexrelid, k.ord::int, true)
                         else a.attname end
             from unnest(i.indkey) with ordinality k(attnum, ord)
             left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
             order by k.ord) as columns
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_am am on am.oid = ic.relam
where n.nspname = %(schema)s
  and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid
                  and con.contype in ('p', 'u', 'x'))
order by i.indrelid, ic.relname
"""
_ENUMS = """
select t.typname, array_agg(e.enumlabel order by e.enumsortorder) as labels
from pg_type t join pg_enum e on e.enumtypid = t.oid
join pg_namespace n on n.oid = t.typnamespace
where n.nspname = %(schema)s
group by t.typname order by t.typname
"""
_EXTENSIONS = "select extname from pg_extension where extname <> 'plpgsql' order by extname"


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


def _column(row: dict[str, Any], table: str, schema: str) -> Column:
    base, length, precision, scale = parse_type(row["fmt"])
    default = row["default_sql"]
    generation: Any = None
    identity: Any = None
    generated_expression = None
    if row["attidentity"] in ("a", "d"):
        generation = "identity"
        identity = "ALWAYS" if row["attidentity"] == "a" else "BY DEFAULT"
    elif row["attgenerated"] == "s":
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
    if row["typtype"] == "e":
        base, enum_name = "enum", row["typname"]
        enum_schema = row["typschema"] if row["typschema"] != schema else None
    return Column(
        name=row["attname"],
        type=base,
        nullable=not row["attnotnull"],
        length=length,
        precision=precision,
        scale=scale,
        array=bool(row["is_array"]),
        default=default,
        generation=generation,
        identity=identity,
        enum_name=enum_name,
        enum_schema=enum_schema,
        collation=row["collation"],
        generated_expression=generated_expression,
        comment=row["comment"],
    )


def _strip_wrapper(definition: str, keyword: str) -> str:
    body = definition.strip()
    if body.upper().startswith(keyword):
        body = body[len(keyword) :].strip()
    return body


def _deferrable(row: dict[str, Any]) -> Any:
    if not row["condeferrable"]:
        return None
    return "INITIALLY DEFERRED" if row["condeferred"] else "INITIALLY IMMEDIATE"


def reflect(
    conn: psycopg.Connection, schema: str = "public", exclude: tuple[str, ...] = BOOKKEEPING_TABLES
) -> Manifest:
    with conn.cursor(row_factory=dict_row) as cur:
        params = {"schema": schema}
        tables = [r for r in cur.execute(_TABLES, params).fetchall() if r["relname"] not in exclude]
        columns: dict[int, list[Column]] = defaultdict(list)
        names = {r["oid"]: r["relname"] for r in tables}
        for row in cur.execute(_COLUMNS, params).fetchall():
            if row["attrelid"] in names:
                columns[row["attrelid"]].append(_column(row, names[row["attrelid"]], schema))
        cons: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in cur.execute(_CONSTRAINTS, params).fetchall():
            cons[row["conrelid"]].append(row)
        idx: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in cur.execute(_INDEXES, params).fetchall():
            idx[row["indrelid"]].append(row)
        enums = tuple(
            EnumType(name=r["typname"], values=tuple(r["labels"]))
            for r in cur.execute(_ENUMS, params).fetchall()
        )
        extensions = tuple(r["extname"] for r in cur.execute(_EXTENSIONS).fetchall())
    out: list[Table] = []
    for t in tables:
        oid = t["oid"]
        rows = cons[oid]
        pk = next((r for r in rows if r["contype"] == "p"), None)
        out.append(
            Table(
                name=t["relname"],
                columns=tuple(columns[oid]),
                kind="view" if t["relkind"] == "v" else "table",
                primary_key=PrimaryKey(pk["conname"], tuple(pk["columns"])) if pk else None,
                foreign_keys=tuple(
                    ForeignKey(
                        name=r["conname"],
                        columns=tuple(r["columns"]),
                        referenced_table=r["ref_table"],
                        referenced_columns=tuple(r["ref_columns"]),
                        referenced_schema=r["ref_schema"] if r["ref_schema"] != schema else None,
                        on_delete=_ACTIONS[r["confdeltype"]],  # type: ignore[arg-type]
                        on_update=_ACTIONS[r["confupdtype"]],  # type: ignore[arg-type]
                        deferrable=_deferrable(r),
                    )
                    for r in rows
                    if r["contype"] == "f"
                ),
                uniques=tuple(
                    UniqueConstraint(r["conname"], tuple(r["columns"]), _deferrable(r))
                    for r in rows
                    if r["contype"] == "u"
                ),
                checks=tuple(
                    Check(r["conname"], _strip_wrapper(r["definition"], "CHECK"))
                    for r in rows
                    if r["contype"] == "c"
                ),
                exclusions=tuple(
                    Exclusion(r["conname"], _strip_wrapper(r["definition"], "EXCLUDE"))
                    for r in rows
                    if r["contype"] == "x"
                ),
                indices=tuple(
                    Index(
                        name=r["name"],
                        columns=tuple(r["columns"]),
                        unique=r["indisunique"],
                        where=r["predicate"],
                        spatial=r["amname"] in ("gist", "spgist"),
                    )
                    for r in idx[oid]
                ),
                view_expression=t["view_sql"],
                comment=t["comment"],
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
