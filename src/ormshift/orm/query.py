"""Find options -> one SQLAlchemy ``Select`` (and its count / exists / aggregate forms).

Pagination counts entities, not joined rows: to-many relations are loaded by
SQLAlchemy's joined eager loading, which wraps the paginated root query in a subquery
(the same rows TypeORM's two-step distinct-id query finds), or by a second query
(``relation_load_strategy="query"``). Conditions through relations are evaluated on
TypeORM's LEFT joins inside an ``EXISTS`` (`where.compile_find_where`) and never
multiply rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    distinct,
    exists,
    func,
    nulls_first,
    nulls_last,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import (
    aliased,
    contains_eager,
    joinedload,
    lazyload,
    load_only,
    selectinload,
    with_loader_criteria,
)

from ormshift.orm.errors import FindOptionsError
from ormshift.orm.internals import AbstractLoad
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.operators import FindOperator
from ormshift.orm.options import FindOptions, Tree, relation_tree, select_tree
from ormshift.orm.where import (
    compile_find_where,
    exists_root_where,
    not_deleted,
    without_counts,
)

__all__ = [
    "AGGREGATES",
    "aggregate_statement",
    "count_statement",
    "exists_statement",
    "find_statement",
    "is_pessimistic",
    "lazy_count",
    "unselected_paging_column",
]

_EAGER = ("joined", "selectin", "subquery", "immediate")


def _filtered(info: EntityInfo, opts: FindOptions) -> Select[Any]:
    stmt: Select[Any] = select(info.cls)
    cond = compile_find_where(info, opts.where, with_deleted=opts.with_deleted)
    if cond is not None:
        stmt = stmt.where(cond)
    if not opts.with_deleted:
        alive = not_deleted(info, info.cls)
        if alive is not None:
            stmt = stmt.where(alive)
    return stmt


def _join_where(
    info: EntityInfo,
    target: EntityInfo,
    where: Mapping[str, Any] | list[Any] | None,
    key: str,
    opts: FindOptions,
    *,
    loading: bool = False,
) -> tuple[Any, Mapping[str, Any] | None]:
    """The condition ``where`` puts on the rows of relation ``key`` that TypeORM joins
    for it (the same join serves ``relations``, ``where`` and ``order``), and the where
    below it. ``loading``: for the rows ``relations`` loads, which only the join
    strategy reads from that join (None, None otherwise)."""
    if loading and opts.relation_load_strategy != "join":
        return None, None
    if isinstance(where, list):
        # TypeORM's buildWhere drops a mapping that makes no condition ({}, {author: {}})
        where = [
            b
            for b in where
            if not isinstance(b, Mapping)
            or compile_find_where(info, without_counts(info, b), with_deleted=opts.with_deleted)
            is not None
        ]
    if isinstance(where, list) and len(where) == 1 and isinstance(where[0], Mapping):
        where = where[0]  # one branch is that mapping, down to nested relations
    if isinstance(where, list):
        return _shared_join_any(info, target, where, key, opts), None
    # (FindOptions.of has read TypeORM's names of renamed attributes as attribute keys)
    sub = where.get(key) if where is not None else None
    if not isinstance(sub, Mapping) or not sub:
        return None, None
    return compile_find_where(target, sub, with_deleted=opts.with_deleted), sub


def _shared_join_any(
    info: EntityInfo, target: EntityInfo, where: list[Any], key: str, opts: FindOptions
) -> Any:
    """A list of where mappings at the root (TypeORM's OR of them, on the same joined
    rows): a related row is loaded when one branch holds for it and its root row; a
    branch without a condition on ``key`` holds for every related row of a root it
    matches. None when no branch has one (nothing filtered)."""
    if not info.relations[key].uselist:
        # a root row is found only when one mapping holds for it and its one related
        # row, which that mapping then loads: nothing to filter
        return None
    branches = [b for b in where if isinstance(b, Mapping)]
    given = [(key, b.get(key)) for b in branches]
    if not any(isinstance(sub, Mapping) and sub for _, sub in given):
        return None
    parts: list[Any] = []
    for branch, (name, sub) in zip(branches, given, strict=True):
        own = isinstance(sub, Mapping) and bool(sub)
        # a relation count is the whole query's condition, not the branch's
        rest = without_counts(
            info, {k: v for k, v in branch.items() if k != name} if own else branch
        )
        conds = [
            _of_root(info, key, rest, opts) if rest else None,
            compile_find_where(target, sub, with_deleted=opts.with_deleted) if own else None,
        ]
        present = [c for c in conds if c is not None]
        parts.append(and_(*present) if present else true())
    return or_(*parts)


def _of_root(info: EntityInfo, key: str, where: Mapping[str, Any], opts: FindOptions) -> Any:
    """``where`` on the root row inside the ON clause of relation ``key``'s join, on
    the root row found again (an alias of its own) by the related row's or the
    junction's key columns: with skip/take the eager join is made on the paged root
    as a subquery, which has neither the root table's name nor its ``select: false``
    columns, and a self-referential relation's target alias would take the root
    table's columns too."""
    rel = info.relations[key]
    found = exists_root_where(
        info, where, list(rel.synchronize_pairs), with_deleted=opts.with_deleted
    )
    if found is not None:
        return found
    return compile_find_where(info, where, with_deleted=opts.with_deleted)


