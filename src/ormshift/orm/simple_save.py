"""``save()`` of an entity without relations, in SQL: one SELECT by key, then one
INSERT or UPDATE of the changed columns with RETURNING, as TypeORM's persistence does.

The unit of work (``Session.merge`` and ``flush``) is kept for entities that carry
relations, where cascades matter; this path skips its bookkeeping where none is needed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, insert, inspect, select, update

from ormshift.orm.metadata import EntityInfo, entity_info

__all__ = ["is_simple", "save_simple"]


def is_simple(obj: Any) -> bool:
    """A new or detached entity whose set attributes are all columns."""
    state = inspect(obj, raiseerr=False)
    if state is None or state.persistent or state.pending or state.deleted:
        return False
    info = entity_info(type(obj))
    return not any(key in info.relations for key in state.dict)


def _write(
    obj: Any, info: EntityInfo, row: dict[str, Any], given: set[str], inserted: bool
) -> None:
    generated = {*info.primary, *info.roles.values()}
    for key in info.columns:
        if key in generated or (inserted and key not in given):
            setattr(obj, key, row[key])


def save_simple(conn: Connection, obj: Any) -> None:
    """Insert ``obj``, or update its row's changed columns; write back what the DB made."""
    info = entity_info(type(obj))
    data = {k: v for k, v in inspect(obj).dict.items() if k in info.columns}
    given = set(data)
    cols = info.columns
    keys = [data.get(k) for k in info.primary]
    if all(v is not None for v in keys):
        where = and_(*(cols[k] == v for k, v in zip(info.primary, keys, strict=True)))
        found = conn.execute(select(*cols.values()).where(where)).first()
        if found is not None:
            current = dict(zip(cols, found, strict=True))
            changed = {k: v for k, v in data.items() if k not in info.primary and current[k] != v}
            if changed:
                if info.version is not None and info.version not in changed:
                    changed[info.version] = cols[info.version] + 1
                if info.update_date is not None and info.update_date not in changed:
                    changed[info.update_date] = func.current_timestamp()
                stmt = (
                    update(info.table)
                    .where(where)
                    .values({cols[k].key: v for k, v in changed.items()})
                    .returning(*cols.values())
                )
                current = dict(zip(cols, conn.execute(stmt).one(), strict=True))
            _write(obj, info, current, given, inserted=False)
            return
    values = dict(data)
    if info.version is not None:
        values.setdefault(info.version, 1)
    created = (
        insert(info.table)
        .values({cols[k].key: v for k, v in values.items()})
        .returning(*cols.values())
    )
    row = dict(zip(cols, conn.execute(created).one(), strict=True))
    _write(obj, info, row, given, inserted=True)
