"""One column as ``mapped_column(...)`` (in a model) or ``Column(...)`` (in a `Table`).

Everything PostgreSQL keeps about a column is stated: the type, nullability (through
the ``Mapped`` annotation in a model), the server default exactly as TypeORM declared
it, identity, serial (``autoincrement``) and generated expressions. What TypeORM does
with a column at run time (update and version columns, simple-json, simple-array) is
added from the entity layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ormshift.codegen.constraints import ColumnItems
from ormshift.codegen.naming import py_str
from ormshift.codegen.source import Call, Expr, Imports, Seq
from ormshift.codegen.types import ColumnType, bare, column_type
from ormshift.manifest import Column, EntityColumn, Table

_INTEGERS = frozenset({"smallint", "integer", "bigint"})
_SEQUENCE_TYPES = {"smallint": "SmallInteger", "integer": "Integer", "bigint": "BigInteger"}


@dataclass(frozen=True)
class RenderedColumn:
    call: Call
    python: str  # the Mapped[...] argument, with "| None" when nullable
    notes: tuple[str, ...] = ()  # what could not be carried over, said at that place
    after_create: tuple[str, ...] = ()  # DDL to run once the table exists


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _runtime_type(prop: EntityColumn | None, col: Column, imports: Imports) -> ColumnType | None:
    """simple-json / simple-array: a type decorator over the same physical type."""
    if prop is None or col.array or col.type != "text":
        return None
    if prop.declared_type == "simple-array":
        imports.add(".types", "SimpleArray")
        return ColumnType(bare(Call("SimpleArray")), "list[str]")
    if prop.declared_type == "simple-json":
        imports.add(".types", "SimpleJson")
        imports.add("typing", "Any")
        return ColumnType(bare(Call("SimpleJson")), "Any")
    return None


def _mapped_enum(col: Column, enum_types: dict[str, tuple[str, str]]) -> bool:
    """Whether ``col`` is one of the generated enum types, not in an array: its
    ``Mapped[...]`` annotation names that type's enum class, which ``enums.py`` maps to
    the type in ``Base.registry``'s type annotation map (one class per database type)."""
    return col.type == "enum" and not col.array and col.enum_name in enum_types


def _in_pk(col: Column, table: Table) -> bool:
    return table.primary_key is not None and col.name in table.primary_key.columns


def serial_outside_pk(col: Column, table: Table) -> bool:
    """A serial column SQLAlchemy will not make serial by itself (not a primary key)."""
    return col.generation == "increment" and not _in_pk(col, table)


def _autoincrement(col: Column, table: Table) -> Expr | None:
    """``True``/``False`` where SQLAlchemy's "auto" would not match what TypeORM made."""
    pk = table.primary_key
    if pk is None or col.name not in pk.columns or col.identity is not None:
        return None
    if col.generation == "increment":
        return "True" if len(pk.columns) > 1 else None
    if col.type in _INTEGERS and not col.array and pk.columns == (col.name,):
        return "False"
    return None


def _notes(
    col: Column, ctype: ColumnType, prop: EntityColumn | None, transformers: tuple[str, ...]
) -> list[str]:
    notes: list[str] = []
    if not ctype.exact:
        notes.append(
            f"column {col.name!r} has type {col.type!r}, which SQLAlchemy does not know; "
            "it is created verbatim and read as the driver returns it"
        )
    if transformers:
        assert prop is not None
        notes.append(
            f"property {prop.property_path!r} has TypeORM value transformers "
            f"({', '.join(transformers)}): fill in their classes in transformers.py "
            "(they raise until you do)"
        )
    elif prop is not None and prop.has_transformer:
        notes.append(
            f"property {prop.property_path!r} has a TypeORM value transformer; it runs in "
            "TypeScript and is not carried over: values are read and written as stored"
        )
    if prop is not None and not (prop.insert and prop.update):
        what = " and ".join(
            w for w, on in (("insert", prop.insert), ("update", prop.update)) if not on
        )
        notes.append(
            f"property {prop.property_path!r} is excluded from {what} in TypeORM "
            "(ormshift.orm leaves it out; a plain SQLAlchemy session writes it when set)"
        )
    return notes


def _renamed(attribute: str, typeorm: str | None) -> list[str]:
    """``"property"``: the column's TypeORM name (`plan.typeorm_name`) when the attribute
    is not that name (with ``.`` as ``_``): ormshift.orm accepts both."""
    if typeorm is None or attribute == typeorm.replace(".", "_"):
        return []
    return [f'"property": {py_str(typeorm)}']


