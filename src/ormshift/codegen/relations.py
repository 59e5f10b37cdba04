"""TypeORM relations as SQLAlchemy ``relationship()`` calls.

* named after the TypeORM property, with ``back_populates`` when the other side exists;
* many-to-many through the junction `Table` of ``tables.py`` (``secondary=``), with
  ``overlaps=`` naming the other writable relations through the same junction that are not
  its ``back_populates`` partner (two owning sides that name no inverse: each writes on its
  own, as in TypeORM);
* TypeORM cascades in ``info={"cascade": (...)}``, applied by ``ormshift.orm``'s save,
  remove, soft-remove and recover; SQLAlchemy's own cascade is always ``save-update,
  merge`` (so that merge walks the relation), plus ``delete`` for ``remove`` and
  ``delete-orphan`` for ``orphanedRowAction: "delete"``; ``"disable"`` and
  ``"soft-delete"`` in ``info={"orphans": ...}``;
* ``foreign_keys=`` only where two foreign keys link the same two tables (`_ambiguous`);
* ``passive_deletes=True`` on a collection whose rows the database deletes or nulls
  itself (``ON DELETE CASCADE`` / ``SET NULL``);
* ``eager: true`` -> ``lazy="joined"`` (one row) or ``lazy="selectin"`` (collections).
"""

from __future__ import annotations

from dataclasses import dataclass

from ormshift.codegen.joinable import joinable, usable_inverse
from ormshift.codegen.naming import py_str
from ormshift.codegen.plan import ModelPlan, Plan, relation_owners
from ormshift.codegen.source import Call, Expr, Imports, Seq
from ormshift.manifest import ForeignKey, JoinColumn, Relation, Table

_DB_HANDLES_DELETE = ("CASCADE", "SET NULL")
#: orphanedRowAction values under which a row taken out of a collection keeps its key
_ORPHANS_KEPT = ("disable", "soft-delete")


@dataclass(frozen=True)
class RenderedRelation:
    name: str
    call: Call
    python: str
    notes: tuple[str, ...] = ()
    #: SQLAlchemy cannot join it: not rendered, ``notes`` say why
    omitted: bool = False


def _declared(plan: Plan, entity: str, prop: str) -> bool:
    """Whether ``entity`` (or its STI root) declares a relation named ``prop``."""
    model = plan.model(entity)
    if any(r.property_name == prop for r in model.relations):
        return True
    return model.parent is not None and _declared(plan, model.parent, prop)


def _inverse(plan: Plan, rel: Relation) -> Relation | None:
    if rel.inverse_property is None:
        return None
    target = plan.manifest.entity(rel.target)
    return next((r for r in target.relations if r.property_name == rel.inverse_property), None)


def _column_attrs(plan: Plan, entity: str, columns: tuple[str, ...]) -> str:
    model = plan.model(entity)
    return ", ".join(f"{model.class_name}.{model.columns[c]}" for c in columns)


def _cascade(plan: Plan, model: ModelPlan, rel: Relation) -> tuple[str | None, list[str]]:
    """SQLAlchemy's cascade: ``save-update, merge`` always (``ormshift.orm`` walks every
    relation and applies TypeORM's cascades, kept in ``info``, itself), ``delete`` for
    ``remove``, ``delete-orphan`` for ``orphanedRowAction: "delete"``; None for the
    default."""
    wanted = set(rel.cascade)
    parts: list[str] = ["save-update", "merge"]
    if "remove" in wanted:
        parts.append("delete")
    inverse = _inverse(plan, rel)
    if (
        rel.kind == "one-to-many"
        and inverse is not None
        and inverse.orphaned_row_action == "delete"
    ):
        parts.append("delete-orphan")
    notes: list[str] = []
    if len(parts) == 2:
        return None, notes
    return ", ".join(parts), notes


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _sti_root(plan: Plan, rel: Relation) -> str | None:
    """The class name of the single-table root above ``rel``'s target, when the target
    is a single-table child."""
    model = plan.model(rel.target)
    if model.parent is None:
        return None
    while model.parent is not None:
        model = plan.model(model.parent)
    return model.class_name


def _typeorm_info(
    rel: Relation,
    attribute: str,
    owners: tuple[str, ...] = (),
    target: str | None = None,
    orphans: str | None = None,
) -> Seq:
    """``info`` telling ``ormshift.orm`` the relation's TypeORM cascades, its TypeORM
    name when the attribute was renamed (it would shadow a name the module uses) and,
    on a single-table root, the classes declaring it when the root does not
    (``sti_owner``: a sibling's relation is not a class's own), ``target``, TypeORM's
    target class of a relationship mapped to its single-table root, and ``orphans``, what
    a save does to a row taken out of this collection when its inverse's
    ``orphanedRowAction`` is ``disable`` (nothing) or ``soft-delete``."""
    order = ("insert", "update", "remove", "soft-remove", "recover")
    inner = _tuple([py_str(c) for c in order if c in rel.cascade])
    items = [f'"cascade": {inner}']
    if attribute != rel.property_name:
        items.append(f'"property": {py_str(rel.property_name)}')
    if orphans:
        items.append(f'"orphans": {py_str(orphans)}')
    if owners:
        items.append(f'"sti_owner": {_tuple([py_str(o) for o in owners])}')
    if target:
        items.append(f'"target": {py_str(target)}')
    return Seq(tuple(items), "{}")


