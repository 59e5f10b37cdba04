"""The Alembic baseline revision: the schema TypeORM's ``synchronize`` makes, as explicit
``op.*`` calls a person can read and review.

The revision states every part of the schema on its own, with no import of the models:
extensions, enum types with their labels, sequences, tables with their columns in
TypeORM's order and every constraint under TypeORM's name, indices (partial and gist
ones included), and the DDL with no declarative form (exclusions, ``OWNED BY``). Tables
are created in foreign-key order; a foreign key that closes a cycle is added after its
tables. The revision id is a hash of the body, so the same manifest gives the same file.
"""

from __future__ import annotations

import dataclasses
import hashlib

from ormshift import graph
from ormshift.codegen.columns import _SEQUENCE_TYPES, render_column, serial_outside_pk
from ormshift.codegen.constraints import exclusion_ddl, fk_actions, index_kwargs, table_items
from ormshift.codegen.naming import constant_name, doc_text, find_free_name, py_str
from ormshift.codegen.source import INDENT, Call, Expr, Imports, Seq, comment, render, string_lines
from ormshift.manifest import ForeignKey, Manifest, Table

__all__ = ["render_baseline"]

_PG_TYPE = [
    "class PgType(UserDefinedType[Any]):",
    f'{INDENT}"""A PostgreSQL type SQLAlchemy does not know, created verbatim."""',
    "",
    f"{INDENT}cache_ok = True",
    "",
    f"{INDENT}def __init__(self, spec: str) -> None:",
    f"{INDENT * 2}self.spec = spec",
    "",
    f"{INDENT}def get_col_spec(self, **kw: Any) -> str:",
    f"{INDENT * 2}return self.spec",
]


def _own_schema(schema: str | None, manifest: Manifest) -> str | None:
    """``schema`` when it is not the default one (which the revision leaves unsaid)."""
    return schema if schema and schema != manifest.default_schema else None


def _schemas(manifest: Manifest) -> list[str]:
    """The schemas other than ``public`` the tables and enum types live in."""
    found = {t.schema for t in manifest.tables} | {e.schema for e in manifest.enums}
    return sorted(s for s in found | {manifest.default_schema} if s and s != "public")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: Table, manifest: Manifest) -> str:
    schema = _own_schema(table.schema, manifest)
    return f"{_quote(schema)}.{_quote(table.name)}" if schema else _quote(table.name)


def _creation_order(tables: list[Table]) -> tuple[list[Table], list[tuple[Table, ForeignKey]]]:
    """Tables so that each comes after those it references; the foreign keys that close a
    cycle are returned apart, to be added once every table exists."""
    names = {t.name for t in tables}
    deps = {t.name: {fk.referenced_table for fk in t.foreign_keys} & names for t in tables}
    cut: set[tuple[str, str]] = set()  # (table, referenced table): added at the end
    while (cycle := graph.find_cycle(deps)) is not None:
        deps[cycle[0]].discard(cycle[1])
        cut.add((cycle[0], cycle[1]))
    by_name = {t.name: t for t in tables}
    order: list[Table] = []
    deferred: list[tuple[Table, ForeignKey]] = []
    for name in graph.order(deps):
        table = by_name[name]
        later = [fk for fk in table.foreign_keys if (name, fk.referenced_table) in cut]
        if later:
            deferred += [(table, fk) for fk in later]
            kept = tuple(fk for fk in table.foreign_keys if fk not in later)
            table = dataclasses.replace(table, foreign_keys=kept)
        order.append(table)
    return order, deferred


def _schema_kw(schema: str | None) -> tuple[tuple[str, Expr], ...]:
    return (("schema", py_str(schema)),) if schema else ()


