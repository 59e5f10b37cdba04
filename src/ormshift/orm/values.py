"""Values as the column's type wants them: ISO text for a timestamp becomes a datetime."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime

__all__ = ["coerce_value"]


def coerce_value(value: Any, col: Any) -> Any:
    """``value`` for ``col``; ISO 8601 text on a timestamp column parsed (TypeORM accepts it)."""
    col_type = getattr(col, "type", None)
    if isinstance(value, str) and isinstance(col_type, DateTime):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if not col_type.timezone and parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
        return parsed
    return value
