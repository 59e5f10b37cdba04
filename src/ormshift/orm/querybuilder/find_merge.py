"""``set_find_options`` on a builder that already holds its own conditions, joins,
order or pages: TypeORM's ``applyFindOptions``, which turns the options into builder
calls there and then (later calls act on the result as on any builder):

* ``withDeleted`` -> ``with_deleted()``;
* ``relations`` -> a join and select per relation (nested ones from their parent's
  alias), TypeORM's alias ``parent__parent_relation``, INNER for a non-nullable owning
  to-one relation whose target has no delete date (or ``withDeleted``), else LEFT; the
  joins are added after the conditions and the order, as TypeORM adds them;
* ``where`` -> ``and_where`` of TypeORM's ``buildWhere`` text: each mapping's predicates
  ``((a) AND (b))``, a list of them ``(((a)) OR ((b)))``, on ``alias.propertyPath``
  (embedded objects flattened), values bound as the builder binds them; ``None`` is
  TypeORM's ``Null value encountered`` error;
* ``order`` -> ``add_order_by(alias.path, direction, nulls)`` per column (TypeORM's
  ``buildOrder``: ``DESC``/``desc``/``-1`` descending, anything else ascending);
* ``skip`` / ``take`` -> ``skip`` / ``take``.

What is not turned into calls faithfully is refused with `FindOptionsCombined`: a
``where`` or ``order`` through a relation (TypeORM joins it itself), ``select``,
``lock``, ``relationLoadStrategy``, ``loadRelationIds``, a column with a value
transformer in ``where``, and a join alias whose column keys (``alias_column``) pass
PostgreSQL's 63 characters (TypeORM hashes them). Eager relations are joined as
TypeORM joins them (unless ``loadEagerRelations: false``): those of each related entity
named in ``relations`` (``buildEagerRelations``), then the main entity's, recursively,
reusing a join the builder has of the same relation (``joinEagerRelations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import MANYTOONE

from ormshift.orm.errors import UnknownProperty
from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.find_options import FindOptionsCombined
from ormshift.orm.querybuilder.names import property_path
from ormshift.orm.querybuilder.object_where import _predicate
from ormshift.orm.transformers import transformers_of

if TYPE_CHECKING:
    from ormshift.orm.querybuilder.builder import SelectQueryBuilder

__all__ = ["merge_find_options"]

_MERGED = frozenset({"where", "order", "skip", "take", "withDeleted", "relations"})
_PASSED = frozenset({"loadEagerRelations", "comment", "cache", "transaction"})
_EAGER = ("joined", "selectin", "subquery", "immediate")
_MAX_ALIAS = 63


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


def _where(builder: SelectQueryBuilder[Any], where: Any, info: EntityInfo, alias: str) -> str:
    """TypeORM's ``buildWhere`` for columns of the main entity (embedded ones too)."""
    paths = _Paths(info)
    params: dict[str, Any] = {}

    def one(item: Mapping[str, Any], prefix: str = "") -> str:
        conditions = []
        for key, value in item.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path in paths.relations:
                raise _refuse("a where through a relation")
            if path not in paths.columns and path not in paths.embedded:
                raise _not_found(path, info)
            if value is None:
                raise QueryBuilderError(
                    f"Null value encountered in property '{alias}.{key}' of a where "
                    "condition. To match with SQL NULL, the IsNull() operator must be "
                    "used. Set 'invalidWhereValuesBehavior.null' to 'ignore' or "
                    "'sql-null' in connection options to skip or handle null values."
                )
            if path in paths.columns:
                if transformers_of(info.columns[paths.columns[path]]):
                    raise _refuse("a where on a transformed column")
                conditions.append(_predicate(f"{alias}.{path}", value, builder._parameter, params))
            elif isinstance(value, Mapping):
                found = one(value, path)
                if found:
                    conditions.append(found)
        condition = "(" + ") AND (".join(conditions) + ")" if conditions else ""
        return f"({condition})" if condition else ""

    if isinstance(where, list | tuple):
        made = [one(w) for w in where if isinstance(w, Mapping)]
        text = " OR ".join(f"({c})" for c in made if c)
        text = f"({text})" if text else ""
    elif isinstance(where, Mapping):
        text = one(where)
    else:
        raise QueryBuilderError(f"a find where is a mapping or a list, not {type(where).__name__}")
    builder.set_parameters(params)
    return text


