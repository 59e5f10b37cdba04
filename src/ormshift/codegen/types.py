"""PostgreSQL column types as SQLAlchemy type expressions and Python annotations.

`column_type` turns one manifest `Column` into the SQLAlchemy type that makes
``create_all`` emit exactly that type (length, precision, scale, time zone, arrays,
enum types), the Python type for ``Mapped[...]``, and the imports both need. A type
with no SQLAlchemy counterpart is kept verbatim through the generated package's
``PgType`` and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from ormshift.codegen.naming import py_str
from ormshift.codegen.source import Call, Expr, Imports
from ormshift.manifest import Column

_PG = "sqlalchemy.dialects.postgresql"

#: type -> (module, SQLAlchemy type, Python annotation, annotation import)
_SIMPLE: dict[str, tuple[str, str, str, str | None]] = {
    "text": ("sqlalchemy", "Text", "str", None),
    "smallint": ("sqlalchemy", "SmallInteger", "int", None),
    "integer": ("sqlalchemy", "Integer", "int", None),
    "bigint": ("sqlalchemy", "BigInteger", "int", None),
    "real": ("sqlalchemy", "REAL", "float", None),
    "double precision": ("sqlalchemy", "Double", "float", None),
    "boolean": ("sqlalchemy", "Boolean", "bool", None),
    "date": ("sqlalchemy", "Date", "datetime.date", "datetime"),
    "uuid": ("sqlalchemy", "Uuid", "uuid.UUID", "uuid"),
    "bytea": ("sqlalchemy", "LargeBinary", "bytes", None),
    "json": (".types", "PgJson", "Any", "typing"),  # the text as JSON.stringify writes it
    "jsonb": (_PG, "JSONB", "Any", "typing"),
    "inet": (_PG, "INET", "IPAddress", ".types"),
    "cidr": (_PG, "CIDR", "IPNetwork", ".types"),
    "macaddr": (_PG, "MACADDR", "str", None),
    "macaddr8": (_PG, "MACADDR8", "str", None),
    "money": (_PG, "MONEY", "str", None),
    "tsvector": (_PG, "TSVECTOR", "str", None),
    "oid": (_PG, "OID", "int", None),
    "citext": (_PG, "CITEXT", "str", None),
}
#: geometric types TypeORM reads as objects -> (generated type, Python type)
_GEOMETRY = {"point": ("PgPoint", "Point"), "circle": ("PgCircle", "Circle")}
_TIMES: dict[str, tuple[str, str, bool, str]] = {
    "timestamp without time zone": ("DateTime", "TIMESTAMP", False, "datetime.datetime"),
    "timestamp with time zone": ("DateTime", "TIMESTAMP", True, "datetime.datetime"),
    "time without time zone": ("Time", "TIME", False, "datetime.time"),
    "time with time zone": ("Time", "TIME", True, "datetime.time"),
}


@dataclass(frozen=True)
class ColumnType:
    """How one column is declared: SQLAlchemy type, Python type, and whether it is exact."""

    sa_type: Expr
    python: str
    exact: bool = True


def _annotation_import(imports: Imports | None, python: str, module: str | None) -> None:
    if imports is None:
        return
    if module == "typing" or (module is not None and module.startswith(".")):
        imports.add(module, python)
    elif module is not None:
        imports.add(module)


def _physical(col: Column, imports: Imports) -> ColumnType | None:
    """The plain SQLAlchemy type of a column whose models read it through a generated
    type (a migration only creates it, and imports nothing from the package)."""
    t = col.type
    if t == "interval":
        imports.add(_PG, "INTERVAL")
        prec = (("precision", str(col.precision)),) if col.precision is not None else ()
        return ColumnType(Call("INTERVAL", prec), "Any")
    if t == "json":
        imports.add(_PG, "JSON")
        return ColumnType(Call("JSON"), "Any")
    if t in _GEOMETRY:
        imports.add(".types", "PgType")
        return ColumnType(Call("PgType", (py_str(t),)), "Any")
    return None


def scalar_type(
    col: Column,
    imports: Imports,
    enum_types: dict[str, tuple[str, str]],
    annotations: Imports | None,
    *,
    runtime: bool = True,
) -> ColumnType:
    """The element type of ``col`` (arrays are wrapped by `column_type`); the imports the
    Python annotation needs go to ``annotations`` (none when it is None). Without
    ``runtime`` (a migration), the generated read types give way to plain ones."""
    t = col.type
    physical = None if runtime else _physical(col, imports)
    if physical is not None:
        return physical
    if t == "enum" and col.enum_name in enum_types:
        constant, enum_class = enum_types[col.enum_name]
        imports.add(".enums", constant)
        _annotation_import(annotations, enum_class, ".enums")
        return ColumnType(constant, enum_class)
    if t in _SIMPLE:
        module, sa_name, python, ann_module = _SIMPLE[t]
        imports.add(module, sa_name)
        _annotation_import(annotations, python, ann_module)
        return ColumnType(Call(sa_name), python)
    if t in ("character varying", "character"):
        sa_name = "String" if t == "character varying" else "CHAR"
        imports.add("sqlalchemy", sa_name)
        args: tuple[Expr, ...] = (str(col.length),) if col.length is not None else ()
        if col.collation:
            return ColumnType(Call(sa_name, (*args, ("collation", py_str(col.collation)))), "str")
        return ColumnType(Call(sa_name, args), "str")
    if t == "numeric":
        imports.add("sqlalchemy", "Numeric")
        _annotation_import(annotations, "decimal.Decimal", "decimal")
        nums = tuple(str(n) for n in (col.precision, col.scale) if n is not None)
        return ColumnType(Call("Numeric", nums), "decimal.Decimal")
    if t in _TIMES:
        generic, pg_name, tz, python = _TIMES[t]
        _annotation_import(annotations, python, "datetime")
        kwargs: tuple[tuple[str, Expr], ...] = (("timezone", "True"),) if tz else ()
        if col.precision is None:
            imports.add("sqlalchemy", generic)
            return ColumnType(Call(generic, kwargs), python)
        imports.add(_PG, pg_name)
        return ColumnType(Call(pg_name, (*kwargs, ("precision", str(col.precision)))), python)
    if t in _GEOMETRY:  # read as TypeORM's objects: {x, y}, {x, y, radius}
        sa_name, python = _GEOMETRY[t]
        imports.add(".types", sa_name)
        _annotation_import(annotations, python, ".types")
        return ColumnType(Call(sa_name), python)
    if t == "interval":  # read as the generated `Interval`: months stay months
        imports.add(".types", "PgInterval")
        _annotation_import(annotations, "Interval", ".types")
        prec = (("precision", str(col.precision)),) if col.precision is not None else ()
        return ColumnType(Call("PgInterval", prec), "Interval")
    imports.add(".types", "PgType")
    _annotation_import(annotations, "Any", "typing")
    return ColumnType(Call("PgType", (py_str(t),)), "Any", exact=False)


def bare(expr: Expr) -> Expr:
    """A type with no arguments as its class (``Integer``, not ``Integer()``): SQLAlchemy
    makes the instance."""
    return expr.func if isinstance(expr, Call) and not expr.args else expr


def column_type(
    col: Column,
    imports: Imports,
    enum_types: dict[str, tuple[str, str]],
    annotations: Imports | None = None,
    *,
    runtime: bool = True,
) -> ColumnType:
    """SQLAlchemy and Python types of ``col``; ``enum_types`` maps enum type names to
    their generated (SQLAlchemy constant, Python enum class); ``runtime`` as in
    `scalar_type`."""
    inner = scalar_type(col, imports, enum_types, annotations, runtime=runtime)
    inner = ColumnType(bare(inner.sa_type), inner.python, inner.exact)
    if not col.array:
        return inner
    imports.add(_PG, "ARRAY")
    return ColumnType(Call("ARRAY", (inner.sa_type,)), f"list[{inner.python}]", inner.exact)
