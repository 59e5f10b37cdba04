"""Results made comparable: records with dates as UTC milliseconds, decimals as text,
volatile timestamps masked, lists sorted unless the query ordered them.

Each column type has one Python type on ormshift's side and one JSON form on TypeORM's,
and both become the same plain value here (docs/orm.md, "Values"):

* ``time``/``timetz``: ``datetime.time`` as PostgreSQL writes it, TypeORM's text
  (``"06:39:00+00"``, ``"13:09:00.5"``, ``"01:00:00+05:30"``);
* a value with a ``typeorm_value()`` method (the generated ``Interval``): that, TypeORM's
  object (``{"months": 1, "days": 2}``);
* ``bigint``: ``int`` becomes TypeORM's text in `typeorm_column_value`, which knows
  the column (an ``int`` is only text where the column is a ``bigint``);
* number and date ranges: psycopg's ``Range`` as PostgreSQL writes it, TypeORM's text
  (``"[1,10)"``, ``"(,5]"``, ``"empty"``);
* ``numeric``: ``Decimal`` as text, dates as ISO dates, uuids as text, bytes as hex.

Nothing is dropped: a key only one side returns stays, and makes the two differ.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import re
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from psycopg.types.range import Range
from sqlalchemy import BigInteger
from sqlalchemy.dialects.postgresql import ARRAY

__all__ = [
    "VOLATILE",
    "canonical",
    "normalize_value",
    "pg_range",
    "pg_time",
    "typeorm_column_value",
]

VOLATILE = "<set>"
_ISO_HINT = ("T", "-", ":")


def _iso_ms(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    value = value.astimezone(datetime.UTC)
    value = value.replace(microsecond=(value.microsecond // 1000) * 1000)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _maybe_date(text: str) -> str:
    if len(text) < 19 or not all(h in text for h in _ISO_HINT) or text[4] != "-":
        return text
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return _iso_ms(parsed)


def pg_time(value: datetime.time) -> str:
    """``value`` as PostgreSQL writes a ``time``/``timetz`` (and TypeORM returns it)."""
    text = value.replace(tzinfo=None).isoformat()
    if "." in text:
        text = text.rstrip("0")
    offset = value.utcoffset()
    if offset is None:
        return text
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    zone = f"{sign}{hours:02d}" + (f":{minutes:02d}" if minutes or seconds else "")
    return text + zone + (f":{seconds:02d}" if seconds else "")


def pg_range(value: Range[Any]) -> str:
    """A number or date range as PostgreSQL writes it (and TypeORM returns it)."""
    if value.isempty:
        return "empty"
    bounds = value.bounds or "[)"

    def text(bound: Any) -> str:
        return (
            ""
            if bound is None
            else normalize_value(bound)
            if isinstance(bound, datetime.date)
            else str(bound)
        )

    return f"{bounds[0]}{text(value.lower)},{text(value.upper)}{bounds[1]}"


_JS_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
_JS_INT = re.compile(r"\s*([-+]?\d+)")


def _enum_number(label: str, numbers: Collection[str]) -> Any:
    """TypeORM's read of an enum label: ``parseInt(label)`` when that is one of the
    numeric enum's values (and the label is a number at all), else the label."""
    if not _JS_NUMBER.fullmatch(label):
        return label
    found = _JS_INT.match(label)
    if found is None or str(int(found.group(1))) not in numbers:
        return label
    return int(found.group(1))


def typeorm_column_value(value: Any, col_type: Any, enum_numbers: Collection[str] = ()) -> Any:
    """ormshift's value of a column of ``col_type`` in TypeORM's form where only the
    column tells them apart: a ``bigint`` (and ``bigint[]``) is text; an enum label is a
    number where the TypeScript enum is numeric (``enum_numbers``, the column's
    ``info``)."""
    if isinstance(col_type, ARRAY) and isinstance(value, list):
        return [typeorm_column_value(v, col_type.item_type, enum_numbers) for v in value]
    if isinstance(col_type, BigInteger) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if enum_numbers and isinstance(value, str):
        return _enum_number(str(value), enum_numbers)
    return value


def normalize_value(
    value: Any,
    volatile: frozenset[str] = frozenset(),
    *,
    ordered: bool = True,
    keep: Mapping[str, Any] | None = None,
) -> Any:
    """``value`` as plain JSON data with every representation difference removed.

    A list is kept in its order when ``ordered``, else sorted; below it, the lists of
    the keys that ``keep`` (a find's ``order``) names with a mapping are kept in order
    too: the collections a find orders through their relation."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime.datetime):
        return _iso_ms(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return pg_time(value)
    if isinstance(value, Range):
        return pg_range(value)
    typeorm_value = getattr(value, "typeorm_value", None)
    if callable(typeorm_value):
        return normalize_value(typeorm_value(), volatile)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return normalize_value(value.value, volatile)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return _maybe_date(value)
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if str(k) in volatile and v is not None:
                out[str(k)] = VOLATILE
                continue
            sub = keep.get(str(k)) if keep is not None else None
            sub = sub if isinstance(sub, Mapping) else None
            out[str(k)] = normalize_value(v, volatile, ordered=sub is not None, keep=sub)
        return out
    if isinstance(value, list | tuple):
        items = [normalize_value(v, volatile, ordered=False, keep=keep) for v in value]
        return items if ordered else sorted(items, key=canonical)
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
