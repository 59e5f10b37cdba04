"""Results made comparable: records with dates as UTC milliseconds, decimals as text,
volatile timestamps masked, lists sorted unless the query ordered them.

TypeORM's record is the reference shape: keys the Python side has beyond it (foreign
key columns TypeORM does not expose, back-populated relations) are dropped.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["VOLATILE", "canonical", "common", "conform", "normalize_value", "shape"]

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


def shape(reference: Any) -> Any:
    """The key tree of ``reference``: dicts as ``{key: shape}``, list items merged."""
    if isinstance(reference, Mapping):
        return {str(k): shape(v) for k, v in reference.items()}
    if isinstance(reference, list | tuple):
        merged: Any = None
        for item in reference:
            merged = _merge(merged, shape(item))
        return merged
    return None


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out.get(k), v)
        return out
    return a if b is None else b


def conform(reference_shape: Any, value: Any) -> Any:
    """``value`` with only the keys the reference has, recursively."""
    if isinstance(reference_shape, dict) and isinstance(value, Mapping):
        return {k: conform(reference_shape[k], v) for k, v in value.items() if k in reference_shape}
    if isinstance(value, list | tuple):
        return [conform(reference_shape, v) for v in value]
    return value


def common(a: Any, b: Any) -> tuple[Any, Any]:
    """``a`` and ``b`` restricted to the keys both have, recursively (lists pairwise)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = [k for k in a if k in b]
        pairs = {k: common(a[k], b[k]) for k in keys}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        pairs_list = [common(x, y) for x, y in zip(a, b, strict=True)]
        return [p[0] for p in pairs_list], [p[1] for p in pairs_list]
    return a, b
