"""Results made comparable: records with dates as UTC milliseconds, decimals as text,
volatile timestamps masked, lists sorted unless the query ordered them.

Nothing is dropped: a key only one side returns stays, and makes the two differ.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["VOLATILE", "canonical", "normalize_value"]

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


def normalize_value(
    value: Any, volatile: frozenset[str] = frozenset(), *, ordered: bool = True
) -> Any:
    """``value`` as plain JSON data with every representation difference removed."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, datetime.datetime):
        return _iso_ms(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
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
        return {
            str(k): (
                VOLATILE
                if str(k) in volatile and v is not None
                else normalize_value(v, volatile, ordered=False)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [normalize_value(v, volatile, ordered=False) for v in value]
        return items if ordered else sorted(items, key=canonical)
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
