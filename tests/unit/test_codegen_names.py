"""No generated name shadows another in its scope: an attribute named like anything a
generated module uses (``text``, ``func``, ``Column``, ``relationship``, ...) gets a free
name and keeps its database name; and the list of such names covers every import."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import configure_mappers
from sqlalchemy.schema import CreateTable

from ormshift.codegen import ATTRIBUTE_NAMES, AttributeNames, plan, render_package
from ormshift.codegen.naming import MODULE_NAMES, snake_case
from ormshift.codegen.plan import FIXED_MODULES
from ormshift.manifest import (
    Column,
    Embedded,
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
from ormshift.orm.metadata import entity_info

from ..golden.support import GOLDEN_SETS, generated, golden_manifest, imported

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


@pytest.mark.parametrize("names", ATTRIBUTE_NAMES)
def test_attributes_never_shadow_a_module_name(tmp_path: Path, names: AttributeNames) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(HOSTILE, attribute_names=names), tmp_path) as pkg:
            configure_mappers()
            thing = inspect(pkg.Thing)
            for name in NAMES:
                attr = thing.get_property_by_column(pkg.Thing.__table__.c[name]).key
                stem = name if names == "typeorm" else snake_case(name)
                assert attr not in MODULE_NAMES and attr.startswith(stem), (name, attr)
                # the database name is kept, and so is the TypeORM name when renamed
                assert pkg.Thing.__table__.c[name].info.get("property", attr) == name
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


def _column(name: str) -> Column:
    return Column(name, "integer", nullable=True)


#: properties whose Python names collide: with each other (``userId`` / ``user_id``; a
#: plain ``homePostalCode`` and the embedded ``home.postalCode`` / ``home.postal_code``),
#: with a reserved name (``Metadata`` -> ``metadata``) and with a module name (``Text`` ->
#: ``text``); an embeddable whose fields collide (``postalCode`` / ``postal_code``)
CLASHING = Manifest(
    source=Source(kind="typeorm", project="clashing"),
    tables=(
        Table(
            name="clash",
            columns=(
                Column("id", "integer", nullable=False, generation="increment"),
                *(
                    _column(n)
                    for n in ("userId", "user_id", "hpc", "homePostalCode", "homePostal_code",
                              "Metadata", "Text", "viewCount")
                ),
            ),
            primary_key=PrimaryKey("PK_clash", ("id",)),
        ),
    ),
    entities=(
        Entity(
            name="Clash",
            table="clash",
            columns=(
                EntityColumn("id", "id", "Number", primary=True, generation="increment"),
                *(
                    EntityColumn(n, n, "Number", nullable=True)
                    for n in ("userId", "user_id", "Metadata", "Text")
                ),
                EntityColumn("homePostalCode", "hpc", "String", nullable=True),
                EntityColumn("home.postalCode", "homePostalCode", "String", nullable=True,
                             embedded_path="home"),
                EntityColumn("home.postal_code", "homePostal_code", "String", nullable=True,
                             embedded_path="home"),
                EntityColumn("count", "viewCount", "Number", nullable=True),
            ),
            embeddeds=(Embedded("home", "Address"),),
        ),
    ),
)  # fmt: skip


def test_colliding_python_names_resolve_deterministically() -> None:
    model = plan(CLASHING).model("Clash")
    # a member whose TypeORM name is the snake name keeps it; the others take the next
    # free one in the table's order, and their TypeORM names go to info["property"]
    assert model.columns == {
        "id": "id",
        "userId": "user_id_",
        "user_id": "user_id",
        "hpc": "home_postal_code_",
        "homePostalCode": "home_postal_code_2",
        "homePostal_code": "home_postal_code",
        "Metadata": "metadata_",
        "Text": "text_",
        "viewCount": "count",
    }
    assert model.composites[0].fields == (
        ("postal_code", "homePostalCode"),
        ("postal_code_", "homePostal_code"),
    )
    assert render_package(CLASHING).files == render_package(CLASHING).files


def test_ormshift_orm_takes_either_name_of_a_colliding_member(tmp_path: Path) -> None:
    model = plan(CLASHING).model("Clash")
    with imported(render_package(CLASHING), tmp_path) as pkg:
        configure_mappers()
        table = pkg.Clash.__table__
        info = entity_info(pkg.Clash)
        for column, attribute in model.columns.items():
            prop = next(c for c in CLASHING.entities[0].columns if c.column == column)
            typeorm = prop.property_path.replace(".", "_")
            assert inspect(pkg.Clash).get_property_by_column(table.c[column]).key == attribute
            # each TypeORM name and each attribute names one member, the same one
            assert info.attribute(attribute) == attribute
            assert info.attribute(typeorm) == attribute
            assert info.property_of(attribute) == typeorm
        # an embedded column by its path, in either form, under either prefix
        assert info.path("home", "postalCode") == "home_postal_code_2"
        assert info.path("home", "postal_code") == "home_postal_code"
        assert info.resolve("", "home") == ("embedded", "home")
        assert info.attribute("viewCount") == "viewCount"  # a column name, no member's


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_both_attribute_names_give_the_same_schema(name: str, tmp_path: Path) -> None:
    """Only the attributes differ: every table, column, constraint and index is the same."""
    ddl = []
    for names in ATTRIBUTE_NAMES:
        package = render_package(golden_manifest(name), attribute_names=names)
        (tmp_path / names).mkdir()
        with imported(package, tmp_path / names) as pkg:
            tables = pkg.Base.metadata.sorted_tables
            ddl.append([str(CreateTable(t).compile(dialect=postgresql.dialect())) for t in tables])
    assert ddl[0] == ddl[1]


def test_typeorm_attribute_names_are_the_properties(tmp_path: Path) -> None:
    package = render_package(golden_manifest("blog"), attribute_names="typeorm")
    with imported(package, tmp_path) as pkg:
        assert {"viewCount", "authorId", "seo_metaTitle"} <= set(inspect(pkg.Post).attrs.keys())
        assert pkg.Post.__table__.c["viewCount"].info.get("property") is None
