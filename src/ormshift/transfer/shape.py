"""What the target table checks on a row, read from its catalog for `ormshift.transfer.classify`.

Only what can be evaluated in SQL against a staged batch is described: NOT NULL
columns, CHECK expressions, foreign keys to other tables, and plain unique indexes. What
only a real insert can tell (triggers, exclusion constraints, expression or partial
unique indexes, partitions) makes the shape ``ordered``: then every suspect row is tried
in key order, as bisection would, instead of being set aside first.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import psycopg
from psycopg import sql

from ormshift.db import catalog
from ormshift.transfer.plan import TablePlan

ORD = "ormshift_ord"  # the staged row's position in the batch (key order)


@dataclass(frozen=True)
class Column:
    name: str
    fmt: str  # the target's type, with its modifier: varchar(4)
    base: str  # without it: character varying (the insert's assignment applies the rest)
    not_null: bool
    enum: bool
    collation: str | None  # SQL text of a non-default collation


@dataclass(frozen=True)
class ForeignKey:
    name: str
    full: bool  # MATCH FULL: a partly NULL key fails too
    columns: tuple[str, ...]
    parent: sql.Identifier
    parent_columns: tuple[str, ...]
    parent_name: str = ""


@dataclass(frozen=True)
class Unique:
    name: str  # the index, as the server's message names it
    columns: tuple[str, ...]
    shown: tuple[str, ...]  # its columns as its "Key (...)" detail shows them


@dataclass(frozen=True)
class Shape:
    """The target table of one `TablePlan`, as the classifier needs it."""

    target: sql.Identifier
    columns: tuple[Column, ...]  # the plan's target columns, in its order
    checks: tuple[tuple[str, str], ...]  # (name, expression), by name
    check_columns: tuple[str, ...]  # the columns the checks read
    foreign_keys: tuple[ForeignKey, ...]
    uniques: tuple[Unique, ...]  # plain unique indexes, all columns copied, index order
    ordered: bool  # something only a real insert in key order can tell
    unique_key: tuple[str, ...] = ()  # target columns no two rows of a batch share
    relation: str = ""  # the table's name, as the server's messages say it
    # every column of the table, in its order, when all are copied and none is generated:
    # then the server's "Failing row contains (...)" detail can be written out
    row_columns: tuple[str, ...] = ()


_cache: WeakKeyDictionary[psycopg.Connection, dict[tuple[str, str], Shape | None]] = (
    WeakKeyDictionary()
)


def shape_of(target: psycopg.Connection, table: TablePlan) -> Shape | None:
    """The shape of ``table``'s target (read once per connection), or None when an
    ``INSERT`` would not do what ``COPY`` does (rules) or a column name is taken."""
    per_conn = _cache.setdefault(target, {})
    key = (table.schema, table.target)
    if key not in per_conn:
        per_conn[key] = _read(target, table)
    return per_conn[key]


def _read(target: psycopg.Connection, table: TablePlan) -> Shape | None:
    rel = sql.Identifier(table.schema, table.target).as_string(target)
    traits = catalog.relation_traits(target, rel)
    if traits.rules or ORD in table.target_columns:
        return None  # COPY ignores rules, INSERT does not
    described = catalog.table_columns(target, rel)
    by_name = {
        c.name: Column(c.name, c.fmt, c.base, c.not_null, c.enum, c.collation) for c in described
    }
    every = tuple(c.name for c in described)
    whole = set(every) == set(table.target_columns) and not any(c.generated for c in described)
    copied = set(table.target_columns)
    ordered = traits.triggers or traits.exclusions or traits.kind != "r"
    fks: list[ForeignKey] = []
    for fk in catalog.foreign_keys_of(target, rel):
        if fk.self_reference:
            ordered = True  # a parent may come in the same batch
        elif not fk.deferred and set(fk.columns) <= copied:
            parent = sql.Identifier(fk.parent_schema, fk.parent)
            fks.append(
                ForeignKey(fk.name, fk.match_full, fk.columns, parent, fk.parent_columns, fk.parent)
            )
    uniques: list[Unique] = []
    for ix in catalog.unique_indexes(target, rel):
        if ix.plain and ix.columns and set(ix.columns) <= copied:
            uniques.append(Unique(ix.name, ix.columns, ix.shown))
        else:
            ordered = True
    found = catalog.check_constraints(target, rel)
    checks = tuple((c.name, c.expression) for c in found)
    check_columns = tuple(dict.fromkeys(col for c in found for col in c.columns))
    return Shape(
        target=sql.Identifier(table.schema, table.target),
        columns=tuple(by_name[c] for c in table.target_columns),
        checks=checks,
        check_columns=check_columns,
        foreign_keys=tuple(fks),
        uniques=tuple(uniques),
        ordered=ordered,
        # the source key, copied without a cast, cannot repeat within a batch
        unique_key=(
            table.target_key
            if all(o.cast is None for o in table.outputs if o.source in table.key)
            else ()
        ),
        relation=table.target,
        row_columns=every if whole else (),
    )