def _m2m_joins(plan: Plan, model: ModelPlan, rel: Relation) -> list[tuple[str, Expr]]:
    """``primaryjoin``/``secondaryjoin`` for a many-to-many from an entity to itself,
    where the junction's foreign keys alone cannot tell the two sides apart."""
    owning = rel if rel.owning else _inverse(plan, rel)
    if owning is None or owning.junction_table is None:
        return []
    table = owning.junction_table
    near, far = owning.join_columns, owning.inverse_join_columns
    if not rel.owning:
        near, far = far, near
    names = [table, *(j.name for j in (*near, *far))]
    if not near or not far or not all(n.isidentifier() for n in names):
        return []

    def condition(columns: tuple[JoinColumn, ...], entity: str) -> str:
        m = plan.model(entity)
        parts = [
            f"{m.class_name}.{m.columns[j.referenced_column]} == {table}.c.{j.name}"
            for j in columns
        ]
        return parts[0] if len(parts) == 1 else "and_(" + ", ".join(parts) + ")"

    return [
        ("primaryjoin", py_str(condition(near, model.entity.name))),
        ("secondaryjoin", py_str(condition(far, rel.target))),
    ]


def _junction(plan: Plan, entity: str, rel: Relation) -> str | None:
    """The junction table of a many-to-many (its own, or its inverse's)."""
    if rel.kind != "many-to-many":
        return None
    inverse = usable_inverse(plan, entity, rel)
    return rel.junction_table or (inverse.junction_table if inverse else None)


def _overlaps(plan: Plan, entity: str, rel: Relation, back: str | None) -> list[str]:
    """Other writable many-to-many relations through the same junction table that are not
    ``rel``'s ``back_populates`` partner: two owning sides that each name no inverse (TypeORM
    merges their junction tables and writes each side on its own, and so does SQLAlchemy
    once told they overlap knowingly)."""
    table = _junction(plan, entity, rel)
    if table is None:
        return []
    out = []
    for other in plan.models:
        for r in other.entity.relations:
            name = plan.relation_attribute(other.entity.name, r.property_name)
            if (other.entity.name, r.property_name) == (entity, rel.property_name):
                continue
            if other.entity.name == rel.target and name == back:
                continue
            if _junction(plan, other.entity.name, r) != table or not _mapped(plan, r.target):
                continue
            if joinable(plan, other.entity.name, r).mode == "ok" and name not in out:
                out.append(name)
    return out + [n for n in _junction_entity_relations(plan, table) if n not in out]


def _junction_entity_relations(plan: Plan, table: str) -> list[str]:
    """When the junction table is also mapped as an entity: that entity's relations and
    the relations to it, which write the same junction columns as the many-to-many
    (TypeORM writes through both; SQLAlchemy, told they overlap, does too)."""
    junction = next((m.entity.name for m in plan.models if m.table.name == table), None)
    if junction is None:
        return []
    out: list[str] = []
    for other in plan.models:
        for r in other.entity.relations:
            if junction not in (other.entity.name, r.target) or not _mapped(plan, r.target):
                continue
            name = plan.relation_attribute(other.entity.name, r.property_name)
            if joinable(plan, other.entity.name, r).mode == "ok" and name not in out:
                out.append(name)
    return out


def _table_key(plan: Plan, schema: str | None, name: str) -> tuple[str, str]:
    return (schema or plan.manifest.default_schema, name)


def _ambiguous(plan: Plan, holder: Table, other: Table, columns: tuple[str, ...]) -> bool:
    """Whether a relationship joining ``holder``'s ``columns`` to ``other`` needs
    ``foreign_keys=``: unless they are the one foreign key between the two tables (in
    either direction), SQLAlchemy cannot tell which path is meant."""
    a = _table_key(plan, holder.schema, holder.name)
    b = _table_key(plan, other.schema, other.name)

    def keys(source: Table, target: tuple[str, str]) -> list[ForeignKey]:
        return [
            fk
            for fk in source.foreign_keys
            if _table_key(plan, fk.referenced_schema, fk.referenced_table) == target
        ]

    links = keys(holder, b) + (keys(other, a) if a != b else [])
    return not (len(links) == 1 and links[0].columns == columns and links[0] in keys(holder, b))


def _mapped(plan: Plan, entity: str) -> bool:
    return any(m.entity.name == entity for m in plan.models)


