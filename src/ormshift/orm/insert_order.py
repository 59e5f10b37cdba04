"""TypeORM's order of a save's INSERTs, and the row it cannot insert in that order.

TypeORM inserts a save's new entities class by class (``SubjectExecutor`` groups them by
entity), in the order ``persistence/SubjectTopologicalSorter.js`` gives: first the
classes along *non-nullable* many-to-one / owning one-to-one relations (all the new
entities of each such class at once), then the others along every relation, then the
rest. A nullable relation to a class sorted later is no dependency: the row is inserted
before the row it refers to. Its foreign key is then written from what the related
entity holds before its own INSERT (``Subject.createValueSetAndPopChangeMap``): a key
given by the caller is written as it is (the database refuses it, 23503: the row is not
there yet), an unknown (generated) one is left out, to be set by an UPDATE afterwards,
and a NOT NULL column refuses the missing value (23502). ``examples/bookstore``'s
``OrderLine``, whose key ``(orderId, lineNo)`` holds the foreign key of its nullable
relation ``order``, cannot be saved along with its new ``Order``.

SQLAlchemy's unit of work orders the rows correctly; `refuse_misordered` runs, before
the flush, the INSERT TypeORM fails on, so that the save fails with the database's own
error. Where TypeORM's later UPDATE fixes the row, the flush's result is the same and
nothing is done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, insert, inspect
from sqlalchemy.orm import Session

from ormshift.orm.metadata import EntityInfo, entity_info

__all__ = ["refuse_misordered", "typeorm_groups"]


def _nullable(info: EntityInfo, key: str) -> bool:
    """TypeORM's ``relation.isNullable``: ``info["nullable"]`` when the models say it,
    else nullable unless a foreign key column is NOT NULL outside the primary key (a
    join column TypeORM made for a ``nullable: false`` relation)."""
    rel = info.relations[key]
    declared = rel.info.get("nullable")
    if declared is not None:
        return bool(declared)
    local = [c for c, _ in rel.local_remote_pairs if c.table is info.table]
    return not any(isinstance(c, Column) and not c.nullable and not c.primary_key for c in local)


def _joined(info: EntityInfo) -> list[str]:
    """``relationsWithJoinColumns``: many-to-one and owning one-to-one, written here."""
    return [k for k in info.owning_relations if not info.relations[k].viewonly]


def _toposort(edges: list[tuple[str, str]]) -> list[str] | None:
    """TypeORM's ``toposort`` (node order and visiting order as it has them); None for
    a cycle (TypeORM throws ``Cyclic dependency``, left to the flush here)."""
    nodes: list[str] = []
    for edge in edges:
        for node in edge:
            if node not in nodes:
                nodes.append(node)
    out = [""] * len(nodes)
    cursor = len(nodes)
    visited: set[int] = set()

    def visit(node: str, i: int, preds: list[str]) -> bool:
        nonlocal cursor
        if node in preds:
            return False
        if i in visited:
            return True
        visited.add(i)
        outgoing = [e for e in edges if e[0] == node]
        for edge in reversed(outgoing):
            if not visit(edge[1], nodes.index(edge[1]), [*preds, node]):
                return False
        cursor -= 1
        out[cursor] = node
        return True

    for i in reversed(range(len(nodes))):
        if i not in visited and not visit(nodes[i], i, []):
            return None
    return out


def typeorm_groups(objs: list[Any]) -> list[str] | None:
    """The entity names of ``objs`` (new entities, in TypeORM's subject order) in the
    order TypeORM inserts them; None when TypeORM's sort finds a cycle."""
    infos: list[EntityInfo] = []
    for obj in objs:
        info = entity_info(type(obj))
        if info not in infos:
            infos.append(info)
    strict: list[tuple[str, str]] = []
    other: list[tuple[str, str]] = []
    for info in infos:
        for key in _joined(info):
            target = info.target(key)
            if not _nullable(info, key):
                strict.append((info.name, target.name))
            if target is not info:
                other.append((info.name, target.name))
    first = _toposort(strict)
    second = _toposort(other)
    if first is None or second is None:
        return None
    left = list(objs)
    ordered: list[Any] = []
    for node in reversed(first):
        ordered += [o for o in left if node in _tree(o)]
        left = [o for o in left if node not in _tree(o)]
    for node in reversed(second):
        ordered += [o for o in left if type(o).__name__ == node]
        left = [o for o in left if type(o).__name__ != node]
    names: list[str] = []
    for obj in [*ordered, *left]:
        if type(obj).__name__ not in names:
            names.append(type(obj).__name__)
    return names


def _tree(obj: Any) -> set[str]:
    """``metadata.inheritanceTree``'s names: the class and its mapped ancestors."""
    return {m.class_.__name__ for m in entity_info(type(obj)).mapper.iterate_to_root()}


def refuse_misordered(session: Session, objs: list[Any]) -> None:
    """Run the INSERT TypeORM fails on, when its order writes a new row of ``objs``
    (pending, in TypeORM's subject order) before the new row its foreign key names and
    that foreign key cannot be written (see the module's text); nothing otherwise."""
    groups = typeorm_groups(objs)
    if groups is None:
        return
    new = {id(o) for o in objs}
    for obj in sorted(objs, key=lambda o: groups.index(type(o).__name__)):
        row = _misordered_row(obj, new, groups)
        if row is None:
            continue
        info = entity_info(type(obj))
        # the database refuses it (the row is one TypeORM's INSERT fails on), and the
        # transaction is aborted as TypeORM's is
        session.connection().execute(insert(info.table).values(row))


def _misordered_row(obj: Any, new: set[int], groups: list[str]) -> dict[str, Any] | None:
    """The row TypeORM inserts for ``obj`` when it fails (by column key), or None."""
    info = entity_info(type(obj))
    given = inspect(obj).dict
    mine = groups.index(info.name)
    written: dict[Any, Any] = {}
    failing = False
    for key in _joined(info):
        target = given.get(key)
        if target is None or id(target) not in new:
            continue
        if groups.index(type(target).__name__) <= mine:
            continue
        rel = info.relations[key]
        pairs = [(loc, rem) for loc, rem in rel.local_remote_pairs if loc.table is info.table]
        theirs = entity_info(type(target))
        values = [
            inspect(target).dict.get(theirs.mapper.get_property_by_column(rem).key)
            for _, rem in pairs
        ]
        if all(v is not None for v in values):
            for (local, _), value in zip(pairs, values, strict=True):
                written[local] = value
            # the referenced row is inserted later: refused unless checked at commit
            failing = failing or not _deferred(info, [loc for loc, _ in pairs])
            continue
        for local, _ in pairs:
            own = given.get(info.mapper.get_property_by_column(local).key)
            written[local] = own
            if own is None and not local.nullable and local.server_default is None:
                failing = True
    if not failing:
        return None
    left_out = info.no_insert | info.sibling_columns
    row: dict[str, Any] = {}
    for key, column in info.columns.items():
        if column in written:
            if written[column] is not None:
                row[column.key] = written[column]
        elif key in given and key not in left_out and given[key] is not None:
            row[column.key] = given[key]
    return row


def _deferred(info: EntityInfo, columns: list[Any]) -> bool:
    """The foreign key on ``columns`` is checked at commit (``INITIALLY DEFERRED``)."""
    for fk in info.table.foreign_key_constraints:
        if set(fk.columns) == set(columns):
            return bool(fk.initially and fk.initially.upper() == "DEFERRED")
    return False
