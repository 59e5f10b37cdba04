"""Every name the generated package uses, decided once, before anything is rendered.

`plan` reads a manifest and returns a `Plan`: which entity becomes which class in which
module, which table becomes a plain `Table`, the Python name of every enum type, and
the attribute name of every column and relationship. Rendering only looks names up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ormshift.codegen.naming import (
    MODULE_NAMES,
    attribute_name,
    constant_name,
    enum_class_name,
    enum_member_name,
    find_free_name,
    identifier,
    snake_case,
)
from ormshift.manifest import Entity, EntityColumn, EnumType, Manifest, Relation, Table

#: Modules every generated package may have; entity modules never take these names.
FIXED_MODULES = (
    "__init__", "base", "embedded", "enums", "types", "tables", "views", "typeorm_metadata"
)  # fmt: skip


@dataclass(frozen=True)
class EnumPlan:
    type: EnumType
    class_name: str
    constant: str
    members: tuple[tuple[str, str], ...]  # (member name, value)


@dataclass(frozen=True)
class CompositePlan:
    """An embedded entity: a composite accessor over its flattened columns."""

    attribute: str
    class_name: str
    fields: tuple[tuple[str, str], ...]  # (dataclass field, column name)


@dataclass(frozen=True)
class ModelPlan:
    """One mapped class: its entity, table, and the names of its attributes."""

    entity: Entity
    table: Table
    class_name: str
    module: str
    columns: dict[str, str]  # column name -> attribute name
    properties: dict[str, EntityColumn]  # column name -> TypeORM property
    relations: tuple[Relation, ...]  # the relations declared on this class
    parent: str | None = None  # STI root entity name
    composites: tuple[CompositePlan, ...] = ()
    #: relation property -> attribute name (when it differs from `attribute_name`)
    relation_names: dict[str, str] = field(default_factory=dict)

    def attribute(self, column: str) -> str:
        return self.columns[column]

    def relation_attribute(self, prop: str) -> str:
        return self.relation_names.get(prop) or attribute_name(prop)


@dataclass(frozen=True)
class Plan:
    manifest: Manifest
    models: tuple[ModelPlan, ...]
    tables: tuple[Table, ...]  # tables with no class: junction and closure tables
    enums: tuple[EnumPlan, ...]
    table_constants: dict[str, str] = field(default_factory=dict)

    def relation_attribute(self, entity: str, prop: str) -> str:
        """The attribute of relation ``prop`` of ``entity`` (or of its STI root)."""
        model = self.model(entity)
        if prop not in model.relation_names and model.parent is not None:
            return self.relation_attribute(model.parent, prop)
        return model.relation_attribute(prop)

    def model(self, entity: str) -> ModelPlan:
        for m in self.models:
            if m.entity.name == entity:
                return m
        raise KeyError(entity)

    def enum_types(self) -> dict[str, tuple[str, str]]:
        return {e.type.name: (e.constant, e.class_name) for e in self.enums}

    def embeddables(self) -> dict[str, tuple[ModelPlan, CompositePlan]]:
        """Each embeddable class, with its first use (which decides its fields)."""
        out: dict[str, tuple[ModelPlan, CompositePlan]] = {}
        for m in self.models:
            for c in m.composites:
                out.setdefault(c.class_name, (m, c))
        return dict(sorted(out.items()))


def _enum_plans(manifest: Manifest, taken: set[str]) -> tuple[EnumPlan, ...]:
    """Enum classes and their SQLAlchemy constants, clear of the names in ``taken``."""
    out: list[EnumPlan] = []
    classes: set[str] = set(taken)
    constants: set[str] = set(taken)
    for enum_type in sorted(manifest.enums, key=lambda e: e.name):
        cls = find_free_name(enum_class_name(enum_type.name), classes)
        const = find_free_name(constant_name(enum_type.name), constants | {cls})
        classes.add(cls)
        constants.add(const)
        members: list[tuple[str, str]] = []
        used: set[str] = {"mro", "name", "value"}
        for value in enum_type.values:
            member = find_free_name(enum_member_name(value), used)
            used.add(member)
            members.append((member, value))
        out.append(EnumPlan(enum_type, cls, const, tuple(members)))
    return tuple(out)


def _column_attribute(prop: EntityColumn | None, column: str) -> str:
    if prop is None or (prop.relation_property and "." in prop.property_path):
        return attribute_name(column)
    if prop.embedded_path:
        return attribute_name("_".join(prop.property_path.split(".")))
    return attribute_name(prop.property_path)


def sti_parent(entity: Entity, manifest: Manifest) -> str | None:
    """The class an STI child extends: the nearest member of its hierarchy listing it
    among its children (TypeORM's manifest names the root as every child's parent)."""
    inh = entity.inheritance
    if inh is None or inh.parent is None:
        return None
    having = [
        e
        for e in manifest.entities
        if e.inheritance is not None and entity.name in e.inheritance.children
    ]
    if not having:
        return inh.parent
    return min(having, key=lambda e: len(e.inheritance.children if e.inheritance else ())).name


def sti_descendants(entity: Entity, manifest: Manifest) -> list[Entity]:
    """The members of ``entity``'s hierarchy below it."""
    inh = entity.inheritance
    if inh is None:
        return []
    known = {e.name: e for e in manifest.entities}
    return [known[c] for c in inh.children if c in known]


