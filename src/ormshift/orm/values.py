"""Values as the column's type wants them, from TypeORM's spelling or Python's.

TypeORM hands the driver what it is given, and node-postgres sends it as text that
PostgreSQL casts: ``"5"`` is a ``bigint`` key, ``"12.50"`` a ``numeric``, ISO text a
timestamp. psycopg sends a Python ``str`` as ``character varying``, which PostgreSQL
does not compare with a number, so such text is turned into the Python value first:
digits into ``int`` for integer columns, numeric text into ``Decimal`` (``numeric``) or
``float`` (``real``, ``double precision``), ISO 8601 into ``datetime``. Text that is no
such value is left as it is (PostgreSQL then refuses it, as it refuses TypeORM's).

A number given for an enum column (a numeric TypeScript enum, ``kind: 1``) is its label,
``"1"``, as TypeORM sends it; SQLAlchemy's ``Enum`` takes labels, not numbers. A number
given for a text or uuid column is sent as JavaScript's ``String()`` of it too: PostgreSQL
reads ``"5"`` into a ``varchar`` (and refuses it for a ``uuid``: 22P02, as TypeORM's),
where psycopg's ``smallint`` would not be cast (42846, 42883).
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

from psycopg.types.range import Range
from sqlalchemy import DateTime, Enum, Float, Integer, Numeric, String, Uuid

__all__ = ["coerce_value", "number_sensitive", "same_value", "text_sensitive"]

_INTEGER = re.compile(r"\s*[-+]?\d+\s*")
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*|\s*(NaN|[-+]?Infinity)\s*")


def text_sensitive(col_type: Any) -> bool:
    """Whether text given for a column of ``col_type`` is turned into another value."""
    return isinstance(col_type, DateTime | Integer | Numeric)


def number_sensitive(col_type: Any) -> bool:
    """Whether a number given for a column of ``col_type`` is sent as its text."""
    return isinstance(col_type, String | Uuid) and not isinstance(col_type, Enum)


def _js_text(value: int | float) -> str:
    """JavaScript's ``String(value)`` for the numbers both spell alike (an integral
    float without its ``.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _number(value: str, col_type: Any) -> Any:
    if isinstance(col_type, Integer):
        return int(value) if _INTEGER.fullmatch(value) else value
    if not _NUMBER.fullmatch(value):
        return value
    text = value.strip()
    if isinstance(col_type, Float) or not getattr(col_type, "asdecimal", True):
        return float(text.replace("Infinity", "inf"))
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:  # "Infinity" with a sign: numeric has none before 14
        return value


def _label(value: int | float, col_type: Enum) -> Any:
    """The label JavaScript's ``String(value)`` gives, if the enum has it."""
    number = int(value) if isinstance(value, float) and value.is_integer() else value
    label = str(number)
    return label if label in col_type.enums else value


def coerce_value(value: Any, col: Any) -> Any:
    """``value`` for ``col``; text TypeORM would send as it is, parsed (see the module)."""
    col_type = getattr(col, "type", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(col_type, Enum):
            return _label(value, col_type)
        return _js_text(value) if number_sensitive(col_type) else value
    if not isinstance(value, str):
        return value
    if isinstance(col_type, DateTime):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if not col_type.timezone and parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
        return parsed
    if isinstance(col_type, Integer | Numeric):
        return _number(value, col_type)
    return value


def _range_text(value: Range[Any]) -> str:
    """A number or date range as PostgreSQL writes it (``[1,10)``, ``empty``)."""
    if value.isempty:
        return "empty"
    bounds = value.bounds or "[)"

    def bound(b: Any) -> str:
        return "" if b is None else b.isoformat() if isinstance(b, datetime.date) else str(b)

    return f"{bounds[0]}{bound(value.lower)},{bound(value.upper)}{bounds[1]}"


def same_value(stored: Any, given: Any) -> bool:
    """Whether ``given`` is the value the row has (``stored``, as read), as TypeORM's
    change detection sees it: it has a range (a column type node-postgres has no parser
    for) as PostgreSQL's text and compares that text with the text given, so ``"empty"``
    is the stored empty range, and ``"[1, 10)"`` (not PostgreSQL's spelling) is not."""
    if isinstance(stored, Range) and isinstance(given, str):
        return _range_text(stored) == given
    return bool(stored == given)