def _behaviour(
    prop: EntityColumn | None,
    imports: Imports,
    owners: tuple[str, ...],
    attribute: str,
    typeorm: str | None,
) -> list[tuple[str, Expr]]:
    """What TypeORM does with the column at run time, in SQLAlchemy's words; what
    ``ormshift.orm`` must know besides goes in ``info``: the column's role, ``insert`` /
    ``update`` when TypeORM never writes it there, ``sti_owner``, the single-table
    classes declaring a column their root's table holds, its TypeORM name when the
    attribute differs, ``enum_numbers``, the values of a numeric TypeScript enum, and
    ``default_null``, a ``default: null`` that an insert returns."""
    if prop is None:
        renamed = _renamed(attribute, typeorm)
        return [("info", Seq(tuple(renamed), "{}"))] if renamed else []
    out: list[tuple[str, Expr]] = []
    if prop.role == "update-date":
        imports.add("sqlalchemy", "func")
        out.append(("onupdate", "func.now()"))
    if not prop.select:
        out.append(("deferred", "True"))
    info: list[str] = []
    if prop.role is not None:
        info.append(f'"typeorm": {py_str(prop.role)}')
    if not prop.insert:
        info.append('"insert": False')
    if not prop.update:
        info.append('"update": False')
    if owners:
        names = ", ".join(py_str(o) for o in owners)
        info.append(f'"sti_owner": ({names},)')
    info += _renamed(attribute, typeorm)
    if prop.relation_property and prop.property_path.startswith(prop.relation_property + "."):
        # a join column with no property of its own: TypeORM reports its changes as
        # the relation's (an update event's updated relations)
        info.append(f'"relation": {py_str(prop.relation_property)}')
    if prop.enum_numbers:  # a numeric TypeScript enum: TypeORM reads these as numbers
        numbers = ", ".join(py_str(n) for n in prop.enum_numbers)
        comma = "," if len(prop.enum_numbers) == 1 else ""
        info.append(f'"enum_numbers": ({numbers}{comma})')
    if prop.default_null:  # TypeORM's insert returns it, as a defaulted column
        info.append('"default_null": True')
    if info:
        out.append(("info", Seq(tuple(info), "{}")))
    return out


def render_column(
    col: Column,
    table: Table,
    imports: Imports,
    enum_types: dict[str, tuple[str, str]],
    *,
    attribute: str | None,
    prop: EntityColumn | None = None,
    owners: tuple[str, ...] = (),
    transformers: tuple[str, ...] = (),
    typeorm: str | None = None,
    items: ColumnItems = ((), ()),
) -> RenderedColumn:
    """``mapped_column(...)`` when ``attribute`` is given, else ``Column(...)``;
    ``typeorm``: the column's TypeORM name, said in ``info`` when the attribute differs;
    ``items``: its ``ForeignKey`` objects and ``unique``/``index`` (`column_items`)."""
    keys, flags = items
    annotations = imports if attribute is not None else None
    by_annotation = attribute is not None and not transformers and _mapped_enum(col, enum_types)
    if by_annotation:  # Base's type map gives the type: ``Mapped[OrderStatus]`` is enough
        constant, enum_class = enum_types[col.enum_name or ""]
        imports.add(".enums", enum_class)
        ctype = ColumnType(constant, enum_class)
    else:
        ctype = _runtime_type(prop, col, imports) or column_type(
            col, imports, enum_types, annotations, runtime=attribute is not None
        )
    args: list[Expr | tuple[str, Expr]] = []
    if attribute is None or attribute != col.name:
        args.append(py_str(col.name))
    if transformers and attribute is not None:
        imports.add("ormshift.orm", "Transformed")
        imports.add(".transformers", *transformers)
        args.append(Call("Transformed", (ctype.sa_type, *(f"{n}()" for n in transformers))))
    elif not by_annotation:
        args.append(ctype.sa_type)
    args += keys
    after: list[str] = []
    default = col.default if col.generation != "increment" else None
    if serial_outside_pk(col, table):
        sequence = f"{table.name}_{col.name}_seq"
        int_type = _SEQUENCE_TYPES.get(col.type, "Integer")
        imports.add("sqlalchemy", "Sequence", int_type)
        args.append(Call("Sequence", (py_str(sequence), ("data_type", int_type))))
        default = f"nextval({_quote(sequence)!r}::regclass)"
        owner = f"{_quote(table.name)}.{_quote(col.name)}"
        after.append(f"ALTER SEQUENCE {_quote(sequence)} OWNED BY {owner}")
    if col.identity is not None:
        imports.add("sqlalchemy", "Identity")
        args.append(Call("Identity", (("always", "True"),) if col.identity == "ALWAYS" else ()))
    if col.generated_expression is not None:
        imports.add("sqlalchemy", "Computed")
        args.append(Call("Computed", (py_str(col.generated_expression), ("persisted", "True"))))
    if _in_pk(col, table):
        args.append(("primary_key", "True"))
    auto = _autoincrement(col, table)
    if auto is not None:
        args.append(("autoincrement", auto))
    if attribute is None and not col.nullable and not _in_pk(col, table):
        args.append(("nullable", "False"))
    args += flags
    if default is not None:
        imports.add("sqlalchemy", "text")
        args.append(("server_default", Call("text", (py_str(default),))))
    if attribute is not None:
        args += _behaviour(prop, imports, owners, attribute, typeorm)
    if col.comment is not None:
        args.append(("comment", py_str(col.comment)))
    python = ctype.python + (" | None" if col.nullable else "")
    if attribute is None:
        imports.add("sqlalchemy", "Column")
    else:
        imports.add("sqlalchemy.orm", "Mapped", "mapped_column")
    func = "mapped_column" if attribute is not None else "Column"
    notes = tuple(_notes(col, ctype, prop, transformers if attribute is not None else ()))
    return RenderedColumn(Call(func, tuple(args)), python, notes, tuple(after))
