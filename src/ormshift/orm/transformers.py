"""Value transformers: TypeORM's column ``transformer`` as a SQLAlchemy type.

A transformer is any object with ``to_database(value)`` and ``from_database(value)``
(`ValueTransformer`, TypeORM's ``to`` and ``from``). It is attached by wrapping the
column's type::

    email: Mapped[str] = mapped_column("email", Transformed(String(120), Lowercase()))
    tags: Mapped[list[str]] = mapped_column(Transformed(Text(), Trim(), JsonText()))

`Transformed` is a ``TypeDecorator``, so SQLAlchemy applies it wherever the column's
values cross to the database, which is where TypeORM applies its transformers:

* ``to_database`` on every value written (insert, save, update, upsert: TypeORM's
  ``preparePersistentValue``, called for ``null`` too) and on every value a find
  option compares the column with: a plain value, the value of an operator, each
  value of ``In`` / ``Between``, and the whole array of ``Any`` (TypeORM's
  ``FindOperator.transformValue`` maps only operators of several parameters);
* ``from_database`` on every value read into an entity (finds, the values an insert
  or update returns: TypeORM's ``prepareHydratedValue``, called for ``null`` too);
* several transformers in order on the way in and in reverse order on the way out
  (TypeORM's ``ApplyValueTransformers``);
* whether a saved column changed is decided on the database side, as TypeORM's
  ``SubjectChangedColumnsComputer`` decides it: ``to_database(new) ==
  to_database(old)`` is no change.

A transformer that throws throws its own error, as TypeORM's does (not SQLAlchemy's
``StatementError`` around it: `TransformerFailed` carries it out of the statement, and
``errors.translated`` lets the original go). `before_flush` runs the transformers of
what a flush will write before the flush, so that one throwing fails the call before
any statement: SQLAlchemy rolls back the whole transaction when a flush fails midway,
where TypeORM's transaction goes on after its call threw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from ormshift.orm.operators import MULTIPLE, FindOperator

__all__ = [
    "Transformed",
    "TransformerFailed",
    "ValueTransformer",
    "apply_from",
    "apply_to",
    "before_flush",
    "flush",
    "has_transformers",
    "pattern_type",
    "transformers_of",
]


@runtime_checkable
class ValueTransformer(Protocol):
    """TypeORM's ``ValueTransformer``: ``to`` the database and ``from`` it."""

    def to_database(self, value: Any) -> Any: ...

    def from_database(self, value: Any) -> Any: ...


def apply_to(transformers: Sequence[ValueTransformer], value: Any) -> Any:
    """``value`` through every transformer's ``to_database``, in order."""
    for transformer in transformers:
        value = transformer.to_database(value)
    return value


def operator_to(transformers: Sequence[ValueTransformer], op: FindOperator) -> FindOperator:
    """``op`` with its value through ``transformers`` as TypeORM's
    ``FindOperator.transformValue`` puts it: an operator inside first, each item of an
    operator of several parameters, else the value whole (`IsNull`'s absent one too)."""
    value = op.value
    if isinstance(value, FindOperator):
        made: Any = operator_to(transformers, value)
    elif op.kind in MULTIPLE and isinstance(value, list | tuple):
        made = [
            operator_to(transformers, v)
            if isinstance(v, FindOperator)
            else apply_to(transformers, v)
            for v in value
        ]
    else:
        made = apply_to(transformers, value)
    return replace(op, value=made)


def apply_from(transformers: Sequence[ValueTransformer], value: Any) -> Any:
    """``value`` through every transformer's ``from_database``, last first."""
    for transformer in reversed(transformers):
        value = transformer.from_database(value)
    return value


class TransformerFailed(Exception):
    """A transformer's error, carried through SQLAlchemy's statement machinery."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class Transformed(TypeDecorator[Any]):
    """``impl`` with ``transformers`` applied on the way to and from the database."""

    impl = TypeEngine
    cache_ok = True

    def __init__(
        self, impl: TypeEngine[Any] | type[TypeEngine[Any]], *transformers: ValueTransformer
    ) -> None:
        if not transformers:
            raise TypeError("Transformed needs at least one transformer")
        for transformer in transformers:
            if not isinstance(transformer, ValueTransformer):
                raise TypeError(
                    f"{transformer!r} is not a value transformer: give an object with "
                    "to_database(value) and from_database(value)"
                )
        super().__init__()
        self.impl = impl() if isinstance(impl, type) else impl  # type: ignore[assignment]
        self.transformers: tuple[ValueTransformer, ...] = tuple(transformers)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        try:
            return apply_to(self.transformers, value)
        except Exception as exc:
            raise TransformerFailed(exc) from exc

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return apply_from(self.transformers, value)

    def compare_values(self, x: Any, y: Any) -> bool:
        """Equal on the database side (TypeORM compares ``to(new)`` with ``to(old)``)."""
        if x is None or y is None:
            return x is y
        return bool(apply_to(self.transformers, x) == apply_to(self.transformers, y))

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self  # every compared value goes through ``to_database``

    @property
    def python_type(self) -> type[object]:
        return object

    def __repr__(self) -> str:
        names = ", ".join(type(t).__name__ for t in self.transformers)
        return f"Transformed({self.impl_instance!r}, {names})"


def transformers_of(column: Any) -> tuple[ValueTransformer, ...]:
    """The transformers of a mapped column (none: ``()``)."""
    col_type = getattr(column, "type", None)
    return col_type.transformers if isinstance(col_type, Transformed) else ()


def pattern_type(column: Any, default: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a ``Like`` pattern on ``column`` binds as: the column's own when it has
    transformers (TypeORM transforms the pattern too), else ``default``."""
    col_type = getattr(column, "type", None)
    return col_type if isinstance(col_type, Transformed) else default


def has_transformers(cls: type[Any]) -> bool:
    """Whether any column of the mapped class ``cls`` has a transformer."""
    return any(isinstance(c.type, Transformed) for c in inspect(cls).columns)


@cache
def _transformed(mapper: Mapper[Any]) -> tuple[tuple[str, tuple[ValueTransformer, ...]], ...]:
    """The column attributes of ``mapper`` with transformers, and theirs."""
    return tuple(
        (prop.key, col.type.transformers)
        for prop in mapper.column_attrs
        for col in prop.columns[:1]
        if isinstance(col.type, Transformed)
    )


def before_flush(session: Session) -> None:
    """Run ``to_database`` on every transformed value the next flush of ``session``
    writes (a new entity's values, a changed one's changes); a transformer that throws
    throws here, before any statement (see the module)."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for key, transformers in _transformed(state.mapper):
            if key in state.dict and (state.key is None or key in state.committed_state):
                apply_to(transformers, state.dict[key])


def flush(session: Session) -> None:
    """``session.flush()``, its transformers run first (`before_flush`)."""
    before_flush(session)
    session.flush()