def _loaders(
    info: EntityInfo,
    tree: Tree,
    opts: FindOptions,
    selects: Mapping[str, Any],
    parent: AbstractLoad | None,
    seen: set[type[Any]],
    where: Mapping[str, Any] | list[Any] | None = None,
    *,
    shared: Mapping[tuple[str, ...], Any] | None = None,
    path_of: tuple[str, ...] = (),
) -> list[AbstractLoad]:
    out: list[AbstractLoad] = []
    # below a relation loaded from the order's join, the relations of its alias
    owner = shared[path_of] if shared is not None and path_of else info.cls
    for key, sub in tree.items():
        attr = getattr(owner, key)
        target = info.target(key)
        seen.add(target.cls)
        criterion, sub_where = _join_where(info, target, where, key, opts, loading=True)
        path = (*path_of, key)
        alias = shared.get(path) if shared is not None else None
        below: Mapping[tuple[str, ...], Any] | None = None
        if shared is not None and alias is not None:
            # loaded from the order's join, whose ON holds the where's condition
            attr = attr.of_type(alias)
            loader = parent.contains_eager(attr) if parent else contains_eager(attr)
            below = shared
        else:
            if criterion is not None:
                attr = attr.and_(criterion)
            if opts.relation_load_strategy == "join":
                loader = parent.joinedload(attr) if parent else joinedload(attr)
            else:
                loader = parent.selectinload(attr) if parent else selectinload(attr)
        sub_select = selects.get(key)
        nested: dict[str, Any] = {}
        if isinstance(sub_select, Mapping):
            cols, nested = select_tree(target, sub_select)
            if cols:
                mapped = info.relations[key].mapper.class_
                loader = loader.load_only(*(getattr(mapped, c) for c in cols))
        out.append(loader)
        out += _loaders(
            target, sub, opts, nested, loader, seen, sub_where, shared=below, path_of=path
        )
    for key, rel in info.relations.items():
        if key in tree or rel.lazy not in _EAGER:
            continue
        if not opts.load_eager_relations:
            out.append(
                parent.lazyload(getattr(info.cls, key))
                if parent
                else lazyload(getattr(info.cls, key))
            )
        else:
            seen.add(rel.mapper.class_)
    return out


@dataclass
class _OrderJoins:
    """The relations ``order`` joined, by relation path from the root (TypeORM joins
    each once: ``relations`` and ``where`` of the same path share the join), the
    columns it orders by, and whether one of them is to-many (rows then repeat)."""

    aliases: dict[tuple[str, ...], Any] = field(default_factory=dict)
    columns: list[Any] = field(default_factory=list)
    many: bool = False


