"""The types of `ormshift.orm`'s public API: find options, criteria, values and rows.

TypeORM types a find's ``where`` by the entity's properties (``FindOptionsWhere<T>``);
Python's type system cannot derive a mapping's keys from a class, so these types check
the shape (which options exist, what each one nests) and leave the property names to
the runtime, which refuses an unknown one with `UnknownProperty`. Both spellings of
TypeORM's camel-case options are accepted, as at run time (``with_deleted`` and
``withDeleted``).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Literal, TypeAlias, TypedDict, TypeVar, Union

__all__ = [
    "Amount",
    "Criteria",
    "Direction",
    "FindManyOptions",
    "FindOneOptions",
    "FindTreeOptions",
    "Key",
    "LockOptions",
    "Order",
    "OrderBy",
    "Params",
    "Relations",
    "Row",
    "Select",
    "Values",
    "Where",
    "WhereOption",
]

E = TypeVar("E")

#: a row of raw results: column (or alias) name to the value the driver gave
Row = dict[str, object]
#: raw SQL parameters: a list for ``$1, $2, ...``, a mapping for ``:name``
Params = Sequence[object] | Mapping[str, object]

#: one ``where`` object: a property name to a value, a `FindOperator`, or (for a
#: relation or an embedded) a nested where object
Where = Mapping[str, object]
#: a find's ``where``: one object, or a list of them (OR)
WhereOption = Where | Sequence[Where]

#: an order direction as TypeORM takes it
Direction = Literal["ASC", "DESC", "asc", "desc", 1, -1]


class OrderBy(TypedDict, total=False):
    """``{"direction": "DESC", "nulls": "LAST"}``."""

    direction: Direction
    nulls: Literal["FIRST", "LAST", "first", "last"]


#: ``{"name": "ASC", "author": {"name": "DESC"}}``: a property to its direction, or a
#: relation (or embedded) to the order of its properties
Order = Mapping[str, Union[Direction, OrderBy, "Order"]]
#: ``{"author": True, "comments": {"author": True}}``
Relations = Mapping[str, Union[bool, "Relations"]]
#: ``{"id": True, "author": {"name": True}}``
Select = Mapping[str, Union[bool, "Select"]]

LockMode = Literal[
    "optimistic",
    "pessimistic_read",
    "pessimistic_write",
    "dirty_read",
    "pessimistic_partial_write",
    "pessimistic_write_or_fail",
    "for_no_key_update",
    "for_key_share",
]


class LockOptions(TypedDict, total=False):
    """TypeORM's ``lock``: ``{"mode": "optimistic", "version": 3}`` or a pessimistic
    mode with ``tables`` (``FOR UPDATE OF``) and ``onLocked``."""

    mode: LockMode
    version: int | datetime.datetime
    tables: Sequence[str]
    onLocked: Literal["nowait", "skip_locked"]
    on_locked: Literal["nowait", "skip_locked"]


class FindOneOptions(TypedDict, total=False):
    """TypeORM's ``FindOneOptions``, snake case or camel case."""

    where: WhereOption | None
    order: Order | None
    relations: Relations | None
    select: Select | None
    with_deleted: bool
    withDeleted: bool
    lock: LockOptions | None
    relation_load_strategy: Literal["join", "query"]
    relationLoadStrategy: Literal["join", "query"]
    load_eager_relations: bool
    loadEagerRelations: bool
    #: accepted and ignored, as on PostgreSQL without a query cache
    cache: bool | int | Mapping[str, object]
    comment: str
    transaction: bool


class FindManyOptions(FindOneOptions, total=False):
    """TypeORM's ``FindManyOptions``: `FindOneOptions` with paging."""

    skip: int | None
    take: int | None


class FindTreeOptions(TypedDict, total=False):
    """TypeORM's ``FindTreeOptions``: relations to join (``"parent"``, ``"a.b"``) and,
    for the ``*_tree`` finds, how many levels (``-1``: all)."""

    relations: Sequence[str] | None
    depth: int | None


#: a primary key value
Key = str | int | float | Decimal | uuid.UUID | datetime.date | datetime.time
#: an increment's or a decrement's amount (its text is read as a number, as TypeORM does)
Amount = int | float | Decimal | str
#: update and delete criteria: a key, keys, or where objects
Criteria = Key | Sequence[Key] | Where | Sequence[Where]
#: the values of an insert, an update or an upsert: an entity, or a mapping of its
#: properties (nested for relations and embeddeds)
Values: TypeAlias = E | Mapping[str, object]
