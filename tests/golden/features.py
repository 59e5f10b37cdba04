"""A small hand-made manifest with what the corpus does not have: a serial outside the
primary key, a generated column, a collation, comments, an unknown type, an exclusion
constraint, a view, a transformer, awkward enum labels, hidden columns, a many-to-many
from an entity to itself and a relation to an entity that is not mapped."""

from __future__ import annotations

from ormshift.manifest import (
    Column,
    Entity,
    EntityColumn,
    EnumType,
    Exclusion,
    ForeignKey,
    JoinColumn,
    Manifest,
    PrimaryKey,
    Relation,
    Source,
    Table,
)

GADGET = Table(
    name="gadget",
    comment="gadgets of all kinds",
    columns=(
        Column("id", "integer", nullable=False, generation="increment"),
        Column("serialNo", "bigint", nullable=False, generation="increment"),
        Column("code", "character varying", nullable=False, length=10, collation="C"),
        Column("doubled", "integer", nullable=True, generated_expression="(id * 2)"),
        Column("spot", "box", nullable=True),
        Column("price", "numeric", nullable=True, precision=8, scale=2, comment="in cents"),
        Column("secret", "text", nullable=True),
        Column("kind", "enum", nullable=False, enum_name="gadget_kind", default="'a-b'"),
    ),
    primary_key=PrimaryKey("PK_gadget", ("id",)),
    exclusions=(Exclusion("XCL_gadget_spot", "USING gist (spot WITH ~=)"),),
)

LINKS = Table(
    name="gadget_links",
    columns=(
        Column("fromId", "integer", nullable=False),
        Column("toId", "integer", nullable=False),
    ),
    primary_key=PrimaryKey("PK_gadget_links", ("fromId", "toId")),
    foreign_keys=(
        ForeignKey("FK_links_from", ("fromId",), "gadget", ("id",), on_delete="CASCADE"),
        ForeignKey("FK_links_to", ("toId",), "gadget", ("id",), on_delete="CASCADE"),
    ),
)

MANIFEST = Manifest(
    source=Source(kind="typeorm", project="features"),
    tables=(
        GADGET,
        LINKS,
        Table(
            name="gadget_view",
            kind="view",
            columns=(Column("id", "integer", nullable=True),),
            view_expression="SELECT id FROM gadget",
        ),
    ),
    enums=(EnumType("gadget_kind", ("a-b", "1x", "mro")),),
    entities=(
        Entity(
            name="Gadget",
            table="gadget",
            columns=(
                EntityColumn("id", "id", "Number", primary=True, generation="increment"),
                EntityColumn(
                    "serialNo", "serialNo", "bigint", generation="increment", insert=False
                ),
                EntityColumn("code", "code", "varchar"),
                EntityColumn("doubled", "doubled", "int", nullable=True),
                EntityColumn("spot", "spot", "box", nullable=True),
                EntityColumn("price", "price", "numeric", nullable=True, has_transformer=True),
                EntityColumn("secret", "secret", "text", nullable=True, select=False),
                EntityColumn(
                    "kind",
                    "kind",
                    "enum",
                    enum_values=("a-b", "1x", "mro"),
                    enum_name="gadget_kind",
                ),
            ),
            relations=(
                Relation(
                    "links",
                    "many-to-many",
                    "Gadget",
                    owning=True,
                    inverse_property="linkedFrom",
                    junction_table="gadget_links",
                    join_columns=(JoinColumn("fromId", "id"),),
                    inverse_join_columns=(JoinColumn("toId", "id"),),
                ),
                Relation(
                    "linkedFrom",
                    "many-to-many",
                    "Gadget",
                    owning=False,
                    inverse_property="links",
                    junction_table="gadget_links",
                ),
                Relation("views", "one-to-many", "GadgetView", owning=False),
            ),
        ),
        Entity(name="gadget_links", table="gadget_links", kind="junction"),
        Entity(name="GadgetView", table="gadget_view", kind="view"),
    ),
)

#: Names that must stay data: quotes, a keyword, reserved attribute names, newlines.
WEIRD_TABLE = 'we"ird\'""" \\ tab\nle'
HOSTILE = Manifest(
    source=Source(kind="typeorm", project='p"""'),
    tables=(
        Table(
            name=WEIRD_TABLE,
            columns=(
                Column("class", "integer", nullable=False, generation="increment"),
                Column('a"b', "text", nullable=True, default="'x''\"'"),
                Column("metadata", "text", nullable=True),
            ),
            primary_key=PrimaryKey('PK_"x"', ("class",)),
        ),
    ),
    entities=(
        Entity(
            name='Ev"il"""',
            table=WEIRD_TABLE,
            columns=(
                EntityColumn("class", "class", "Number", primary=True),
                EntityColumn('a"b', 'a"b', "text", nullable=True),
                EntityColumn("metadata", "metadata", "text", nullable=True),
            ),
        ),
    ),
)
