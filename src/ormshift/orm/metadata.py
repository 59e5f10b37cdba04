"""What `ormshift.orm` needs to know about a mapped class, read once from its mapper.

TypeORM roles of columns come from ``Column.info["typeorm"]`` (``"create-date"``,
``"update-date"``, ``"delete-date"``, ``"version"``) and, failing that, from the
mapper: its ``version_id_col`` is the version column, a column with ``onupdate`` the
update-date column. Embedded columns are flattened with ``_`` (``home.geo.latitude``
is the attribute ``home_geo_latitude``), as ormshift's code generator names them.

Names: a column or relationship whose attribute is not its TypeORM name has that name
in ``info["property"]`` (``view_count`` has ``"viewCount"``; an embedded column its
property path, ``home_postal_code`` has ``"home.postalCode"``; a renamed one
``"metadata"``). Everywhere a name is given, either is taken (`attribute`, `path`);
TypeORM's name, with an embedded path joined by ``_``, is the one reported
(`property_of`), and ``compare`` records results by it.

What else TypeORM does with a column is in its ``info`` too: ``"insert": False`` /
``"update": False`` (never written there), ``"sti_owner"`` (the single-table classes
declaring a column their root's table holds; on a relationship, which the root holds
for its hierarchy as TypeORM's root metadata does, the classes declaring it: a class
has it when one of its ancestors, itself or its descendants is one of them). A
relationship's TypeORM cascades are ``info["cascade"]`` (a models module without them
gets ``insert`` and ``update`` where SQLAlchemy's cascade saves, ``remove`` where it
deletes). A primary key column SQLAlchemy makes serial (``Table.autoincrement_column``,
no ``Identity``) or a column with a ``Sequence`` is TypeORM's ``increment`` generation:
never written on insert.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Enum,
    Sequence,
    Table,
    bindparam,
    inspect,
    or_,
)
from sqlalchemy.orm import MANYTOONE, ColumnProperty, Mapper, RelationshipProperty
from sqlalchemy.orm.interfaces import MANYTOMANY, ONETOMANY

from ormshift.orm.errors import OrmError, UnknownProperty
from ormshift.orm.values import number_sensitive, text_sensitive

ROLES = ("create-date", "update-date", "delete-date", "version")
#: roles of the columns TypeORM adds to a tree's table as "virtual" columns (nested
#: set's ``nsleft`` / ``nsright``, materialized path's ``mpath``): never entity data
TREE_ROLES = frozenset({"nested-set-left", "nested-set-right", "tree-path"})


@dataclass(frozen=True)
class EntityInfo:
    cls: type[Any]
    name: str
    mapper: Mapper[Any]
    table: Table
    columns: dict[str, Column[Any]]  # attribute key -> column
    relations: dict[str, RelationshipProperty[Any]]
    primary: tuple[str, ...]
    roles: dict[str, str] = field(default_factory=dict)  # role -> attribute key
    prefixes: frozenset[str] = frozenset()
    #: embedded prefix (attribute's) -> TypeORM's, where they differ (`_prefixes`)
    embedded: dict[str, str] = field(default_factory=dict)

    @cached_property
    def typeorm_paths(self) -> dict[str, str]:
        """Attribute key -> TypeORM's name (property path) of the columns and relations
        whose attribute is not that name (``view_count`` -> ``viewCount``,
        ``home_postal_code`` -> ``home.postalCode``, ``metadata_`` -> ``metadata``)."""
        named: list[tuple[str, dict[Any, Any]]] = [
            *((k, c.info) for k, c in self.columns.items()),
            *((k, r.info) for k, r in self.relations.items()),
        ]
        return {k: str(info["property"]) for k, info in named if info.get("property")}

    @cached_property
    def aliases(self) -> dict[str, str]:
        """TypeORM's names of columns and relations whose attribute is another name, an
        embedded path joined by ``_`` (``home_postalCode``): name -> attribute key. A
        name that is some member's attribute names that member."""
        named = [(p.replace(".", "_"), k) for k, p in self.typeorm_paths.items()]
        named += [(typeorm, k) for k, typeorm in self.embedded.items()]
        return {
            name: k for name, k in named if name not in self.columns and name not in self.relations
        }

    def attribute(self, key: str) -> str:
        """The attribute key for ``key``, given as an attribute or a TypeORM property."""
        if key in self.columns or key in self.relations:
            return key
        return self.aliases.get(key, key)

    def path(self, prefix: str, key: str) -> str:
        """The attribute key (or embedded prefix) that ``key`` names inside the embedded
        object at ``prefix`` (``""`` at the top); either may be given by its attribute
        name or by TypeORM's (``home`` and ``postalCode``: ``home_postal_code``)."""
        if not prefix:
            return self.attribute(key)
        joined = self.attribute(f"{prefix}_{key}")
        typeorm = self.embedded.get(prefix)
        if typeorm is None or joined in self.columns or joined in self.prefixes:
            return joined
        return self.attribute(f"{typeorm}_{key}")

    def keyed(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` (a plain object of this entity) with its keys as attribute keys."""
        return {self.attribute(str(k)): v for k, v in data.items()}

    def property_of(self, key: str) -> str:
        """TypeORM's name for attribute ``key`` (a column's or a relation's), an embedded
        path joined by ``_`` (``home_postalCode``)."""
        return self.typeorm_path(key).replace(".", "_")

    def typeorm_path(self, key: str) -> str:
        """TypeORM's property path for attribute ``key`` when the model says it
        (``home.postalCode``), else ``key``."""
        return self.typeorm_paths.get(key, key)

    @cached_property
    def plain_columns(self) -> frozenset[str]:
        """Columns whose values are written as given unless they are text in a
        `number_columns` column (`values.coerce_value` leaves them)."""
        return frozenset(
            k for k, c in self.columns.items() if not isinstance(c.type, DateTime | Enum)
        )

    @cached_property
    def join_only_columns(self) -> frozenset[str]:
        """Join columns with no property of their own (``info["relation"]``: ``authorId``
        behind ``author``): TypeORM's metadata knows no such property, so ``create``,
        ``save`` and ``insert`` leave the key out and ``update`` refuses it."""
        return frozenset(k for k, c in self.columns.items() if c.info.get("relation"))

    @cached_property
    def text_columns(self) -> frozenset[str]:
        """Columns whose number values `values.coerce_value` sends as text."""
        return frozenset(k for k in self.plain_columns if number_sensitive(self.columns[k].type))

    @cached_property
    def number_columns(self) -> frozenset[str]:
        """Columns whose text values `values.coerce_value` parses as numbers."""
        return frozenset(k for k in self.plain_columns if text_sensitive(self.columns[k].type))

    @cached_property
    def keys_are_names(self) -> bool:
        """Every attribute is named as its column's key."""
        return all(c.key == k for k, c in self.columns.items())

    @cached_property
    def owning_relations(self) -> tuple[str, ...]:
        """The many-to-one relations (whose foreign key is in this row)."""
        return tuple(k for k, r in self.relations.items() if r.direction is MANYTOONE)

    @cached_property
    def lazy_relations_only(self) -> bool:
        """No relation is loaded unless asked for (``lazy`` is select or raise)."""
        return all(
            rel.lazy in ("select", "raise", "raise_on_sql", True) for rel in self.relations.values()
        )

    @cached_property
    def foreign_relations(self) -> frozenset[str]:
        """Relationships this class's mapper has that are not its own in TypeORM (a
        single-table sibling's, held on the root)."""
        return frozenset(r.key for r in self.mapper.relationships) - set(self.relations)

    @cached_property
    def sibling_columns(self) -> frozenset[str]:
        """Columns of the single-table root this class does not have (a sibling's)."""
        root = self.mapper.base_mapper
        return frozenset(p.key for p in root.column_attrs) - set(self.columns)

    @cached_property
    def increment(self) -> frozenset[str]:
        """Columns the database numbers (TypeORM's ``increment``): never inserted."""
        auto = self.table.autoincrement_column
        return frozenset(
            k
            for k, c in self.columns.items()
            if (c is auto and c.identity is None) or isinstance(c.default, Sequence)
        )

    @cached_property
    def no_insert(self) -> frozenset[str]:
        """Columns TypeORM leaves out of an INSERT: ``insert: false`` and ``increment``;
        none when that is every column (a ``Photo`` of a generated key and relations):
        TypeORM's insert builder then finds no column to insert and writes the values
        given as they are (``{id: 6}`` inserts row 6), or DEFAULT VALUES."""
        own = {k for k, c in self.columns.items() if c.info.get("insert") is False}
        out = frozenset(own) | self.increment
        return frozenset() if out >= self.columns.keys() else out

    @cached_property
    def no_update(self) -> frozenset[str]:
        """Columns TypeORM leaves out of an UPDATE (``update: false``)."""
        return frozenset(k for k, c in self.columns.items() if c.info.get("update") is False)

    @cached_property
    def virtual(self) -> frozenset[str]:
        """A tree's own columns (``nsleft``, ``nsright``, ``mpath``): TypeORM's metadata
        builder adds them as virtual columns, which its transformer never puts in an
        entity (a ``select`` of them alone finds no entity)."""
        return frozenset(k for k, c in self.columns.items() if c.info.get("typeorm") in TREE_ROLES)

    @cached_property
    def kept_on_save(self) -> frozenset[str]:
        """Columns ``save()`` never changes in a row it updates: ``update: false`` ones and
        the single-table discriminator (TypeORM writes it on insert only, so saving a
        ``Vehicle`` by the key of a truck's row leaves it a truck)."""
        disc = self.discriminator
        return self.no_update | ({disc[0]} if disc is not None else set())

    @cached_property
    def discriminator(self) -> tuple[str, Any] | None:
        """The discriminator's attribute key and this class's value (single-table
        inheritance), written on every insert. A root without a value of its own (the
        generator gives it none when its class name is no value of the column's type,
        an integer or an enum) writes its class name, as TypeORM does: the database
        refuses it (22P02) as it refuses TypeORM's."""
        on = self.mapper.polymorphic_on
        identity = self.mapper.polymorphic_identity
        if on is None or (identity is None and self.mapper.inherits is not None):
            return None
        for key, col in self.columns.items():
            if col is on:
                return key, self.name if identity is None else identity
        return None

    @cached_property
    def sti_filter(self) -> ColumnElement[bool] | None:
        """``discriminator IN (this class and its subclasses)`` for a single-table child,
        as TypeORM restricts every query of a child; None for a root or plain entity.
        The values are bound parameters with their values (``d__0, ...``)."""
        mapper = self.mapper
        if self.discriminator is None or mapper.inherits is None or not mapper.single:
            return None
        col = self.columns[self.discriminator[0]]
        values = [m.polymorphic_identity for m in mapper.self_and_descendants]
        conds = [col == bindparam(f"d__{i}", v, type_=col.type) for i, v in enumerate(values)]
        return conds[0] if len(conds) == 1 else or_(*conds)

    @cached_property
    def record_columns(self) -> tuple[str, ...]:
        """Columns an instance of this class has as TypeORM gives it: those of its
        single-table siblings and descendants left out, except the embedded columns of
        its descendants (TypeORM builds a class's embedded objects from every embedded
        of its metadata, which for a single-table parent holds its children's too: a
        ``Vehicle`` row reads back with a ``cargo`` of nulls, ``Truck``'s embedded)."""
        names = {c.__name__ for c in self.cls.__mro__}
        below = {m.class_.__name__ for m in self.mapper.self_and_descendants} - {self.cls.__name__}

        def embedded(key: str) -> bool:
            return any(key.startswith(p + "_") for p in self.prefixes)

        return tuple(
            k
            for k, c in self.columns.items()
            if not c.info.get("sti_owner")
            or names & set(c.info["sti_owner"])
            or (embedded(k) and set(c.info["sti_owner"]) <= below)
        )

    @cached_property
    def record_set(self) -> frozenset[str]:
        """`record_columns` as a set."""
        return frozenset(self.record_columns)

    def cascades(self, key: str) -> frozenset[str]:
        """TypeORM's cascades of relation ``key``."""
        rel = self.relations[key]
        declared = rel.info.get("cascade")
        if declared is not None:
            return frozenset(declared)
        out = set()
        if rel.cascade.save_update:
            out |= {"insert", "update"}
        if rel.cascade.delete:
            out.add("remove")
        return frozenset(out)

    @property
    def delete_date(self) -> str | None:
        return self.roles.get("delete-date")

    @property
    def version(self) -> str | None:
        return self.roles.get("version")

    @property
    def update_date(self) -> str | None:
        return self.roles.get("update-date")

    def column(self, key: str) -> Column[Any]:
        try:
            return self.columns[key]
        except KeyError:
            raise UnknownProperty(self.unknown(key)) from None

    def property_column(self, path: str) -> str:
        """The attribute key of the column TypeORM's property path ``path`` names
        (``findColumnWithPropertyPath``): a column (``home.city`` in an embedded), a
        to-one relation with one foreign key column (``user``), or that column by the
        key it references (``user.id``)."""
        key = self.attribute(path.replace(".", "_"))
        if key in self.columns:
            return key
        head, _, rest = path.partition(".")
        rel = self.relations.get(self.attribute(head))
        if rel is not None and rel.direction not in (ONETOMANY, MANYTOMANY):
            pairs = [(loc, rem) for loc, rem in rel.local_remote_pairs if loc.table is self.table]
            if len(pairs) == 1:
                local, remote = pairs[0]
                target = entity_info(rel.mapper.class_)
                ref = target.mapper.get_property_by_column(remote).key
                if not rest or rest in (ref, target.property_of(ref)):
                    return self.mapper.get_property_by_column(local).key
        raise UnknownProperty(self.unknown(path))

    def unknown(self, path: str) -> str:
        known = ", ".join(sorted([*self.columns, *self.relations]))
        return f'Property "{path}" was not found in "{self.name}". Known properties: {known}'

    def relation(self, key: str) -> RelationshipProperty[Any]:
        try:
            return self.relations[self.attribute(key)]
        except KeyError:
            raise UnknownProperty(self.unknown(key)) from None

    def is_many(self, key: str) -> bool:
        """A to-many relation (an inverse one-to-one is one-to-many with one row)."""
        rel = self.relations[key]
        return rel.direction in (ONETOMANY, MANYTOMANY) and bool(rel.uselist)

    def target(self, key: str) -> EntityInfo:
        """TypeORM's target entity of relation ``key`` (`related_class`)."""
        return entity_info(related_class(self.relations[key]))

    def resolve(self, prefix: str, key: str) -> tuple[str, str]:
        """``("column"|"embedded"|"relation", attribute path)`` for ``key`` under ``prefix``."""
        path = self.path(prefix, key)
        if path in self.columns:
            return "column", path
        if not prefix and path in self.relations:
            return "relation", path
        if path in self.prefixes:
            return "embedded", path
        raise UnknownProperty(self.unknown(path.replace("_", ".") if prefix else key))


def related_class(rel: RelationshipProperty[Any]) -> type[Any]:
    """TypeORM's target class of ``rel``: its mapper's class, or the class of that
    hierarchy ``info["target"]`` names (a to-one relation to a single-table child is
    mapped to the root, so that SQLAlchemy adds no discriminator to its joins: TypeORM
    joins it by the key alone and builds the row as the target class)."""
    name = rel.info.get("target")
    if name:
        for mapper in rel.mapper.self_and_descendants:
            if mapper.class_.__name__ == name:
                return mapper.class_
    return rel.mapper.class_


_CACHE: dict[type[Any], EntityInfo] = {}
_LOCK = threading.Lock()


def _roles(mapper: Mapper[Any], columns: dict[str, Column[Any]]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for key, col in columns.items():
        role = col.info.get("typeorm")
        if role in ROLES:
            roles[role] = key
    version_col = mapper.version_id_col
    if "version" not in roles and version_col is not None:
        for key, col in columns.items():
            if col is version_col:
                roles["version"] = key
    if "update-date" not in roles:
        for key, col in columns.items():
            if col.onupdate is not None:
                roles["update-date"] = key
                break
    return roles


def _lineage(mapper: Mapper[Any]) -> set[str]:
    """Names of the classes whose columns an entity has in TypeORM: its ancestors, its
    own and its subclasses' (a single-table sibling's columns are not its own)."""
    return {m.class_.__name__ for m in (*mapper.iterate_to_root(), *mapper.self_and_descendants)}


def _prefixes(
    mapper: Mapper[Any], columns: dict[str, Column[Any]]
) -> tuple[set[str], dict[str, str]]:
    """The prefixes of embedded objects' columns, and attribute prefix -> TypeORM's.

    A column with TypeORM's path in ``info["property"]`` (``home.postalCode``) gives
    TypeORM's prefixes (``home``); a composite gives its attribute, and TypeORM's path
    of the embedded its columns are in; a column with neither (named as TypeORM names
    it, ``home_postalCode``) gives each ``_``-separated head of its key."""
    prefixes: set[str] = set()
    for key, col in columns.items():
        path = col.info.get("property")
        # a trailing "_" (``text_``, a name kept apart from another) is no embedded's
        parts = str(path).split(".") if path else key.rstrip("_").split("_")
        prefixes |= {"_".join(parts[:i]) for i in range(1, len(parts))} - {""}
    embedded: dict[str, str] = {}
    for comp in mapper.composites:
        prefixes.add(comp.key)
        keys = [a if isinstance(a, str) else getattr(a, "key", None) for a in comp.attrs]
        heads = {
            str(columns[k].info.get("property", "")).rpartition(".")[0]
            for k in keys
            if isinstance(k, str) and k in columns
        }
        if len(heads) == 1 and (head := heads.pop().replace(".", "_")) and head != comp.key:
            embedded[comp.key] = head
    return prefixes, embedded


def entity_info(cls: type[Any]) -> EntityInfo:
    """The (cached) `EntityInfo` of a mapped class."""
    found = _CACHE.get(cls)
    if found is not None:
        return found
    with _LOCK:
        found = _CACHE.get(cls)
        if found is not None:
            return found
        try:
            mapper: Mapper[Any] = inspect(cls)
        except Exception as exc:
            raise OrmError(
                f"{getattr(cls, '__name__', cls)!r} is not a mapped SQLAlchemy class; "
                "pass a declarative model"
            ) from exc
        columns: dict[str, Column[Any]] = {}
        related = _lineage(mapper)
        for prop in mapper.column_attrs:
            if isinstance(prop, ColumnProperty) and len(prop.columns) == 1:
                col = prop.columns[0]
                owners = col.info.get("sti_owner") if isinstance(col, Column) else None
                if isinstance(col, Column) and (not owners or related & set(owners)):
                    columns[prop.key] = col
        relations = {
            rel.key: rel
            for rel in mapper.relationships
            if not rel.info.get("sti_owner") or related & set(rel.info["sti_owner"])
        }
        primary = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
        prefixes, embedded = _prefixes(mapper, columns)
        table = mapper.local_table
        if not isinstance(table, Table):
            raise OrmError(f"{cls.__name__} is not mapped to a table")
        info = EntityInfo(
            cls=cls,
            name=cls.__name__,
            mapper=mapper,
            table=table,
            columns=columns,
            relations=relations,
            primary=primary,
            roles=_roles(mapper, columns),
            prefixes=frozenset(prefixes - set(columns)),
            embedded=embedded,
        )
        _CACHE[cls] = info
        return info
