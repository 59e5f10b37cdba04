"""What makes a mapped class a TypeORM tree, read from its generated model.

The code generator marks the columns TypeORM adds to a tree (``info["typeorm"]`` is
``"nested-set-left"``, ``"nested-set-right"`` or ``"tree-path"``) and writes a closure
table as a plain `Table` whose columns are ``<key>_ancestor`` / ``<key>_descendant``,
each referencing the entity's table. The tree's parent relation (``@TreeParent``) is
the class's many-to-one relation to itself; its children (``@TreeChildren``) the
relation that back-populates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, Table
from sqlalchemy.orm import MANYTOONE

from ormshift.orm.metadata import EntityInfo

__all__ = ["TreeInfo", "TreeKind", "tree_of"]

TreeKind = Literal["closure-table", "materialized-path", "nested-set"]


@dataclass(frozen=True)
class TreeInfo:
    kind: TreeKind
    #: the ``@TreeParent`` relation's key and its foreign key columns' attribute keys
    parent: str
    parent_columns: tuple[str, ...]
    #: the attribute keys of the columns the parent's foreign key references
    referenced: tuple[str, ...]
    children: str | None = None
    closure: Table | None = None
    ancestors: tuple[Column[Any], ...] = ()
    descendants: tuple[Column[Any], ...] = ()
    left: str | None = None
    right: str | None = None
    path: str | None = None


_TREES: dict[type[Any], TreeInfo | None] = {}


def _role(info: EntityInfo, role: str) -> str | None:
    return next((k for k, c in info.columns.items() if c.info.get("typeorm") == role), None)


def _closure(
    info: EntityInfo,
) -> tuple[Table, tuple[Column[Any], ...], tuple[Column[Any], ...]] | None:
    own = info.table
    for table in own.metadata.tables.values():
        if table is own or not table.foreign_keys:
            continue
        if any(fk.column.table is not own for fk in table.foreign_keys):
            continue
        anc = tuple(c for c in table.columns if c.key.endswith("_ancestor"))
        desc = tuple(c for c in table.columns if c.key.endswith("_descendant"))
        if anc and desc and len(anc) + len(desc) == len(table.columns):
            return table, anc, desc
    return None


def tree_of(info: EntityInfo) -> TreeInfo | None:
    """The tree ``info``'s class is (its own or its single-table root's), or None."""
    if info.cls in _TREES:
        return _TREES[info.cls]
    found = _read(info)
    _TREES[info.cls] = found
    return found


def _read(info: EntityInfo) -> TreeInfo | None:
    parent = next(
        (
            (k, r)
            for k, r in info.relations.items()
            if r.direction is MANYTOONE and r.mapper.class_ is info.cls
        ),
        None,
    )
    if parent is None:
        return None
    key, rel = parent
    mapper = info.mapper
    pairs = [(loc, rem) for loc, rem in rel.local_remote_pairs if loc.table is info.table]
    parent_columns = tuple(mapper.get_property_by_column(loc).key for loc, _ in pairs)
    referenced = tuple(mapper.get_property_by_column(rem).key for _, rem in pairs)
    children = rel.back_populates or None
    base: dict[str, Any] = {
        "parent": key,
        "parent_columns": parent_columns,
        "referenced": referenced,
        "children": children,
    }
    left, right = _role(info, "nested-set-left"), _role(info, "nested-set-right")
    if left is not None and right is not None:
        return TreeInfo(kind="nested-set", left=left, right=right, **base)
    path = _role(info, "tree-path")
    if path is not None:
        return TreeInfo(kind="materialized-path", path=path, **base)
    closure = _closure(info)
    if closure is not None:
        table, anc, desc = closure
        return TreeInfo(
            kind="closure-table", closure=table, ancestors=anc, descendants=desc, **base
        )
    return None
