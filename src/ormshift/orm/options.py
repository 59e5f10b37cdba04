"""Find options in TypeORM's shape, checked against the entity before any SQL is built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ormshift.orm.errors import FindOptionsError, RelationIdsNotSupported, UnknownProperty
from ormshift.orm.metadata import EntityInfo

__all__ = ["FindOptions", "attribute_keys", "relation_tree", "select_tree"]

_CAMEL = {
    "withDeleted": "with_deleted",
    "relationLoadStrategy": "relation_load_strategy",
    "loadEagerRelations": "load_eager_relations",
}
_IGNORED = frozenset({"cache", "comment", "transaction"})

Tree = dict[str, "Tree"]


@dataclass(frozen=True)
class FindOptions:
    where: Any = None
    order: Mapping[str, Any] | None = None
    skip: int | None = None
    take: int | None = None
    relations: Any = None
    select: Any = None
    with_deleted: bool = False
    lock: Mapping[str, Any] | None = None
    relation_load_strategy: str = "join"
    load_eager_relations: bool = True

    @classmethod
    def of(cls, options: Mapping[str, Any], info: EntityInfo | None = None) -> FindOptions:
        """``options`` checked; with ``info``, its TypeORM property names (of renamed
        attributes: `EntityInfo.aliases`) read as the attribute keys."""
        known = _KNOWN
        kwargs: dict[str, Any] = {}
        renamed = info is not None and _renames(info)
        for key, value in options.items():
            name = _CAMEL.get(key, key)
            if name in _IGNORED:
                continue
            if key in ("loadRelationIds", "load_relation_ids"):
                if value not in (None, False):
                    raise RelationIdsNotSupported(
                        "loadRelationIds is not supported: TypeORM puts the ids in the "
                        "relation's own property, where a SQLAlchemy relationship holds "
                        "entities; load the relation (relations=...) or map its ids onto "
                        "another property with a query builder's load_relation_id_and_map"
                    )
                continue
            if name not in known:
                raise FindOptionsError(
                    f"unknown find option {key!r}; known: {', '.join(sorted(known))}"
                )
            if renamed and name in _TREES:
                assert info is not None
                kwargs[name] = _named(info, value)
            else:
                kwargs[name] = value
        opts = cls(**kwargs)
        if opts.relation_load_strategy not in ("join", "query"):
            raise FindOptionsError(
                f"relation_load_strategy must be 'join' or 'query', "
                f"not {opts.relation_load_strategy!r}"
            )
        for name in ("skip", "take"):
            value = getattr(opts, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise FindOptionsError(f"{name} must be a non-negative integer, not {value!r}")
        return opts


_KNOWN = frozenset(f.name for f in fields(FindOptions))
#: the options whose keys are property names of the entity (and, nested, of related ones)
_TREES = frozenset({"where", "order", "relations", "select"})
_RENAMES: dict[type[Any], bool] = {}


def _renames(info: EntityInfo) -> bool:
    """Some entity reachable from ``info`` has a renamed attribute."""
    found = _RENAMES.get(info.cls)
    if found is not None:
        return found
    seen: set[type[Any]] = set()
    stack = [info]
    out = False
    while stack and not out:
        here = stack.pop()
        if here.cls in seen:
            continue
        seen.add(here.cls)
        out = bool(here.aliases)
        stack.extend(here.target(k) for k in here.relations)
    _RENAMES[info.cls] = out
    return out


def attribute_keys(info: EntityInfo, tree: Any) -> Any:
    """``tree`` (find options' where, order, relations or select; update or delete
    criteria) with TypeORM's names of renamed attributes read as the attribute keys."""
    return _named(info, tree) if _renames(info) else tree


def _named(info: EntityInfo, tree: Any) -> Any:
    """``tree`` (a where, order, relations or select) with every TypeORM property name
    of a renamed attribute replaced by the attribute key, through relations."""
    if isinstance(tree, Mapping):
        out: dict[Any, Any] = {}
        for key, value in tree.items():
            attr = info.attribute(key) if isinstance(key, str) else key
            if attr in info.relations and isinstance(value, Mapping | list | tuple):
                out[attr] = _named(info.target(attr), value)
            else:
                out[attr] = value
        return out
    if isinstance(tree, list | tuple):
        return [_named(info, t) for t in tree]
    return tree


def relation_tree(info: EntityInfo, relations: Any) -> Tree:
    """``["a", "a.b"]`` or ``{"a": {"b": True}}`` as ``{"a": {"b": {}}}``, every name checked."""
    tree: Tree = {}
    if not relations:
        return tree
    if isinstance(relations, Mapping):
        for key, sub in relations.items():
            if sub is False or sub is None:
                continue
            attr = info.attribute(str(key))
            if attr not in info.relations:
                raise UnknownProperty(info.unknown(str(key)))
            tree[attr] = relation_tree(info.target(attr), sub if isinstance(sub, Mapping) else None)
        return tree
    if isinstance(relations, Sequence) and not isinstance(relations, str):
        raise FindOptionsError(
            'String-array "relations" syntax has been removed (TypeORM 1.x). Use object '
            "syntax instead, e.g. relations={'profile': True, 'posts': True}"
        )
    raise FindOptionsError(f"relations must be a list or a mapping, not {relations!r}")


def select_tree(
    info: EntityInfo, select: Any, prefix: str = ""
) -> tuple[list[str], dict[str, Any]]:
    """The column attributes selected on ``info`` and the nested selects of relations."""
    columns: list[str] = []
    nested: dict[str, Any] = {}
    if select is None:
        return columns, nested
    if isinstance(select, Sequence) and not isinstance(select, str):
        raise FindOptionsError(
            'String-array "select" syntax has been removed (TypeORM 1.x). Use object '
            "syntax instead, e.g. select={'id': True, 'name': True}"
        )
    if not isinstance(select, Mapping):
        raise FindOptionsError(f"select must be a list or a mapping, not {select!r}")
    for key, value in select.items():
        if value is False or value is None:
            continue
        kind, path = info.resolve(prefix, str(key))
        if kind == "column":
            columns.append(path)
        elif kind == "embedded":
            if value is True:
                columns += [c for c in info.columns if c.startswith(path + "_")]
            else:
                sub, _ = select_tree(info, value, path)
                columns += sub
        else:
            nested[path] = value
    return columns, nested
