"""Every name the generated package uses, decided once, before anything is rendered.

`plan` reads a manifest and returns a `Plan`: which entity becomes which class in which
module, which table becomes a plain `Table`, the Python name of every enum type, and
the attribute name of every column and relationship. Rendering only looks names up.

Attributes take Python names by default (``attribute_names="python"``: ``viewCount`` ->
``view_count``) or TypeORM's (``"typeorm"``). Either way each member also keeps its
TypeORM name, ``ModelPlan.typeorm``, which the generated module writes as
``info["property"]`` where it differs from the attribute, so that ``ormshift.orm``
accepts both names. Collisions are settled deterministically: members are named in a
fixed order (relations, then the table's columns), an attribute never takes a name an
earlier one took nor another member's TypeORM name (so each name given to
``ormshift.orm`` means one member only), and `find_free_name` picks the next free one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from ormshift.codegen.naming import (
    MODULE_NAMES,
    attribute_name,
    constant_name,
    enum_class_name,
    enum_member_name,
    find_free_name,
    identifier,
    python_name,
    snake_case,
)
from ormshift.codegen.placement import Placement, placement, uses_convention
from ormshift.manifest import Entity, EntityColumn, EnumType, Manifest, Relation, Table

#: How attributes are named: in Python's style (``view_count``) or as TypeORM's
#: properties (``viewCount``).
AttributeNames = Literal["python", "typeorm"]
ATTRIBUTE_NAMES: tuple[AttributeNames, ...] = ("python", "typeorm")

#: Modules every generated package may have; entity modules never take these names.
FIXED_MODULES = (
    "__init__", "base", "embedded", "enums", "naming", "types", "tables", "views",
    "typeorm_metadata",
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
    #: relation property -> attribute name (when it differs from `default_name`)
    relation_names: dict[str, str] = field(default_factory=dict)
    #: column name -> its TypeORM name (`typeorm_name`)
    typeorm: dict[str, str] = field(default_factory=dict)
    attribute_names: AttributeNames = "python"

    def attribute(self, column: str) -> str:
        return self.columns[column]

    def relation_attribute(self, prop: str) -> str:
        return self.relation_names.get(prop) or default_name(prop, self.attribute_names)


@dataclass(frozen=True)
class Plan:
    manifest: Manifest
    models: tuple[ModelPlan, ...]
    tables: tuple[Table, ...]  # tables with no class: junction and closure tables
    enums: tuple[EnumPlan, ...]
    table_constants: dict[str, str] = field(default_factory=dict)

    attribute_names: AttributeNames = "python"
    #: whether ``Base.metadata`` has TypeORM's naming convention (`placement`)
    convention: bool = False

    def placement_of(self, table: Table) -> Placement:
        """Where ``table``'s constraints are written in the package."""
        return placement(table, self.convention)

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


def default_name(prop: str, names: AttributeNames) -> str:
    """The attribute a TypeORM property (a path, for an embedded one) is given before
    collisions: ``home.postalCode`` -> ``home_postal_code`` (``home_postalCode``)."""
    if names == "typeorm":
        return attribute_name("_".join(prop.split(".")))
    return python_name(prop)


def typeorm_name(prop: EntityColumn | None, column: str) -> str:
    """The name ``ormshift.orm`` knows a column by in TypeORM's terms: its property path
    (``viewCount``, ``home.postalCode``), or for a column with no property of its own (a
    join column behind its relation, a tree's or a hierarchy's own), its column name."""
    if prop is None or (prop.relation_property and "." in prop.property_path):
        return column
    return prop.property_path


