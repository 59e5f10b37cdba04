"""A manifest cut down to some of its tables, and still consistent.

The tables named stay; so does every table they reference through a foreign key (and
those tables' references, and so on), because a foreign key to a table the manifest
lacks is a dangling reference that nothing downstream can render; and so does a
junction or closure table of the entities kept when every table it joins is kept.
Entities stay with their tables; a relation of a kept entity whose other side is left
out (an inverse one-to-many, a many-to-many whose other end is not kept) is dropped
and said in the manifest's warnings. Enum types stay when a kept column uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ormshift.errors import ManifestError
from ormshift.manifest.model import Entity, Manifest, Warning

#: the entity kinds that only join other entities' tables: kept along with them
_AUXILIARY = ("junction", "closure")
#: names shown in an error before "and N more"
_SHOWN = 8


class UnknownTable(ManifestError):
    """A table asked for is not in the manifest."""


@dataclass(frozen=True)
class Subset:
    """The cut-down manifest, and the tables it holds beyond those asked for."""

    manifest: Manifest
    #: tables kept because a kept table needs them, in the manifest's order
    added: tuple[str, ...]
    #: relations dropped, as ``Entity.property`` (also among the manifest's warnings)
    dropped: tuple[str, ...]


#: where every name is, said when an error shows only some
ALL_NAMES = 'the manifest lists them all under "tables"'


def restrict(
    manifest: Manifest,
    names: Sequence[str],
    where: str = "the manifest",
    all_names: str = ALL_NAMES,
) -> Subset:
    """``manifest`` with only the tables ``names`` and what they need (module doc).

    In the error for a name it lacks, ``where`` names the manifest's origin and
    ``all_names`` says where to read every name when the error shows only some."""
    tables = {t.name: t for t in manifest.tables}
    missing = [n for n in dict.fromkeys(names) if n not in tables]
    if missing:
        raise UnknownTable(_unknown(manifest, missing, where, all_names))
    kept = _closure(manifest, set(names))
    entities = [e for e in manifest.entities if e.table in kept]
    kept_entities = {e.name for e in entities}
    trimmed: list[Entity] = []
    warnings = list(manifest.warnings)
    dropped: list[str] = []
    for entity in entities:
        relations = tuple(
            r
            for r in entity.relations
            if r.target in kept_entities and (r.junction_table is None or r.junction_table in kept)
        )
        for r in entity.relations:
            if r not in relations:
                dropped.append(f"{entity.name}.{r.property_name}")
                warnings.append(
                    Warning(
                        entity=entity.name,
                        property=r.property_name,
                        feature="relation",
                        message=f"{r.kind} relation to {r.target}, an entity outside the "
                        "tables kept (--table): left out",
                    )
                )
        changed = len(relations) != len(entity.relations)
        trimmed.append(replace(entity, relations=relations) if changed else entity)
    all_entities = {e.name for e in manifest.entities}
    used_enums = {c.enum_name for t in manifest.tables if t.name in kept for c in t.columns}
    result = replace(
        manifest,
        tables=tuple(t for t in manifest.tables if t.name in kept),
        entities=tuple(trimmed),
        enums=tuple(e for e in manifest.enums if e.name in used_enums),
        warnings=tuple(
            w for w in warnings if w.entity in kept_entities or w.entity not in all_entities
        ),
        subscribers=tuple(
            s for s in manifest.subscribers if s.listen_to is None or s.listen_to in kept_entities
        ),
    )
    added = tuple(t.name for t in manifest.tables if t.name in kept and t.name not in names)
    return Subset(result, added, tuple(dropped))


def _closure(manifest: Manifest, named: set[str]) -> set[str]:
    """``named``, the tables they reference (transitively), and the junction and
    closure tables of the kept entities whose every reference is kept."""
    tables = {t.name: t for t in manifest.tables}
    auxiliary = {e.table for e in manifest.entities if e.kind in _AUXILIARY}
    kept: set[str] = set()
    todo = list(named)
    while True:
        while todo:
            name = todo.pop()
            if name in kept or name not in tables:
                continue  # a reference to another schema's table is not ours to add
            kept.add(name)
            todo.extend(fk.referenced_table for fk in tables[name].foreign_keys)
        joining = [
            name
            for name in sorted(auxiliary - kept)
            if name in tables
            and tables[name].foreign_keys
            and all(fk.referenced_table in kept for fk in tables[name].foreign_keys)
        ]
        if not joining:
            return kept
        todo.extend(joining)


def _unknown(manifest: Manifest, missing: list[str], where: str, all_names: str) -> str:
    names = sorted(t.name for t in manifest.tables)
    by_entity = {e.name: e.table for e in manifest.entities}
    hints = [
        f"{n!r} is an entity, its table is {by_entity[n]!r}" for n in missing if n in by_entity
    ]
    shown = ", ".join(names[:_SHOWN])
    if len(names) > _SHOWN:
        shown += f" and {len(names) - _SHOWN} more ({all_names})"
    listed = f"; it has {shown}" if names else "; it has no tables"
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"--table: {where} has no table {', '.join(map(repr, missing))}{hint}{listed}"
