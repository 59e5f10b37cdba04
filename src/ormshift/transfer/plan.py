"""The plan of a transfer and the preflight that guards it.

Tables come from reflecting both databases (`ormshift.extract.database.reflect`); their
order follows the foreign keys so that parents load before children. A self-reference
is fine (a batch is one COPY statement, checked at its end, and parents usually have the
smaller keys); a cycle between tables is refused with the tables named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ormshift import graph
from ormshift.db import catalog
from ormshift.db.catalog import ColumnType
from ormshift.extract.database import reflect
from ormshift.manifest import Table
from ormshift.mapping import Mapping as MappingFile
from ormshift.mapping import TableMapping, Transform
from ormshift.transfer.errors import PreflightError
from ormshift.transfer.keyset import qualified

_LEDGER_SCHEMA = "ormshift"


@dataclass(frozen=True)
class SequenceRef:
    column: str
    sequence: str  # qualified name, as pg_get_serial_sequence reports it


@dataclass(frozen=True)
class Output:
    """One target column and what the source SELECT gives it: a source column (renamed,
    transformed, cast) or a trusted SQL expression from the mapping file."""

    target: str
    source: str | None = None
    transform: Transform | None = None
    cast: str | None = None
    expression: str | None = None

    @property
    def plain(self) -> bool:
        """Copied as the source stores it (a rename at most)."""
        return self.transform is None and self.cast is None and self.expression is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target}
        for k in ("source", "transform", "cast", "expression"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


@dataclass(frozen=True)
class TablePlan:
    name: str  # the source table (ledger rows, events and reports use it)
    schema: str  # the target schema
    columns: tuple[str, ...]  # source columns copied
    key: tuple[str, ...]  # empty: no primary key, copied whole (--allow-no-key)
    binary: bool
    depends_on: tuple[str, ...]
    est_rows: int
    est_bytes: int
    sequences: tuple[SequenceRef, ...] = ()  # columns are target columns
    target_name: str | None = None  # when the mapping renames the table
    mapped: tuple[Output, ...] = ()  # empty: every column copied under its own name
    key_types: tuple[str, ...] = ()  # the key columns' source types (PostgreSQL sources)

    @property
    def target(self) -> str:
        return self.target_name or self.name

    @property
    def outputs(self) -> tuple[Output, ...]:
        return self.mapped or tuple(Output(c, c) for c in self.columns)

    @property
    def target_columns(self) -> tuple[str, ...]:
        return tuple(o.target for o in self.outputs)

    @property
    def target_key(self) -> tuple[str, ...]:
        by_source = {o.source: o.target for o in self.outputs if o.expression is None}
        return tuple(by_source[k] for k in self.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "schema": self.schema,
            "target_table": self.target,
            "columns": list(self.columns),
            "key": list(self.key),
            "target_key": list(self.target_key),
            "outputs": [o.to_json() for o in self.mapped],
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
            raise cycle_error(self.cycles[0])


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
    try:
        return graph.order(deps)
    except graph.Cycle as exc:
        raise cycle_error(exc.nodes) from None


def cycle_error(cycle: Sequence[str]) -> PreflightError:
    """The one error for tables that reference each other in a cycle."""
    return PreflightError(
        f"{graph.describe(cycle)}; rows cannot load parents first. Pass --defer-constraints "
        "to drop those foreign keys on the target for the transfer and add them back at the end"
    )


#: the (schema, table) pairs that are plain tables with no page at all: they hold no row
#: (nor an uncommitted one), whatever any snapshot sees
_NO_PAGES = """
select n.nspname, c.relname
from unnest(%s::text[], %s::text[]) as t(s, r)
join pg_namespace n on n.nspname = t.s
join pg_class c on c.relnamespace = n.oid and c.relname = t.r
where c.relkind = 'r' and pg_relation_size(c.oid) = 0
"""


def nonempty(conn: psycopg.Connection, tables: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Those of the (schema, table) pairs that hold a row: one catalog query, then one
    EXISTS each (in statements of 500) for the tables that have pages. A plain table of
    size 0 (a new or truncated one: a fresh target's) holds no row; only a table with
    pages can, and planning a UNION of thousands of EXISTS cost more than the rows."""
    if not tables:
        return []
    empty = {
        (str(s), str(r))
        for s, r in conn.execute(
            _NO_PAGES, [[s for s, _ in tables], [r for _, r in tables]]
        ).fetchall()
    }
    tables = [t for t in tables if t not in empty]
    found: list[tuple[str, str]] = []
    for start in range(0, len(tables), 500):  # a statement of bounded size
        chunk = tables[start : start + 500]
        query = sql.SQL(" union all ").join(
            sql.SQL("select {i} where exists (select 1 from {t})").format(
                i=sql.Literal(i), t=qualified(schema, table)
            )
            for i, (schema, table) in enumerate(chunk)
        )
        found += [chunk[int(r[0])] for r in conn.execute(query).fetchall()]
    return found


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


