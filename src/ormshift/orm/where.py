"""TypeORM's ``where`` find option compiled to a SQLAlchemy condition.

A mapping is an AND of its keys, a list an OR of its items. A key is a column, an
embedded (a nested mapping over the flattened attributes) or a relation (a nested
mapping over the related entity). A find's conditions through relations are on
TypeORM's LEFT joins (`compile_find_where`: true on NULLs where no related row is);
otherwise (`compile_where` alone) they are ``EXISTS``. ``None`` as a value is an
error, as in TypeORM 1.x: use `IsNull()`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import join as sa_join
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import MANYTOONE, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.sqltypes import NullType

from ormshift.orm.errors import FindOptionsError, UnknownProperty, UnsupportedFindOptions
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.operators import FindOperator
from ormshift.orm.params import bind_named
from ormshift.orm.transformers import apply_to, pattern_type, transformers_of
from ormshift.orm.values import coerce_value

__all__ = [
    "COUNT_KINDS",
    "compile_find_where",
    "compile_where",
    "count_value",
    "exists_root_where",
    "js_parse_int",
    "not_deleted",
    "without_counts",
]

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
        return col.like(_bind(arg, pattern_type(col, String())))
    if kind == "ilike":
        return col.ilike(_bind(arg, pattern_type(col, String())))
    if kind == "between":
        low, high = arg
        return col.between(_typed(low, col), _typed(high, col))
    if kind == "in":
        return _in(arg, col)
    if kind == "any":
        chain = transformers_of(col)
        if chain:
            # TypeORM's FindOperator.transformValue: Any is one parameter, so its whole
            # array goes through the transformers (In's and Between's go one by one),
            # and what they make of it is the parameter
            made = apply_to(chain, list(arg))
            if isinstance(made, list | tuple):
                impl = col.type.impl_instance  # type: ignore[attr-defined]
                return col == any_(_bind(list(made), ARRAY(impl)))
            # anything else is sent as TypeORM sends it, for the database to read as
            # the array it is not (a text: 22P02, malformed array literal)
            return col == any_(_bind(made, NullType()))
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
    joins: Joined | None = None,
    counts: list[ColumnElement[bool]] | None = None,
) -> ColumnElement[bool] | None:
    """The condition for ``where`` on ``entity`` (the mapped class or an alias of it).

    With ``joins`` (the join tree at ``entity``), a condition through a relation is on
    the relation's joined alias, which it adds to the tree (`compile_find_where`);
    without, it is an ``EXISTS``. With ``counts``, a relation count goes there instead of
    into its mapping's condition (TypeORM ANDs it onto the whole query)."""
    entity = info.cls if entity is None else entity
    if where is None:
        return None
    if isinstance(where, Sequence) and not isinstance(where, str | bytes):
        items = [
            compile_where(info, w, entity, with_deleted=with_deleted, joins=joins, counts=counts)
            for w in where
        ]
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
            cond = compile_where(
                info,
                value,
                entity,
                with_deleted=with_deleted,
                prefix=path,
                joins=joins,
                counts=counts,
            )
            if cond is not None:
                conditions.append(cond)
        else:
            cond = _relation(info, path, value, entity, with_deleted, label, joins, counts)
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
    info: EntityInfo,
    key: str,
    value: Any,
    entity: Any,
    with_deleted: bool,
    label: str,
    joins: Joined | None = None,
    counts: list[ColumnElement[bool]] | None = None,
) -> ColumnElement[bool] | None:
    """A condition through relation ``key``, as TypeORM's find builds it (1.1.x):

    * a mapping or list: with ``joins``, its condition on the relation's joined alias;
      without, the related rows it matches must exist (an empty one adds nothing);
    * ``MoreThan``/``LessThan``/... on a one-to-many or many-to-many: the number of
      related rows (join-table rows for many-to-many, soft-deleted ones counted there;
      a one-to-many's soft-deleted rows left out);
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
            # bound through `_bind` (named in order for the statement cache, which
            # collects the same `count_value`)
            made: ColumnElement[bool] = _COUNT_OPERATORS[value.kind](
                _related_count(info, key, entity),
                _bind(count_value(value.value, label), Integer()),
            )
            if counts is None:
                return made
            counts.append(made)  # ANDed onto the whole query, outside any OR
            return None
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
    if isinstance(value, Mapping | list | tuple) and not value:
        return None  # TypeORM skips it: no join, no condition
    if joins is not None:
        # TypeORM joins the relation (LEFT, or INNER on a required key) and puts the
        # condition on the joined alias (none for ``True``, a number, ...)
        child = joins.child(key)
        if not isinstance(value, Mapping | list | tuple):
            return None
        return compile_where(
            target, value, child.alias, with_deleted=with_deleted, joins=child, counts=counts
        )
    if not isinstance(value, Mapping | list | tuple):
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
    if rel.secondary is None:
        # TypeORM's count is a builder of the related entity, which leaves its
        # soft-deleted rows out whatever the outer query's withDeleted
        target = entity_info(rel.mapper.class_)
        if target.delete_date is not None:
            deleted = other.corresponding_column(target.columns[target.delete_date])
            assert deleted is not None
            conditions.append(deleted.is_(None))
    return select(func.count()).select_from(other).where(*conditions).scalar_subquery()


#: the operators a relation count takes (``{books: MoreThan(1)}``)
COUNT_KINDS = frozenset(_COUNT_OPERATORS)


def js_parse_int(value: Any) -> int | None:
    """JavaScript's ``parseInt``, which TypeORM applies to a relation count's value
    (None where it makes ``NaN``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if math.isfinite(value) else None
    match = _LEADING_INT.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def count_value(value: Any, label: str) -> int:
    """A relation count's value through `js_parse_int`; refused where it is ``NaN``."""
    found = js_parse_int(value)
    if found is None:
        raise FindOptionsError(f"'{label}': a relation count needs a number, not {value!r}")
    return found


class Joined:
    """A place of the join tree TypeORM's find builds for relations in ``where``: the
    alias of its entity and the relations joined from it."""

    def __init__(
        self, info: EntityInfo, alias: Any, with_deleted: bool, inner: bool = True
    ) -> None:
        self.info = info
        self.alias = alias
        self.with_deleted = with_deleted
        self.inner = inner  # how this place is joined to its parent (the root: INNER)
        self.children: dict[str, Joined] = {}

    def child(self, key: str) -> Joined:
        found = self.children.get(key)
        if found is None:
            target = self.info.target(key)
            # the relationship's own class (a single-table child's root: no discriminator)
            alias = aliased(self.info.relations[key].mapper.class_)
            found = Joined(target, alias, self.with_deleted, self._inner(key))
            self.children[key] = found
        return found

    def _inner(self, key: str) -> bool:
        """TypeORM 1.1's ``getRelationJoinType``: INNER for a many-to-one (or owning
        one-to-one) whose key is required, below INNER joins only, when the target has
        no delete date or deleted rows are wanted (the join then has no ``deletedAt``
        condition, and a required key always finds its row); else LEFT."""
        rel = self.info.relations[key]
        target = self.info.target(key)
        return (
            self.inner
            and rel.direction is MANYTOONE
            and not any(c.nullable for c in rel.local_columns)
            and (target.delete_date is None or self.with_deleted)
        )

    def _on(self, key: str, child: Joined, right: Any) -> tuple[Any, Any]:
        """(what is joined, ON condition) for relation ``key`` to ``child``, whose own
        joins are already in ``right``."""
        rel = self.info.relations[key]
        target = child.info
        alive: list[ColumnElement[bool]] = []
        if not self.with_deleted and target.delete_date is not None:
            alive.append(getattr(child.alias, target.delete_date).is_(None))

        def mine(col: Any) -> Any:
            return getattr(self.alias, self.info.mapper.get_property_by_column(col).key)

        def theirs(col: Any) -> Any:
            return getattr(child.alias, target.mapper.get_property_by_column(col).key)

        junction = rel.secondary
        if junction is not None:
            link = junction.alias()

            def linked(col: Any) -> Any:
                return link.corresponding_column(col)

            to_target = and_(
                *(theirs(t) == linked(j) for t, j in rel.secondary_synchronize_pairs or ()),
                *alive,
            )
            inner = link.join(right, to_target, isouter=True)
            on = and_(*(mine(p) == linked(j) for p, j in rel.synchronize_pairs))
            return inner, on
        pairs = [mine(local) == theirs(remote) for local, remote in rel.local_remote_pairs or ()]
        return right, and_(*pairs, *alive)

    def tree(self) -> Any:
        """This alias with its joins (a child's own joins nested in its join, as TypeORM
        nests them)."""
        out: Any = self.alias
        for key, child in self.children.items():
            right, on = self._on(key, child, child.tree())
            out = sa_join(out, right, on, isouter=not child.inner)
        return out


def _joins_relations(info: EntityInfo, where: Any) -> bool:
    """``where`` names a relation TypeORM joins with a condition on it."""
    if isinstance(where, Sequence) and not isinstance(where, str | bytes):
        return any(_joins_relations(info, w) for w in where)
    if not isinstance(where, Mapping):
        return False
    return any(
        info.attribute(str(key)) in info.relations
        and isinstance(value, Mapping | list | tuple)
        and bool(value)
        for key, value in where.items()
    )


def compile_find_where(
    info: EntityInfo, where: Any, *, with_deleted: bool = False
) -> ColumnElement[bool] | None:
    """``where`` as TypeORM's find evaluates it: through the LEFT (or INNER) joins of
    the relations it names, on each row of their product, a root row kept when one of
    its rows matches. A condition true on NULLs (``IsNull()`` on a related column)
    matches a row with no related row (or with only soft-deleted ones). Built as
    ``EXISTS (SELECT 1 FROM <the root row and its joins> WHERE ...)``, so rows are
    never multiplied. A relation count is ANDed onto the whole condition, outside the
    OR of a where list (TypeORM's ``andWhere`` of it), and a mapping holding nothing
    else is no branch of that OR."""
    counts: list[ColumnElement[bool]] = []
    if not _joins_relations(info, where):
        cond = compile_where(info, where, with_deleted=with_deleted, counts=counts)
        found = [c for c in (cond, *counts) if c is not None]
        return and_(*found) if found else None
    root = Joined(info, aliased(info.cls), with_deleted)
    cond = compile_where(
        info, where, root.alias, with_deleted=with_deleted, joins=root, counts=counts
    )
    same = and_(*(getattr(root.alias, k) == getattr(info.cls, k) for k in info.primary))
    sub: Select[Any] = select(literal_column("1")).select_from(root.tree()).where(same)
    if cond is not None:
        sub = sub.where(cond)
    for count in counts:
        sub = sub.where(count)
    return exists(sub)


def without_counts(info: EntityInfo, where: Any) -> Any:
    """``where`` without its relation counts at the top (TypeORM's conditions of the
    whole query, not of an OR branch's mapping); a list of mappings each without them."""
    if isinstance(where, list | tuple):
        return [without_counts(info, w) for w in where]
    if not isinstance(where, Mapping):
        return where
    out = {}
    for key, value in where.items():
        if isinstance(value, FindOperator) and value.kind in _COUNT_OPERATORS:
            try:
                kind, _ = info.resolve("", str(key))
            except UnknownProperty:
                kind = "unknown"  # compiling the where says so
            if kind == "relation":
                continue
        out[key] = value
    return out


def exists_root_where(
    info: EntityInfo,
    where: Any,
    pairs: Sequence[tuple[Any, Any]],
    *,
    with_deleted: bool = False,
) -> ColumnElement[bool] | None:
    """``EXISTS`` a row of ``info`` (an alias of its own, with the joins ``where``
    names) that matches ``where`` and whose column ``a`` equals ``b`` for each pair
    ``(a, b)`` of ``pairs`` (``a`` a column of ``info``'s table). None when ``where``
    sets no condition or a column of ``pairs`` is not one of ``info``'s."""
    key_of = {col: key for key, col in info.columns.items()}
    if any(a not in key_of for a, _ in pairs):
        return None
    root = Joined(info, aliased(info.cls), with_deleted)
    cond = compile_where(info, where, root.alias, with_deleted=with_deleted, joins=root)
    if cond is None:
        return None
    same = and_(*(getattr(root.alias, key_of[a]) == b for a, b in pairs))
    sub: Select[Any] = select(literal_column("1")).select_from(root.tree()).where(same, cond)
    return exists(sub)