def _enum_block(manifest: Manifest, imports: Imports) -> tuple[list[str], dict[str, str]]:
    """Module-level ``ENUM`` objects (``create_type=False``: the revision creates them)."""
    body: list[str] = []
    constants: dict[str, str] = {}
    for enum_type in sorted(manifest.enums, key=lambda e: e.name):
        imports.add("sqlalchemy.dialects.postgresql", "ENUM")
        const = find_free_name(constant_name(enum_type.name), {"PgType", *constants.values()})
        constants[enum_type.name] = const
        schema = _own_schema(enum_type.schema, manifest)
        call = Call(
            "ENUM",
            (
                *(py_str(v) for v in enum_type.values),
                ("name", py_str(enum_type.name)),
                *_schema_kw(schema),
                ("create_type", "False"),
            ),
        )
        body += [*render(call, 0, f"{const} = "), ""]
    return body, constants


def _fk_call(table: Table, fk: ForeignKey, manifest: Manifest) -> Call:
    schema = _own_schema(table.schema, manifest)
    ref_schema = _own_schema(fk.referenced_schema, manifest)
    kwargs: list[tuple[str, Expr]] = []
    if schema:
        kwargs.append(("source_schema", py_str(schema)))
    if ref_schema:
        kwargs.append(("referent_schema", py_str(ref_schema)))
    kwargs += fk_actions(fk)
    return Call(
        "op.create_foreign_key",
        (
            py_str(fk.name),
            py_str(table.name),
            py_str(fk.referenced_table),
            Seq(tuple(py_str(c) for c in fk.columns), "[]"),
            Seq(tuple(py_str(c) for c in fk.referenced_columns), "[]"),
            *kwargs,
        ),
    )


def _table_block(
    table: Table, manifest: Manifest, imports: Imports, enums: dict[str, str]
) -> tuple[list[str], list[str]]:
    """``op.create_table`` and ``op.create_index`` calls; the DDL to run afterwards."""
    lines: list[str] = []
    after: list[str] = []
    enum_types = {name: (const, const) for name, const in enums.items()}
    args: list[Expr | tuple[str, Expr]] = [py_str(table.name)]
    for col in table.columns:
        if serial_outside_pk(col, table):
            imports.add("sqlalchemy", "Sequence")
            imports.add("sqlalchemy.schema", "CreateSequence")
            data_type = _SEQUENCE_TYPES.get(col.type, "Integer")
            imports.add("sqlalchemy", data_type)
            seq = Call(
                "Sequence", (py_str(f"{table.name}_{col.name}_seq"), ("data_type", data_type))
            )
            lines += render(Call("op.execute", (Call("CreateSequence", (seq,)),)), 1)
        rendered = render_column(col, table, imports, enum_types, attribute=None)
        args.append(rendered.call)
        after += rendered.after_create
    args += table_items(dataclasses.replace(table, indices=()), manifest, imports)
    schema = _own_schema(table.schema, manifest)
    args += list(_schema_kw(schema))
    if table.comment:
        args.append(("comment", py_str(table.comment)))
    lines += render(Call("op.create_table", tuple(args)), 1)
    for idx in table.indices:
        kwargs = [*index_kwargs(idx, imports), *_schema_kw(schema)]
        cols = Seq(tuple(py_str(c) for c in idx.columns), "[]")
        lines += render(
            Call("op.create_index", (py_str(idx.name), py_str(table.name), cols, *kwargs)), 1
        )
    return lines, after + exclusion_ddl(table)


def _downgrade(
    manifest: Manifest,
    order: list[Table],
    deferred: list[tuple[Table, ForeignKey]],
    enum_constants: list[str],
) -> list[str]:
    """Everything the upgrade made, dropped in reverse; the extensions stay."""
    downgrade: list[str] = []
    for table, fk in reversed(deferred):
        schema = _own_schema(table.schema, manifest)
        call = Call(
            "op.drop_constraint",
            (
                py_str(fk.name),
                py_str(table.name),
                ("type_", py_str("foreignkey")),
                *_schema_kw(schema),
            ),
        )
        downgrade += render(call, 1)
    for table in reversed(order):
        schema = _own_schema(table.schema, manifest)
        downgrade += render(Call("op.drop_table", (py_str(table.name), *_schema_kw(schema))), 1)
    for const in reversed(enum_constants):
        downgrade += render(Call(f"{const}.drop", (Call("op.get_bind"),)), 1)
    if manifest.extensions:
        downgrade += comment("the extensions stay: other schemas may use them", 1)
    return downgrade