def _order(builder: SelectQueryBuilder[Any], order: Any, info: EntityInfo, alias: str) -> None:
    """TypeORM's ``buildOrder`` for columns of the main entity (embedded ones too)."""
    paths = _Paths(info)

    def walk(item: Mapping[str, Any], prefix: str = "") -> None:
        for key, value in item.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path in paths.columns:
                spec = value.get("direction") if isinstance(value, Mapping) else value
                direction = "DESC" if spec in ("DESC", "desc", -1) else "ASC"
                nulls = value.get("nulls") if isinstance(value, Mapping) else None
                wanted = str(nulls).lower() if nulls is not None else None
                place = {"first": "NULLS FIRST", "last": "NULLS LAST"}.get(wanted or "")
                builder.add_order_by(f"{alias}.{path}", direction, place)
            elif path in paths.embedded and isinstance(value, Mapping):
                walk(value, path)
            elif path in paths.relations:
                raise _refuse("an order through a relation")
            else:
                raise _not_found(path, info)

    if isinstance(order, Mapping):
        walk(order)


def _fits(alias: str, info: EntityInfo) -> None:
    """Refused: a join alias whose columns' raw keys (``alias_column``) pass
    PostgreSQL's 63 characters (TypeORM hashes them; ormshift does not yet)."""
    longest = max((len(c.name) for c in info.table.columns), default=0)
    if len(alias) + 1 + longest > _MAX_ALIAS:
        raise _refuse(f"a join alias ({alias}) whose column keys pass 63 characters")


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


def _relations(
    builder: SelectQueryBuilder[Any],
    relations: Any,
    info: EntityInfo,
    alias: str,
    joins: list[tuple[str, str, str]],
    parent: str = "inner",
) -> None:
    """TypeORM's ``buildRelations``: the joins to add, as (type, path, alias)."""
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
        joined = f"{alias}__{alias}_{name}"
        _fits(joined, target)
        kind = _join_type(info, key, builder.em.with_deleted, parent)
        joins.append((kind, f"{alias}.{name}", joined))
        if isinstance(value, Mapping):
            _relations(builder, value, target, joined, joins, kind)


def _eager_of(info: EntityInfo) -> list[str]:
    """The keys of ``info``'s eager relations, in the entity's order."""
    return [k for k, rel in info.relations.items() if rel.lazy in _EAGER]


def _eager_relations(
    builder: SelectQueryBuilder[Any],
    relations: Any,
    info: EntityInfo,
    alias: str,
    joins: list[tuple[str, str, str]],
) -> None:
    """TypeORM's ``buildEagerRelations``: each related entity's eager relations joined
    and selected too (one level under each relation named)."""
    paths = _Paths(info)
    for name, value in relations.items():
        key = paths.relations.get(str(name))
        if key is None or not (value is True or isinstance(value, Mapping)):
            continue
        target = info.target(key)
        joined = f"{alias}__{alias}_{name}"
        kind = next((k for k, _, a in joins if a == joined), "inner")
        for eager in _eager_of(target):
            prop = target.property_of(eager)
            made = f"{joined}__{joined}_{prop}"
            _fits(made, target.target(eager))
            if not any(a == made for _, _, a in joins):
                eager_kind = _join_type(target, eager, builder.em.with_deleted, kind)
                joins.append((eager_kind, f"{joined}.{prop}", made))
        if isinstance(value, Mapping):
            _eager_relations(builder, value, target, joined, joins)


def _join_eager(
    builder: SelectQueryBuilder[Any], alias: str, info: EntityInfo, parent: str = "inner"
) -> None:
    """TypeORM's ``FindOptionsUtils.joinEagerRelations``: each eager relation of the
    alias's entity joined (unless a plain join of it is there: its alias is reused) and
    its alias selected, recursively."""
    em = builder.em
    for key in _eager_of(info):
        prop = info.property_of(key)
        name = f"{alias}__{prop}"
        add = True
        for join in em.joins:
            if join.map_to is None and join.parent == alias and join.relation == key:
                add, name = False, join.alias.name
                break
        _fits(name, info.target(key))
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
    eager = given.get("loadEagerRelations") is not False
    if given.get("withDeleted"):
        builder.with_deleted()
    joins: list[tuple[str, str, str]] = []
    if given.get("relations"):
        _relations(builder, given["relations"], info, alias, joins)
        if eager:
            _eager_relations(builder, given["relations"], info, alias, joins)
    if "where" in given:
        text = _where(builder, given["where"], info, alias)
        if text:
            builder.and_where(text if text.startswith("(") else f"({text})")
    if "order" in given:
        _order(builder, given["order"], info, alias)
    for kind, path, joined in joins:
        if kind == "inner":
            builder.inner_join_and_select(path, joined)
        else:
            builder.left_join_and_select(path, joined)
    if "skip" in given:
        builder.skip(given["skip"])
    if "take" in given:
        builder.take(given["take"])
    if eager:
        _join_eager(builder, alias, info)
