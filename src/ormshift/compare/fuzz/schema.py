"""The manifest as the fuzzer sees it: entities with their properties, value kinds and
relations, and the physical tables seed rows go into."""

from __future__ import annotations

from dataclasses import dataclass, field

from ormshift.manifest import Manifest
from ormshift.manifest.model import Column, Entity, EntityColumn, Relation, Table

__all__ = ["FuzzEntity", "FuzzSchema", "Prop", "kind_of"]

#: PostgreSQL type -> the fuzzer's value kind
_KINDS = {
    "smallint": "int",
    "integer": "int",
    "bigint": "bigint",
    "numeric": "numeric",
    "real": "float",
    "double precision": "float",
    "boolean": "bool",
    "character varying": "str",
    "character": "char",
    "text": "str",
    "date": "date",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "jsonb",
    "interval": "interval",
    "bytea": "bytes",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "enum": "enum",
    "point": "point",
    "circle": "circle",
    "int4range": "int4range",
}


#: TypeORM column types stored as text but holding structured values
_DECLARED = {"simple-json": "simple-json", "simple-array": "simple-array"}


def kind_of(column: Column) -> str | None:
    """The value kind of a column, None when the fuzzer cannot make its values."""
    kind = _KINDS.get(column.type)
    if kind is None:
        return None
    return f"{kind}[]" if column.array else kind


#: defaults that make a new value on each side
VOLATILE_DEFAULT = ("now", "uuid", "random", "current_", "gen_random")


@dataclass(frozen=True)
class Prop:
    """A column property of an entity: its TypeORM path, column and value kind."""

    path: str  # "home.geo.latitude", "author.id" for a join column
    column: Column
    meta: EntityColumn
    kind: str
    enum_values: tuple[str, ...] = ()
    #: the values of a numeric TypeScript enum: operations pass these labels as numbers
    enum_numbers: tuple[str, ...] = ()

    @property
    def attr(self) -> str:
        """ormshift's attribute (and the sidecar's record key)."""
        return self.path.replace(".", "_")

    @property
    def generated(self) -> bool:
        return self.meta.generation is not None or self.column.identity is not None

    @property
    def role(self) -> str | None:
        return self.meta.role

    @property
    def volatile(self) -> bool:
        """A value each side makes on its own (a date column TypeORM fills, a default of
        ``now()`` or a random uuid): a row the sequence inserts gets a different one on
        each side."""
        default = (self.column.default or "").lower()
        return self.role in ("create-date", "update-date", "delete-date") or any(
            v in default for v in VOLATILE_DEFAULT
        )


@dataclass(frozen=True)
class FuzzEntity:
    name: str
    table: Table
    entity: Entity
    props: tuple[Prop, ...]
    relations: tuple[Relation, ...]
    #: discriminator column and value when the entity is a member of an STI family
    discriminator: tuple[str, str] | None = None

    @property
    def primary(self) -> tuple[Prop, ...]:
        return tuple(p for p in self.props if p.meta.primary)

    @property
    def plain(self) -> tuple[Prop, ...]:
        """Columns of its own (not join columns, not the discriminator)."""
        disc = self.discriminator[0] if self.discriminator else None
        return tuple(
            p for p in self.props if p.meta.relation_property is None and p.column.name != disc
        )

    def role(self, role: str) -> Prop | None:
        for p in self.props:
            if p.role == role:
                return p
        return None


@dataclass
class FuzzSchema:
    manifest: Manifest
    entities: dict[str, FuzzEntity] = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: Manifest) -> FuzzSchema:
        out = cls(manifest)
        enum_labels = {e.name: e.values for e in manifest.enums}
        for ent in manifest.entities:
            if ent.kind not in ("regular", "sti-child"):
                continue
            try:
                table = manifest.table(ent.table, ent.schema)
            except KeyError:
                continue
            if table.kind != "table" or table.primary_key is None:
                continue
            props = []
            for meta in ent.columns:
                try:
                    column = table.column(meta.column)
                except KeyError:
                    continue
                kind = _DECLARED.get(meta.declared_type) or kind_of(column)
                if kind is None:
                    continue
                labels = meta.enum_values or enum_labels.get(column.enum_name or "", ())
                props.append(
                    Prop(
                        meta.property_path,
                        column,
                        meta,
                        kind,
                        tuple(labels),
                        meta.enum_numbers,
                    )
                )
            disc = None
            if ent.inheritance is not None and ent.inheritance.discriminator_value is not None:
                disc = (ent.inheritance.discriminator_column, ent.inheritance.discriminator_value)
            out.entities[ent.name] = FuzzEntity(
                ent.name, table, ent, tuple(props), ent.relations, disc
            )
        return out

    def target(self, relation: Relation) -> FuzzEntity | None:
        return self.entities.get(relation.target)
