"""PostgreSQL catalog reads for the whole package: one function per question.

Every ``pg_catalog`` read of ormshift lives here. Not here: what the monitor samples
from the statistics views, and ``pg_get_serial_sequence`` inside the seeders' ``setval``
statements (the fuzzer's are SQL text, run on both sides and kept in scenarios). Schema-wide
questions are answered in one round trip, and callers pick their tables from the answer;
per-relation questions take the relation as ``regclass`` text (``qualified(...)`` written
out for the connection), bound like every other value.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

__all__ = [
    "AttributeRow",
    "CheckConstraint",
    "ColumnType",
    "ConstraintRow",
    "EnumRow",
    "ForeignKeyDef",
    "IndexDef",
    "IndexRow",
    "OwnedSequence",
    "RelationRow",
    "RelationTraits",
    "SequenceInfo",
    "TableColumn",
    "TargetForeignKey",
    "UniqueIndex",
    "UserTable",
    "attributes",
    "check_constraints",
    "column_default",
    "column_formats",
    "column_types",
    "constraint_definition",
    "constraints",
    "database_collation",
    "database_identity",
    "enum_types",
    "estimated_rows",
    "extension_types",
    "extensions",
    "foreign_keys",
    "foreign_keys_of",
    "index_predicate",
    "indexes",
    "owned_sequences",
    "relation_exists",
    "relation_name",
    "relation_pages",
    "relation_traits",
    "relations",
    "schema_exists",
    "secondary_indexes",
    "sequences",
    "system_identifier",
    "table_columns",
    "table_exists",
    "table_sizes",
    "type_categories",
    "type_exists",
    "type_length",
    "unique_indexes",
    "user_tables",
]

Conn = psycopg.Connection[Any]

# -- sequences ------------------------------------------------------------------------

#: the one answer to "which sequence does this column own": the serial (pg_depend
#: deptype 'a') or identity ('i') link between a sequence and its column, which is what
#: pg_get_serial_sequence(table, column) follows. (PostgreSQL keeps an owned sequence in
#: its table's schema: OWNED BY and SET SCHEMA refuse to part them.)
_OWNED = """
select c.relname, a.attname, sn.nspname, s.relname, q.seqincrement,
       quote_ident(sn.nspname) || '.' || quote_ident(s.relname), d.deptype = 'i'
from pg_depend d
join pg_class s on s.oid = d.objid and s.relkind = 'S'
join pg_namespace sn on sn.oid = s.relnamespace
join pg_sequence q on q.seqrelid = s.oid
join pg_class c on c.oid = d.refobjid
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
  and d.deptype in ('a', 'i') and d.refobjsubid > 0 and n.nspname = %s
order by c.relname, a.attname
"""
_SEQUENCES = """
select s.relname, format_type(q.seqtypid, null), q.seqstart, q.seqincrement, q.seqmin,
       q.seqmax, q.seqcache, q.seqcycle
