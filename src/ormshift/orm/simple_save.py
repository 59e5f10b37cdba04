"""``save()`` of an entity without relations, in SQL: one SELECT by key, then one
INSERT or UPDATE of the changed columns with RETURNING (none, and nothing written back
into the entity, when nothing changed), as TypeORM's persistence does
(a single-table child is looked for among its class's rows; columns TypeORM never
inserts or updates, and generated keys, are left out as it leaves them).

The unit of work (``Session.merge`` and ``flush``) is kept for entities that carry
relations, where cascades matter; this path skips its bookkeeping where none is needed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    and_,
    bindparam,
    func,
    insert,
    inspect,
    select,
    update,
)

from ormshift.orm.guard import tree_applies
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.values import same_value
from ormshift.orm.write_cache import is_sql, statement
from ormshift.orm.writeback import write_back
from ormshift.orm.writes import insert_rows, is_reference, restrict, updatable

__all__ = ["is_simple", "save_simple"]


def is_simple(obj: Any) -> bool:
    """A new or detached entity whose set attributes are all columns (or references,
    `is_reference`, whose foreign keys it holds)."""
    state = inspect(obj, raiseerr=False)
    if state is None or state.persistent or state.pending or state.deleted:
        return False
    info = entity_info(type(obj))
    if tree_applies(info):
        return False
    return not any(key in info.relations and not is_reference(info, obj, key) for key in state.dict)


def _by_key(info: EntityInfo, keys: list[Any]) -> tuple[tuple[Any, ...], Any] | None:
    """The shape of a primary key's values and the condition on them, with parameters
    ``k0, k1, ...`` typed as ``column == value`` types them; None if it binds otherwise."""
    shape = (info.cls, "by-key", tuple(type(v) for v in keys))

    def build() -> Any:
        cols = info.columns
        conds = []
        for i, (k, v) in enumerate(zip(info.primary, keys, strict=True)):
            sample = cols[k] == v
            right = getattr(sample, "right", None)
            if not isinstance(right, BindParameter):
                return _NOT_CACHED
            conds.append(cols[k] == bindparam(f"k{i}", type_=right.type))
        return restrict(info, and_(*conds))

    cond = statement(shape, build)
    return None if cond is _NOT_CACHED else (shape, cond)


_NOT_CACHED = object()


def _row_class(info: EntityInfo, row: dict[str, Any]) -> EntityInfo:
    """The class of a single-table row (by its discriminator; ``info`` for others)."""
    disc = info.discriminator
    if disc is None:
        return info
    found = info.mapper.polymorphic_map.get(row.get(disc[0]))
    return info if found is None else entity_info(found.class_)


def save_simple(conn: Connection, obj: Any) -> None:
    """Insert ``obj``, or update its row's changed columns; write back what the DB made.

    The statements are built once per shape (entity, key types, changed columns) and
    reused with new parameters."""
    info = entity_info(type(obj))
    data = {k: v for k, v in inspect(obj).dict.items() if k in info.columns}
    given = set(data)
    cols = info.columns
    keys = [data.get(k) for k in info.primary]
    if all(v is not None for v in keys):
        by_key = _by_key(info, keys)
        if by_key is None:
            where = restrict(
                info, and_(*(cols[k] == v for k, v in zip(info.primary, keys, strict=True)))
            )
            shape, params = None, None
        else:
            shape, where = by_key
            params = {f"k{i}": v for i, v in enumerate(keys)}
        found_stmt = statement(
            shape and (*shape, "select"), lambda: select(*cols.values()).where(where)
        )
        found = conn.execute(found_stmt, params).first()
        if found is not None:
            current = dict(zip(cols, found, strict=True))
            row_columns = _row_class(info, current).record_set
            changed = {
                k: v
                for k, v in updatable(info, data).items()
                if k not in info.primary
                and k not in info.kept_on_save
                # a column the row's class does not have: TypeORM loaded the row as that
                # class, without it, so it differs whatever its value
                and (not same_value(current[k], v) or k not in row_columns)
            }
            if changed:
                plain = not any(is_sql(v) for v in changed.values())
                names = tuple(changed)

                def build() -> Any:
                    sets: dict[str, Any] = {
                        cols[k].key: bindparam(f"v__{i}", type_=cols[k].type) if plain else v
                        for i, (k, v) in enumerate(changed.items())
                    }
                    if info.version is not None and info.version not in changed:
                        sets[cols[info.version].key] = cols[info.version] + 1
                    if info.update_date is not None and info.update_date not in changed:
                        sets[cols[info.update_date].key] = func.current_timestamp()
                    return update(info.table).where(where).values(sets).returning(*cols.values())

                key = (*shape, "update", names) if shape is not None and plain else None
                bound = dict(params or {})
                if plain:
                    bound.update({f"v__{i}": v for i, v in enumerate(changed.values())})
                row = conn.execute(statement(key, build), bound or None).one()
                current = dict(zip(cols, row, strict=True))
            write_back(
                obj, current.__getitem__, kind="update" if changed else "nothing", given=given
            )
            return
    (values,) = insert_rows(info, [data])
    if info.version is not None:
        values.setdefault(info.version, 1)
    names = tuple(values)
    bound_values: dict[str, Any] | None = {f"v__{i}": v for i, v in enumerate(values.values())}
    shape_key: tuple[Any, ...] | None = None
    if any(is_sql(v) for v in values.values()):
        bound_values = None
    else:
        # built once per entity and columns given, the values bound as parameters typed
        # as the columns (what SQLAlchemy binds a literal value of ``values()`` as)
        shape_key = (info.cls, "simple-insert", names)

    def build_insert() -> Any:
        if bound_values is None:
            row = {cols[k].key: v for k, v in values.items()}
        else:
            row = {
                cols[k].key: bindparam(f"v__{i}", type_=cols[k].type) for i, k in enumerate(names)
            }
        return insert(info.table).values(row).returning(*cols.values())

    created = statement(shape_key, build_insert)
    made = dict(zip(cols, conn.execute(created, bound_values or None).one(), strict=True))
    write_back(obj, made.__getitem__, kind="insert", given=given - info.no_insert)
