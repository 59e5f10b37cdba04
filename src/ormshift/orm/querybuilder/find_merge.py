"""``set_find_options`` on a builder that already holds its own conditions, joins,
order or pages: TypeORM's ``applyFindOptions``, which turns the options into builder
calls there and then (later calls act on the result as on any builder):

* ``withDeleted`` -> ``with_deleted()``;
* ``select`` -> ``select([alias.path, ...])`` of the main entity's columns chosen
  (``buildSelect``; embedded ones too, a relation chosen selects nothing there): it
  replaces the builder's selection, its joins' too, as TypeORM's; a relation of
  ``relations`` chosen with an object is joined without its alias selected and its
  chosen columns added (``add_select``);
* ``relations`` -> a join and select per relation (nested ones from their parent's
  alias), TypeORM's alias ``parent__parent_relation``, INNER for a non-nullable owning
  to-one relation whose target has no delete date (or ``withDeleted``), else LEFT; the
  joins are added after the conditions and the order, as TypeORM adds them;
* ``where`` -> ``and_where`` of TypeORM's ``buildWhere`` text: each mapping's predicates
  ``((a) AND (b))``, a list of them ``(((a)) OR ((b)))``, on ``alias.propertyPath``
  (embedded objects flattened), values bound as the builder binds them, a transformed
  column's value (an ``Equal``'s too) through its transformers' ``to``, an operator's
  as TypeORM's ``FindOperator.transformValue`` puts it (`transformers.operator_to`); through a
  relation, the related entity's predicates on the alias of a join of it (the one of
  ``relations``, else an unselected one added; a list an OR of them, a number the join
  alone), an operator on a to-one relation on its join column, a counting one
  (``MoreThan``...) on a to-many relation TypeORM's ``(SELECT COUNT(*) ...) > n``
  added by ``and_where`` there and then (`_count`); ``None`` is TypeORM's
  ``Null value encountered`` error;
* ``order`` -> ``add_order_by(alias.path, direction, nulls)`` per column (TypeORM's
  ``buildOrder``: ``DESC``/``desc``/``-1`` descending, anything else ascending), through
  a relation on its join as for ``where``;
* ``skip`` / ``take`` -> ``skip`` / ``take``;
* ``lock`` -> ``set_lock`` (``optimistic`` with its version; a pessimistic mode with
  ``tables`` named by the alias of the builder's first entity of that table) and
  ``set_on_locked``; ``relationLoadStrategy: "join"`` is the default (``"query"``:
  below).

As TypeORM's builder keeps its find-options ``joins`` and ``selects`` from one
``setFindOptions`` to the next, so does the builder here (``_find_joins`` /
``_find_selects``): a second call adds the first's joins again, which PostgreSQL
refuses (42712; raised here when the options are merged, by the terminal in TypeORM).

With ``relationLoadStrategy: "query"`` the relations (and the main entity's eager
ones) are not joined but loaded after the entities, a query each (`query_relations`).
What is not turned into calls faithfully is refused with `FindOptionsCombined`:
``loadRelationIds`` (refused by `find_options` on any builder). A ``select`` of a
relation whose entity has eager relations selects its columns once more per eager
relation, as TypeORM's does. A join alias that passes PostgreSQL's
63 characters is hashed as TypeORM hashes it (`names.build_alias`), and so is a column
key (``alias_column``) that does. Eager relations are joined as TypeORM joins them
(unless ``loadEagerRelations: false``): those of each related entity named in
``relations`` (``buildEagerRelations``), then the main entity's, recursively, reusing a
join the builder has of the same relation (``joinEagerRelations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table
from sqlalchemy.orm import MANYTOONE

from ormshift.orm.errors import QueryFailed, UnknownProperty, UnsupportedFindOptions
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.operators import FindOperator
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.find_options import FindOptionsCombined
from ormshift.orm.querybuilder.names import build_alias, escape, property_path
from ormshift.orm.querybuilder.object_where import _predicate
from ormshift.orm.querybuilder.schemas import table_sql
from ormshift.orm.transformers import apply_to, operator_to, transformers_of
from ormshift.orm.where import js_parse_int

if TYPE_CHECKING:
    from ormshift.orm.querybuilder.builder import SelectQueryBuilder

__all__ = ["merge_find_options"]

_MERGED = frozenset(
    {
        "where",
        "order",
        "skip",
        "take",
        "withDeleted",
        "relations",
        "select",
        "lock",
        "relationLoadStrategy",
    }
)
#: operators on a relation TypeORM makes a ``COUNT(*)`` subquery of
_COUNTING = {"moreThan": ">", "lessThan": "<", "moreThanOrEqual": ">=", "lessThanOrEqual": "<="}
_PESSIMISTIC = frozenset(
    {"pessimistic_read", "pessimistic_write", "dirty_read", "for_no_key_update", "for_key_share"}
)
_PASSED = frozenset({"loadEagerRelations", "comment", "cache", "transaction"})
_EAGER = ("joined", "selectin", "subquery", "immediate")


def _refuse(what: str) -> FindOptionsCombined:
    return FindOptionsCombined(
        f"set_find_options with {what} on a builder holding its own conditions, joins, "
        "order or pages is not supported; put them all in the find options"
    )


def _not_found(path: str, info: EntityInfo) -> UnknownProperty:
    return UnknownProperty(
        f'Property "{path}" was not found in "{info.name}". Make sure your query is correct.'
    )


class _Paths:
    """An entity's column property paths, embedded prefixes and relations by TypeORM's
    names."""

    def __init__(self, info: EntityInfo) -> None:
        self.info = info
        self.columns = {property_path(info, k): k for k in info.columns}
        self.embedded = {p.rsplit(".", 1)[0] for p in self.columns if "." in p}
        for path in list(self.embedded):
            parts = path.split(".")
            self.embedded |= {".".join(parts[:i]) for i in range(1, len(parts))}
        self.relations = {info.property_of(k): k for k in info.relations}


@dataclass
class _Join:
    """A join ``applyFindOptions`` adds after the conditions and the order: its type,
    ``parent.relation`` path, alias, and whether it selects its alias whole."""

    kind: str
    path: str
    alias: str
    select: bool


def _relation_alias(alias: str, name: str) -> str:
    """TypeORM's ``buildAlias({joiner: "__"}, alias, alias + "_" + path)``, hashed
    when it passes PostgreSQL's 63 characters."""
    return build_alias(alias, f"{alias}_{name.replace('.', '_', 1)}", joiner="__")