from pg_class s
join pg_namespace n on n.oid = s.relnamespace
join pg_sequence q on q.seqrelid = s.oid
where n.nspname = %s and s.relkind = 'S'
order by s.relname
"""


@dataclass(frozen=True)
class OwnedSequence:
    table: str
    column: str
    schema: str  # the sequence's own schema
    name: str
    increment: int
    qualified: str  # as pg_get_serial_sequence writes it: quoted only where needed
    identity: bool = False  # an identity column's sequence, not a serial's

    def identifier(self) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))


def owned_sequences(conn: Conn, schema: str) -> list[OwnedSequence]:
    """Every sequence owned by a column of a table in ``schema``, by table and column."""
    return [
        OwnedSequence(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), bool(r[6]))
        for r in conn.execute(_OWNED, [schema]).fetchall()
    ]


@dataclass(frozen=True)
class SequenceInfo:
    name: str
    data_type: str
    start: int
    increment: int
    min_value: int
    max_value: int
    cache: int
    cycle: bool
    owned_by: str | None = None  # "table.column"
    identity: bool = False  # owned as an identity column's sequence, not a serial's


def sequences(conn: Conn, schema: str, exclude_owners: Collection[str] = ()) -> list[SequenceInfo]:
    """Every sequence of ``schema`` with its settings and its owning column, by name;
    not those owned by a column of a table in ``exclude_owners``."""
    owners = {o.name: o for o in owned_sequences(conn, schema)}
    out: list[SequenceInfo] = []
    for r in conn.execute(_SEQUENCES, [schema]).fetchall():
        owner = owners.get(r[0])
        if owner is not None and owner.table in exclude_owners:
            continue
        owned_by = f"{owner.table}.{owner.column}" if owner else None
        identity = owner is not None and owner.identity
        name, data_type, start, increment, low, high, cache, cycle = r
        out.append(
            SequenceInfo(
                name, data_type, start, increment, low, high, cache, cycle, owned_by, identity
            )
        )
    return out


def relation_name(conn: Conn, rel: str) -> tuple[str, str]:
    """(schema, name) of the relation ``rel`` names (a sequence's qualified name, say)."""
    row = conn.execute(
        "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.oid = %s::regclass",
        [rel],
    ).fetchone()
    assert row is not None, rel
    return str(row[0]), str(row[1])


# -- schemas, tables, types -----------------------------------------------------------


_HAS_TABLE = """
select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
"""
_HAS_TYPE = """
select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
where n.nspname = %s and t.typname = %s
"""


def _exists(conn: Conn, query: str, params: Sequence[object]) -> bool:
    return conn.execute(query, params).fetchone() is not None


def schema_exists(conn: Conn, schema: str) -> bool:
    """Whether the database has a schema of that name."""
    return _exists(conn, "select 1 from pg_namespace where nspname = %s", [schema])


def table_exists(conn: Conn, schema: str, table: str) -> bool:
    """Whether ``schema`` has a table (plain or partitioned) of that name."""
    return _exists(conn, _HAS_TABLE, [schema, table])


def type_exists(conn: Conn, schema: str, name: str) -> bool:
    """Whether ``schema`` has a type (an enum, say) of that name."""
    return _exists(conn, _HAS_TYPE, [schema, name])


def database_collation(conn: Conn) -> str:
    """The current database's default collation (``datcollate``)."""
    row = conn.execute(
        "select datcollate from pg_database where datname = current_database()"
    ).fetchone()
    return str(row[0]) if row else ""


def database_identity(conn: Conn) -> tuple[int, str, str]:
    """(oid, name) of the current database and the postmaster's start time, as text."""
    row = conn.execute(
        "select (select oid from pg_database where datname = current_database()),"
        " current_database(), pg_postmaster_start_time()::text"
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1]), str(row[2])


def system_identifier(conn: Conn) -> int | None:
    """The cluster's identifier (shared by its physical replicas), or None where this
    user may not read pg_control."""
    allowed = conn.execute(
        "select has_function_privilege('pg_control_system()', 'execute')"
    ).fetchone()
    if not (allowed and allowed[0]):
        return None
    row = conn.execute("select system_identifier from pg_control_system()").fetchone()
    return int(row[0]) if row else None


def relation_exists(conn: Conn, name: str) -> bool:
    """Whether ``name`` (qualified or found on the search path) names a relation."""
    row = conn.execute("select to_regclass(%s) is not null", [name]).fetchone()
    return bool(row and row[0])


_CATEGORIES = """
select st.typcategory, tt.typcategory
from pg_type st, pg_type tt
where st.oid = to_regtype(%s) and tt.oid = to_regtype(%s)
"""


def type_categories(conn: Conn, first: str, second: str) -> tuple[str, str] | None:
    """The type categories (``typcategory``: N numeric, S string...) of two type names,
    or None when the server does not know one of them."""
    row = conn.execute(_CATEGORIES, [first, second]).fetchone()
    return (str(row[0]), str(row[1])) if row else None


def extensions(conn: Conn) -> list[str]:
    """The names of the extensions installed in the database (plpgsql too), sorted."""
    return [str(r[0]) for r in conn.execute("select extname from pg_extension order by 1")]