def render_relation(
    plan: Plan, model: ModelPlan, rel: Relation, imports: Imports
) -> RenderedRelation | None:
    """The ``relationship()`` for ``rel``; None when its target is not a mapped class."""
    if not any(m.entity.name == rel.target for m in plan.models):
        return None
    target = plan.model(rel.target)
    name = plan.relation_attribute(model.entity.name, rel.property_name)
    join = joinable(plan, model.entity.name, rel)
    if join.mode == "omit":
        return RenderedRelation(name, Call("relationship"), "None", (join.reason,), omitted=True)
    if target.module != model.module:
        imports.add_type_only(f".{target.module}", target.class_name)
    kwargs: list[tuple[str, Expr]] = []
    inverse = usable_inverse(plan, model.entity.name, rel)
    if (
        inverse is not None
        and join.mode == "ok"
        and _declared(plan, rel.target, inverse.property_name)
        and joinable(plan, rel.target, inverse).mode == "ok"
    ):
        back = plan.relation_attribute(rel.target, inverse.property_name)
        kwargs.append(("back_populates", py_str(back)))
    else:
        back = None
    many = rel.kind in ("one-to-many", "many-to-many")
    if join.mode == "viewonly":
        if join.secondary is not None:
            kwargs.append(("secondary", py_str(join.secondary)))
        else:
            fk_attrs = _column_attrs(plan, rel.target, join.foreign_columns)
            kwargs.append(("foreign_keys", py_str(f"[{fk_attrs}]")))
        kwargs.append(("viewonly", "True"))
    elif rel.kind == "many-to-many":
        table = rel.junction_table or (inverse.junction_table if inverse else None)
        if table is not None and table in plan.table_constants:
            constant = plan.table_constants[table]
            imports.add(".tables", constant)
            kwargs.append(("secondary", constant))
        elif join.secondary is not None:
            kwargs.append(("secondary", py_str(join.secondary)))
        if target.table.name == model.table.name:
            kwargs += _m2m_joins(plan, model, rel)
        overlapping = _overlaps(plan, model.entity.name, rel, back)
        if overlapping:
            kwargs.append(("overlaps", py_str(",".join(overlapping))))
    elif rel.owning:
        cols = tuple(j.name for j in rel.join_columns)
        if _ambiguous(plan, model.table, target.table, cols):
            attrs = _column_attrs(plan, model.entity.name, cols)
            kwargs.append(("foreign_keys", py_str(f"[{attrs}]")))
        if rel.target == model.entity.name or target.table.name == model.table.name:
            refs = tuple(j.referenced_column for j in rel.join_columns)
            kwargs.append(("remote_side", py_str(f"[{_column_attrs(plan, rel.target, refs)}]")))
    elif inverse is not None and inverse.join_columns:
        cols = tuple(j.name for j in inverse.join_columns)
        if _ambiguous(plan, target.table, model.table, cols):
            kwargs.append(("foreign_keys", py_str(f"[{_column_attrs(plan, rel.target, cols)}]")))
        on_delete = inverse.on_delete or "NO ACTION"
        if on_delete in _DB_HANDLES_DELETE:
            kwargs.append(("passive_deletes", "True"))
    widened = _sti_root(plan, rel) if rel.owning and not many and back is None else None
    if widened is not None:
        # TypeORM joins an owning to-one relation by the key alone, whatever the row's
        # discriminator says; SQLAlchemy's relationship to a single-table child adds
        # "discriminator IN (...)": mapped to the hierarchy's root, info telling the class
        positional: tuple[Expr, ...] = (py_str(widened),)
    else:
        positional = ()
    cascade, notes = _cascade(plan, model, rel)
    if join.mode == "viewonly":
        notes.insert(0, join.reason)
    elif cascade is not None:
        kwargs.append(("cascade", py_str(cascade)))
    declared = relation_owners(model.entity, plan.manifest).get(rel.property_name, ())
    owners = tuple(plan.model(n).class_name for n in declared)
    other = _inverse(plan, rel)
    action = other.orphaned_row_action if other is not None else None
    orphans = action if rel.kind == "one-to-many" and action in _ORPHANS_KEPT else None
    kwargs.append(
        (
            "info",
            _typeorm_info(rel, name, owners, target.class_name if widened else None, orphans),
        )
    )
    if rel.eager:
        kwargs.append(("lazy", py_str("selectin" if many else "joined")))
    if many:
        python = f"list[{target.class_name}]"
    elif rel.owning and not any(model.table.column(j.name).nullable for j in rel.join_columns):
        python = target.class_name
    else:
        python = f"{target.class_name} | None"
    imports.add("sqlalchemy.orm", "Mapped", "relationship")
    call = Call("relationship", (*positional, *kwargs))
    return RenderedRelation(name, call, python, tuple(notes))
