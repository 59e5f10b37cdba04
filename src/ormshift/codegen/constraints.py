"""Table-level constraints and indices, each with the exact name TypeORM gave it."""

from __future__ import annotations

from ormshift.codegen.naming import py_str
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


def _foreign_key(fk: ForeignKey, manifest: Manifest) -> Call:
    target = fk.referenced_table
    if fk.referenced_schema and fk.referenced_schema != manifest.default_schema:
        target = f"{fk.referenced_schema}.{target}"
    refs = tuple(py_str(f"{target}.{c}") for c in fk.referenced_columns)
    kwargs: list[tuple[str, Expr]] = [("name", py_str(fk.name))]
    if fk.on_delete != _DEFAULT_ACTION:
        kwargs.append(("ondelete", py_str(fk.on_delete)))
    if fk.on_update != _DEFAULT_ACTION:
        kwargs.append(("onupdate", py_str(fk.on_update)))
    kwargs += _deferrable(fk.deferrable)
    return Call(
        "ForeignKeyConstraint",
        (Seq(_names(fk.columns), "[]"), Seq(refs, "[]"), *kwargs),
    )


def table_items(table: Table, manifest: Manifest, imports: Imports) -> list[Expr]:
    """Everything that goes into ``__table_args__`` (or a `Table`) after the columns."""
    items: list[Expr] = []
    if table.primary_key is not None:
        imports.add("sqlalchemy", "PrimaryKeyConstraint")
        pk = table.primary_key
        items.append(Call("PrimaryKeyConstraint", (*_names(pk.columns), ("name", py_str(pk.name)))))
    for fk in table.foreign_keys:
        imports.add("sqlalchemy", "ForeignKeyConstraint")
        items.append(_foreign_key(fk, manifest))
    for uq in table.uniques:
        imports.add("sqlalchemy", "UniqueConstraint")
        items.append(
            Call(
                "UniqueConstraint",
                (*_names(uq.columns), ("name", py_str(uq.name)), *_deferrable(uq.deferrable)),
            )
        )
    for chk in table.checks:
        imports.add("sqlalchemy", "CheckConstraint")
        items.append(Call("CheckConstraint", (py_str(chk.expression), ("name", py_str(chk.name)))))
    for idx in table.indices:
        imports.add("sqlalchemy", "Index")
        kwargs = index_kwargs(idx, imports)
        items.append(Call("Index", (py_str(idx.name), *_names(idx.columns), *kwargs)))
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