_EXTENSION_TYPES = """
select distinct e.extname, c.relname || '.' || a.attname
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
join pg_depend d on d.classid = 'pg_type'::regclass and d.deptype = 'e'
  and d.objid in (t.oid, t.typelem)
join pg_extension e on e.oid = d.refobjid
where n.nspname = %s and c.relname = any(%s) and a.attnum > 0 and not a.attisdropped
order by 1, 2
"""


def extension_types(conn: Conn, schema: str, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(extension, "table.column") for each column of ``tables`` whose type (or element
    type) an extension provides, sorted."""
    rows = conn.execute(_EXTENSION_TYPES, [schema, list(tables)]).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


# -- the columns and sizes of a schema's tables ---------------------------------------

_TYPES = """
select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) as fmt,
       a.attgenerated <> '' as generated, a.attnotnull, a.atthasdef, a.attidentity <> '' as ident,
       t.typtype, (t.oid < 16384 and (t.typelem = 0 or t.typelem < 16384)) as builtin,
       t.typcategory = 'A' as is_array
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
where n.nspname = %s and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
"""
_SIZES = """
select c.relname, c.reltuples::bigint, pg_table_size(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relkind in ('r', 'p')
"""


@dataclass(frozen=True)
class ColumnType:
    fmt: str
    generated: bool
    not_null: bool
    has_default: bool
    identity: bool
    typtype: str
    builtin: bool
    is_array: bool

    def binary_compatible(self, other: ColumnType) -> bool:
        """True when a binary COPY of this column loads into ``other`` unchanged."""
        if self.fmt != other.fmt:
            return False
        if self.builtin and other.builtin:
            return True
        # enum values travel as labels; arrays and composites carry type oids
        return self.typtype == other.typtype == "e" and not self.is_array


def column_types(conn: Conn, schema: str) -> dict[tuple[str, str], ColumnType]:
    """(table, column) -> its type and flags, for every column of ``schema``'s tables."""
    return {(r[0], r[1]): ColumnType(*r[2:]) for r in conn.execute(_TYPES, [schema]).fetchall()}


def table_sizes(conn: Conn, schema: str) -> dict[str, tuple[int, int]]:
    """table -> (the planner's row estimate, -1 when never analyzed; bytes), for
    ``schema``'s tables."""
    return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(_SIZES, [schema]).fetchall()}


# -- foreign keys and indexes of a schema ---------------------------------------------

_FOREIGN_KEYS = """
select c.relname, con.conname, f.relname, pg_get_constraintdef(con.oid)
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_class f on f.oid = con.confrelid
where n.nspname = %(schema)s and con.contype = 'f'
  and (%(tables)s::text[] is null or c.relname = any(%(tables)s::text[]))
order by c.relname, con.conname
"""
_SECONDARY = """
select c.relname, i.relname, pg_get_indexdef(i.oid), n.nspname
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class c on c.oid = x.indrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %s and c.relname = any(%s) and not x.indisprimary and not x.indisunique
  and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)
order by c.relname, i.relname
"""


@dataclass(frozen=True)
class ForeignKeyDef:
    table: str
    name: str
    referenced: str  # the referenced table's name
    definition: str  # pg_get_constraintdef: FOREIGN KEY (...) REFERENCES ...


def foreign_keys(
    conn: Conn, schema: str, tables: Sequence[str] | None = None
) -> list[ForeignKeyDef]:
    """The foreign keys of ``schema``'s tables (of ``tables`` only, when given), by table
    and name."""
    params = {"schema": schema, "tables": None if tables is None else list(tables)}
    return [
        ForeignKeyDef(str(r[0]), str(r[1]), str(r[2]), str(r[3]))
        for r in conn.execute(_FOREIGN_KEYS, params).fetchall()
    ]


@dataclass(frozen=True)
class IndexDef:
    table: str
    name: str
    definition: str  # the whole CREATE INDEX statement (pg_get_indexdef)


def secondary_indexes(conn: Conn, schema: str, tables: Sequence[str]) -> list[IndexDef]:
    """The secondary indexes of ``tables`` (not primary, not unique, behind no
    constraint), by table and name."""
    return [
        IndexDef(str(r[0]), str(r[1]), str(r[2]))
        for r in conn.execute(_SECONDARY, [schema, list(tables)]).fetchall()
    ]


