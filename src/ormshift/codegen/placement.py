"""Where each constraint and index of a table is written, and whether it states its name.

Under the package's naming convention (`naming_convention`), a name that follows
TypeORM's rule is left to the convention and only the others are written out. Then:

* the primary key is the columns' ``primary_key=True`` alone when its columns are in
  the table's order (as SQLAlchemy orders them);
* a single-column foreign key is a ``ForeignKey`` on its column;
* a single-column, non-deferrable unique constraint is the column's ``unique=True``;
* a single-column plain index (not unique, not partial, not spatial) is ``index=True``;
* everything else stays at table level. A one-to-one's ``REL_`` unique is never the
  rule's (``UQ_``) and keeps its name.

Without the convention (a migration states every name), everything is at table level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ormshift.codegen.naming_convention import typeorm_name
from ormshift.manifest import Check, ForeignKey, Index, Manifest, Table, UniqueConstraint


@dataclass(frozen=True)
class Placement:
    """One table's constraints: those placed on a column, and the names left to the
    convention."""

    implicit_pk: bool = False
    #: column -> its single-column foreign keys
    column_fks: dict[str, tuple[ForeignKey, ...]] = field(default_factory=dict)
    column_uniques: dict[str, UniqueConstraint] = field(default_factory=dict)
    column_indices: dict[str, Index] = field(default_factory=dict)
    #: the names the convention gives: not stated
    conventional: frozenset[str] = frozenset()

    def named(self, name: str) -> bool:
        """Whether ``name`` must be stated (``name=``)."""
        return name not in self.conventional

    def on_column(self, item: ForeignKey | UniqueConstraint | Index) -> bool:
        """Whether ``item`` is written on its column (not at table level)."""
        if isinstance(item, ForeignKey):
            return any(item in fks for fks in self.column_fks.values())
        if isinstance(item, UniqueConstraint):
            return item in self.column_uniques.values()
        return item in self.column_indices.values()


#: everything at table level, every name stated
EXPLICIT = Placement()


def conventional_names(table: Table) -> frozenset[str]:
    """The names of ``table``'s constraints and indices that TypeORM's rule gives."""
    names: set[str] = set()
    pk = table.primary_key
    if pk is not None and pk.name == typeorm_name("PK_", table.name, pk.columns):
        names.add(pk.name)
    items: list[tuple[str, ForeignKey | UniqueConstraint | Index]] = [
        *(("FK_", fk) for fk in table.foreign_keys),
        *(("UQ_", uq) for uq in table.uniques),
    ]
    for prefix, item in items:
        if item.name == typeorm_name(prefix, table.name, item.columns):
            names.add(item.name)
    for idx in table.indices:
        if idx.name == typeorm_name("IDX_", table.name, idx.columns, idx.where):
            names.add(idx.name)
    names |= {c.name for c in table.checks if _conventional_check(table, c)}
    return frozenset(names)


def _conventional_check(table: Table, check: Check) -> bool:
    return check.name == typeorm_name("CHK_", table.name, [check.expression])


def uses_convention(manifest: Manifest) -> bool:
    """Whether any name of ``manifest`` follows TypeORM's rule (else the package has no
    naming convention: a project with a naming strategy of its own)."""
    return any(conventional_names(t) for t in manifest.tables if t.kind == "table")


def placement(table: Table, convention: bool) -> Placement:
    """Where ``table``'s constraints go in a package with (or without) the convention."""
    if not convention:
        return EXPLICIT
    conventional = conventional_names(table)
    pk = table.primary_key
    in_order = pk is not None and list(pk.columns) == [
        c.name for c in table.columns if c.name in pk.columns
    ]
    implicit_pk = pk is not None and in_order and pk.name in conventional
    column_fks: dict[str, tuple[ForeignKey, ...]] = {}
    for fk in table.foreign_keys:
        if len(fk.columns) == 1:
            column_fks[fk.columns[0]] = (*column_fks.get(fk.columns[0], ()), fk)
    column_indices: dict[str, Index] = {}
    for idx in table.indices:
        plain = not (idx.unique or idx.where or idx.spatial or idx.concurrent)
        if plain and len(idx.columns) == 1 and idx.name in conventional:
            column_indices.setdefault(idx.columns[0], idx)
    column_uniques: dict[str, UniqueConstraint] = {}
    for uq in table.uniques:
        single = len(uq.columns) == 1 and uq.deferrable is None and uq.name in conventional
        if single and uq.columns[0] not in column_indices:  # index=True, unique=True: an index
            column_uniques.setdefault(uq.columns[0], uq)
    return Placement(implicit_pk, column_fks, column_uniques, column_indices, conventional)
