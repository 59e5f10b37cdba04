"""Constraints and indices, each with the exact name TypeORM gave it: stated, or left to
the package's naming convention where it is the rule's (`placement`)."""

from __future__ import annotations

from ormshift.codegen.naming import py_str
from ormshift.codegen.placement import EXPLICIT, Placement
from ormshift.codegen.source import Call, Expr, Imports, Seq
from ormshift.manifest import ForeignKey, Index, Manifest, Table
from ormshift.manifest.model import Deferrable

#: SQLAlchemy's ``create_all`` leaves out ``NO ACTION``, PostgreSQL's default.
_DEFAULT_ACTION = "NO ACTION"


def _deferrable(value: Deferrable | None) -> tuple[tuple[str, Expr], ...]:
    if value is None:
        return ()
    initially = "DEFERRED" if value == "INITIALLY DEFERRED" else "IMMEDIATE"
    return (("deferrable", "True"), ("initially", py_str(initially)))


def _names(columns: tuple[str, ...]) -> tuple[Expr, ...]:
    return tuple(py_str(c) for c in columns)


def _target(fk: ForeignKey, manifest: Manifest) -> str:
    if fk.referenced_schema and fk.referenced_schema != manifest.default_schema:
        return f"{fk.referenced_schema}.{fk.referenced_table}"
    return fk.referenced_table


def _name(name: str, where: Placement) -> tuple[tuple[str, Expr], ...]:
    return (("name", py_str(name)),) if where.named(name) else ()


def fk_actions(fk: ForeignKey) -> list[tuple[str, Expr]]:
    """The keywords of ``fk``'s actions and deferral that are not PostgreSQL's defaults."""
    actions = (("ondelete", fk.on_delete), ("onupdate", fk.on_update))
    kwargs = [(k, py_str(v)) for k, v in actions if v != _DEFAULT_ACTION]
    return [*kwargs, *_deferrable(fk.deferrable)]


def _fk_options(fk: ForeignKey, where: Placement) -> list[tuple[str, Expr]]:
    return [*_name(fk.name, where), *fk_actions(fk)]


def _foreign_key(fk: ForeignKey, manifest: Manifest, where: Placement) -> Call:
    target = _target(fk, manifest)
    refs = tuple(py_str(f"{target}.{c}") for c in fk.referenced_columns)
    return Call(
        "ForeignKeyConstraint",
        (Seq(_names(fk.columns), "[]"), Seq(refs, "[]"), *_fk_options(fk, where)),
    )


#: a column's ``ForeignKey`` objects and its ``unique``/``index`` flags (`column_items`)
ColumnItems = tuple[tuple[Expr, ...], tuple[tuple[str, Expr], ...]]


def column_items(
    column: str, manifest: Manifest, imports: Imports, where: Placement
) -> ColumnItems:
    """What `where` puts on ``column``: its ``ForeignKey`` objects, and ``unique=True`` /
    ``index=True``."""
    keys: list[Expr] = []
    for fk in where.column_fks.get(column, ()):
        imports.add("sqlalchemy", "ForeignKey")
        ref = py_str(f"{_target(fk, manifest)}.{fk.referenced_columns[0]}")
        keys.append(Call("ForeignKey", (ref, *_fk_options(fk, where))))
    flags: list[tuple[str, Expr]] = []
    if column in where.column_uniques:
        flags.append(("unique", "True"))
    if column in where.column_indices:
        flags.append(("index", "True"))
    return tuple(keys), tuple(flags)


def table_items(
    table: Table, manifest: Manifest, imports: Imports, where: Placement = EXPLICIT
) -> list[Expr]:
    """Everything that goes into ``__table_args__`` (or a `Table`) after the columns."""
    items: list[Expr] = []
    pk = table.primary_key
    if pk is not None and not where.implicit_pk:
        imports.add("sqlalchemy", "PrimaryKeyConstraint")
        items.append(Call("PrimaryKeyConstraint", (*_names(pk.columns), *_name(pk.name, where))))
    for fk in table.foreign_keys:
        if not where.on_column(fk):
            imports.add("sqlalchemy", "ForeignKeyConstraint")
            items.append(_foreign_key(fk, manifest, where))
    for uq in table.uniques:
        if where.on_column(uq):
            continue
        imports.add("sqlalchemy", "UniqueConstraint")
        items.append(
            Call(
                "UniqueConstraint",
                (*_names(uq.columns), *_name(uq.name, where), *_deferrable(uq.deferrable)),
            )
        )
    for chk in table.checks:
        imports.add("sqlalchemy", "CheckConstraint")
        items.append(Call("CheckConstraint", (py_str(chk.expression), *_name(chk.name, where))))
    for idx in table.indices:
        if where.on_column(idx):
            continue
        imports.add("sqlalchemy", "Index")
        name = py_str(idx.name) if where.named(idx.name) else "None"
        kwargs = index_kwargs(idx, imports)
        items.append(Call("Index", (name, *_names(idx.columns), *kwargs)))
    return items


def index_kwargs(idx: Index, imports: Imports) -> list[tuple[str, Expr]]:
    """What makes an index more than its columns: unique, gist, a partial predicate."""
    kwargs: list[tuple[str, Expr]] = []
    if idx.unique:
        kwargs.append(("unique", "True"))
    if idx.spatial:
        kwargs.append(("postgresql_using", py_str("gist")))
    if idx.where is not None:
        imports.add("sqlalchemy", "text")
        kwargs.append(("postgresql_where", Call("text", (py_str(idx.where),))))
    return kwargs


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def exclusion_ddl(table: Table) -> list[str]:
    """``ALTER TABLE`` statements for exclusion constraints, which have no declarative form."""
    target = (
        _quote(table.name)
        if table.schema is None
        else f"{_quote(table.schema)}.{_quote(table.name)}"
    )
    return [
        f"ALTER TABLE {target} ADD CONSTRAINT {_quote(exc.name)} EXCLUDE {exc.expression}"
        for exc in table.exclusions
    ]
