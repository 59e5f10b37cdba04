"""Whether SQLAlchemy can join a TypeORM relation, decided before anything is rendered.

TypeORM tolerates relations it cannot load: an inverse side naming a relation of another
entity, a one-to-one with a join column on neither side, an inverse property that no
longer exists, a many-to-many whose junction table is mapped as an entity of its own.
SQLAlchemy refuses those when the mappers are configured. Each relation gets a `Joinable`:

* ``ok``: rendered as usual (a many-to-many whose junction table is mapped as an
  entity names that table as its ``secondary``);
* ``viewonly``: a read-only relationship over the one foreign key that joins the two
  tables, with a finding;
* ``omit``: left out, with a finding saying why.

``back_populates`` links two relations only when both are ``ok``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ormshift.codegen.plan import Plan
from ormshift.manifest import Relation

Mode = Literal["ok", "viewonly", "omit"]


@dataclass(frozen=True)
class Joinable:
    mode: Mode
    reason: str = ""
    #: viewonly one-to-many/one-to-one: the target's columns of the foreign key used
    foreign_columns: tuple[str, ...] = ()
    #: a many-to-many over a junction table mapped as an entity: its name (a ``secondary``
    #: string)
    secondary: str | None = None


def _family(plan: Plan, entity: str) -> set[str]:
    """``entity`` and every entity sharing its table (STI root and children)."""
    table = plan.manifest.entity(entity).table
    return {e.name for e in plan.manifest.entities if e.table == table}


def usable_inverse(plan: Plan, entity: str, rel: Relation) -> Relation | None:
    """The relation of the target that ``rel`` names as its inverse, when it exists and
    points back at ``entity`` (or an entity of its table)."""
    if rel.inverse_property is None:
        return None
    target = plan.manifest.entity(rel.target)
    found = next((r for r in target.relations if r.property_name == rel.inverse_property), None)
    if found is None or found.target not in _family(plan, entity):
        return None
    return found


def _mapped(plan: Plan, entity: str) -> bool:
    return any(m.entity.name == entity for m in plan.models)


def _fallback_fk(plan: Plan, entity: str, rel: Relation, why: str) -> Joinable:
    """The one foreign key of the target's table to ``entity``'s table, read-only."""
    here = plan.model(entity).table
    there = plan.model(rel.target).table
    default = plan.manifest.default_schema
    fks = [
        fk
        for fk in there.foreign_keys
        if fk.referenced_table == here.name
        and (fk.referenced_schema or default) == (here.schema or default)
    ]
    if len(fks) == 1:
        return Joinable(
            "viewonly",
            f"{why}; read-only here, over the foreign key {fks[0].name} (write through the "
            "other side)",
            foreign_columns=fks[0].columns,
        )
    found = "no foreign key" if not fks else f"{len(fks)} foreign keys"
    return Joinable(
        "omit", f"{why}, and {found} of {there.name!r} points at {here.name!r}; left out"
    )


def joinable(plan: Plan, entity: str, rel: Relation) -> Joinable:
    """How relation ``rel`` of ``entity`` can be mapped (see the module docstring)."""
    if not _mapped(plan, rel.target):
        return Joinable("ok")  # rendered as "not mapped" by the caller
    inverse = usable_inverse(plan, entity, rel)
    stale = (
        f"its inverse {rel.inverse_property!r} is no relation of {rel.target} back to {entity}"
        if rel.inverse_property is not None and inverse is None
        else None
    )
    if rel.kind == "many-to-many":
        table = rel.junction_table or (inverse.junction_table if inverse else None)
        if table is not None and table in plan.table_constants:
            return Joinable("ok")
        if table is not None and any(m.table.name == table for m in plan.models):
            owner = next(m.entity.name for m in plan.models if m.table.name == table)
            schema = next(m.table.schema for m in plan.models if m.table.name == table)
            # writable as TypeORM's (it inserts and deletes the junction rows of the
            # relation, the entity's other columns take their defaults)
            return Joinable(
                "ok",
                f"its junction table {table!r} is also mapped as the entity {owner}",
                # named as the models' MetaData knows it: the default schema unsaid
                secondary=f"{schema}.{table}"
                if schema and schema != plan.manifest.default_schema
                else table,
            )
        why = stale or "TypeORM gives it no junction table"
        return Joinable("omit", f"{why}; a many-to-many needs one, left out")
    if rel.owning:
        if rel.join_columns:
            return Joinable("ok")
        return Joinable("omit", "it has no join column; left out")
    # the inverse (non-owning) side of a one-to-many or one-to-one
    if inverse is not None and inverse.owning and inverse.join_columns:
        return Joinable("ok")
    if stale is not None:
        return _fallback_fk(plan, entity, rel, stale)
    if rel.inverse_property is None:
        return _fallback_fk(plan, entity, rel, "TypeORM finds no inverse relation for it")
    return _fallback_fk(plan, entity, rel, "a join column is on neither side")
