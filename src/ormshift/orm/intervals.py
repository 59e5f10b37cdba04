"""PostgreSQL ``interval`` values as node-postgres gives them, whichever way they are read.

psycopg reads an interval as a ``timedelta``, where a month is 30 days and a year 365:
``2 years 5 mons 31 days`` comes back as 911 days. node-postgres keeps the parts apart
(``{years: 2, months: 5, days: 31}``), and so does TypeORM. The ORM's own selects cast
the column to text (the generated ``PgInterval`` type); statements written as text (the
query builders, ``query``) cannot, so each connection of a `DataSource` reads intervals
with `IntervalText`: still a ``timedelta`` for whoever wants one, with the text
PostgreSQL sent beside it (`postgres_text`), from which `node_pg_interval` makes
node-postgres's object (from the days and time alone for a timedelta without it).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from psycopg.adapt import Buffer
from psycopg.types.datetime import IntervalLoader

__all__ = ["IntervalText", "keep_interval_text", "node_pg_interval", "postgres_text"]

#: PostgreSQL's ``postgres`` IntervalStyle (its default)
_PARTS = re.compile(
    r"^(?:([+-]?\d+) years? ?)?(?:([+-]?\d+) mons? ?)?(?:([+-]?\d+) days? ?)?"
    r"(?:([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?)?$"
)


class IntervalText(datetime.timedelta):
    """psycopg's ``timedelta`` of an interval, with the text it was read from."""

    postgres_text: str


class _TextKeepingLoader(IntervalLoader):
    def load(self, data: Buffer) -> datetime.timedelta:
        value = super().load(data)
        out = IntervalText(value.days, value.seconds, value.microseconds)
        out.postgres_text = bytes(data).decode()
        return out


def keep_interval_text(dbapi_connection: Any) -> None:
    """Read intervals on ``dbapi_connection`` (psycopg's, or SQLAlchemy's adapter of its
    asyncio connection) as `IntervalText`."""
    driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    adapters = getattr(driver, "adapters", None)
    if adapters is not None:
        adapters.register_loader("interval", _TextKeepingLoader)


def postgres_text(value: Any) -> str | None:
    """The text an interval ``value`` was read from, when it was kept."""
    return value.postgres_text if isinstance(value, IntervalText) else None


def node_pg_interval(value: datetime.timedelta) -> dict[str, Any]:
    """postgres-interval's object of an interval read as ``value``: from the text kept
    beside it (`IntervalText`), else from the timedelta's days and time (it has no
    months)."""
    text = postgres_text(value)
    return _nonzero(_from_text(text) if text is not None else _from_timedelta(value))


def _from_text(text: str) -> dict[str, Any]:
    """The parts of PostgreSQL's text (none when it is not in the ``postgres`` style)."""
    found = _PARTS.match(text.strip())
    if found is None:
        return {}
    years, months, days, sign, hours, minutes, seconds, fraction = found.groups()
    neg = -1 if sign == "-" else 1
    millis = int(fraction.ljust(6, "0")) / 1000 if fraction else 0
    return {
        "years": int(years or 0),
        "months": int(months or 0),
        "days": int(days or 0),
        "hours": neg * int(hours or 0),
        "minutes": neg * int(minutes or 0),
        "seconds": neg * int(seconds or 0),
        "milliseconds": neg * millis,
    }


def _from_timedelta(value: datetime.timedelta) -> dict[str, Any]:
    """The days and time parts of ``value``, node-postgres's signs."""
    sign = -1 if value < datetime.timedelta(0) and value.days >= -1 else 1
    if sign < 0:
        value = -value
    micros = value.seconds * 1_000_000 + value.microseconds
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, rest = divmod(rest, 1_000_000)
    return {
        "days": value.days * sign,
        "hours": hours * sign,
        "minutes": minutes * sign,
        "seconds": seconds * sign,
        "milliseconds": rest / 1000 * sign,
    }


def _nonzero(parts: dict[str, Any]) -> dict[str, Any]:
    """The parts that are not zero, whole numbers as ints (postgres-interval's object)."""
    return {k: (int(v) if float(v).is_integer() else v) for k, v in parts.items() if v}