def _order(
    info: EntityInfo,
    stmt: Select[Any],
    order: Mapping[str, Any],
    entity: Any,
    opts: FindOptions,
    where: Mapping[str, Any] | list[Any] | None,
    joins: _OrderJoins,
    prefix: str = "",
    path_of: tuple[str, ...] = (),
) -> Select[Any]:
    for key, value in order.items():
        kind, path = info.resolve(prefix, str(key))
        if kind == "embedded":
            if not isinstance(value, Mapping):
                raise FindOptionsError(f"order of embedded {path!r} must be a mapping")
            stmt = _order(info, stmt, value, entity, opts, where, joins, path, path_of)
            continue
        if kind == "relation":
            if not isinstance(value, Mapping):
                raise FindOptionsError(f"order of relation {path!r} must be a mapping")
            stmt, alias, sub_where = _order_join(
                info, stmt, entity, path, opts, where, joins, path_of
            )
            stmt = _order(
                info.target(path), stmt, value, alias, opts, sub_where, joins, "", (*path_of, path)
            )
            continue
        direction, nulls = value, None
        if isinstance(value, Mapping):
            direction, nulls = value.get("direction", "ASC"), value.get("nulls")
        text = str(direction).upper()
        if text not in ("ASC", "DESC", "1", "-1"):
            raise FindOptionsError(
                f"order direction of {path!r} must be ASC or DESC, not {direction!r}"
            )
        col = getattr(entity, path)
        joins.columns.append(col)
        term = col.desc() if text in ("DESC", "-1") else col.asc()
        if nulls is not None:
            upper = str(nulls).upper()
            if upper not in ("FIRST", "LAST"):
                raise FindOptionsError(f"nulls of {path!r} must be FIRST or LAST, not {nulls!r}")
            term = nulls_first(term) if upper == "FIRST" else nulls_last(term)
        stmt = stmt.order_by(term)
    return stmt


def _order_join(
    info: EntityInfo,
    stmt: Select[Any],
    entity: Any,
    key: str,
    opts: FindOptions,
    where: Mapping[str, Any] | list[Any] | None,
    joins: _OrderJoins,
    path_of: tuple[str, ...],
) -> tuple[Select[Any], Any, Mapping[str, Any] | None]:
    """TypeORM's LEFT join of relation ``key`` for ``order`` (``buildOrder``): without
    the soft-deleted rows (unless ``withDeleted``), and, for a to-many relation, only
    the rows the find's ``where`` keeps (its conditions on the same join); rows then
    repeat per related row and an entity comes where its first row comes."""
    target = info.target(key)
    crit, sub_where = _join_where(info, target, where, key, opts)
    path = (*path_of, key)
    alias = joins.aliases.get(path)
    if alias is not None:
        return stmt, alias, sub_where
    alias = aliased(info.relations[key].mapper.class_)
    conds: list[Any] = []
    if info.is_many(key):
        joins.many = True
        if crit is not None:
            conds.append(crit)
    if not opts.with_deleted:
        alive = not_deleted(target, alias)
        if alive is not None:
            conds.append(alive)
    on = getattr(entity, key).of_type(alias)
    stmt = stmt.outerjoin(alias, on.and_(*conds) if conds else on)
    joins.aliases[path] = alias
    return stmt, alias, sub_where


def _paged_by_rows(
    info: EntityInfo, stmt: Select[Any], joins: _OrderJoins, opts: FindOptions
) -> Select[Any]:
    """A page of a find ordered through a to-many relation, as TypeORM takes it: its
    first query selects ``DISTINCT`` the primary key and every order column from the
    joined rows, ordered, then skips and takes those rows (not entities: two rows of one
    entity take two places of the page); its second finds the entities of those keys."""
    keys = [getattr(info.cls, k) for k in info.primary]
    labelled = [c.label(f"k{i}") for i, c in enumerate(keys)]
    page = stmt.with_only_columns(*labelled, *joins.columns).distinct()
    if opts.skip:
        page = page.offset(opts.skip)
    if opts.take is not None:
        page = page.limit(opts.take)
    sub = page.subquery()
    picked = select(*(sub.c[f"k{i}"] for i in range(len(keys))))
    own = keys[0] if len(keys) == 1 else tuple_(*keys)
    return stmt.where(own.in_(picked))


