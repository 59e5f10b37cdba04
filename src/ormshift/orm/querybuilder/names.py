"""What an alias's ``alias.path`` may name, read from the mapper as TypeORM reads its
metadata: property paths of columns (``contact.place.city`` in embedded objects), their
property names and database names, and to-one relations by their foreign key
(``author``, ``author.id``).

`replacements` follows ``QueryBuilder.replacePropertyNamesForTheWholeQuery``: from least
to most relevant, a relation's path (its first join column), ``relation.referenced``,
the column's attribute (``view_count``, where the model names it apart from TypeORM),
its database name, its property name, its property path; a later entry overrides an
earlier one. A relation is named by its TypeORM name or its attribute (`relation_key`).
Identifiers are quoted as TypeORM's PostgreSQL driver quotes them (`escape`), and the
aliases TypeORM builds from parts are shortened as it shortens them (`build_alias`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import MANYTOONE, RelationshipProperty
from sqlalchemy.orm.interfaces import ONETOMANY

from ormshift.orm.metadata import EntityInfo, entity_info, related_class

__all__ = [
    "MAX_ALIAS",
    "build_alias",
    "escape",
    "is_selectable",
    "property_path",
    "property_paths",
    "relation_key",
    "relations",
    "replacements",
]


#: PostgreSQL's identifier length (``NAMEDATALEN - 1``): TypeORM's ``maxAliasLength``
MAX_ALIAS = 63


def build_alias(*parts: str, joiner: str = "_") -> str:
    """TypeORM's ``DriverUtils.buildAlias`` on PostgreSQL: the parts joined, or, when
    that passes 63 characters, its SHA-1 in hex (40 characters), so PostgreSQL never
    truncates two long aliases into one."""
    name = joiner.join(parts)
    if len(name) > MAX_ALIAS:
        return hashlib.sha1(name.encode()).hexdigest()  # noqa: S324 - a name, not a secret
    return name


def escape(name: str) -> str:
    """``"name"``, embedded quotes doubled (TypeORM's ``PostgresDriver.escape``)."""
    return '"' + name.replace('"', '""') + '"'


def _embedded(info: EntityInfo) -> frozenset[str]:
    """Attribute prefixes of embedded objects: the mapper's composites and, for columns
    named apart from their attribute, the flattened prefixes."""
    found = {str(key) for key in info.mapper.composites.keys()}  # noqa: SIM118
    for key, col in info.columns.items():
        if col.name != key:
            found |= {p for p in info.prefixes if key.startswith(p + "_")}
    return frozenset(found)


_PATHS: dict[type[Any], dict[str, str]] = {}
_REPLACEMENTS: dict[type[Any], dict[str, str]] = {}


def property_paths(cls: type[Any]) -> dict[str, str]:
    """Attribute key -> TypeORM property path (``contact_place_city`` ->
    ``contact.place.city``)."""
    found = _PATHS.get(cls)
    if found is None:
        found = _PATHS[cls] = _property_paths(entity_info(cls))
    return found


def _property_paths(info: EntityInfo) -> dict[str, str]:
    prefixes = sorted(_embedded(info), key=len)
    out: dict[str, str] = {}
    for key in info.columns:
        own = info.typeorm_path(key)
        if own != key:
            out[key] = own
            continue
        owners = [p for p in prefixes if key.startswith(p + "_") and len(key) > len(p) + 1]
        if owners:
            owner = max(owners, key=len)
            key_rest = key[len(owner) + 1 :]
            out[key] = ".".join([*_split(owner, prefixes), key_rest])
        else:
            out[key] = key
    return out


def _split(prefix: str, prefixes: list[str]) -> list[str]:
    """``contact_place`` -> ``["contact", "place"]`` along the embedded prefixes."""
    parents = [p for p in prefixes if prefix.startswith(p + "_")]
    if not parents:
        return [prefix]
    parent = max(parents, key=len)
    return [*_split(parent, prefixes), prefix[len(parent) + 1 :]]


def relations(info: EntityInfo) -> dict[str, RelationshipProperty[Any]]:
    """The relations of ``info`` and of its single-table subclasses (TypeORM's metadata
    of a single-table parent holds its children's relations too)."""
    out = dict(info.relations)
    for mapper in info.mapper.self_and_descendants:
        if mapper is info.mapper or not mapper.single:
            continue
        for rel in mapper.relationships:
            out.setdefault(rel.key, rel)
    return out


def relation_key(info: EntityInfo, name: str) -> str | None:
    """The attribute key of the relation (of `relations`) that ``name`` names, by its
    attribute or its TypeORM name (``info["property"]``); None when none does."""
    found = relations(info)
    if name in found:
        return name
    return next((k for k, rel in found.items() if rel.info.get("property") == name), None)


def _relation_names(info: EntityInfo, key: str) -> list[str]:
    """The attribute of relation ``key``, then its TypeORM name when that differs."""
    typeorm = relations(info)[key].info.get("property")
    return [key] if not typeorm or typeorm == key else [key, str(typeorm)]


def property_path(info: EntityInfo, key: str) -> str:
    return property_paths(info.cls)[key]


def _join_columns(info: EntityInfo, key: str) -> list[tuple[str, str]]:
    """(own attribute key, referenced property path) of to-one relation ``key``'s join
    columns, in the relation's order; empty for relations without join columns here."""
    rel = relations(info)[key]
    if rel.direction is ONETOMANY or rel.secondary is not None:
        return []
    if rel.direction is not MANYTOONE and not all(
        loc.table is info.table for loc, _ in rel.local_remote_pairs
    ):
        return []
    target = entity_info(related_class(rel))
    out = []
    for local, remote in rel.local_remote_pairs:
        if local.table is not info.table:
            return []
        own = info.mapper.get_property_by_column(local).key
        ref = target.mapper.get_property_by_column(remote).key
        out.append((own, property_path(target, ref)))
    return out


def replacements(cls: type[Any]) -> dict[str, str]:
    """Path after ``alias.`` -> attribute key of the column it names."""
    found = _REPLACEMENTS.get(cls)
    if found is None:
        found = _REPLACEMENTS[cls] = _replacements(entity_info(cls))
    return found


def _replacements(info: EntityInfo) -> dict[str, str]:
    cls = info.cls
    out: dict[str, str] = {}
    for key in relations(info):
        pairs = _join_columns(info, key)
        if pairs and pairs[0][0] in info.columns:
            out.update(dict.fromkeys(_relation_names(info, key), pairs[0][0]))
    for key in relations(info):
        for own, ref in _join_columns(info, key):
            if own not in info.columns:
                continue
            out.update({f"{name}.{ref}": own for name in _relation_names(info, key)})
    paths = property_paths(cls)
    for key in info.columns:  # the attribute (``alias.view_count``), when not TypeORM's
        out[key] = key
    for key, col in info.columns.items():
        out[col.name] = key
    for key in info.columns:
        out[paths[key].rsplit(".", 1)[-1]] = key
    for key in info.columns:
        out[paths[key]] = key
    return out


def is_selectable(info: EntityInfo, key: str) -> bool:
    """A column TypeORM selects with its alias (not ``select: false``)."""
    return not info.mapper.column_attrs[key].deferred
