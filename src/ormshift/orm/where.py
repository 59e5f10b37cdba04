"""TypeORM's ``where`` find option compiled to a SQLAlchemy condition.

A mapping is an AND of its keys, a list an OR of its items. A key is a column, an
embedded (a nested mapping over the flattened attributes) or a relation (a nested
mapping over the related entity, compiled to ``EXISTS``: the rows TypeORM's inner join
keeps). ``None`` as a value is an error, as in TypeORM 1.x: use `IsNull()`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from ormshift.orm.errors import FindOptionsError, UnknownProperty, UnsupportedFindOptions
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.operators import FindOperator
from ormshift.orm.params import bind_named
from ormshift.orm.values import coerce_value

__all__ = ["compile_where", "not_deleted"]

_ALIAS = "\x00alias\x00"


class RawCondition(ColumnElement[bool]):
    """A `Raw` operator's SQL with its column spliced in where ``{alias}`` stood."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, parts: list[ClauseElement]) -> None:
        self.parts = parts

    def get_children(self, **kw: Any) -> list[ClauseElement]:
        return self.parts


@compiles(RawCondition)
def _compile_raw(element: RawCondition, compiler: SQLCompiler, **kw: Any) -> str:
    return "".join(compiler.process(p, **kw) for p in element.parts)


def _raw(op: FindOperator, col: ColumnElement[Any]) -> ColumnElement[bool]:
    sql = op.sql(_ALIAS) if callable(op.sql) else str(op.sql or "").replace("{alias}", _ALIAS)

    def splice(chunk: str) -> list[ClauseElement]:
        parts: list[ClauseElement] = []
        for i, piece in enumerate(chunk.split(_ALIAS)):
            if i:
                parts.append(col)
            if piece:
                parts.extend(bind_named(piece, {}))
        return parts

    return RawCondition(bind_named(sql, op.params, splice))