def _joined_through(
    builder: SelectQueryBuilder[Any],
    joins: list[_Join],
    info: EntityInfo,
    key: str,
    alias: str,
    name: str,
) -> str:
    """The alias of the join a where or an order through relation ``name`` uses: one
    the find options join already, else a new unselected one (``buildWhere`` /
    ``buildOrder``)."""
    joined = _relation_alias(alias, name)
    if not any(j.alias == joined for j in joins):
        parent = next((j.kind for j in joins if j.alias == alias), "inner")
        kind = _join_type(info, key, builder.em.with_deleted, parent)
        joins.append(_Join(kind, f"{alias}.{name}", joined, False))
    return joined


def _null_error(alias: str, key: str) -> QueryBuilderError:
    return QueryBuilderError(
        f"Null value encountered in property '{alias}.{key}' of a where condition. "
        "To match with SQL NULL, the IsNull() operator must be used. "
        "Set 'invalidWhereValuesBehavior.null' to 'ignore' or 'sql-null' in connection "
        "options to skip or handle null values."
    )


def _where(
    builder: SelectQueryBuilder[Any],
    where: Any,
    info: EntityInfo,
    alias: str,
    joins: list[_Join],
    params: dict[str, Any],
    prefix: str = "",
) -> str:
    """TypeORM's ``buildWhere``: columns of the entity (embedded ones too) and, through
    a relation, of the joined entity (a join added for it)."""
    if isinstance(where, list | tuple):
        made = [_where(builder, w, info, alias, joins, params, prefix) for w in where]
        text = " OR ".join(f"({c})" for c in made if c)
        return f"({text})" if text else ""
    if not isinstance(where, Mapping):
        raise QueryBuilderError(f"a find where is a mapping or a list, not {type(where).__name__}")
    paths = _Paths(info)
    conditions = []
    for key, value in where.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        relation = paths.relations.get(path)
        if path not in paths.columns and path not in paths.embedded and relation is None:
            raise _not_found(path, info)
        if value is None:
            raise _null_error(alias, str(key))
        if path in paths.columns:
            column = info.columns[paths.columns[path]]
            transformers = transformers_of(column)
            given = (
                value.value if isinstance(value, FindOperator) and value.kind == "equal" else value
            )
            if isinstance(given, FindOperator) and transformers:
                given = operator_to(transformers, given)
            elif transformers:
                given = apply_to(transformers, given)
            conditions.append(_predicate(f"{alias}.{path}", given, builder._parameter, params))
        elif relation is None:
            if isinstance(value, Mapping | list | tuple):
                found = _where(builder, value, info, alias, joins, params, path)
                if found:
                    conditions.append(found)
            elif isinstance(value, str) and value:
                raise _not_found(f"{path}.0", info)
        elif isinstance(value, FindOperator):
            # to-one relations (by their join column); counting ones are subqueries
            if value.kind in _COUNTING:
                _count(builder, info, relation, alias, value)
                continue
            if info.relations[relation].direction is not MANYTOONE:
                raise UnsupportedFindOptions("This relation isn't supported by given find operator")
            conditions.append(_predicate(f"{alias}.{path}", value, builder._parameter, params))
        elif not (isinstance(value, Mapping | list | tuple) and not value):
            joined = _joined_through(builder, joins, info, relation, alias, path)
            target = info.target(relation)
            if isinstance(value, Mapping | list | tuple):
                found = _where(builder, value, target, joined, joins, params)
                if found:
                    conditions.append(found)
            elif isinstance(value, str) and value:
                # TypeORM walks a string's keys: its first index names no property
                raise _not_found("0", target)
    condition = "(" + ") AND (".join(conditions) + ")" if conditions else ""
    return f"({condition})" if condition else ""