# -- one relation ---------------------------------------------------------------------


def column_formats(
    conn: Conn, rel: str, *, modifiers: bool = True, builtin_only: bool = False
) -> dict[str, str]:
    """column -> its type as ``format_type`` writes it (``varchar(4)``; without the
    modifier, ``character varying``), for the columns of ``rel`` in order; only those of
    built-in types with ``builtin_only``."""
    query = sql.SQL(
        "select a.attname, format_type(a.atttypid, {m}) from pg_attribute a"
        " where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped{b}"
        " order by a.attnum"
    ).format(
        m=sql.SQL("a.atttypmod" if modifiers else "null"),
        b=sql.SQL(" and a.atttypid < 16384" if builtin_only else ""),
    )
    return {str(r[0]): str(r[1]) for r in conn.execute(query, [rel]).fetchall()}


def type_length(conn: Conn, rel: str, column: str) -> int | None:
    """``typlen`` of the column's type (> 0 fixed length, < 0 variable), None when
    ``rel`` has no such column."""
    row = conn.execute(
        "select y.typlen from pg_attribute a join pg_type y on y.oid = a.atttypid "
        "where a.attrelid = %s::regclass and a.attname = %s",
        [rel, column],
    ).fetchone()
    return int(row[0]) if row is not None else None


def estimated_rows(conn: Conn, rel: str) -> float | None:
    """The planner's row estimate (``reltuples``: -1 or 0 before the first analyze)."""
    row = conn.execute("select reltuples from pg_class where oid = %s::regclass", [rel]).fetchone()
    return float(row[0]) if row is not None and row[0] is not None else None


def relation_pages(conn: Conn, rel: str) -> int:
    """How many blocks the relation's main fork holds now."""
    row = conn.execute(
        "select pg_relation_size(%s::regclass) / current_setting('block_size')::int", [rel]
    ).fetchone()
    return int(row[0]) if row else 0


def column_default(conn: Conn, rel: str, column: str) -> str | None:
    """The column's default (or generation expression) as the server deparses it."""
    row = conn.execute(
        "select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d join pg_attribute a "
        "on a.attrelid = d.adrelid and a.attnum = d.adnum "
        "where d.adrelid = %s::regclass and a.attname = %s",
        [rel, column],
    ).fetchone()
    return str(row[0]) if row else None


def constraint_definition(conn: Conn, rel: str, name: str) -> str | None:
    """The constraint's definition as the server deparses it (pretty-printed)."""
    row = conn.execute(
        "select pg_get_constraintdef(oid, true) from pg_constraint "
        "where conrelid = %s::regclass and conname = %s",
        [rel, name],
    ).fetchone()
    return str(row[0]) if row else None


def index_predicate(conn: Conn, index: str) -> str | None:
    """The WHERE of a partial index as the server deparses it (None: the index has none,
    or there is no such index)."""
    row = conn.execute(
        "select pg_get_expr(indpred, indrelid, true) from pg_index where indexrelid = %s::regclass",
        [index],
    ).fetchone()
    return str(row[0]) if row and row[0] is not None else None


_USER_TABLES = """
select c.relname, n.nspname,
       array(select a.attname from pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             order by a.attnum),
       coalesce(array(select a.attname from pg_index i
                      join unnest(i.indkey) with ordinality k(n, pos) on true
                      join pg_attribute a on a.attrelid = c.oid and a.attnum = k.n
                      where i.indrelid = c.oid and i.indisprimary order by k.pos),
                '{}')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_%' and c.relkind in ('r', 'p')
order by n.nspname <> 'public', n.nspname, c.relname
"""


@dataclass(frozen=True)
class UserTable:
    name: str
    schema: str
    columns: tuple[str, ...]  # in their order
    primary_key: tuple[str, ...]  # () without one


def user_tables(conn: Conn) -> list[UserTable]:
    """The tables of every schema but the system's, with their columns and primary keys,
    ``public`` first, then by schema and name."""
    return [
        UserTable(str(r[0]), str(r[1]), tuple(r[2]), tuple(r[3]))
        for r in conn.execute(_USER_TABLES).fetchall()
    ]


