"""The database state both sides left: every table's rows, in key order, normalised.

`snapshot` reads the rows (for a readable diff); `state_query` is one SQL statement that
makes the server digest every table (rows as text, volatile columns as set-or-null), so
that the fuzzer compares state after each write without moving the rows, and the
sidecar can run the same statement in the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.string import TextLoader

from ormshift.compare.normalize import canonical, normalize_value
from ormshift.db import catalog
from ormshift.dsn import connect

__all__ = ["TableSpec", "digest", "snapshot", "state_query", "table_specs"]


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # primary key columns; all columns when there is none
    schema: str = "public"

    @property
    def label(self) -> str:
        """The table's name, qualified by its schema when that is not ``public``."""
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Identifier:
        if self.schema == "public":
            return sql.Identifier(self.name)
        return sql.Identifier(self.schema, self.name)


def table_specs(conn: psycopg.Connection[Any]) -> list[TableSpec]:
    """The tables of every schema but the system's, with their columns and primary
    keys, by schema and name."""
    return [
        TableSpec(t.name, t.columns, t.primary_key or t.columns, t.schema)
        for t in catalog.user_tables(conn)
    ]


def snapshot(url: str, volatile: frozenset[str]) -> dict[str, Any]:
    """Every table's rows ordered by primary key, normalised as results are."""
    out: dict[str, Any] = {}
    with connect(url) as conn:
        # an interval as its text: psycopg's timedelta would count a month as 30 days
        conn.adapters.register_loader("interval", TextLoader)
        for spec in table_specs(conn):
            cur = conn.execute(
                sql.SQL("select * from {} order by {}").format(
                    spec.ident,
                    sql.SQL(", ").join(sql.Identifier(k) for k in spec.key),
                )
            )
            names = [d.name for d in cur.description or []]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            made = normalize_value(rows, volatile, ordered=True)
            if volatile & set(spec.key):
                # a key each side makes for itself (a random uuid): its order tells
                # nothing, the rows are compared as a set
                made = sorted(made, key=canonical)
            out[spec.label] = made
    return out


def state_query(specs: list[TableSpec], volatile: frozenset[str]) -> str:
    """SQL giving ``(table, rows, digest)`` per table; identifiers from the catalog."""
    parts = []
    for spec in specs:
        cols = sql.SQL(", ").join(
            sql.SQL("({0} is not null) as {0}").format(sql.Identifier(c))
            if c in volatile
            else sql.Identifier(c)
            for c in spec.columns
        )
        parts.append(
            sql.SQL(
                "select {name}::text as t, count(*)::int as n, "
                "md5(coalesce(string_agg(r::text, chr(10) order by r::text), '')) as d "
                "from (select {cols} from {table}) r"
            ).format(name=sql.Literal(spec.label), cols=cols, table=spec.ident)
        )
    return sql.SQL(" union all ").join(parts).as_string(None)


def digest(conn: psycopg.Connection[Any], query: str) -> dict[str, str]:
    """``{table: "rows:md5"}`` from `state_query`'s statement."""
    return {r[0]: f"{r[1]}:{r[2]}" for r in conn.execute(query.encode()).fetchall()}
