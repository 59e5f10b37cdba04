"""TypeORM's ``TreeRepository`` (``ds.get_tree_repository(Category)``).

Each query is the one TypeORM 1.1.1 builds (``repository/TreeRepository``), on
`SelectQueryBuilder`: a closure table joined by its ancestor / descendant columns, a
nested set by ``BETWEEN`` its bounds, a materialized path by ``LIKE`` the path of the
given entity. ``relations`` joins and selects each path (TypeORM's
``applyOptionsToTreeQueryBuilder``); ``depth`` cuts ``find_descendants_tree`` /
``find_trees`` (``-1``: all levels). The tree of a ``*_tree`` call is built on the
given entity from the raw rows' keys and parent keys, as ``TreeRepositoryUtils`` builds
it, children and parents set without touching their back references.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.errors import FindRelationsNotFound, OrmError
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.repository import Repository
from ormshift.orm.trees.meta import TreeInfo, tree_of

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager
    from ormshift.orm.querybuilder import SelectQueryBuilder
    from ormshift.orm.types import FindTreeOptions

__all__ = ["TreeRepository"]

T = TypeVar("T")


class NotATree(OrmError):
    """A tree-repository query of an entity that is no tree (TypeORM: ``Supported
    only in tree entities``)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class TreeRepository(Repository[T]):
    def __init__(self, entity: type[T], manager: EntityManager) -> None:
        super().__init__(entity, manager)
        self._info = entity_info(entity)

    @property
    def _tree(self) -> TreeInfo:
        found = tree_of(self._info)
        if found is None:
            raise NotATree("Supported only in tree entities")
        return found

    # -- queries ------------------------------------------------------------------
    def find_trees(self, **options: Unpack[FindTreeOptions]) -> list[T]:
        roots = self.find_roots(**options)
        for root in roots:
            self.find_descendants_tree(root, **options)
        return roots

    def find_roots(self, **options: Unpack[FindTreeOptions]) -> list[T]:
        tree = self._tree
        column = self._info.columns[tree.parent_columns[0]].name
        qb = self.create_query_builder("treeEntity")
        _apply(qb, self._info, options)
        return list(qb.where(f"{_q('treeEntity')}.{_q(column)} IS NULL").get_many())

    def find_descendants(self, entity: T, **options: Unpack[FindTreeOptions]) -> list[T]:
        return list(self._closure(entity, options, descendants=True).get_many())

    def find_descendants_tree(self, entity: T, **options: Unpack[FindTreeOptions]) -> T:
        found, maps = self._loaded(self._closure(entity, options, descendants=True))
        depth = options.get("depth", -1)
        self._children_tree(entity, found, maps, -1 if depth is None else int(depth))
        return entity

    def count_descendants(self, entity: T) -> int:
        qb = self.create_descendants_query_builder("treeEntity", "treeClosure", entity)
        return int(qb.get_count())

    def find_ancestors(self, entity: T, **options: Unpack[FindTreeOptions]) -> list[T]:
        return list(self._closure(entity, options, descendants=False).get_many())

    def find_ancestors_tree(self, entity: T, **options: Unpack[FindTreeOptions]) -> T:
        found, maps = self._loaded(self._closure(entity, options, descendants=False))
        self._parent_tree(entity, found, maps, set())
        return entity

    def count_ancestors(self, entity: T) -> int:
        qb = self.create_ancestors_query_builder("treeEntity", "treeClosure", entity)
        return int(qb.get_count())

    # -- builders -----------------------------------------------------------------
    def create_descendants_query_builder(
        self, alias: str, closure_alias: str, entity: T
    ) -> SelectQueryBuilder[T]:
        return self._builder(alias, closure_alias, entity, descendants=True)

    def create_ancestors_query_builder(
        self, alias: str, closure_alias: str, entity: T
    ) -> SelectQueryBuilder[T]:
        return self._builder(alias, closure_alias, entity, descendants=False)

    def _closure(
        self, entity: T, options: FindTreeOptions, *, descendants: bool
    ) -> SelectQueryBuilder[T]:
        """``entity``'s descendants or ancestors query (its public builder), the find
        options applied."""
        make = (
            self.create_descendants_query_builder
            if descendants
            else self.create_ancestors_query_builder
        )
        qb = make("treeEntity", "treeClosure", entity)
        _apply(qb, self._info, options)
        return qb

    def _loaded(self, qb: SelectQueryBuilder[T]) -> tuple[list[T], list[tuple[Any, Any]]]:
        """The entities ``qb`` finds and the relation maps of its raw rows."""
        raw, found = qb.get_raw_and_entities()
        return found, self._relation_maps("treeEntity", raw)

    def _builder(
        self, alias: str, closure_alias: str, entity: Any, *, descendants: bool
    ) -> SelectQueryBuilder[T]:
        tree, info = self._tree, self._info
        qb = self.create_query_builder(alias)
        if tree.kind == "closure-table":
            assert tree.closure is not None
            table = tree.closure
            joined, given = (
                (tree.descendants, tree.ancestors)
                if descendants
                else (tree.ancestors, tree.descendants)
            )
            pk = info.mapper.primary_key
            on = " AND ".join(
                f"{_q(closure_alias)}.{_q(c.name)} = {_q(alias)}.{_q(p.name)}"
                for c, p in zip(joined, pk, strict=True)
            )
            params: dict[str, Any] = {}
            conds = []
            for c, key in zip(given, info.primary, strict=True):
                name = info.property_of(key)
                params[name] = getattr(entity, key, None)
                conds.append(f"{_q(closure_alias)}.{_q(c.name)} = :{name}")
            qb.inner_join(f"(SELECT * FROM {_table(table)})", closure_alias, on)
            return qb.where(" AND ".join(conds)).set_parameters(params)
        if tree.kind == "nested-set":
            assert tree.left is not None and tree.right is not None
            left = _q(info.columns[tree.left].name)
            right = _q(info.columns[tree.right].name)
            if descendants:
                on = f"{_q(alias)}.{left} BETWEEN {_q('joined')}.{left} AND {_q('joined')}.{right}"
            else:
                on = f"{_q('joined')}.{left} BETWEEN {_q(alias)}.{left} AND {_q(alias)}.{right}"
            params = {}
            conds = []
            for key in tree.referenced:
                name = info.property_of(key)
                params[name] = getattr(entity, key, None)
                conds.append(f"{_q('joined')}.{_q(info.columns[key].name)} = :{name}")
            qb.inner_join(info.cls, "joined", on)
            return qb.where(" AND ".join(conds), params)
        assert tree.path is not None
        path = _q(info.columns[tree.path].name)
        ident = {info.property_of(k): getattr(entity, k, None) for k in info.primary}
        target_name = info.name

        def condition(outer: Any) -> str:
            sub = (
                outer.sub_query()
                .select(f"{target_name}.{info.property_of(tree.path or '')}", "path")
                .from_(info.cls, target_name)
                .where_in_ids(ident)
                .get_query()
            )
            if descendants:
                return f"{_q(alias)}.{path} LIKE NULLIF(CONCAT({sub}, '%'), '%')"
            return f"{sub} LIKE CONCAT({_q(alias)}.{path}, '%')"

        return qb.where(condition)

    # -- trees of entities ----------------------------------------------------------
    def _relation_maps(self, alias: str, raw: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
        tree, info = self._tree, self._info
        ref = info.columns[tree.referenced[0]].name
        parent = info.columns[tree.parent_columns[0]].name
        return [(row.get(f"{alias}_{ref}"), row.get(f"{alias}_{parent}")) for row in raw]

    def _children_tree(
        self, entity: Any, found: list[Any], maps: list[tuple[Any, Any]], depth: int
    ) -> None:
        tree = self._tree
        if tree.children is None:
            return
        if depth == 0:
            set_committed_value(entity, tree.children, [])
            return
        key = tree.referenced[0]
        own = getattr(entity, key, None)
        child_ids = {i for i, p in maps if p == own}
        children = [e for e in found if getattr(e, key) in child_ids]
        set_committed_value(entity, tree.children, children)
        for child in children:
            self._children_tree(child, found, maps, depth - 1)

    def _parent_tree(
        self, entity: Any, found: list[Any], maps: list[tuple[Any, Any]], seen: set[int]
    ) -> None:
        tree = self._tree
        key = tree.referenced[0]
        own = getattr(entity, key, None)
        mapped = next(((i, p) for i, p in maps if i == own), None)
        if mapped is None:
            return
        parent = next((e for e in found if getattr(e, key) == mapped[1]), None)
        if parent is None or id(parent) in seen:
            return
        seen.add(id(parent))
        set_committed_value(entity, tree.parent, parent)
        self._parent_tree(parent, found, maps, seen)


def _table(table: Any) -> str:
    return (_q(table.schema) + "." if table.schema else "") + _q(table.name)


def _apply(qb: Any, info: EntityInfo, options: FindTreeOptions) -> None:
    """TypeORM's ``applyOptionsToTreeQueryBuilder``: each listed relation joined and
    selected as ``treeEntity__<path>``, a nested path only under its listed parent
    path; an owning to-one whose foreign key is not nullable INNER joined (LEFT when
    its target has a delete date); a path left unjoined raises
    ``FindRelationsNotFound``."""
    relations = options.get("relations")
    if not relations:
        return
    remaining = [str(r) for r in relations]
    _join_relations(qb, remaining, "treeEntity", info, "")
    if remaining:
        raise FindRelationsNotFound(remaining)


def _join_relations(
    qb: Any, remaining: list[str], alias: str, info: EntityInfo, prefix: str
) -> None:
    listed = (
        [r[len(prefix) + 1 :] for r in remaining if r.startswith(prefix + ".")]
        if prefix
        else list(remaining)
    )
    for name in [n for n in listed if info.attribute(n) in info.relations]:
        key = info.attribute(name)
        rel = info.relations[key]
        child = f"{alias}__{name}"
        target = info.target(key)
        owning = rel.direction is MANYTOONE or (
            not rel.uselist
            and bool(rel.local_remote_pairs)
            and all(loc.table is info.table for loc, _ in rel.local_remote_pairs)
        )
        nullable = any(loc.nullable for loc, _ in rel.local_remote_pairs if loc.table is info.table)
        if owning and not nullable and target.delete_date is None:
            qb.inner_join_and_select(f"{alias}.{name}", child)
        else:
            qb.left_join_and_select(f"{alias}.{name}", child)
        path = f"{prefix}.{name}" if prefix else name
        remaining.remove(path)
        _join_relations(qb, remaining, child, target, path)