#: The pessimistic modes TypeORM 1.x's find options know, as ``with_for_update`` flags.
_LOCK_MODES: dict[str, dict[str, bool]] = {
    "pessimistic_read": {"read": True},
    "pessimistic_write": {},
    "for_no_key_update": {"key_share": True},
    "for_key_share": {"read": True, "key_share": True},
}


def is_pessimistic(lock: Mapping[str, Any] | None) -> bool:
    """A lock that TypeORM takes only inside a transaction."""
    return bool(lock) and str(lock.get("mode", "")) in _LOCK_MODES  # type: ignore[union-attr]


def _lock(info: EntityInfo, stmt: Select[Any], lock: Mapping[str, Any]) -> Select[Any]:
    """``FOR UPDATE`` and its kin, with ``tables`` (``OF``) and ``onLocked``.

    As in TypeORM 1.x's find, a mode it does not know (``pessimistic_partial_write``,
    ``pessimistic_write_or_fail`` were removed in favour of ``onLocked``) takes no lock,
    and ``dirty_read`` none on PostgreSQL."""
    flags = _LOCK_MODES.get(str(lock.get("mode", "")))
    if flags is None:
        return stmt
    of: Any = None
    tables = lock.get("tables")
    if tables is not None:
        names = list(tables)
        if not names:
            raise FindOptionsError("lockTables cannot be an empty array")
        for name in names:
            if name != info.table.name:
                raise FindOptionsError(f'"{name}" is not part of this query')
        of = info.cls
    on_locked = lock.get("onLocked", lock.get("on_locked"))
    nowait = on_locked == "nowait"
    skip = on_locked == "skip_locked"
    return stmt.with_for_update(of=of, nowait=nowait, skip_locked=skip, **flags)


def find_statement(info: EntityInfo, opts: FindOptions) -> Select[Any]:
    """The SELECT of entities for ``opts``."""
    stmt = _filtered(info, opts)
    tree = relation_tree(info, opts.relations)
    cols, nested = select_tree(info, opts.select)
    seen: set[type[Any]] = set()
    # a list of where mappings only at the root, whose columns the loader's join sees
    where = opts.where if isinstance(opts.where, Mapping | list) else None
    joins = _OrderJoins()
    if opts.order:
        stmt = _order(info, stmt, opts.order, info.cls, opts, where, joins)
    paged = bool(opts.skip) or opts.take is not None
    if joins.many and paged:
        stmt = _paged_by_rows(info, stmt, joins, opts)
    # the rows a to-many order repeats are those the loaded collections are read from
    # (TypeORM's one join per relation path): their order is the collections' order
    shared = joins.aliases if joins.many and opts.relation_load_strategy == "join" else {}
    loaders: list[Any] = list(_loaders(info, tree, opts, nested, None, seen, where, shared=shared))
    if cols:
        loaders.append(_load_only(info, cols))
    if not opts.with_deleted:
        for cls in seen:
            target = entity_info(cls)
            if target.delete_date is not None:
                loaders.append(
                    with_loader_criteria(
                        cls, getattr(cls, target.delete_date).is_(None), include_aliases=True
                    )
                )
    if loaders:
        stmt = stmt.options(*loaders)
    if not joins.many:
        if opts.skip:
            stmt = stmt.offset(opts.skip)
        if opts.take is not None:
            stmt = stmt.limit(opts.take)
    if opts.lock:
        stmt = _lock(info, stmt, opts.lock)
    return stmt


def _load_only(info: EntityInfo, cols: list[str]) -> AbstractLoad:
    return load_only(*(getattr(info.cls, c) for c in cols))


