"""What TypeORM writes back into an entity after it saved, soft-removed or recovered it.

TypeORM (1.1's ``SubjectExecutor`` and ``ReturningResultsEntityUpdator``) merges what
the database returned, then sets every nullable column the entity left undefined to
``null``:

* after an insert, the columns with a default, generated ones and the create, update
  and delete dates and the version (``RETURNING``), given or not (a given interval
  comes back as the database has it); an undefined column is then the database's
  value or null, so every column of the class is there;
* after an update, the update date, the version and the generated (``asExpression``)
  columns;
* after a save that changed no column of the row (TypeORM sends no UPDATE), nothing,
  not even the nulls below: the callers do not call `write_back` then;
* after a soft remove or recover, those and the delete date;
* after a soft remove of a row already soft-removed (or a recover of a live one), which
  TypeORM does not write, nothing;
* then, in each case, ``null`` for each nullable column of the class (its own and its
  parents', never a sibling's or a child's, never the delete date) still undefined;
* never a tree's own columns (``nsleft``, ``nsright``, ``mpath``): TypeORM's metadata
  holds them as virtual columns, which its merge (``PlainObjectToNewEntityTransformer``
  takes ``nonVirtualColumns``) and its nulls (``SubjectExecutor``) leave out;
* after a save that changed nothing in the row (no column differs from the
  database's), nothing at all: TypeORM runs no UPDATE and merges nothing back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Literal

from sqlalchemy import inspect

from ormshift.orm.metadata import entity_info

__all__ = ["write_back"]

Kind = Literal["insert", "update", "soft", "unchanged", "nothing"]


def write_back(
    obj: Any,
    value_of: Callable[[str], Any],
    *,
    kind: Kind,
    given: Collection[str] | None = None,
) -> None:
    """Write into ``obj`` (the caller's entity, not attached to a session) what TypeORM
    would; ``value_of(key)`` is the row's value as the database has it now, ``given`` the
    keys the caller set (by default those ``obj`` holds)."""
    if kind == "nothing":
        return
    info = entity_info(type(obj))
    own = info.record_set
    set_by_caller = set(inspect(obj).dict if given is None else given)
    if kind == "insert":
        # TypeORM's RETURNING: a column with a default comes back even when given
        # (of every column of the class's table metadata: a single-table root's INSERT
        # returns its subclasses' defaulted columns too, Car.convertible into a Vehicle)
        defaulted = {k for k, c in info.columns.items() if c.server_default is not None}
        generated = {*info.primary, *info.roles.values(), *info.no_insert, *defaulted}
        keys = [
            k
            for k in info.columns
            if (k in generated or (k in own and k not in set_by_caller)) and k not in info.virtual
        ]
    elif kind == "unchanged":
        keys = []
    else:
        roles = [info.update_date, info.version]
        if kind == "soft":
            roles.append(info.delete_date)
        # getUpdationReturningColumns / getSoftDeletionReturningColumns: also every
        # generated column (asExpression), recomputed by the database
        roles += [k for k, c in info.columns.items() if c.computed is not None]
        keys = [k for k in (*info.primary, *roles) if k is not None]
    for key in keys:
        setattr(obj, key, value_of(key))
    held = inspect(obj).dict
    # in the metadata's order, as TypeORM sets them (not the set's)
    for key in info.record_columns:
        if key in info.virtual or key == info.delete_date:
            continue
        if key not in held and info.columns[key].nullable:
            setattr(obj, key, None)