def render_baseline(manifest: Manifest) -> tuple[str, str]:
    """``(revision id, source)`` of the baseline revision for ``manifest``."""
    imports = Imports.annotated()
    imports.add("alembic", "op")
    enum_lines, enums = _enum_block(manifest, imports)
    upgrade: list[str] = []
    schemas = _schemas(manifest)
    for schema in schemas:
        statement = 'CREATE SCHEMA IF NOT EXISTS "' + schema.replace('"', '""') + '"'
        upgrade += render(Call("op.execute", (py_str(statement),)), 1)
    for ext in sorted(manifest.extensions):
        statement = 'CREATE EXTENSION IF NOT EXISTS "' + ext.replace('"', '""') + '"'
        upgrade += render(Call("op.execute", (py_str(statement),)), 1)
    for const in enums.values():
        upgrade += render(Call(f"{const}.create", (Call("op.get_bind"),)), 1)
    tables = [t for t in manifest.tables if t.kind == "table"]
    order, deferred = _creation_order(tables)
    after: list[str] = []
    for table in order:
        lines, ddl = _table_block(table, manifest, imports, enums)
        upgrade += lines
        after += ddl
    for table, fk in deferred:
        upgrade += comment("closes a cycle of foreign keys: added once both tables exist", 1)
        upgrade += render(_fk_call(table, fk, manifest), 1)
    for statement in after:
        upgrade += render(Call("op.execute", (py_str(statement),)), 1)
    views = [t for t in manifest.tables if t.kind == "view" and t.view_expression]
    if views:
        upgrade += comment("views, in TypeORM's order (a view after those it reads)", 1)
    for view in views:
        statement = f"CREATE VIEW {_qualified(view, manifest)} AS {view.view_expression}"
        imports.add("sqlalchemy", "text")
        # SQL as written: colons escaped, so that text() reads none as a parameter
        upgrade += [f"{INDENT}op.execute(", f"{INDENT * 2}text("]
        upgrade += string_lines(statement.replace(":", "\\:"), 3)
        upgrade += [f"{INDENT * 2})", f"{INDENT})"]

    downgrade: list[str] = []
    for view in reversed(views):
        statement = f"DROP VIEW IF EXISTS {_qualified(view, manifest)}"
        downgrade += render(Call("op.execute", (py_str(statement),)), 1)
    downgrade += _downgrade(manifest, order, deferred, list(enums.values()))
    for schema in reversed(schemas):
        statement = 'DROP SCHEMA IF EXISTS "' + schema.replace('"', '""') + '"'
        downgrade += render(Call("op.execute", (py_str(statement),)), 1)

    uses_pg_type = any(".types" in m and "PgType" in n for m, n in imports.names.items())
    for module in [m for m in imports.names if m.startswith(".")]:
        del imports.names[module]
    head: list[str] = []
    if uses_pg_type:
        imports.add("typing", "Any")
        imports.add("sqlalchemy.types", "UserDefinedType")
        head = [*_PG_TYPE, "", ""]
    body_text = "\n".join(enum_lines + upgrade + downgrade)
    revision = hashlib.sha256(body_text.encode()).hexdigest()[:12]
    project = doc_text(manifest.source.project or "a TypeORM project")
    doc = [
        f'"""Baseline: the schema TypeORM\'s synchronize makes for {project}.',
        "",
        f"Revision ID: {revision}",
        "Revises:",
        "",
        "Generated by ormshift from the manifest. On a database TypeORM already made, run",
        "``alembic stamp head``; on an empty one, ``alembic upgrade head``.",
        '"""',
    ]
    lines = [*doc, "", *imports.lines(), ""]
    if head:
        lines += ["", *head]
    lines += [
        f"revision = {py_str(revision)}",
        "down_revision = None",
        "branch_labels = None",
        "depends_on = None",
        "",
        *enum_lines,
        "",
        "def upgrade() -> None:",
        *(upgrade or [f"{INDENT}pass"]),
        "",
        "",
        "def downgrade() -> None:",
        *(downgrade or [f"{INDENT}pass"]),
    ]
    return revision, "\n".join(lines) + "\n"