_CAST = re.compile(r'^[A-Za-z_][A-Za-z0-9_ ."]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])*$')


def _unknown_columns(src: SourceTable, tm: TableMapping) -> None:
    known = set(src.columns)
    named = [c.source for c in tm.columns if not c.computed] + list(tm.skip)
    for name in named:
        if name not in known:
            raise PreflightError(
                f"the mapping names column {src.name}.{name}, which the source table does not "
                f"have (it has {', '.join(src.columns)}); fix the mapping file"
            )


def map_outputs(src: SourceTable, tm: TableMapping) -> tuple[Output, ...]:
    """The target columns of ``src`` under ``tm``, in source order, computed ones last."""
    _unknown_columns(src, tm)
    outputs: list[Output] = []
    for name in src.columns:
        if name in tm.skip:
            if name in src.key:
                raise PreflightError(
                    f"the mapping skips {src.name}.{name}, a primary key column; batches and "
                    "rollback need it, so copy it"
                )
            continue
        cm = tm.column(name)
        if name in src.key and (cm.transform or cm.expression):
            raise PreflightError(
                f"the mapping transforms {src.name}.{name}, a primary key column; keys are "
                "copied as they are (a rename or a cast at most)"
            )
        outputs.append(Output(cm.target, name, cm.transform, cm.cast))
    outputs.extend(Output(cm.target, None, None, cm.cast, cm.expression) for cm in tm.computed())
    seen: set[str] = set()
    for o in outputs:
        if o.cast is not None and not _CAST.match(o.cast):
            raise PreflightError(
                f"the mapping casts {src.name}.{o.target} to {o.cast!r}, which is not a type "
                "name (like text, numeric(14,2) or text[])"
            )
        if o.target in seen:
            raise PreflightError(
                f"the mapping sends two columns of {src.name!r} to target column {o.target!r}"
            )
        seen.add(o.target)
    return tuple(outputs)


def _check_conversions(
    target: psycopg.Connection,
    tables: Iterable[SourceTable],
    mapping: MappingFile,
    to: Mapping[str, str],
    ttypes: Mapping[tuple[str, str], ColumnType],
) -> None:
    """Refuse a plainly copied column whose type cannot become the target column's.

    Rows travel as text unless the types agree, and the target parses that text: text
    goes anywhere its contents parse (checked row by row: rejects); other types need the
    same type category (numeric, date/time, ...) or a string-like target.
    """
    seen: set[tuple[str, str]] = set()
    for src in tables:
        if src.types is None:
            continue
        tm = mapping.table(src.name)
        for name in src.columns:
            cm = tm.column(name)
            st = src.types[name]
            tt = ttypes.get((to[src.name], cm.target))
            if name in tm.skip or cm.transform or cm.cast or tt is None or st.fmt == tt.fmt:
                continue
            if "e" in (st.typtype, tt.typtype) or (st.fmt, tt.fmt) in seen:
                continue
            row = catalog.type_categories(target, st.fmt, tt.fmt)
            if row is None:  # a type the target does not know: the extensions check says
                continue
            scat, tcat = row
            if scat == tcat or "S" in (scat, tcat):
                seen.add((st.fmt, tt.fmt))
                continue
            raise PreflightError(
                f"source column {src.name}.{name} is {st.fmt} and target column "
                f"{to[src.name]}.{cm.target} is {tt.fmt}, which it cannot be converted to; "
                "change the target type or cast it in a --mapping file"
            )


