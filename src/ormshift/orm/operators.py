"""TypeORM's find operators, as small frozen values.

``where={"viewCount": MoreThan(5)}`` reads as in TypeORM. The functions carry
TypeORM's names (so ported code reads the same); `FindOperator.kind` is the lower camel
case name TypeORM uses internally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "And",
    "Any_",
    "ArrayContainedBy",
    "ArrayContains",
    "ArrayOverlap",
    "Between",
    "Equal",
    "FindOperator",
    "ILike",
    "In",
    "IsNull",
    "JsonContains",
    "LessThan",
    "LessThanOrEqual",
    "Like",
    "MoreThan",
    "MoreThanOrEqual",
    "Not",
    "Or",
    "Raw",
]

#: Operators whose value is itself a list of operators or values.
COMBINING = frozenset({"and", "or"})

#: Operators whose list is several parameters (TypeORM's ``multipleParameters``): a
#: transformer takes their items one by one, where it takes another operator's value
#: whole (`Any`'s array included)
MULTIPLE = COMBINING | {"between", "in", "raw"}


@dataclass(frozen=True)
class FindOperator:
    """One operator: its kind, its value, and (for `Raw`) the SQL and its parameters."""

    kind: str
    #: the operator's argument (a value, a list, operators), read by the where walkers
    value: Any = None
    sql: str | Callable[[str], str] | None = None
    params: Mapping[str, object] = field(default_factory=dict)


def Not(value: object) -> FindOperator:
    return FindOperator("not", value)


def Equal(value: object) -> FindOperator:
    return FindOperator("equal", value)


def LessThan(value: object) -> FindOperator:
    return FindOperator("lessThan", value)


def LessThanOrEqual(value: object) -> FindOperator:
    return FindOperator("lessThanOrEqual", value)


def MoreThan(value: object) -> FindOperator:
    return FindOperator("moreThan", value)


def MoreThanOrEqual(value: object) -> FindOperator:
    return FindOperator("moreThanOrEqual", value)


def Like(value: object) -> FindOperator:
    return FindOperator("like", value)


def ILike(value: object) -> FindOperator:
    return FindOperator("ilike", value)


def Between(low: object, high: object) -> FindOperator:
    return FindOperator("between", (low, high))


def In(values: Sequence[object]) -> FindOperator:
    return FindOperator("in", tuple(values))


def Any_(values: Sequence[object]) -> FindOperator:
    """TypeORM's ``Any``: ``column = ANY(:array)``."""
    return FindOperator("any", list(values))


def IsNull() -> FindOperator:
    return FindOperator("isNull")


def Raw(
    sql: str | Callable[[str], str], params: Mapping[str, object] | None = None
) -> FindOperator:
    """Raw SQL for one column: ``Raw("{alias} > :n", {"n": 5})`` or a callable of the alias.

    ``{alias}`` stands for the column, as TypeORM's ``Raw(alias => ...)`` callback
    receives it; values go in ``params`` and are bound, never spliced.
    """
    return FindOperator("raw", None, sql, dict(params or {}))


def ArrayContains(values: Sequence[object]) -> FindOperator:
    return FindOperator("arrayContains", list(values))


def ArrayContainedBy(values: Sequence[object]) -> FindOperator:
    return FindOperator("arrayContainedBy", list(values))


def ArrayOverlap(values: Sequence[object]) -> FindOperator:
    return FindOperator("arrayOverlap", list(values))


def JsonContains(value: object) -> FindOperator:
    return FindOperator("jsonContains", value)


def And(*operators: object) -> FindOperator:
    return FindOperator("and", tuple(operators))


def Or(*operators: object) -> FindOperator:
    return FindOperator("or", tuple(operators))
