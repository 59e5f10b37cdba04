"""The plan of a transfer and the preflight that guards it.

Tables come from reflecting both databases (`ormshift.extract.database.reflect`); their
order follows the foreign keys so that parents load before children. A self-reference
is fine (a batch is one COPY statement, checked at its end, and parents usually have the
smaller keys); a cycle between tables is refused with the tables named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from ormshift.extract.database import reflect
from ormshift.manifest import Table
from ormshift.transfer.errors import PreflightError
from ormshift.transfer.keyset import qualified

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
_SEQUENCES = "select pg_get_serial_sequence(%s, %s)"
_LEDGER_SCHEMA = "ormshift"


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


@dataclass(frozen=True)
class SequenceRef:
    column: str
    sequence: str  # qualified name, as pg_get_serial_sequence reports it


@dataclass(frozen=True)
class TablePlan:
    name: str
    schema: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # empty: no primary key, copied whole (--allow-no-key)
    binary: bool
    depends_on: tuple[str, ...]
    est_rows: int
    est_bytes: int
    sequences: tuple[SequenceRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "schema": self.schema,
            "columns": list(self.columns),
            "key": list(self.key),
            "format": "binary" if self.binary else "text",
            "depends_on": list(self.depends_on),
            "estimated_rows": self.est_rows,
            "estimated_bytes": self.est_bytes,
        }


@dataclass(frozen=True)
class DeferredConstraint:
    """A target foreign key inside a cycle: dropped for the transfer, added back after."""

    schema: str
    table: str
    name: str
    definition: str  # pg_get_constraintdef, as the target reports it

    def to_json(self) -> dict[str, str]:
        return {"table": self.table, "name": self.name, "definition": self.definition}


@dataclass(frozen=True)
class Plan:
    schema: str
    tables: tuple[TablePlan, ...]
    warnings: tuple[str, ...] = ()
    cycles: tuple[tuple[str, ...], ...] = ()  # each: a -> b -> a, as found in the source
    deferred: tuple[DeferredConstraint, ...] = ()
    # a table's foreign keys to itself: kept, unless --defer-constraints drops them too (a
    # row whose parent has a larger key, in a later batch, would otherwise be rejected)
    self_references: tuple[DeferredConstraint, ...] = ()

    def table(self, name: str) -> TablePlan:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "tables": [t.to_json() for t in self.tables],
            "warnings": list(self.warnings),
            "cycles": [list(c) for c in self.cycles],
            "deferred_constraints": [d.to_json() for d in self.deferred],
            "self_references": [d.to_json() for d in self.self_references],
        }

    def refuse_cycles(self) -> None:
        """Raise `PreflightError` naming the first cycle, if there is one."""
        if self.cycles:
            raise PreflightError(
                "tables reference each other in a cycle ("
                + " -> ".join(self.cycles[0])
                + "); rows cannot load parents first. Pass --defer-constraints to drop those "
                "foreign keys on the target for the transfer and add them back at the end"
            )


def cycle_groups(deps: Mapping[str, set[str]]) -> list[set[str]]:
    """Groups of two or more tables that reach each other through foreign keys."""
    graph = {n: {d for d in ds if d != n and d in deps} for n, ds in deps.items()}
    reach: dict[str, set[str]] = {}
    for start, parents in graph.items():
        seen: set[str] = set()
        todo = list(parents)
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        reach[start] = seen
    groups: list[set[str]] = []
    for n in sorted(graph):
        if n in reach[n] and not any(n in g for g in groups):
            groups.append({m for m in reach[n] if n in reach[m]} | {n})
    return groups


def dependency_order(deps: Mapping[str, set[str]]) -> list[str]:
    """Tables ordered parents first (ties by name); raises `PreflightError` on a cycle."""
    remaining = {name: {d for d in ds if d != name and d in deps} for name, ds in deps.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(n for n, ds in remaining.items() if not ds)
        if not ready:
            cycle = _find_cycle(remaining)
            raise PreflightError(
                "tables reference each other in a cycle ("
                + " -> ".join(cycle)
                + "); rows cannot load parents first. Drop one of those foreign keys on the "
                "target for the transfer and add it back afterwards"
            )
        for n in ready:
            order.append(n)
            del remaining[n]
        for ds in remaining.values():
            ds.difference_update(ready)
    return order


def _find_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    start = min(graph)
    path = [start]
    seen = {start: 0}
    node = start
    while True:
        node = min(graph[node])
        if node in seen:
            return [*path[seen[node] :], node]
        seen[node] = len(path)
        path.append(node)


def _types(conn: psycopg.Connection, schema: str) -> dict[tuple[str, str], ColumnType]:
    out: dict[tuple[str, str], ColumnType] = {}
    for row in conn.execute(_TYPES, [schema]).fetchall():
        out[(row[0], row[1])] = ColumnType(*row[2:])
    return out


def _sizes(conn: psycopg.Connection, schema: str) -> dict[str, tuple[int, int]]:
    return {r[0]: (int(r[1]), int(r[2])) for r in conn.execute(_SIZES, [schema]).fetchall()}


def is_empty(conn: psycopg.Connection, schema: str, table: str) -> bool:
    query = sql.SQL("select not exists (select 1 from {})").format(qualified(schema, table))
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


def _estimate(conn: psycopg.Connection, schema: str, table: str, tuples: int) -> int:
    if tuples >= 0:
        return tuples
    query = sql.SQL("select count(*) from {}").format(qualified(schema, table))
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class SourceTable:
    """A source table as any source reports it, before it is checked against the target."""

    name: str
    columns: tuple[str, ...]  # the columns to copy, in order (generated ones left out)
    key: tuple[str, ...]
    parents: frozenset[str]
    est_rows: int
    est_bytes: int
    types: Mapping[str, ColumnType] | None = None  # PostgreSQL sources: for binary COPY


def _check_columns(
    src: SourceTable, tgt: Table, ttypes: Mapping[tuple[str, str], ColumnType]
) -> bool:
    """Raise unless every source column has a writable target; True when binary COPY fits."""
    target_names = {c.name for c in tgt.columns}
    binary = src.types is not None
    for name in src.columns:
        if name not in target_names:
            raise PreflightError(
                f"source column {src.name}.{name} has no column of that name in the target "
                "table; add it to the target schema (or drop it from the source) and run again"
            )
        tt = ttypes[(tgt.name, name)]
        if tt.generated:
            raise PreflightError(
                f"target column {tgt.name}.{name} is generated and cannot be written; make it "
                "a plain column or drop it from the source"
            )
        binary = binary and src.types is not None and src.types[name].binary_compatible(tt)
    copied = set(src.columns)
    for col in tgt.columns:
        tt = ttypes[(tgt.name, col.name)]
        if col.name in copied or tt.generated or not tt.not_null:
            continue
        if not (tt.has_default or tt.identity):
            raise PreflightError(
                f"target column {tgt.name}.{col.name} is NOT NULL without a default and the "
                "source has no such column; give it a default or make it nullable"
            )
    return binary


def source_tables(conn: psycopg.Connection, schema: str) -> list[SourceTable]:
    """The tables of a PostgreSQL source, from `reflect` plus column type details."""
    stypes = _types(conn, schema)
    sizes = _sizes(conn, schema)
    out: list[SourceTable] = []
    for table in reflect(conn, schema).tables:
        if table.kind != "table":
            continue
        columns = tuple(c.name for c in table.columns if not stypes[(table.name, c.name)].generated)
        tuples, nbytes = sizes.get(table.name, (0, 0))
        out.append(
            SourceTable(
                name=table.name,
                columns=columns,
                key=table.primary_key.columns if table.primary_key else (),
                parents=frozenset(
                    fk.referenced_table
                    for fk in table.foreign_keys
                    if fk.referenced_schema in (None, schema)
                ),
                est_rows=_estimate(conn, schema, table.name, tuples),
                est_bytes=nbytes,
                types={c: stypes[(table.name, c)] for c in columns},
            )
        )
    return out


def plan_for_target(
    tables: Sequence[SourceTable],
    target: psycopg.Connection,
    *,
    schema: str,
    target_schema: str,
    allow_no_key: bool = False,
) -> Plan:
    """Check ``tables`` against the target schema and order them parents first."""
    src = {t.name: t for t in tables}
    tgt = {t.name: t for t in reflect(target, target_schema).tables if t.kind == "table"}
    if not src:
        raise PreflightError(f"the source has no tables in schema {schema!r}; check --schema")
    missing = sorted(set(src) - set(tgt))
    if missing:
        raise PreflightError(
            f"the target has no table {missing[0]!r} (schema {target_schema!r})"
            + (f" nor {len(missing) - 1} more" if len(missing) > 1 else "")
            + "; create the target schema first (ormshift generate, or your migrations)"
        )
    ttypes = _types(target, target_schema)
    warnings: list[str] = []
    plans: dict[str, TablePlan] = {}
    for name, table in src.items():
        binary = _check_columns(table, tgt[name], ttypes)
        if not table.key:
            if not allow_no_key:
                raise PreflightError(
                    f"source table {name!r} has no primary key, so it cannot be copied in "
                    "batches; add one, or pass --allow-no-key to copy it whole in one transaction"
                )
            warnings.append(
                f"table {name!r} has no primary key: copied whole in one transaction, "
                "not resumable part-way, and rolled back by deleting all its rows"
            )
        seqs = tuple(
            SequenceRef(c, seq)
            for c in table.columns
            for seq in [_sequence(target, target_schema, name, c)]
            if seq is not None
        )
        plans[name] = TablePlan(
            name=name,
            schema=target_schema,
            columns=table.columns,
            key=table.key,
            binary=binary,
            depends_on=tuple(sorted((table.parents & set(src)) - {name})),
            est_rows=table.est_rows,
            est_bytes=table.est_bytes,
            sequences=seqs,
        )
    deps = {n: set(t.parents & set(src)) for n, t in src.items()}
    groups = cycle_groups(deps)
    cycles = tuple(tuple(_find_cycle({n: deps[n] & g - {n} for n in g})) for g in groups)
    deferred: list[DeferredConstraint] = []
    fks = _foreign_keys(target, target_schema)
    for g in groups:
        for n in g:
            deps[n] -= g
        deferred.extend(
            DeferredConstraint(target_schema, table, name, definition)
            for table, name, ref, definition in fks
            if table in g and ref in g and ref != table
        )
    if deferred:
        warnings.append(
            "foreign keys in a cycle are dropped on the target during the transfer and added "
            "back at the end: " + ", ".join(f"{d.table}.{d.name}" for d in deferred)
        )
    order = dependency_order(deps)
    return Plan(
        schema=schema,
        tables=tuple(plans[n] for n in order),
        warnings=tuple(warnings),
        cycles=cycles,
        deferred=tuple(deferred),
        self_references=tuple(
            DeferredConstraint(target_schema, table, name, definition)
            for table, name, ref, definition in fks
            if table == ref and table in src
        ),
    )


def build_plan(
    source: psycopg.Connection,
    target: psycopg.Connection,
    *,
    schema: str = "public",
    target_schema: str | None = None,
    allow_no_key: bool = False,
) -> Plan:
    """Reflect both ends, check that every source column has a target, and order tables."""
    return plan_for_target(
        source_tables(source, schema),
        target,
        schema=schema,
        target_schema=target_schema or schema,
        allow_no_key=allow_no_key,
    )


_FOREIGN_KEYS = """
select c.relname, con.conname, f.relname, pg_get_constraintdef(con.oid)
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_class f on f.oid = con.confrelid
where n.nspname = %s and con.contype = 'f'
order by c.relname, con.conname
"""


def _foreign_keys(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, str, str]]:
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(_FOREIGN_KEYS, [schema]).fetchall()]


def _sequence(conn: psycopg.Connection, schema: str, table: str, column: str) -> str | None:
    rel = sql.SQL("{}").format(qualified(schema, table)).as_string(conn)
    row = conn.execute(_SEQUENCES, [rel, column]).fetchone()
    return str(row[0]) if row and row[0] else None


def source_tables_only(plan: Plan, names: Sequence[str]) -> Plan:
    """The plan restricted to ``names`` (kept in dependency order)."""
    wanted = set(names)
    unknown = sorted(wanted - {t.name for t in plan.tables})
    if unknown:
        raise PreflightError(f"the source has no table {unknown[0]!r}; check --table")
    return replace(plan, tables=tuple(t for t in plan.tables if t.name in wanted))
