"""No generated name shadows another in its scope: an attribute named like anything a
generated module uses (``text``, ``func``, ``Column``, ``relationship``, ...) gets a free
name and keeps its database name; and the list of such names covers every import."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.orm import configure_mappers

from ormshift.codegen import render_package
from ormshift.codegen.naming import MODULE_NAMES
from ormshift.codegen.plan import FIXED_MODULES
from ormshift.manifest import (
    Column,
    Entity,
    EntityColumn,
    ForeignKey,
    JoinColumn,
    Manifest,
    PrimaryKey,
    Relation,
    Source,
    Table,
)

from ..golden.support import GOLDEN_SETS, generated, imported

#: every name the generated modules use, as a column (a default makes `text(...)` appear
#: after each of them in the class body)
NAMES = sorted(MODULE_NAMES)

HOSTILE = Manifest(
    source=Source(kind="typeorm", project="names"),
    tables=(
        Table(
            name="thing",
            columns=(
                Column("id", "integer", nullable=False, generation="increment"),
                *(Column(n, "integer", nullable=False, default="1") for n in NAMES),
                Column("ownerId", "integer", nullable=True),
            ),
            primary_key=PrimaryKey("PK_thing", ("id",)),
            foreign_keys=(ForeignKey("FK_thing_owner", ("ownerId",), "owner", ("id",)),),
        ),
        Table(
            name="owner",
            columns=(Column("id", "integer", nullable=False, generation="increment"),),
            primary_key=PrimaryKey("PK_owner", ("id",)),
        ),
    ),
    entities=(
        Entity(
            name="Thing",
            table="thing",
            columns=(
                EntityColumn("id", "id", "Number", primary=True, generation="increment"),
                *(EntityColumn(n, n, "Number") for n in NAMES),
                EntityColumn(
                    "relationship.id", "ownerId", "Number", relation_property="relationship"
                ),
            ),
            relations=(
                Relation(
                    "relationship", "many-to-one", "Owner", owning=True,
                    inverse_property="mapped_column",
                    join_columns=(JoinColumn("ownerId", "id"),),
                ),
            ),
        ),
        Entity(
            name="Owner",
            table="owner",
            columns=(EntityColumn("id", "id", "Number", primary=True, generation="increment"),),
            relations=(
                Relation("mapped_column", "one-to-many", "Thing", owning=False,
                         inverse_property="relationship"),
            ),
        ),
    ),
)  # fmt: skip


def test_attributes_never_shadow_a_module_name(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(HOSTILE), tmp_path) as pkg:
            configure_mappers()
            thing = inspect(pkg.Thing)
            for name in NAMES:
                attr = thing.get_property_by_column(pkg.Thing.__table__.c[name]).key
                assert attr != name and attr.startswith(name), (name, attr)
            assert thing.relationships["relationship_"].back_populates == "mapped_column_"
            assert inspect(pkg.Owner).relationships["mapped_column_"].back_populates == (
                "relationship_"
            )


def test_module_names_cover_every_import() -> None:
    """The reserved list must name whatever the model modules import from SQLAlchemy or
    from the package's shared modules; a new import needs a new entry."""
    for name in GOLDEN_SETS:
        for file, source in generated(name).files.items():
            if not file.endswith(".py") or "/" in file or file[:-3] in FIXED_MODULES:
                continue
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, ast.ImportFrom) or node.module is None:
                    continue
                shared = node.level == 1 and node.module in ("base", "types")
                if node.module.startswith("sqlalchemy") or shared:
                    missing = {a.name for a in node.names} - MODULE_NAMES
                    assert not missing, f"{name}/{file} imports {missing}"


def test_a_table_named_twice_is_named_in_the_problem() -> None:
    from ormshift.manifest.validate import problems  # noqa: PLC0415

    twice = Manifest(
        source=Source(kind="typeorm"),
        tables=(HOSTILE.tables[1], Table(name="owner", schema="audit", columns=())),
    )
    assert problems(twice) == [
        "table 'owner' appears 2 times (schemas public, audit); table names must be unique"
    ]