class Binds:
    """While a statement is built for the statement cache: bound values get names
    ``w0``, ``w1``, ... in the order `ormshift.orm.cache` collects them."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, type_: Any, *, expanding: bool = False) -> BindParameter[Any]:
        name = f"w{self.count}"
        self.count += 1
        return bindparam(name, type_=type_, expanding=expanding)


BINDS: ContextVar[Binds | None] = ContextVar("ormshift_binds", default=None)


def _bind(value: Any, type_: Any) -> ColumnElement[Any]:
    binds = BINDS.get()
    if binds is not None:
        return binds.next(type_)
    return bindparam(None, value, type_=type_)


def _typed(value: Any, col: ColumnElement[Any]) -> ColumnElement[Any]:
    if BINDS.get() is not None:
        return _bind(value, col.type)
    return bindparam(None, coerce_value(value, col), type_=col.type)


def _json(value: Any) -> ColumnElement[Any]:
    return _bind(value, JSONB())


def _array(value: Any, col: ColumnElement[Any]) -> ColumnElement[Any]:
    return _bind(list(value), col.type)


def _in(values: Any, col: ColumnElement[Any]) -> ColumnElement[bool]:
    if not values:
        return false()
    binds = BINDS.get()
    if binds is not None:
        return col.in_(binds.next(col.type, expanding=True))
    return col.in_([_typed(v, col) for v in values])


def compile_operator(value: Any, col: ColumnElement[Any], where: str) -> ColumnElement[bool]:
    """The condition on one column for a plain value or a `FindOperator`."""
    if value is None:
        raise FindOptionsError(
            f"Null value encountered in property '{where}' of a where condition. "
            "To match with SQL NULL, the IsNull() operator must be used."
        )
    if not isinstance(value, FindOperator):
        return col == _typed(value, col)
    kind, arg = value.kind, value.value
    if kind == "not":
        if isinstance(arg, FindOperator):
            return not_(compile_operator(arg, col, where))
        return col != _typed(arg, col)
    if kind == "equal":
        return compile_operator(arg, col, where)
    if kind in ("lessThan", "lessThanOrEqual", "moreThan", "moreThanOrEqual"):
        if isinstance(arg, FindOperator):
            raise FindOptionsError(f"{kind} of an operator is not supported in '{where}'")
        bound = _typed(arg, col)
        return {
            "lessThan": col < bound,
            "lessThanOrEqual": col <= bound,
            "moreThan": col > bound,
            "moreThanOrEqual": col >= bound,
        }[kind]
    if kind == "like":
        return col.like(_bind(arg, String()))
    if kind == "ilike":
        return col.ilike(_bind(arg, String()))
    if kind == "between":
        low, high = arg
        return col.between(_typed(low, col), _typed(high, col))
    if kind == "in":
        return _in(arg, col)
    if kind == "any":
        # each item as the column wants it: a list mixing dates and ISO text binds
        return col == any_(_bind([coerce_value(v, col) for v in arg], ARRAY(col.type)))
    if kind == "isNull":
        return col.is_(None)
    if kind == "raw":
        return _raw(value, col)
    if kind == "arrayContains":
        return col.op("@>", is_comparison=True)(_array(arg, col))
    if kind == "arrayContainedBy":
        return col.op("<@", is_comparison=True)(_array(arg, col))
    if kind == "arrayOverlap":
        return col.op("&&", is_comparison=True)(_array(arg, col))
    if kind == "jsonContains":
        return col.op("@>", is_comparison=True)(_json(arg))
    if kind == "and":
        return and_(*(compile_operator(v, col, where) for v in arg))
    if kind == "or":
        return or_(*(compile_operator(v, col, where) for v in arg))
    raise FindOptionsError(f"unknown find operator {kind!r} in '{where}'")


def not_deleted(info: EntityInfo, entity: Any) -> ColumnElement[bool] | None:
    """``deletedAt IS NULL`` for an entity with a delete-date column."""
    if info.delete_date is None:
        return None
    return getattr(entity, info.delete_date).is_(None)  # type: ignore[no-any-return]


def compile_where(
    info: EntityInfo,
    where: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    entity: Any = None,
    *,
    with_deleted: bool = False,
    prefix: str = "",
) -> ColumnElement[bool] | None:
    """The condition for ``where`` on ``entity`` (the mapped class or an alias of it)."""
    entity = info.cls if entity is None else entity
    if where is None:
        return None
    if isinstance(where, Sequence) and not isinstance(where, str | bytes):
        items = [compile_where(info, w, entity, with_deleted=with_deleted) for w in where]
        kept = [c for c in items if c is not None]
        return or_(*kept) if kept else None
    if not isinstance(where, Mapping):
        raise FindOptionsError(
            f"where for {info.name} must be a mapping or a list of mappings, not {where!r}"
        )
    conditions: list[ColumnElement[bool]] = []
    for key, value in where.items():
        kind, path = info.resolve(prefix, str(key))
        label = f"{info.name}.{path}"
        if kind == "column":
            conditions.append(compile_operator(value, getattr(entity, path), label))
        elif kind == "embedded":
            if not isinstance(value, Mapping):
                raise FindOptionsError(f"'{label}' is an embedded object: give a mapping")
            cond = compile_where(info, value, entity, with_deleted=with_deleted, prefix=path)
            if cond is not None:
                conditions.append(cond)
        else:
            cond = _relation(info, path, value, entity, with_deleted, label)
            if cond is not None:
                conditions.append(cond)
    return and_(*conditions) if conditions else None


#: TypeORM's relation-count conditions: ``where: {tags: MoreThan(1)}``.
_COUNT_OPERATORS = {
    "moreThan": lambda a, b: a > b,
    "lessThan": lambda a, b: a < b,
    "moreThanOrEqual": lambda a, b: a >= b,
    "lessThanOrEqual": lambda a, b: a <= b,
}
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def _unsupported(label: str) -> FindOptionsError:
    return UnsupportedFindOptions(f"This relation isn't supported by given find operator ({label})")


def _relation(
    info: EntityInfo, key: str, value: Any, entity: Any, with_deleted: bool, label: str
) -> ColumnElement[bool] | None:
    """A condition through relation ``key``, as TypeORM's find builds it (1.1.x):

    * a mapping or list: the related rows it matches must exist (TypeORM's inner join;
      an empty one adds nothing);
    * ``MoreThan``/``LessThan``/... on a one-to-many or many-to-many: the number of
      related rows (join-table rows for many-to-many), soft-deleted ones counted too;
    * any other operator on a many-to-one (or the owning one-to-one): its key column;
    * another value (``True``, a number): nothing (TypeORM only joins)."""
    if value is None:
        raise FindOptionsError(
            f"Null value encountered in property '{label}' of a where condition. "
            "To match with SQL NULL, the IsNull() operator must be used."
        )
    rel = info.relation(key)
    target = entity_info(rel.mapper.class_)
    attr = getattr(entity, key)
    if isinstance(value, FindOperator):
        if value.kind in _COUNT_OPERATORS:
            if not info.is_many(key):
                raise _unsupported(label)
            return _COUNT_OPERATORS[value.kind](  # type: ignore[no-any-return]
                _related_count(info, key, entity), _parse_int(value.value, label)
            )
        if rel.direction is not MANYTOONE:
            raise _unsupported(label)
        local = [c for c in rel.local_columns]
        if len(local) != 1:
            raise FindOptionsError(f"{label}: operators on composite relations are unsupported")
        col_key = info.mapper.get_property_by_column(local[0]).key
        return compile_operator(value, getattr(entity, col_key), label)
    if isinstance(value, str) and value:
        # TypeORM walks the string's characters as property names
        raise UnknownProperty(
            f'Property "0" was not found in "{target.name}". Make sure your query is correct.'
        )
    if not isinstance(value, Mapping | list | tuple) or not value:
        # TypeORM joins the relation (LEFT, or INNER on a required key) and adds no
        # condition: no row is filtered out
        return None
    cond = compile_where(target, value, with_deleted=with_deleted)
    if not with_deleted:
        alive = not_deleted(target, target.cls)
        if alive is not None:
            cond = alive if cond is None else and_(cond, alive)
    criterion = cond if cond is not None else true()
    result: ColumnElement[bool] = attr.any(criterion) if info.is_many(key) else attr.has(criterion)
    return result


def _related_count(info: EntityInfo, key: str, entity: Any) -> ColumnElement[int]:
    """``(SELECT COUNT(*) FROM <related or join table> WHERE <its key> = <ours>)``."""
    rel = info.relation(key)
    table = rel.secondary if rel.secondary is not None else rel.mapper.local_table
    other = table.alias()
    conditions = []
    for local, remote in rel.synchronize_pairs:
        theirs = other.corresponding_column(remote)  # type: ignore[arg-type]
        assert theirs is not None, remote
        conditions.append(theirs == getattr(entity, info.mapper.get_property_by_column(local).key))
    return select(func.count()).select_from(other).where(*conditions).scalar_subquery()


def _parse_int(value: Any, label: str) -> int:
    """JavaScript's ``parseInt``, which TypeORM applies to a relation count's value."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _LEADING_INT.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise FindOptionsError(f"'{label}': a relation count needs a number, not {value!r}")
    return int(match.group(1))
