"""The schema as TypeORM builds it: small frozen dataclasses, no behaviour beyond lookups.

Two layers live side by side:

* the *physical* layer (`Table`, `Column`, constraints, `EnumType`, extensions) is what
  PostgreSQL holds after TypeORM's ``synchronize``; a manifest reflected from a live
  database has only this layer, and it is what the parity tests compare;
* the *entity* layer (`Entity`, `EntityColumn`, `Relation`, `Embedded`, inheritance and
  trees) is what only TypeORM knows: property names, cascades, eager loading, the
  meaning of ``simple-json``. Entities point at tables and columns by database name.

Every name of a constraint, index or enum type is the one TypeORM gave it, read from its
metadata, never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FORMAT_VERSION = 2
#: the versions this ormshift reads: 1 is 2 without listeners, transformer names and
#: subscribers (read as "none recorded")
READABLE_VERSIONS = (1, 2)

Generation = Literal["increment", "uuid", "identity", "rowid"]
IdentityKind = Literal["ALWAYS", "BY DEFAULT"]
RefAction = Literal["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"]
Deferrable = Literal["INITIALLY IMMEDIATE", "INITIALLY DEFERRED"]
TableKind = Literal["table", "view"]
EntityKind = Literal["regular", "junction", "closure", "sti-child", "view"]
RelationKind = Literal["one-to-one", "one-to-many", "many-to-one", "many-to-many"]
TreeKind = Literal["closure-table", "materialized-path", "nested-set", "adjacency-list"]
SourceKind = Literal["typeorm", "database"]
ColumnRole = Literal[
    "create-date",
    "update-date",
    "delete-date",
    "version",
    "discriminator",
    "tree-level",
    "tree-path",
    "nested-set-left",
    "nested-set-right",
    "tree-child-id",
]


# --------------------------------------------------------------------- physical layer
@dataclass(frozen=True)
class Column:
    """One column as PostgreSQL stores it.

    ``type`` is PostgreSQL's own spelling of the base type (``format_type`` without
    modifiers: ``character varying``, ``timestamp with time zone``) or ``enum``, in which
    case ``enum_name`` names the type. ``default`` is the SQL expression exactly as
    declared (TypeORM's) or as the server reports it (reflection); compare them through
    ``ormshift.schema.normalize``.
    """

    name: str
    type: str
    nullable: bool
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    array: bool = False
    default: str | None = None
    generation: Generation | None = None
    identity: IdentityKind | None = None
    enum_name: str | None = None
    enum_schema: str | None = None
    collation: str | None = None
    generated_expression: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]
    referenced_schema: str | None = None
    on_delete: RefAction = "NO ACTION"
    on_update: RefAction = "NO ACTION"
    deferrable: Deferrable | None = None


@dataclass(frozen=True)
class UniqueConstraint:
    name: str
    columns: tuple[str, ...]
    deferrable: Deferrable | None = None


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    spatial: bool = False
    concurrent: bool = False


@dataclass(frozen=True)
class Check:
    name: str
    expression: str


@dataclass(frozen=True)
class Exclusion:
    name: str
    expression: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    schema: str | None = None
    kind: TableKind = "table"
    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[UniqueConstraint, ...] = ()
    indices: tuple[Index, ...] = ()
    checks: tuple[Check, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    view_expression: str | None = None
    comment: str | None = None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    schema: str | None = None


# ----------------------------------------------------------------------- entity layer
@dataclass(frozen=True)
class EntityColumn:
    """A mapped property: where it lives (``column``) and what TypeORM does with it."""

    property_path: str
    column: str
    declared_type: str
    primary: bool = False
    generation: Generation | None = None
    role: ColumnRole | None = None
    enum_values: tuple[str, ...] = ()
    #: the values of a numeric TypeScript enum (``String(v)``): TypeORM reads a label
    #: whose ``parseInt`` is one of them as that number
    enum_numbers: tuple[str, ...] = ()
    enum_name: str | None = None
    embedded_path: str | None = None
    select: bool = True
    insert: bool = True
    update: bool = True
    nullable: bool = False
    has_transformer: bool = False
    relation_property: str | None = None
    #: the column's value transformers, in TypeORM's order: each one's class name
    #: (``""`` for an object literal)
    transformers: tuple[str, ...] = ()
    #: ``default: null`` declared: no DEFAULT in the table (synchronize writes none),
    #: but TypeORM's insert returns the column as it returns the defaulted ones
    #: (``getInsertionReturningColumns``: ``default !== undefined``)
    default_null: bool = False


@dataclass(frozen=True)
class JoinColumn:
    name: str
    referenced_column: str


@dataclass(frozen=True)
class Relation:
    property_name: str
    kind: RelationKind
    target: str
    owning: bool
    inverse_property: str | None = None
    join_columns: tuple[JoinColumn, ...] = ()
    junction_table: str | None = None
    inverse_join_columns: tuple[JoinColumn, ...] = ()
    foreign_key: str | None = None
    on_delete: RefAction | None = None
    on_update: RefAction | None = None
    deferrable: Deferrable | None = None
    cascade: tuple[str, ...] = ()
    eager: bool = False
    lazy: bool = False
    nullable: bool = True
    primary: bool = False
    orphaned_row_action: str | None = None
    tree_role: Literal["parent", "children"] | None = None


@dataclass(frozen=True)
class Embedded:
    property_path: str
    class_name: str
    prefix: str | None = None
    array: bool = False


@dataclass(frozen=True)
class Inheritance:
    """Single-table inheritance: the root names the column, every member its value."""

    pattern: Literal["STI"]
    discriminator_column: str
    discriminator_value: str | None = None
    parent: str | None = None
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tree:
    kind: TreeKind
    closure_table: str | None = None
    parent_property: str | None = None
    children_property: str | None = None


ListenerType = Literal[
    "after-load",
    "before-insert",
    "after-insert",
    "before-update",
    "after-update",
    "before-remove",
    "after-remove",
    "before-soft-remove",
    "after-soft-remove",
    "before-recover",
    "after-recover",
]


@dataclass(frozen=True)
class Listener:
    """An entity listener (``@BeforeInsert() makeKey()``): its event and method."""

    type: ListenerType
    method: str


@dataclass(frozen=True)
class Subscriber:
    """A subscriber of the project's DataSource: its class, the entity it listens to
    (None: every entity) and the events it handles (TypeORM's method names)."""

    name: str
    listen_to: str | None = None
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    name: str
    table: str
    kind: EntityKind = "regular"
    schema: str | None = None
    columns: tuple[EntityColumn, ...] = ()
    relations: tuple[Relation, ...] = ()
    embeddeds: tuple[Embedded, ...] = ()
    inheritance: Inheritance | None = None
    tree: Tree | None = None
    order_by: tuple[tuple[str, str], ...] = ()
    #: the entity's own listeners, in TypeORM's order (inherited ones included)
    listeners: tuple[Listener, ...] = ()


# ---------------------------------------------------------------------------- whole
@dataclass(frozen=True)
class Warning:
    """A feature a later stage will not carry over faithfully, said where it is."""

    entity: str
    property: str | None
    feature: str
    message: str


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    dialect: str = "postgres"
    typeorm_version: str | None = None
    naming_strategy: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class Manifest:
    source: Source
    tables: tuple[Table, ...] = ()
    enums: tuple[EnumType, ...] = ()
    entities: tuple[Entity, ...] = ()
    extensions: tuple[str, ...] = ()
    default_schema: str = "public"
    warnings: tuple[Warning, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()
    format_version: int = field(default=FORMAT_VERSION)

    def table(self, name: str, schema: str | None = None) -> Table:
        for tbl in self.tables:
            if tbl.name == name and (schema is None or tbl.schema in (schema, None)):
                return tbl
        raise KeyError(f"manifest has no table {name!r}")

    def entity(self, name: str) -> Entity:
        for ent in self.entities:
            if ent.name == name:
                return ent
        raise KeyError(f"manifest has no entity {name!r}")