def _count(
    builder: SelectQueryBuilder[Any], info: EntityInfo, key: str, alias: str, value: FindOperator
) -> None:
    """TypeORM's relation count (``{posts: MoreThan(1)}``): ``and_where`` of a
    ``(SELECT COUNT(*) ...) > n`` subquery there and then, outside the where's own text
    (so outside any OR of a where list), on the related table (the junction for a
    many-to-many) aliased by its name, its soft-deleted rows left out, ``n`` inlined
    through JavaScript's ``parseInt``."""
    rel = info.relations[key]
    if not info.is_many(key):
        raise UnsupportedFindOptions("This relation isn't supported by given find operator")
    table = rel.secondary if rel.secondary is not None else rel.mapper.local_table
    assert isinstance(table, Table)
    name = escape(table.name)
    on = " AND ".join(
        f"{name}.{escape(remote.name)} = "
        f"{alias}.{property_path(info, info.mapper.get_property_by_column(local).key)}"
        for local, remote in rel.synchronize_pairs
    )
    if rel.secondary is None and (target := info.target(key)).delete_date is not None:
        # the related entity's builder leaves its soft-deleted rows out
        deleted = escape(target.columns[target.delete_date].name)
        on = f"( {on} ) AND ( {name}.{deleted} IS NULL )"
    sub = f"(SELECT COUNT(*) FROM {table_sql(table, builder.em.schemas)} {name} WHERE {on})"
    n = js_parse_int(value.value)
    builder.and_where(f"{sub} {_COUNTING[value.kind]} {'NaN' if n is None else n}")


def _order(
    builder: SelectQueryBuilder[Any],
    order: Any,
    info: EntityInfo,
    alias: str,
    joins: list[_Join],
    prefix: str = "",
) -> None:
    """TypeORM's ``buildOrder``: columns of the entity (embedded ones too) and, through
    a relation, of the joined entity (a join added for it)."""
    if not isinstance(order, Mapping):
        return
    paths = _Paths(info)
    for key, value in order.items():
        if value is None:
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if path in paths.columns:
            spec = value.get("direction") if isinstance(value, Mapping) else value
            direction = "DESC" if spec in ("DESC", "desc", -1) else "ASC"
            nulls = value.get("nulls") if isinstance(value, Mapping) else None
            wanted = str(nulls).lower() if nulls is not None else None
            place = {"first": "NULLS FIRST", "last": "NULLS LAST"}.get(wanted or "")
            builder.add_order_by(f"{alias}.{path}", direction, place)
        elif path in paths.embedded:
            _order(builder, value, info, alias, joins, path)
        elif path in paths.relations:
            relation = paths.relations[path]
            joined = _joined_through(builder, joins, info, relation, alias, path)
            _order(builder, value, info.target(relation), joined, joins)
        else:
            raise _not_found(path, info)


def _select(select: Any, info: EntityInfo, alias: str, out: list[str], prefix: str = "") -> None:
    """TypeORM's ``buildSelect``: ``alias.path`` of each column selected (embedded ones
    too); a relation selects nothing here."""
    if not isinstance(select, Mapping):
        return
    paths = _Paths(info)
    for key, value in select.items():
        if value is None or value is False:
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if path in paths.columns:
            out.append(f"{alias}.{path}")
        elif path in paths.embedded:
            _select(value, info, alias, out, path)
        elif path not in paths.relations:
            raise _not_found(path, info)