# -- what a table checks on a row (for the transfer's classifier) ---------------------

_TABLE_COLUMNS = """
select a.attname, format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, null),
       a.attnotnull, t.typtype = 'e',
       case when a.attcollation <> t.typcollation then quote_ident(cn.nspname) || '.'
            || quote_ident(co.collname) end,
       a.attgenerated <> ''
from pg_attribute a
join pg_type t on t.oid = a.atttypid
left join pg_collation co on co.oid = a.attcollation
left join pg_namespace cn on cn.oid = co.collnamespace
where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum
"""
# by name, the order the server evaluates them in (relcache sorts them so)
_CHECKS = """
select c.conname, pg_get_expr(c.conbin, c.conrelid),
       array(select a.attname from unnest(c.conkey) k(n)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n)
from pg_constraint c
where c.conrelid = %s::regclass and c.contype = 'c' order by c.conname
"""
_FOREIGN_OF = """
select con.conname, con.confmatchtype, con.condeferred, con.confrelid = con.conrelid,
       pn.nspname, pc.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i),
       array(select a.attname from unnest(con.confkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i)
from pg_constraint con
join pg_class pc on pc.oid = con.confrelid
join pg_namespace pn on pn.oid = pc.relnamespace
where con.conrelid = %s::regclass and con.contype = 'f'
order by con.conname
"""
_UNIQUE = """
select c.relname,
       array(select pg_get_indexdef(i.indexrelid, k, true)
             from generate_series(1, i.indnkeyatts) k),
       i.indexprs is null and i.indpred is null and i.indimmediate
       and coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) is false,
       array(select a.attname from unnest(i.indkey::int2[]) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n
             where k.o <= i.indnkeyatts order by k.o)
from pg_index i join pg_class c on c.oid = i.indexrelid
where i.indrelid = %s::regclass and i.indisunique
order by i.indexrelid
"""
_TRAITS = """
select c.relkind,
       exists (select 1 from pg_trigger g where g.tgrelid = c.oid and not g.tgisinternal),
       exists (select 1 from pg_rewrite r where r.ev_class = c.oid),
       exists (select 1 from pg_constraint x where x.conrelid = c.oid and x.contype = 'x')
from pg_class c where c.oid = %s::regclass
"""


@dataclass(frozen=True)
class TableColumn:
    name: str
    fmt: str  # with its modifier: varchar(4)
    base: str  # without it: character varying
    not_null: bool
    enum: bool
    collation: str | None  # SQL text of a non-default collation
    generated: bool


def table_columns(conn: Conn, rel: str) -> list[TableColumn]:
    """The columns of ``rel`` in their order, with what a row must satisfy of each."""
    return [
        TableColumn(str(r[0]), str(r[1]), str(r[2]), bool(r[3]), bool(r[4]), r[5], bool(r[6]))
        for r in conn.execute(_TABLE_COLUMNS, [rel]).fetchall()
    ]


@dataclass(frozen=True)
class CheckConstraint:
    name: str
    expression: str
    columns: tuple[str, ...]  # the columns it reads


def check_constraints(conn: Conn, rel: str) -> list[CheckConstraint]:
    """The CHECK constraints of ``rel``, by name (the order the server evaluates them in)."""
    return [
        CheckConstraint(str(r[0]), str(r[1]), tuple(str(c) for c in r[2]))
        for r in conn.execute(_CHECKS, [rel]).fetchall()
    ]


@dataclass(frozen=True)
class TargetForeignKey:
    name: str
    match_full: bool
    deferred: bool  # INITIALLY DEFERRED
    self_reference: bool
    parent_schema: str
    parent: str
    columns: tuple[str, ...]
    parent_columns: tuple[str, ...]


def foreign_keys_of(conn: Conn, rel: str) -> list[TargetForeignKey]:
    """The foreign keys of ``rel`` with their columns in key order, by name."""
    return [
        TargetForeignKey(r[0], r[1] == "f", r[2], r[3], r[4], r[5], tuple(r[6]), tuple(r[7]))
        for r in conn.execute(_FOREIGN_OF, [rel]).fetchall()
    ]


