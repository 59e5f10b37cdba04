"""Tree rows kept as TypeORM's subject executors keep them (``ClosureSubjectExecutor``,
``MaterializedPathSubjectExecutor``, ``NestedSetSubjectExecutor`` of TypeORM 1.1.1).

The work is done by mapper events of the flush, so that it happens per row where
TypeORM does it per subject: a nested set's bounds are made before its INSERT
(``before_insert``), a closure's rows and a materialized path after it
(``after_insert``), a move before the row's UPDATE (``before_update``). The events act
only inside an `ormshift.orm` save (`begin`/`end` mark its session), never in a flush
of the caller's own. Removal (`before_delete`) is called by `persist` before its
DELETE: only a nested set has work there on PostgreSQL (TypeORM leaves the closure rows
to their foreign keys' ``ON DELETE CASCADE``).

What TypeORM decides from the caller's entity — whether ``parent`` was given at all —
`begin` records per persisted object; the old parent comes from the row's committed
foreign key, as TypeORM's database entity has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    and_,
    case,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.errors import NestedSetMultipleRoot
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.trees.meta import TreeInfo, tree_of

__all__ = ["before_delete", "begin", "end"]

_ACTIVE = "ormshift.trees"
_LISTENING: set[int] = set()


def begin(session: Session, pairs: list[tuple[Any, Any]]) -> None:
    """Mark ``session`` as saving ``pairs`` (caller's object, persisted object): which
    persisted tree objects were given their ``parent``."""
    given: dict[int, bool] = {}
    for src, persisted in pairs:
        info = entity_info(type(persisted))
        tree = tree_of(info)
        if tree is None:
            continue
        _listen(info.mapper.base_mapper)
        state_dict = getattr(src, "__dict__", {})
        given[id(persisted)] = tree.parent in state_dict or any(
            k in state_dict for k in tree.parent_columns
        )
    if given:
        session.info[_ACTIVE] = given
    else:
        session.info.pop(_ACTIVE, None)  # a failed save's mark (its flush raised) goes


def end(session: Session) -> None:
    session.info.pop(_ACTIVE, None)


def _listen(mapper: Mapper[Any]) -> None:
    if id(mapper) in _LISTENING:
        return
    _LISTENING.add(id(mapper))
    event.listen(mapper, "before_insert", _before_insert, propagate=True)
    event.listen(mapper, "after_insert", _after_insert, propagate=True)
    event.listen(mapper, "before_update", _before_update, propagate=True)


def _active(target: Any) -> tuple[EntityInfo, TreeInfo, dict[int, bool]] | None:
    session = object_session(target)
    if session is None or _ACTIVE not in session.info:
        return None
    info = entity_info(type(target))
    tree = tree_of(info)
    if tree is None:
        return None
    return info, tree, session.info[_ACTIVE]


def _id(info: EntityInfo, obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, k) for k in info.primary)


def _where_id(info: EntityInfo, ident: tuple[Any, ...]) -> Any:
    return and_(*(info.columns[k] == v for k, v in zip(info.primary, ident, strict=True)))


def _parent_id(tree: TreeInfo, obj: Any) -> tuple[Any, ...] | None:
    values = tuple(getattr(obj, k) for k in tree.parent_columns)
    return None if any(v is None for v in values) else values


def _by_referenced(info: EntityInfo, tree: TreeInfo, ident: tuple[Any, ...]) -> Any:
    return and_(*(info.columns[k] == v for k, v in zip(tree.referenced, ident, strict=True)))


# -- nested set ----------------------------------------------------------------------
def _unique_root(connection: Connection, info: EntityInfo, tree: TreeInfo, parent: Any) -> None:
    """TypeORM's ``isUniqueRootEntity``: no row with the parent's own parent (a row
    without a parent, for a root): else ``NestedSetMultipleRootError``."""
    values = [None if parent is None else getattr(parent, k, None) for k in tree.parent_columns]
    conds = [
        info.columns[k].is_(None) if v is None else info.columns[k] == v
        for k, v in zip(tree.parent_columns, values, strict=True)
    ]
    count = connection.execute(select(func.count()).select_from(info.table).where(*conds)).scalar()
    if count:
        raise NestedSetMultipleRoot("Nested sets do not support multiple root entities.")


def _bounds(
    connection: Connection, info: EntityInfo, tree: TreeInfo, ident: tuple[Any, ...]
) -> tuple[int, int] | None:
    assert tree.left is not None and tree.right is not None
    left, right = info.columns[tree.left], info.columns[tree.right]
    row = connection.execute(select(left, right).where(_where_id(info, ident))).first()
    return None if row is None else (row[0], row[1])


def _nested_insert(connection: Connection, info: EntityInfo, tree: TreeInfo, target: Any) -> None:
    assert tree.left is not None and tree.right is not None
    left, right = info.columns[tree.left], info.columns[tree.right]
    parent_id = _parent_id(tree, target)
    found = None
    if parent_id is not None:
        found = connection.execute(
            select(right).where(_by_referenced(info, tree, parent_id))
        ).first()
    if found is not None:
        at = found[0]
        connection.execute(
            update(info.table)
            .where(right >= at)
            .values({left.key: case((left > at, left + 2), else_=left), right.key: right + 2})
        )
        setattr(target, tree.left, at)
        setattr(target, tree.right, at + 1)
        return
    _unique_root(connection, info, tree, inspect_parent(target, tree))
    setattr(target, tree.left, 1)
    setattr(target, tree.right, 2)


def inspect_parent(target: Any, tree: TreeInfo) -> Any:
    """The parent object the caller gave (loaded only), None without one."""
    return target.__dict__.get(tree.parent)


def _nested_move(
    connection: Connection,
    info: EntityInfo,
    tree: TreeInfo,
    ident: tuple[Any, ...],
    parent_id: tuple[Any, ...] | None,
    target: Any,
) -> None:
    if parent_id is None:
        _unique_root(connection, info, tree, None)
        return
    assert tree.left is not None and tree.right is not None
    entity = _bounds(connection, info, tree, ident)
    parent_row = connection.execute(
        select(info.columns[tree.left], info.columns[tree.right]).where(
            _by_referenced(info, tree, parent_id)
        )
    ).first()
    if entity is None or parent_row is None:
        return
    e_left, e_right = entity
    p_left, p_right = parent_row[0], parent_row[1]
    left, right = info.columns[tree.left], info.columns[tree.right]
    up = p_left > e_left
    size = e_right - e_left + 1
    shift = p_left - e_right if up else p_right - e_left
    own_left = (and_(left >= e_left, left < e_right), left + shift)
    own_right = (and_(right > e_left, right <= e_right), right + shift)
    if up:
        new_left = case((and_(left > e_right, left <= p_left), left - size), own_left, else_=left)
        new_right = case(
            (and_(right > e_right, right < p_left), right - size), own_right, else_=right
        )
    else:
        new_left = case((and_(left < e_left, left > p_right), left + size), own_left, else_=left)
        new_right = case(
            (and_(right < e_left, right >= p_right), right + size), own_right, else_=right
        )
    connection.execute(update(info.table).values({left.key: new_left, right.key: new_right}))


def before_delete(connection: Connection, info: EntityInfo, ident: tuple[Any, ...]) -> None:
    """A nested set closes the gap of the removed row's bounds before its DELETE."""
    tree = tree_of(info)
    if tree is None or tree.kind != "nested-set":
        return
    assert tree.left is not None and tree.right is not None
    found = _bounds(connection, info, tree, ident)
    if found is None:
        return
    e_left, e_right = found
    size = e_right - e_left + 1
    left, right = info.columns[tree.left], info.columns[tree.right]
    connection.execute(
        update(info.table).values(
            {
                left.key: case((left > e_left, left - size), else_=left),
                right.key: case((right > e_right, right - size), else_=right),
            }
        )
    )


# -- closure table -------------------------------------------------------------------
def _closure_insert(connection: Connection, info: EntityInfo, tree: TreeInfo, target: Any) -> None:
    assert tree.closure is not None
    ident = _id(info, target)
    row = {c.key: v for c, v in zip(tree.ancestors, ident, strict=True)}
    row |= {c.key: v for c, v in zip(tree.descendants, ident, strict=True)}
    connection.execute(insert(tree.closure).values(row))
    parent_id = _parent_id(tree, target)
    if parent_id is None:
        return
    table = tree.closure
    chosen = select(
        *tree.ancestors,
        *(literal(v, type_=c.type) for c, v in zip(tree.descendants, ident, strict=True)),
    ).where(*(c == v for c, v in zip(tree.descendants, parent_id, strict=True)))
    cols = [*tree.ancestors, *tree.descendants]
    connection.execute(insert(table).from_select([c.key for c in cols], chosen))


def _closure_move(
    connection: Connection,
    tree: TreeInfo,
    ident: tuple[Any, ...],
    parent_id: tuple[Any, ...] | None,
) -> None:
    assert tree.closure is not None
    table = tree.closure
    sub = table.alias("subdescendant")
    subtree = select(*(sub.c[c.key] for c in tree.descendants)).where(
        *(sub.c[c.key] == v for c, v in zip(tree.ancestors, ident, strict=True))
    )
    desc = tuple_(*(table.c[c.key] for c in tree.descendants))
    anc = tuple_(*(table.c[c.key] for c in tree.ancestors))
    connection.execute(table.delete().where(desc.in_(subtree), anc.not_in(subtree)))
    if parent_id is None:
        return
    sup, subt = table.alias("supertree"), table.alias("subtree")
    # TypeORM's ``FROM closure AS supertree, closure AS subtree``: every pair
    chosen = (
        select(*(sup.c[c.key] for c in tree.ancestors), *(subt.c[c.key] for c in tree.descendants))
        .select_from(sup.join(subt, true()))
        .where(
            *(subt.c[c.key] == v for c, v in zip(tree.ancestors, ident, strict=True)),
            *(sup.c[c.key] == v for c, v in zip(tree.descendants, parent_id, strict=True)),
        )
    )
    cols = [*tree.ancestors, *tree.descendants]
    connection.execute(insert(table).from_select([c.key for c in cols], chosen))


# -- materialized path ---------------------------------------------------------------
def _path_of(
    connection: Connection, info: EntityInfo, tree: TreeInfo, ident: tuple[Any, ...]
) -> str:
    """The path of the row ``ident`` names ('' when there is none; a NULL path reads
    as JavaScript's ``null`` in a template string, as TypeORM concatenates it)."""
    assert tree.path is not None
    row = connection.execute(
        select(info.columns[tree.path]).where(_by_referenced(info, tree, ident))
    ).first()
    if row is None:
        return ""
    return "null" if row[0] is None else str(row[0])


def _own_path(tree: TreeInfo, target: Any) -> str:
    return "_".join(str(getattr(target, k)) for k in tree.referenced)


def _path_insert(connection: Connection, info: EntityInfo, tree: TreeInfo, target: Any) -> None:
    assert tree.path is not None
    parent_id = _parent_id(tree, target)
    parent_path = "" if parent_id is None else _path_of(connection, info, tree, parent_id)
    where = _where_id(info, _id(info, target))
    column = info.columns[tree.path]
    before = connection.execute(select(column).where(where)).scalar()
    connection.execute(
        update(info.table)
        .where(where)
        .values({column.key: parent_path + _own_path(tree, target) + "."})
    )
    # TypeORM's entity keeps what the INSERT returned: the column's default
    set_committed_value(target, tree.path, before)


def _path_move(
    connection: Connection,
    info: EntityInfo,
    tree: TreeInfo,
    old_parent: tuple[Any, ...] | None,
    parent_id: tuple[Any, ...] | None,
    target: Any,
) -> None:
    assert tree.path is not None
    new_path = "" if parent_id is None else _path_of(connection, info, tree, parent_id)
    old_path = "" if old_parent is None else _path_of(connection, info, tree, old_parent)
    if old_path == "null":
        old_path = ""  # TypeORM's ``|| ""``
    own = _own_path(tree, target)
    column = info.columns[tree.path]
    connection.execute(
        update(info.table)
        .where(column.like(f"{old_path}{own}.%"))
        .values({column.key: func.replace(column, f"{old_path}{own}.", f"{new_path}{own}.")})
    )


# -- the events ----------------------------------------------------------------------
def _inserted(
    steps: dict[str, Callable[[Connection, EntityInfo, TreeInfo, Any], None]],
) -> Callable[[Mapper[Any], Connection, Any], None]:
    """An insert event: the step of the entity's tree kind, where it has one at that point
    (a nested set makes room before the row is written, the others record it after)."""

    def on_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
        found = _active(target)
        if found is not None and (step := steps.get(found[1].kind)) is not None:
            step(connection, found[0], found[1], target)

    return on_insert


_before_insert = _inserted({"nested-set": _nested_insert})
_after_insert = _inserted({"closure-table": _closure_insert, "materialized-path": _path_insert})


def _committed(tree: TreeInfo, target: Any) -> tuple[Any, ...] | None:
    attrs = inspect(target).attrs
    values = []
    for key in tree.parent_columns:
        history = attrs[key].history
        if history.deleted:
            values.append(history.deleted[0])
        elif history.unchanged:
            values.append(history.unchanged[0])
        else:
            values.append(None)
    return None if any(v is None for v in values) else tuple(values)


def _changes(info: EntityInfo, target: Any) -> bool:
    attrs = inspect(target).attrs
    return any(attrs[k].history.has_changes() for k in info.columns)


def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    found = _active(target)
    if found is None:
        return
    info, tree, given = found
    # TypeORM: ``parent === undefined`` (a materialized path's REPLACE of its own path
    # by itself then); only a row that really changes is an update subject
    if not given.get(id(target)) or not _changes(info, target):
        return
    old = _committed(tree, target)
    new = _parent_id(tree, target)
    if old is not None and new is not None and old == new:
        return
    ident = _id(info, target)
    if tree.kind == "closure-table":
        _closure_move(connection, tree, ident, new)
    elif tree.kind == "nested-set":
        _nested_move(connection, info, tree, ident, new, target)
    else:
        _path_move(connection, info, tree, old, new, target)
