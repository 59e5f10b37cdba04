"""Canonical text of a value and of a row, built in SQL, so equal data hashes equal.

Two databases may store the same data in different text forms: ``{"a": 1.000}`` and
``{"a":1.0}`` in jsonb, ``1.50`` and ``1.5`` in numerics of different scale, the same
instant in two time zones, ``"a,b"`` (TypeORM ``simple-array``) and ``{a,b}`` (text[]).
Each column pair gets a *kind* that says how both sides render it so that equal values
give equal text; the row's text joins the columns with ``|``, prefixing free text with
its length so that no value can shift into its neighbour. A row hashes to a bigint with
``hashtextextended``; a segment's checksum is the row count and the sum of the hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from psycopg import sql

from ormshift.manifest import Column

Kind = Literal["json", "number", "timestamp", "bool", "float", "simple-array", "plain", "text"]

INTEGERS = frozenset({"smallint", "integer", "bigint"})
NUMBERS = INTEGERS | {"numeric"}
TIMESTAMPS = frozenset({"timestamp with time zone", "timestamp without time zone"})
JSONS = frozenset({"json", "jsonb"})
#: types whose text form never holds a ``|``, so needs no length prefix
PLAIN = (
    NUMBERS
    | TIMESTAMPS
    | {"uuid", "boolean", "date", "real", "double precision", "time without time zone"}
)
TEXTS = frozenset({"text", "character varying", "character", "citext", "name"})
FLOATS = frozenset({"real", "double precision"})
#: kinds that a MySQL/MariaDB source cannot render as PostgreSQL does, in SQL: compared
#: row by row in Python instead (JSON by meaning, floats by value)
NOT_PORTABLE: frozenset[str] = frozenset({"json", "float", "simple-array"})
_CONCAT_ARGS = 90  # PostgreSQL functions take at most 100 arguments


def kind_of(source: Column, target: Column, transform: str | None = None) -> Kind:
    """How a source column and its target column are both rendered for comparison."""
    if transform == "simple-json":
        return "json"
    if transform == "simple-array":
        return "simple-array"
    if source.array or target.array:
        return "text"
    if source.type in JSONS and target.type in JSONS:
        return "json"
    if source.type in NUMBERS and target.type in NUMBERS:
        return "number"
    if source.type in TIMESTAMPS and target.type in TIMESTAMPS:
        return "timestamp"
    if source.type == target.type == "boolean":
        return "bool"
    if source.type in FLOATS and target.type in FLOATS:
        return "float"
    if source.type == target.type and source.type in PLAIN:
        return "plain"
    return "text"


@dataclass(frozen=True)
class ColumnView:
    """One column of one side, with the kind agreed with the other side."""

    column: Column
    kind: Kind

    @property
    def name(self) -> str:
        return self.column.name


def canonical(view: ColumnView, portable: bool = False) -> sql.Composable:
    """The column's canonical text (NULL stays NULL).

    ``portable`` renders it as a MySQL/MariaDB or SQLite source renders its side
    (`ormshift.verify.dbapi`).
    """
    x = sql.Identifier(view.name)
    col = view.column
    if view.kind == "bool":
        return sql.SQL("{}::int::text").format(x)
    if portable and view.kind == "timestamp":
        utc = (
            sql.SQL("{} at time zone 'UTC'").format(x) if col.type.endswith("with time zone") else x
        )
        return sql.SQL("to_char({}, 'YYYY-MM-DD HH24:MI:SS.US')").format(utc)
    if view.kind == "json":
        # jsonb's hash is consistent with jsonb equality: key order, spacing and the
        # scale of numbers (1.000 = 1.0) do not change it
        return sql.SQL("jsonb_hash_extended({}::jsonb, 0)::text").format(x)
    if view.kind == "number" and col.type == "numeric":
        return sql.SQL("trim_scale({})::text").format(x)
    if view.kind == "timestamp" and col.type == "timestamp with time zone":
        return sql.SQL("({} at time zone 'UTC')::text").format(x)
    if view.kind == "simple-array" and not col.array:
        return sql.SQL("string_to_array({}, ',')::text").format(x)
    return sql.SQL("{}::text").format(x)


def display(view: ColumnView) -> sql.Composable:
    """The column's text as shown in a difference."""
    return sql.SQL("{}::text").format(sql.Identifier(view.name))


def _part(view: ColumnView, portable: bool) -> sql.Composable:
    expr = canonical(view, portable)
    if view.kind in ("text", "simple-array"):
        return sql.SQL("coalesce(octet_length({e}) || ':' || {e}, 'N')").format(e=expr)
    return sql.SQL("coalesce({}, 'N')").format(expr)


def row_text(views: Sequence[ColumnView], portable: bool = False) -> sql.Composable:
    """The row's canonical text: every column's part joined with ``|``."""
    parts: list[sql.Composable] = [_part(v, portable) for v in views] or [sql.SQL("''")]
    while len(parts) > _CONCAT_ARGS:
        parts = [
            sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(parts[i : i + _CONCAT_ARGS]))
            for i in range(0, len(parts), _CONCAT_ARGS)
        ]
    return sql.SQL("concat_ws('|', {})").format(sql.SQL(", ").join(parts))


def row_hash(views: Sequence[ColumnView], portable: bool = False) -> sql.Composable:
    """A bigint hash of the row's canonical text.

    Portable: the first 60 bits of its MD5, which MySQL/MariaDB compute alike.
    """
    if portable:
        return sql.SQL("('x' || substr(md5({}), 1, 15))::bit(60)::bigint").format(
            row_text(views, portable=True)
        )
    return sql.SQL("hashtextextended({}, 0)").format(row_text(views))