def _check_columns(
    src: SourceTable,
    outputs: Sequence[Output],
    tgt: Table,
    ttypes: Mapping[tuple[str, str], ColumnType],
) -> bool:
    """Raise unless every output has a writable target; True when binary COPY fits."""
    target_names = {c.name for c in tgt.columns}
    binary = src.types is not None
    for o in outputs:
        if o.target not in target_names:
            if o.plain and o.source == o.target:
                raise PreflightError(
                    f"source column {src.name}.{o.source} has no column of that name in target "
                    f"table {tgt.name!r}; rename or skip it in a --mapping file, or add it to "
                    "the target"
                )
            raise PreflightError(
                f"the mapping sends {src.name}.{o.source or o.expression} to column "
                f"{tgt.name}.{o.target}, which the target table does not have; fix the mapping"
            )
        tt = ttypes[(tgt.name, o.target)]
        if tt.generated:
            raise PreflightError(
                f"target column {tgt.name}.{o.target} is generated and cannot be written; make "
                "it a plain column, or skip the source column in a --mapping file"
            )
        binary = (
            binary
            and o.plain
            and src.types is not None
            and o.source is not None
            and src.types[o.source].binary_compatible(tt)
        )
    copied = {o.target for o in outputs}
    for col in tgt.columns:
        tt = ttypes[(tgt.name, col.name)]
        if col.name in copied or tt.generated or not tt.not_null:
            continue
        if not (tt.has_default or tt.identity):
            raise PreflightError(
                f"target column {tgt.name}.{col.name} is NOT NULL without a default and the "
                "source has no such column; give it a default, make it nullable, or fill it "
                "with an expression in a --mapping file"
            )
    return binary


def source_tables(conn: psycopg.Connection, schema: str) -> list[SourceTable]:
    """The tables of a PostgreSQL source, from `reflect` plus column type details."""
    stypes = catalog.column_types(conn, schema)
    sizes = catalog.table_sizes(conn, schema)
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


def _key_types(table: SourceTable) -> tuple[str, ...]:
    """format_type() of each key column, when the source reports types."""
    types = table.types or {}
    if not all(k in types for k in table.key):
        return ()
    return tuple(types[k].fmt for k in table.key)


@dataclass(frozen=True)
class TargetCatalog:
    """What planning reads of the target schema: its tables, column types and owned
    sequences (`read_target`; the engine reads it while the source is read)."""

    tables: Mapping[str, Table]
    types: Mapping[tuple[str, str], ColumnType]
    owned: Mapping[tuple[str, str], str]


def read_target(conn: psycopg.Connection, schema: str) -> TargetCatalog:
    return TargetCatalog(
        {t.name: t for t in reflect(conn, schema).tables if t.kind == "table"},
        catalog.column_types(conn, schema),
        owned_sequences(conn, schema),
    )