def count_statement(info: EntityInfo, opts: FindOptions) -> Select[Any]:
    """TypeORM's count (``computeCountExpression``) over what ``opts.where`` matches
    (skip/take ignored): ``COUNT(DISTINCT pk)`` (every key column of a composite key);
    with ``select``, ``COUNT(DISTINCT(...))`` of the selected columns instead, those of
    the relations ``relations`` joins with a ``select`` of their own included (on the
    joined rows)."""
    tree = relation_tree(info, opts.relations)
    base = _filtered(info, opts)
    where = opts.where if isinstance(opts.where, Mapping | list) else None
    base, exprs = _selected(info, info.cls, opts.select, tree, base, opts, where)
    if not exprs:
        # TypeORM: COUNT(DISTINCT("a", "b")) over every primary key column
        exprs = [getattr(info.cls, k) for k in info.primary]
    counted = exprs[0] if len(exprs) == 1 else tuple_(*exprs)
    return base.with_only_columns(func.count(distinct(counted))).order_by(None)


def _selected(
    info: EntityInfo,
    entity: Any,
    select: Any,
    tree: Tree,
    stmt: Select[Any],
    opts: FindOptions,
    where: Mapping[str, Any] | list[Any] | None,
) -> tuple[Select[Any], list[Any]]:
    """The columns ``select`` names on ``entity`` and, for each relation of ``tree``
    that ``select`` gives a mapping, those of the relation LEFT joined (TypeORM's
    ``buildRelations`` / ``buildSelect``); ``stmt`` with those joins."""
    cols, nested = select_tree(info, select)
    exprs: list[Any] = [getattr(entity, c) for c in cols]
    for key, sub in tree.items():
        sub_select = nested.get(key)
        if not isinstance(sub_select, Mapping):
            continue
        target = info.target(key)
        alias = aliased(target.cls)
        on = getattr(entity, key).of_type(alias)
        criterion, sub_where = _join_where(info, target, where, key, opts, loading=True)
        conds = [] if criterion is None else [criterion]
        if not opts.with_deleted:
            alive = not_deleted(target, target.cls)
            if alive is not None:
                conds.append(alive)
        if conds:
            on = on.and_(*conds)
        stmt = stmt.outerjoin(alias, on)
        stmt, more = _selected(target, alias, sub_select, sub, stmt, opts, sub_where)
        exprs += more
    return stmt, exprs


def lazy_count(found: int, skip: int | None, take: int | None) -> int | None:
    """The total TypeORM's ``findAndCount`` takes from the page it found, without a
    count query (``SelectQueryBuilder.lazyCount``): the entities found plus ``skip``,
    unless the page is full (``take`` entities) or empty past a ``skip``; None then
    (the count query runs). The entities are those hydrated, so rows that became no
    entity (an STI row whose discriminator is not selected) are not counted."""
    if take is not None and found == take:
        return None
    if found == 0 and skip:
        return None
    return found + (skip or 0)


def exists_statement(info: EntityInfo, opts: FindOptions) -> Select[Any]:
    relation_tree(info, opts.relations)
    base = _filtered(info, opts)
    pk = getattr(info.cls, info.primary[0])
    return select(exists(base.with_only_columns(pk)))


def unselected_paging_column(info: EntityInfo, opts: FindOptions) -> str | None:
    """The column TypeORM 1.1's paginated find fails on (``column distinctAlias.X does
    not exist``, SQLSTATE 42703), or None.

    With ``skip`` or ``take`` and any join (``relations`` or eager relations joined,
    a relation in ``where`` or ``order``), TypeORM first selects the distinct keys and
    the order columns of the page from the whole query as a subquery; a primary key or
    order column that the query does not select (``select`` leaves it out, it is a
    ``select: false`` column that ``select`` does not name, or it belongs to a relation
    joined only for ``where`` or ``order``) is not there."""
    if not (opts.skip or opts.take):
        return None
    tree = relation_tree(info, opts.relations)
    join = opts.relation_load_strategy == "join"
    joined = (
        (join and bool(tree))
        or _where_joins(info, opts.where)
        or _orders_relation(info, opts.order)
    )
    if join and opts.load_eager_relations:
        joined = joined or any(rel.lazy in _EAGER for rel in info.relations.values())
    if not joined:
        return None
    select = opts.select if isinstance(opts.select, Mapping) else None
    cols, nested = select_tree(info, select)
    chosen = set(cols) if cols else None
    for key in info.primary:
        if chosen is not None and key not in chosen:
            return f"{info.name}_{info.columns[key].name}"
    return _unselected_order(
        info, info.name, opts.order or {}, chosen, tree if join else {}, nested
    )