def _lock(builder: SelectQueryBuilder[Any], lock: Any) -> None:
    """TypeORM's lock option: ``set_lock`` (and ``set_on_locked``), the tables named by
    the alias of the first of the builder's entities of that table."""
    if not isinstance(lock, Mapping):
        raise QueryBuilderError(f"lock is a mapping, not {type(lock).__name__}")
    mode = lock.get("mode")
    if mode == "optimistic":
        builder.set_lock("optimistic", lock.get("version"))
    elif mode in _PESSIMISTIC:
        tables = lock.get("tables")
        names = None
        if tables is not None:
            names = []
            for table in tables:
                found = next(
                    (
                        a.name
                        for a in builder.em.aliases
                        if a.info is not None and a.info.table.name == table
                    ),
                    None,
                )
                if found is None:
                    raise QueryBuilderError(f'"{table}" is not part of this query')
                names.append(found)
        builder.set_lock(str(mode), None, names)
        if lock.get("onLocked"):
            builder.set_on_locked(str(lock["onLocked"]))


def _join_type(info: EntityInfo, key: str, with_deleted: bool, parent: str) -> str:
    """TypeORM's ``getRelationJoinType``."""
    if parent == "left":
        return "left"
    rel = info.relations[key]
    if rel.direction is MANYTOONE and all(not c.nullable for c in rel.local_columns):
        target = info.target(key)
        if target.delete_date is None or with_deleted:
            return "inner"
    return "left"


@dataclass
class _Walk:
    """What ``buildRelations`` / ``buildEagerRelations`` collect: the joins to add and
    the columns to select, for a builder with or without its soft-deleted rows."""

    with_deleted: bool
    joins: list[_Join]
    selects: list[str]


def _relations(
    walk: _Walk, relations: Any, selection: Any, info: EntityInfo, alias: str, parent: str = "inner"
) -> None:
    """TypeORM's ``buildRelations``: the joins to add; a relation ``select`` gives an
    object for is joined without its alias selected, its columns chosen added to the
    selects (``buildSelect``)."""
    if not isinstance(relations, Mapping):
        raise _refuse("relations that are no mapping")
    paths = _Paths(info)
    for name, value in relations.items():
        if name in paths.embedded:
            raise _refuse("relations inside an embedded object")
        key = paths.relations.get(str(name))
        if key is None:
            raise _not_found(str(name), info)
        if not (value is True or isinstance(value, Mapping)):
            continue
        target = info.target(key)
        joined = _relation_alias(alias, str(name))
        kind = _join_type(info, key, walk.with_deleted, parent)
        chosen = selection.get(name) if isinstance(selection, Mapping) else None
        walk.joins.append(_Join(kind, f"{alias}.{name}", joined, not isinstance(chosen, Mapping)))
        if isinstance(chosen, Mapping):
            _select(chosen, target, joined, walk.selects)
        if isinstance(value, Mapping):
            _relations(walk, value, chosen, target, joined, kind)


def _eager_of(info: EntityInfo) -> list[str]:
    """The keys of ``info``'s eager relations, in the entity's order."""
    return [k for k, rel in info.relations.items() if rel.lazy in _EAGER]


def _queried(info: EntityInfo, options: Mapping[str, Any], eager: bool) -> list[str]:
    """The relation keys TypeORM's ``relationMetadatas`` holds for ``options`` with
    ``relationLoadStrategy: "query"``: the top-level relations named (``True`` or a
    mapping), then the main entity's eager ones, each once."""
    out: list[str] = []
    relations = options.get("relations")
    if isinstance(relations, Mapping):
        for name, value in relations.items():
            key = info.attribute(str(name))
            if (value is True or isinstance(value, Mapping)) and key in info.relations:
                out.append(key)
    if eager:
        out += _eager_of(info)
    return list(dict.fromkeys(out))


def _eager_relations(
    walk: _Walk, relations: Any, selection: Any, info: EntityInfo, alias: str
) -> None:
    """TypeORM's ``buildEagerRelations``: each related entity's eager relations joined
    and selected too (one level under each relation named), a relation's chosen columns
    selected once more for each."""
    paths = _Paths(info)
    for name, value in relations.items():
        key = paths.relations.get(str(name))
        if key is None or not (value is True or isinstance(value, Mapping)):
            continue
        target = info.target(key)
        joined = _relation_alias(alias, str(name))
        chosen = selection.get(name) if isinstance(selection, Mapping) else None
        kind = next((j.kind for j in walk.joins if j.alias == joined), "inner")
        for eager in _eager_of(target):
            prop = target.property_of(eager)
            made = _relation_alias(joined, prop)
            if not any(j.alias == made for j in walk.joins):
                eager_kind = _join_type(target, eager, walk.with_deleted, kind)
                walk.joins.append(_Join(eager_kind, f"{joined}.{prop}", made, True))
            if isinstance(chosen, Mapping):
                # TypeORM selects the chosen columns once more per eager relation
                # (each then written as often as it is selected, as TypeORM writes it)
                _select(chosen, target, joined, walk.selects)
        if isinstance(value, Mapping):
            _eager_relations(walk, value, chosen, target, joined)