@dataclass(frozen=True)
class UniqueIndex:
    name: str
    shown: tuple[str, ...]  # its key columns as its "Key (...)" detail shows them
    plain: bool  # no expression, no predicate, not deferred, NULLs distinct
    columns: tuple[str, ...]  # its plain key columns, in order


def unique_indexes(conn: Conn, rel: str) -> list[UniqueIndex]:
    """The unique indexes of ``rel`` (primary key included), by oid."""
    return [
        UniqueIndex(str(r[0]), tuple(r[1]), bool(r[2]), tuple(r[3]))
        for r in conn.execute(_UNIQUE, [rel]).fetchall()
    ]


@dataclass(frozen=True)
class RelationTraits:
    kind: str  # relkind: r table, p partitioned, ...
    triggers: bool  # user triggers
    rules: bool
    exclusions: bool  # exclusion constraints


def relation_traits(conn: Conn, rel: str) -> RelationTraits:
    """What of ``rel`` only a real INSERT can tell: kind, triggers, rules, exclusions."""
    row = conn.execute(_TRAITS, [rel]).fetchone()
    assert row is not None, rel
    return RelationTraits(str(row[0]), bool(row[1]), bool(row[2]), bool(row[3]))


# -- the physical schema, for `ormshift.extract.database.reflect` ---------------------

_TABLES = """
select c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class') as comment,
       case when c.relkind = 'v' then pg_get_viewdef(c.oid, true) end as view_sql
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v')
order by c.relname
"""
_ATTRIBUTES = """
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


@dataclass(frozen=True)
class RelationRow:
    oid: int
    relname: str
    relkind: str  # r table, p partitioned, v view
    comment: str | None
    view_sql: str | None


@dataclass(frozen=True)
class AttributeRow:
    attrelid: int
    attname: str
    attnum: int
    fmt: str  # format_type with the modifier
    attnotnull: bool
    attidentity: str  # 'a' always, 'd' by default, '' none
    attgenerated: str  # 's' stored, '' none
    default_sql: str | None
    typtype: str  # of the element type, for an array
    typname: str
    typschema: str
    is_array: bool
    collation: str | None  # a collation other than the type's
    comment: str | None


@dataclass(frozen=True)
class ConstraintRow:
    conrelid: int
    conname: str
    contype: str  # p, f, u, c, x
    condeferrable: bool
    condeferred: bool
    confdeltype: str
    confupdtype: str
    ref_table: str | None
    ref_schema: str | None
    definition: str
    columns: list[str]
    ref_columns: list[str]


@dataclass(frozen=True)
class IndexRow:
    indrelid: int
    name: str
    indisunique: bool
    amname: str
    predicate: str | None
    columns: list[str]  # an expression key as pg_get_indexdef writes it


@dataclass(frozen=True)
class EnumRow:
    typname: str
    labels: list[str]


def _rows(conn: Conn, query: str, schema: str) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, {"schema": schema}).fetchall()


def relations(conn: Conn, schema: str) -> list[RelationRow]:
    """The tables, partitioned tables and views of ``schema``, by name."""
    return [RelationRow(**r) for r in _rows(conn, _TABLES, schema)]


def attributes(conn: Conn, schema: str) -> list[AttributeRow]:
    """The columns of ``schema``'s tables and views, by relation oid and position."""
    return [AttributeRow(**r) for r in _rows(conn, _ATTRIBUTES, schema)]


def constraints(conn: Conn, schema: str) -> list[ConstraintRow]:
    """The primary, foreign, unique, check and exclusion constraints of ``schema``'s
    tables, by relation oid and name."""
    return [ConstraintRow(**r) for r in _rows(conn, _CONSTRAINTS, schema)]


def indexes(conn: Conn, schema: str) -> list[IndexRow]:
    """The indexes of ``schema`` that no constraint stands behind, by relation oid and name."""
    return [IndexRow(**r) for r in _rows(conn, _INDEXES, schema)]


def enum_types(conn: Conn, schema: str) -> list[EnumRow]:
    """The enum types of ``schema`` with their labels in order, by name."""
    return [EnumRow(**r) for r in _rows(conn, _ENUMS, schema)]