def _column_attribute(prop: EntityColumn | None, column: str, names: AttributeNames) -> str:
    return default_name(typeorm_name(prop, column).replace(".", "_"), names)


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
    when the root does not (see `sti_declarers`)."""
    inh = entity.inheritance
    if inh is None or inh.parent is not None:
        return {}
    found = sti_declarers(
        entity,
        manifest,
        [r.property_name for r in entity.relations],
        sti_descendants(entity, manifest),
        lambda member: {r.property_name for r in member.relations},
    )
    return {k: tuple(m.name for m in v) for k, v in found.items()}


def sti_declarers(
    root: Entity,
    manifest: Manifest,
    names: Iterable[str],
    members: Iterable[Entity],
    has: Callable[[Entity], set[str]],
) -> dict[str, list[Entity]]:
    """Of ``names`` (columns or relations, ``has`` the member's) that the single-table
    ``root`` does not declare: name -> the ``members`` declaring it. A member declares
    a name that it and all its descendants have and its parent does not (TypeORM lists
    a child's columns and relations on its ancestors too)."""

    def declares(member: Entity, name: str) -> bool:
        return name in has(member) and all(
            name in has(d) for d in sti_descendants(member, manifest)
        )

    listed = list(members)
    out: dict[str, list[Entity]] = {}
    for name in names:
        if declares(root, name):
            continue
        owners = [
            m
            for m in listed
            if declares(m, name)
            and not declares(manifest.entity(sti_parent(m, manifest) or m.name), name)
        ]
        if owners:
            out[name] = owners
    return out


def _model(
    entity: Entity,
    manifest: Manifest,
    class_name: str,
    module: str,
    reserved: frozenset[str] = frozenset(),
    names: AttributeNames = "python",
) -> ModelPlan:
    """``reserved``: module-level names no attribute may shadow."""
    table = manifest.table(entity.table, entity.schema)
    by_column = {c.column: c for c in entity.columns}
    relations = _own_relations(entity, manifest)
    taken: set[str] = set(reserved)
    # a renamed attribute never takes another member's TypeORM name: ormshift.orm
    # accepts either name for a member, so each must name one member only
    own_names = {c.name: typeorm_name(by_column.get(c.name), c.name) for c in table.columns}
    typeorm = {r.property_name for r in entity.relations}
    typeorm |= {n.replace(".", "_") for n in own_names.values()}
    relation_names: dict[str, str] = {}
    for r in entity.relations:
        others = typeorm - {r.property_name}
        name = find_free_name(default_name(r.property_name, names), taken | others)
        taken.add(name)
        if name != default_name(r.property_name, names):
            relation_names[r.property_name] = name
    taken |= {default_name(e.property_path, names) for e in entity.embeddeds}
    columns: dict[str, str] = {}
    properties: dict[str, EntityColumn] = {}
    is_child = entity.inheritance is not None and entity.inheritance.parent is not None
    for col in table.columns:
        prop = by_column.get(col.name)
        if prop is not None:
            properties[col.name] = prop
        if is_child:
            continue
        mine = {own_names[col.name].replace(".", "_")}
        name = find_free_name(_column_attribute(prop, col.name, names), taken | (typeorm - mine))
        taken.add(name)
        columns[col.name] = name
    parent = sti_parent(entity, manifest) if is_child else None
    composites: list[CompositePlan] = []
    for emb in entity.embeddeds if not is_child else ():
        own = [c for c in entity.columns if c.embedded_path == emb.property_path]
        if emb.array or not own:
            continue
        name = default_name(emb.property_path, names)  # reserved above
        fields: list[tuple[str, str]] = []
        for c in own:
            field_name = default_name(c.property_path.rsplit(".", 1)[-1], names)
            field_name = find_free_name(field_name, {f for f, _ in fields})
            fields.append((field_name, c.column))
        composites.append(CompositePlan(name, identifier(emb.class_name), tuple(fields)))
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
        own_names,
        names,
    )


def plan(manifest: Manifest, attribute_names: AttributeNames = "python") -> Plan:
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
    models = [
        _model(e, manifest, cls, module, reserved, attribute_names) for e, cls, module in named
    ]
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
            m.typeorm,
            m.attribute_names,
        )
        if m.parent
        else m
        for m in models
    ]
    convention = uses_convention(manifest)
    return Plan(manifest, tuple(models), tables, enums, constants, attribute_names, convention)