def _where_joins(info: EntityInfo, where: Any) -> bool:
    if isinstance(where, list | tuple):
        return any(_where_joins(info, w) for w in where)
    if not isinstance(where, Mapping):
        return False
    for key, value in where.items():
        if (
            info.attribute(str(key)) not in info.relations
            or value is None
            or isinstance(value, FindOperator)
        ):
            continue
        if isinstance(value, Mapping | list | tuple) and not value:
            continue
        return True
    return False


def _orders_relation(info: EntityInfo, order: Any, prefix: str = "") -> bool:
    """``order`` names a relation's column (TypeORM joins the relation for it)."""
    if not isinstance(order, Mapping):
        return False
    for key, value in order.items():
        kind, path = info.resolve(prefix, str(key))
        if kind == "relation" or (kind == "embedded" and _orders_relation(info, value, path)):
            return True
    return False


def _unselected_order(
    info: EntityInfo,
    alias: str,
    order: Mapping[str, Any],
    chosen: set[str] | None,
    tree: Tree | None,
    nested: Mapping[str, Any],
    prefix: str = "",
) -> str | None:
    """The first order column not selected at ``alias`` (``chosen`` its selected
    columns, None: all; ``tree`` its loaded relations, None: not selected at all)."""
    for key, value in order.items():
        kind, path = info.resolve(prefix, str(key))
        if kind == "embedded" and isinstance(value, Mapping):
            found = _unselected_order(info, alias, value, chosen, tree, nested, path)
        elif kind == "relation" and isinstance(value, Mapping):
            target = info.target(path)
            sub_tree = tree.get(path) if tree is not None else None
            sub_select = nested.get(path)
            sub_cols, sub_nested = select_tree(
                target, sub_select if isinstance(sub_select, Mapping) else None
            )
            found = _unselected_order(
                target,
                f"{alias}_{path}",
                value,
                set(sub_cols) if sub_cols else None,
                sub_tree,
                sub_nested,
            )
        elif kind == "column":
            # a ``select: false`` column is selected only when ``select`` names it
            hidden = chosen is None and info.mapper.column_attrs[path].deferred
            if tree is None or hidden or (chosen is not None and path not in chosen):
                found = f"{alias}_{info.columns[path].name}"
            else:
                found = None
        else:
            found = None
        if found is not None:
            return found
    return None


#: TypeORM's aggregate methods -> the SQL function each one runs
AGGREGATES: dict[str, Any] = {
    "sum": func.sum,
    "average": func.avg,
    "minimum": func.min,
    "maximum": func.max,
}


def aggregate_statement(info: EntityInfo, method: str, column: str, where: Any) -> Select[Any]:
    """``SUM``/``AVG``/``MIN``/``MAX`` of ``column`` (a property path: ``contact.age``)
    over the rows ``where`` matches, soft-deleted rows left out, as TypeORM's
    ``callAggregateFun``; a path that names no column is TypeORM's ``TypeORMError``."""
    key = info.attribute(column.replace(".", "_"))
    if key not in info.columns:
        raise FindOptionsError(f'Column "{column}" was not found in table "{info.name}"')
    base = _filtered(info, FindOptions.of({"where": where or {}}, info))
    fn = AGGREGATES[method]
    return base.with_only_columns(fn(getattr(info.cls, key))).order_by(None)