def _own_relations(entity: Entity, manifest: Manifest) -> tuple[Relation, ...]:
    """Relations declared on this class: all of a single-table hierarchy's on its root,
    none on a child. TypeORM's root metadata holds every relation of the hierarchy (a
    find on the root joins a child's relation, a child's row gets it), each child the
    relations of its ancestors and its own; `relation_owners` says which are whose."""
    if entity.inheritance is None or entity.inheritance.parent is None:
        return entity.relations
    return ()


def relation_owners(entity: Entity, manifest: Manifest) -> dict[str, tuple[str, ...]]:
    """For a single-table root: relation -> the members of its hierarchy declaring it,
    when the root does not (a member declares a relation that it and all its
    descendants have and its parent does not)."""
    inh = entity.inheritance
    if inh is None or inh.parent is not None:
        return {}

    def has(member: Entity, prop: str) -> bool:
        return prop in {r.property_name for r in member.relations}

    def declares(member: Entity, prop: str) -> bool:
        return has(member, prop) and all(has(d, prop) for d in sti_descendants(member, manifest))

    out: dict[str, tuple[str, ...]] = {}
    for rel in entity.relations:
        if declares(entity, rel.property_name):
            continue
        owners = tuple(
            m.name
            for m in sti_descendants(entity, manifest)
            if declares(m, rel.property_name)
            and not declares(manifest.entity(sti_parent(m, manifest) or m.name), rel.property_name)
        )
        if owners:
            out[rel.property_name] = owners
    return out


def _model(
    entity: Entity,
    manifest: Manifest,
    class_name: str,
    module: str,
    reserved: frozenset[str] = frozenset(),
) -> ModelPlan:
    """``reserved``: module-level names no attribute may shadow."""
    table = manifest.table(entity.table, entity.schema)
    by_column = {c.column: c for c in entity.columns}
    relations = _own_relations(entity, manifest)
    taken: set[str] = set(reserved)
    # a renamed attribute never takes another member's TypeORM name: ormshift.orm
    # accepts either name for a member, so each must name one member only
    typeorm = {r.property_name for r in entity.relations}
    typeorm |= {c.property_path for c in entity.columns if "." not in c.property_path}
    relation_names: dict[str, str] = {}
    for r in entity.relations:
        others = typeorm - {r.property_name}
        name = find_free_name(attribute_name(r.property_name), taken | others)
        taken.add(name)
        if name != attribute_name(r.property_name):
            relation_names[r.property_name] = name
    taken |= {attribute_name("_".join(e.property_path.split("."))) for e in entity.embeddeds}
    columns: dict[str, str] = {}
    properties: dict[str, EntityColumn] = {}
    is_child = entity.inheritance is not None and entity.inheritance.parent is not None
    for col in table.columns:
        prop = by_column.get(col.name)
        if prop is not None:
            properties[col.name] = prop
        if is_child:
            continue
        mine = {prop.property_path} if prop is not None else set()
        name = find_free_name(_column_attribute(prop, col.name), taken | (typeorm - mine))
        taken.add(name)
        columns[col.name] = name
    parent = sti_parent(entity, manifest) if is_child else None
    composites: list[CompositePlan] = []
    for emb in entity.embeddeds if not is_child else ():
        own = [c for c in entity.columns if c.embedded_path == emb.property_path]
        if emb.array or not own:
            continue
        name = attribute_name("_".join(emb.property_path.split(".")))  # reserved above
        fields = tuple((attribute_name(c.property_path.rsplit(".", 1)[-1]), c.column) for c in own)
        composites.append(CompositePlan(name, identifier(emb.class_name), fields))
    return ModelPlan(
        entity,
        table,
        class_name,
        module,
        columns,
        properties,
        relations,
        parent,
        tuple(composites),
        relation_names,
    )


def plan(manifest: Manifest) -> Plan:
    """Names for everything in ``manifest``; the same manifest gives the same plan."""
    mapped = [e for e in manifest.entities if e.kind in ("regular", "sti-child")]
    class_names: set[str] = {"Base"}
    modules: set[str] = set(FIXED_MODULES)
    named: list[tuple[Entity, str, str]] = []
    for entity in sorted(mapped, key=lambda e: e.name):
        cls = find_free_name(identifier(entity.name), class_names)
        class_names.add(cls)
        module = find_free_name(snake_case(cls), modules)
        modules.add(module)
        named.append((entity, cls, module))
    classed = {manifest.table(e.table, e.schema).name for e, _, _ in named}
    tables = tuple(t for t in manifest.tables if t.name not in classed and t.kind == "table")
    constants: dict[str, str] = {}
    for t in tables:
        constants[t.name] = find_free_name(constant_name(t.name), set(constants.values()))
    enums = _enum_plans(manifest, class_names | set(constants.values()))
    embedded = {identifier(e.class_name) for ent in mapped for e in ent.embeddeds}
    reserved = frozenset(
        MODULE_NAMES | class_names | set(constants.values()) | embedded
        | {e.class_name for e in enums} | {e.constant for e in enums}
    )  # fmt: skip
    models = [_model(e, manifest, cls, module, reserved) for e, cls, module in named]
    # an STI child takes its column attributes from its root
    roots = {m.entity.name: m for m in models if m.parent is None}
    root_of = {
        m.entity.name: m.entity.inheritance.parent
        for m in models
        if m.parent is not None and m.entity.inheritance is not None
    }
    models = [
        ModelPlan(
            m.entity,
            m.table,
            m.class_name,
            m.module,
            roots[root_of[m.entity.name] or m.parent].columns,
            m.properties,
            m.relations,
            m.parent,
            m.composites,
            m.relation_names,
        )
        if m.parent
        else m
        for m in models
    ]
    return Plan(manifest, tuple(models), tables, enums, constants)