def plan_for_target(
    tables: Sequence[SourceTable],
    target: psycopg.Connection,
    *,
    schema: str,
    target_schema: str,
    allow_no_key: bool = False,
    mapping: MappingFile | None = None,
    only: Sequence[str] | None = None,
    known: Callable[[], TargetCatalog] | None = None,
) -> Plan:
    """Check ``tables`` against the target schema and order them parents first.

    With ``only`` (source table names, as --table gives them) the plan holds those tables
    alone, and nothing about the other source tables is checked: a table the run does not
    copy may differ from the target, or be missing there, without stopping the run.
    ``known``: returns the target schema's `TargetCatalog` (read already, or raises what
    reading it raised); without it the catalog is read here.
    """
    mapping = mapping or MappingFile()
    listed = {t.name: t for t in tables}
    if not listed:
        raise PreflightError(f"the source has no tables in schema {schema!r}; check --schema")
    for tm in mapping.tables:
        if tm.source not in listed:
            raise PreflightError(
                f"the mapping names table {tm.source!r}, which the source schema {schema!r} "
                "does not have; fix the mapping file"
            )
    src, outside = _selected(listed, only, schema=schema, mapping=mapping)
    found = known() if known is not None else read_target(target, target_schema)
    tgt = found.tables
    for tm in mapping.tables:
        if tm.source in src:
            _unknown_columns(src[tm.source], tm)
    to = {n: mapping.table(n).target for n in src}
    back = {t: n for n, t in to.items()}
    missing = sorted(n for n in src if to[n] not in tgt)
    if missing:
        raise PreflightError(
            f"the target has no table {to[missing[0]]!r} (schema {target_schema!r})"
            + (f" nor {len(missing) - 1} more" if len(missing) > 1 else "")
            + "; create the target schema first (ormshift generate, your migrations, or "
            "--create-schema)"
        )
    ttypes = found.types
    _check_conversions(target, src.values(), mapping, to, ttypes)
    warnings: list[str] = []
    plans: dict[str, TablePlan] = {}
    owned = found.owned
    for name, table in src.items():
        outputs = map_outputs(table, mapping.table(name))
        binary = _check_columns(table, outputs, tgt[to[name]], ttypes)
        identity = to[name] == name and all(o.plain and o.source == o.target for o in outputs)
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
            SequenceRef(o.target, seq)
            for o in outputs
            for seq in [owned.get((to[name], o.target))]
            if seq is not None
        )
        plans[name] = TablePlan(
            name=name,
            schema=target_schema,
            columns=tuple(o.source for o in outputs if o.source is not None),
            key=table.key,
            binary=binary,
            depends_on=tuple(sorted((table.parents & set(src)) - {name})),
            est_rows=table.est_rows,
            est_bytes=table.est_bytes,
            sequences=seqs,
            target_name=None if to[name] == name else to[name],
            mapped=() if identity else outputs,
            key_types=_key_types(table),
        )
    deps = {n: set(t.parents & set(src)) for n, t in src.items()}
    groups = cycle_groups(deps)
    cycles = tuple(graph.find_cycle({n: deps[n] & g for n in g}) or () for g in groups)
    deferred: list[DeferredConstraint] = []
    # the target's foreign keys, named by the source tables they belong to
    fks = [
        (back[fk.table], fk.name, back[fk.referenced], fk.definition)
        for fk in catalog.foreign_keys(target, target_schema)
        if fk.table in back and fk.referenced in back
    ]
    for g in groups:
        for n in g:
            deps[n] -= g
        deferred.extend(
            DeferredConstraint(target_schema, to[table], name, definition)
            for table, name, ref, definition in fks
            if table in g and ref in g and ref != table
        )
    if deferred:
        warnings.append(
            "foreign keys in a cycle are dropped on the target during the transfer and added "
            "back at the end: " + ", ".join(f"{d.table}.{d.name}" for d in deferred)
        )
    warnings.extend(outside)
    order = dependency_order(deps)
    return Plan(
        schema=schema,
        tables=tuple(plans[n] for n in order),
        warnings=tuple(warnings),
        cycles=cycles,
        deferred=tuple(deferred),
        self_references=tuple(
            DeferredConstraint(target_schema, to[table], name, definition)
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
    mapping: MappingFile | None = None,
) -> Plan:
    """Reflect both ends, check that every source column has a target, and order tables."""
    plan = plan_for_target(
        source_tables(source, schema),
        target,
        schema=schema,
        target_schema=target_schema or schema,
        allow_no_key=allow_no_key,
        mapping=mapping,
    )
    check_mapped(source, plan)
    return plan


def check_mapped(source: psycopg.Connection, plan: Plan) -> None:
    """Run each mapped table's SELECT on a PostgreSQL source for no rows (`_try_select`)."""
    for t in plan.tables:
        if t.mapped:
            _try_select(source, plan.schema, t)


def output_sql(o: Output) -> sql.Composable:
    """What the source SELECT computes for ``o`` (mapping expressions are trusted config)."""
    if o.expression is not None:
        # %% because the batch SELECT carries bound parameters (the key range)
        value: sql.Composable = sql.SQL("({})").format(sql.SQL(o.expression.replace("%", "%%")))
    else:
        assert o.source is not None
        value = sql.Identifier(o.source)
    if o.transform == "simple-json":
        value = sql.SQL("({})::jsonb").format(value)
    elif o.transform == "simple-array":
        # TypeORM writes array.join(","), and reads "" back as []
        value = sql.SQL(
            "case when {v} = '' then '{{}}'::text[] else string_to_array({v}, ',') end"
        ).format(v=value)
    if o.cast is not None:
        value = sql.SQL("({})::{}").format(value, sql.SQL(o.cast))
    return value


def select_list(table: TablePlan) -> sql.Composable:
    return sql.SQL(", ").join(
        output_sql(o) if not o.plain else sql.Identifier(o.source or o.target)
        for o in table.outputs
    )


def _try_select(source: psycopg.Connection, schema: str, table: TablePlan) -> None:
    """Run the mapped SELECT for no rows, so a bad expression or cast fails the preflight."""
    query = sql.SQL("select {} from {} limit 0").format(
        select_list(table), qualified(schema, table.name)
    )
    try:
        with source.transaction():
            source.execute(query, [])
    except psycopg.Error as exc:
        reason = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        raise PreflightError(
            f"the mapping of table {table.name!r} does not run on the source: {reason}; fix "
            "its expressions or casts"
        ) from exc


def owned_sequences(conn: psycopg.Connection, schema: str) -> dict[tuple[str, str], str]:
    """(table, column) -> the sequence it owns (as pg_get_serial_sequence names it), for
    every such column of ``schema``."""
    return {(o.table, o.column): o.qualified for o in catalog.owned_sequences(conn, schema)}


def _selected(
    listed: Mapping[str, SourceTable],
    only: Sequence[str] | None,
    *,
    schema: str,
    mapping: MappingFile,
) -> tuple[dict[str, SourceTable], list[str]]:
    """The source tables a run copies (``only``, or all of them), and a warning for each
    reference from one of them to a source table the run leaves out."""
    if only is None:
        return dict(listed), []
    wanted = set(only)
    unknown = sorted(wanted - set(listed))
    if unknown:
        renamed = {tm.target: tm.source for tm in mapping.tables if tm.target != tm.source}
        if unknown[0] in renamed:
            raise PreflightError(
                f"--table {unknown[0]!r} is the mapping's target name of source table "
                f"{renamed[unknown[0]]!r}; --table takes source table names"
            )
        have = sorted(listed)
        shown = ", ".join(have[:8]) + (f" and {len(have) - 8} more" if len(have) > 8 else "")
        raise PreflightError(
            f"--table: schema {schema!r} of the source has no table "
            f"{', '.join(map(repr, unknown))}; it has {shown}"
        )
    chosen = {n: t for n, t in listed.items() if n in wanted}
    outside = [
        f"table {n!r} references {p!r}, which this run does not copy: each of its rows "
        f"is refused unless its {p!r} row is on the target already (add --table {p})"
        for n, t in sorted(chosen.items())
        for p in sorted(t.parents & set(listed))
        if p not in wanted and p != n
    ]
    return chosen, outside
