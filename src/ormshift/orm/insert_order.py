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

The order decides which row fails first, too (a ``ServiceRecord`` naming a removed
vehicle is inserted before its new ``Part``, which lacks its NOT NULL ``sku``).
SQLAlchemy's unit of work orders the rows its own way; `Replay.refuse` runs, before
the flush, the INSERT of the first row in TypeORM's order that cannot go in (a NOT NULL
column without a value, a foreign key naming no row), so that the save fails with the
database's own error on TypeORM's row; the INSERT is run only where it cannot succeed.
Where TypeORM's later UPDATE fixes a row up, the flush's result is the same and nothing
is done. A row that fails otherwise (a CHECK) fails in the flush's order: finding
TypeORM's first failure by inserting the rows again would draw keys from sequences
TypeORM never draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, insert, inspect, literal, select

from ormshift.orm.guard import tree_applies
from ormshift.orm.metadata import EntityInfo, entity_info

__all__ = ["Replay", "replay", "typeorm_groups", "typeorm_order"]


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
    ordered = typeorm_order(objs)
    if ordered is None:
        return None
    names: list[str] = []
    for obj in ordered:
        if type(obj).__name__ not in names:
            names.append(type(obj).__name__)
    return names


def typeorm_order(objs: list[Any]) -> list[Any] | None:
    """``objs`` (new entities, in TypeORM's subject order) as TypeORM's
    ``SubjectTopologicalSorter.sort("insert")`` orders them, the order it inserts them
    in and tells ``after_insert`` in; None when its sort finds a cycle."""
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
    return [*ordered, *left]


def _tree(obj: Any) -> set[str]:
    """``metadata.inheritanceTree``'s names: the class and its mapped ancestors."""
    return {m.class_.__name__ for m in entity_info(type(obj)).mapper.iterate_to_root()}


@dataclass
class Replay:
    """The rows of a save's new entities as TypeORM inserts them, in its order. Each
    row: (table, values by column key, the foreign keys TypeORM fills from an earlier
    row's INSERT, as (row, [(column, its column)]), the row's id)."""

    rows: list[tuple[Table, dict[str, Any], list[tuple[int, list[tuple[str, str]]]], int]]

    def refuse(self, connection: Connection) -> None:
        """Before the flush: run the INSERT of the first row, in TypeORM's order, that
        cannot go in (it raises): a NOT NULL column without a value or default (23502),
        or a foreign key naming a row that is not there (23503: a row not in the
        database, or a new one TypeORM inserts later; not for a key checked at commit).
        Its error is TypeORM's, where the flush would fail on another row (or on none:
        TypeORM writes a null key the flush fills in). Nothing when every row can."""
        for k, (table, values, later, _) in enumerate(self.rows):
            filled = {local for _, pairs in later for local, _ in pairs}
            if _missing(table, values, filled) or _dangling(connection, table, values, filled):
                self._insert(connection, k + 1)  # the rows TypeORM inserts before it too

    def _insert(self, connection: Connection, count: int) -> None:
        """Insert the first ``count`` rows in order, keys filled from earlier rows."""
        made: dict[int, Any] = {}
        for table, values, later, mine in self.rows[:count]:
            row = dict(values)
            for source, pairs in later:
                returned = made.get(source)
                if returned is not None:
                    for local, remote in pairs:
                        row[local] = returned[remote]
            stmt = insert(table).values(row).returning(*table.primary_key.columns)
            made[mine] = connection.execute(stmt).mappings().one()


def replay(objs: list[Any]) -> Replay | None:
    """`Replay` of ``objs`` (pending, in TypeORM's subject order) when TypeORM inserts
    rows of more than one entity; None otherwise."""
    if any(tree_applies(entity_info(type(o))) for o in objs):
        return None  # a tree's rows are written by its own statements too
    groups = typeorm_groups(objs)
    if groups is None or len(groups) < 2:
        return None
    new = {id(o) for o in objs}
    ordered = sorted(objs, key=lambda o: groups.index(type(o).__name__))
    place = {id(o): i for i, o in enumerate(ordered)}
    rows: list[tuple[Table, dict[str, Any], list[tuple[int, list[tuple[str, str]]]], int]] = []
    for i, obj in enumerate(ordered):
        info = entity_info(type(obj))
        given = inspect(obj).dict
        written: dict[Any, Any] = {}
        later: list[tuple[int, list[tuple[str, str]]]] = []
        for key in _joined(info):
            target = given.get(key)
            if target is None:
                continue
            rel = info.relations[key]
            pairs = [(loc, rem) for loc, rem in rel.local_remote_pairs if loc.table is info.table]
            theirs = entity_info(type(target))
            values = [
                inspect(target).dict.get(theirs.mapper.get_property_by_column(rem).key)
                for _, rem in pairs
            ]
            if id(target) in new and place[id(target)] < i:
                later.append((id(target), [(str(loc.key), str(rem.key)) for loc, rem in pairs]))
                continue
            for (local, _), value in zip(pairs, values, strict=True):
                written[local] = value
        left_out = info.no_insert | info.sibling_columns
        row: dict[str, Any] = {}
        for key, column in info.columns.items():
            if column in written:
                if written[column] is not None:
                    row[column.key] = written[column]
            elif key in given and key not in left_out and given[key] is not None:
                row[column.key] = given[key]
        if info.version is not None and info.columns[info.version].key not in row:
            row[info.columns[info.version].key] = 1  # TypeORM's (and the flush's) first
        rows.append((info.table, row, later, id(obj)))
    return Replay(rows)


def _missing(table: Table, values: dict[str, Any], filled: set[str]) -> bool:
    """A NOT NULL column of ``table`` the row gives no value and nothing fills in."""
    for column in table.columns:
        if column.key in values or column.key in filled or column.nullable:
            continue
        if column.server_default is not None or column.default is not None:
            continue
        if column.identity is not None or column is table.autoincrement_column:
            continue
        if column.computed is not None:
            continue
        return True
    return False


def _dangling(
    connection: Connection, table: Table, values: dict[str, Any], filled: set[str]
) -> bool:
    """A foreign key of the row, checked at once, naming no row of its table (a key
    filled from a row inserted before it is not looked for)."""
    for fk in table.foreign_key_constraints:
        if fk.initially and fk.initially.upper() == "DEFERRED":
            continue
        local = [c.key for c in fk.columns]
        if filled & set(local):
            continue
        if not all(values.get(k) is not None for k in local):
            continue
        cond = and_(*(e.column == values[e.parent.key] for e in fk.elements))
        if connection.execute(select(literal(1)).where(cond).limit(1)).first() is None:
            return True
    return False
