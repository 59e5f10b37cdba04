"""Consistency of a manifest: every reference points at something that exists."""

from __future__ import annotations

from ormshift.manifest.model import Manifest, Table


def _table_problems(table: Table, names: set[str], enums: set[str]) -> list[str]:
    out: list[str] = []
    cols = {c.name for c in table.columns}
    where = f"table {table.name!r}"
    if len(cols) != len(table.columns):
        out.append(f"{where} lists a column twice")
    groups: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key:
        groups.append((f"primary key {table.primary_key.name!r}", table.primary_key.columns))
    groups += [(f"foreign key {fk.name!r}", fk.columns) for fk in table.foreign_keys]
    groups += [(f"unique {u.name!r}", u.columns) for u in table.uniques]
    groups += [(f"index {i.name!r}", i.columns) for i in table.indices]
    for what, columns in groups:
        for name in columns:
            if name not in cols:
                out.append(f"{where}: {what} names column {name!r}, which the table lacks")
    for fk in table.foreign_keys:
        if fk.referenced_table not in names:
            out.append(
                f"{where}: foreign key {fk.name!r} references unknown table {fk.referenced_table!r}"
            )
    for col in table.columns:
        if col.type == "enum" and col.enum_name not in enums:
            out.append(f"{where}: column {col.name!r} uses unknown enum type {col.enum_name!r}")
    return out


def problems(manifest: Manifest) -> list[str]:
    """Every dangling reference, as a sentence; empty when the manifest is consistent."""
    out: list[str] = []
    names = {t.name for t in manifest.tables}
    enums = {e.name for e in manifest.enums}
    if len(names) != len(manifest.tables):
        seen: dict[str, list[str]] = {}
        for t in manifest.tables:
            seen.setdefault(t.name, []).append(t.schema or manifest.default_schema)
        for name, schemas in seen.items():
            if len(schemas) > 1:
                out.append(
                    f"table {name!r} appears {len(schemas)} times (schemas {', '.join(schemas)}); "
                    "table names must be unique"
                )
    for table in manifest.tables:
        out += _table_problems(table, names, enums)
    entity_names = {e.name for e in manifest.entities}
    tables = {t.name: t for t in manifest.tables}
    for ent in manifest.entities:
        where = f"entity {ent.name!r}"
        mapped = tables.get(ent.table)
        if mapped is None:
            out.append(f"{where} maps to unknown table {ent.table!r}")
            continue
        cols = {c.name for c in mapped.columns}
        for col in ent.columns:
            if col.column not in cols:
                out.append(
                    f"{where}: property {col.property_path!r} maps to column "
                    f"{col.column!r}, which table {table.name!r} lacks"
                )
        for rel in ent.relations:
            if rel.target not in entity_names:
                out.append(
                    f"{where}: relation {rel.property_name!r} targets unknown entity {rel.target!r}"
                )
            if rel.junction_table is not None and rel.junction_table not in names:
                out.append(
                    f"{where}: relation {rel.property_name!r} uses unknown junction "
                    f"table {rel.junction_table!r}"
                )
    return out