def _join_eager(
    builder: SelectQueryBuilder[Any], alias: str, info: EntityInfo, parent: str = "inner"
) -> None:
    """TypeORM's ``FindOptionsUtils.joinEagerRelations``: each eager relation of the
    alias's entity joined (unless a plain join of it is there: its alias is reused) and
    its alias selected, recursively."""
    em = builder.em
    for key in _eager_of(info):
        prop = info.property_of(key)
        name = build_alias(alias, prop, joiner="__")
        add = True
        for join in em.joins:
            if join.map_to is None and join.parent == alias and join.relation == key:
                add, name = False, join.alias.name
                break
        existing = next((j for j in em.joins if j.alias.name == name), None)
        kind = "left"
        if add and existing is None:
            kind = _join_type(info, key, em.with_deleted, parent)
            if kind == "inner":
                builder.inner_join(f"{alias}.{prop}", name)
            else:
                builder.left_join(f"{alias}.{prop}", name)
        elif existing is not None:
            kind = "inner" if existing.direction == "INNER" else "left"
        if not any(s.alias_name is None and s.selection == name for s in em.selects):
            builder.add_select(name)
        _join_eager(builder, name, info.target(key), kind)


def merge_find_options(builder: SelectQueryBuilder[Any], options: Mapping[str, Any]) -> None:
    """``options`` applied to ``builder`` as TypeORM's ``applyFindOptions`` applies them."""
    main = builder.em.main
    assert main is not None and main.info is not None
    info, alias = main.info, main.name
    given = {k: v for k, v in options.items() if v is not None}
    other = set(given) - _MERGED - _PASSED
    if other:
        raise _refuse(", ".join(sorted(other)))
    strategy = given.get("relationLoadStrategy", "join")
    if strategy not in ("join", "query"):
        raise _refuse(f"relationLoadStrategy {strategy!r}")
    eager = given.get("loadEagerRelations") is not False
    chosen = options.get("select")
    # (JavaScript's truthiness: an empty select object is a select)
    builder.em.find_select = isinstance(chosen, Mapping | list) or bool(chosen)
    by_query = strategy == "query"
    if by_query:
        # loaded after the entities, a query per relation (`query_relations`)
        em = builder.em
        em.query_relations = list(
            dict.fromkeys([*em.query_relations, *_queried(info, given, eager)])
        )
        em.query_options = dict(given)
    if given.get("withDeleted"):
        builder.with_deleted()
    selection = given.get("select")
    # TypeORM's builder keeps its find-options selects and joins from one call to the
    # next: the next call selects what a relation's select left (replacing the
    # selection) and adds every join again
    selects: list[str] = builder._find_selects
    _select(selection, info, alias, selects)
    if selects:
        builder.select(list(selects))
    selects.clear()
    joins: list[_Join] = builder._find_joins
    if given.get("relations") and not by_query:
        walk = _Walk(builder.em.with_deleted, joins, selects)
        _relations(walk, given["relations"], selection, info, alias)
        if eager:
            _eager_relations(walk, given["relations"], selection, info, alias)
    if selects:
        builder.add_select(list(selects))
    if "where" in given:
        params: dict[str, Any] = {}
        text = _where(builder, given["where"], info, alias, joins, params)
        builder.set_parameters(params)
        if text:
            builder.and_where(text if text.startswith("(") else f"({text})")
    if "order" in given:
        _order(builder, given["order"], info, alias, joins)
    for join in joins:
        if builder.em.alias(join.alias) is not None:
            # TypeORM adds the join again (a second setFindOptions adds the first's
            # joins once more), and PostgreSQL refuses the query
            raise QueryFailed(
                f'table name "{join.alias}" specified more than once', sqlstate="42712"
            )
        if join.select:
            if join.kind == "inner":
                builder.inner_join_and_select(join.path, join.alias)
            else:
                builder.left_join_and_select(join.path, join.alias)
        elif join.kind == "inner":
            builder.inner_join(join.path, join.alias)
        else:
            builder.left_join(join.path, join.alias)
    if "skip" in given:
        builder.skip(given["skip"])
    if "take" in given:
        builder.take(given["take"])
    if "lock" in given:
        _lock(builder, given["lock"])
    if eager and not by_query:
        _join_eager(builder, alias, info)
