"""What the corpus lacks, on a hand-made manifest: every thing that is not carried over
is reported by entity and property and said in a comment at that place."""

from __future__ import annotations

import warnings
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.orm import configure_mappers

from ormshift.codegen import plan, render_package
from ormshift.manifest import (
    Column,
    Entity,
    EntityColumn,
    EnumType,
    Manifest,
    PrimaryKey,
    Source,
    Table,
)

from ..golden.features import HOSTILE, MANIFEST
from ..golden.support import generated, imported


def test_findings_name_entity_property_and_reason() -> None:
    found = {(f.entity, f.property): f.message for f in render_package(MANIFEST).findings}
    assert set(found) == {
        ("Gadget", "serialNo"),
        ("Gadget", "spot"),
        ("Gadget", "price"),
        ("Gadget", "views"),
    }
    assert "transformer" in found[("Gadget", "price")]
    assert "'box'" in found[("Gadget", "spot")]
    # the view is created by the models, with its SQL: nothing to say about it
    assert "SELECT id FROM gadget" in render_package(MANIFEST).files["views.py"]


def test_findings_are_comments_right_above_their_column() -> None:
    lines = render_package(MANIFEST).files["gadget.py"].splitlines()
    price = next(i for i, line in enumerate(lines) if line.startswith("    price: Mapped["))
    assert lines[price - 2].startswith("    # ormshift: property 'price' has a TypeORM value")
    spot = next(i for i, line in enumerate(lines) if line.startswith("    spot: Mapped["))
    assert lines[spot - 2].startswith("    # ormshift: column 'spot' has type 'box'")


def test_generated_features_import_and_map(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(MANIFEST), tmp_path) as pkg:
            configure_mappers()
            gadget = inspect(pkg.Gadget)
            assert gadget.attrs["secret"].deferred
            assert [m.value for m in pkg.GadgetKind] == ["a-b", "1x", "mro"]
            assert gadget.columns["code"].type.collation == "C"
            assert gadget.columns["price"].comment == "in cents"
            assert gadget.local_table.comment == "gadgets of all kinds"
            assert "gadget_view" not in pkg.Base.metadata.tables
            links = gadget.relationships["links"]
            assert links.secondary is pkg.GADGET_LINKS
            assert links.back_populates == "linked_from"
            assert "views" not in gadget.relationships


def test_hostile_names_stay_data(tmp_path: Path) -> None:
    """Names from the manifest never become code: quotes, keywords, dots, newlines."""
    manifest = HOSTILE
    package = render_package(manifest)
    for name, source in package.files.items():
        compile(source, name, "exec")
    with imported(package, tmp_path) as pkg:
        configure_mappers()
        table = pkg.Base.metadata.tables[HOSTILE.tables[0].name]
        assert [c.name for c in table.columns] == ["class", 'a"b', "metadata"]
        assert table.primary_key.name == 'PK_"x"'
        model = pkg.Ev_il___
        assert set(inspect(model).attrs.keys()) == {"class_", "a_b", "metadata_"}


def test_enum_class_never_shadows_a_model() -> None:
    manifest = Manifest(
        source=Source(kind="typeorm"),
        tables=(
            Table(
                name="order_status",
                columns=(
                    Column("id", "integer", nullable=False, generation="increment"),
                    Column("value", "enum", nullable=False, enum_name="order_status"),
                ),
                primary_key=PrimaryKey("PK_s", ("id",)),
            ),
        ),
        enums=(EnumType("order_status", ("open",)),),
        entities=(
            Entity(
                name="OrderStatus",
                table="order_status",
                columns=(EntityColumn("id", "id", "Number", primary=True),),
            ),
        ),
    )
    p = plan(manifest)
    assert p.model("OrderStatus").class_name == "OrderStatus"
    assert p.enums[0].class_name == "OrderStatus_"
    init = render_package(manifest).files["__init__.py"]
    assert "from .enums import OrderStatus_" in init


def test_enum_columns_take_their_type_from_the_annotation(tmp_path: Path) -> None:
    """``status: Mapped[OrderStatus] = mapped_column(...)`` with no type: the type map
    ``enums.py`` gives ``Base.registry`` makes it the named database type, nullable or
    not; an array of enums keeps its explicit ``ARRAY(...)``."""
    package = generated("shop")
    assert "ORDER_STATUS," not in package.files["order_status_change.py"]
    assert "ARRAY(PRODUCT_SHIPPINGMETHODS_ENUM)" in package.files["product.py"]
    with imported(package, tmp_path) as models:
        changes = models.OrderStatusChange.__table__.c
        for column, nullable in ((changes.fromStatus, True), (changes.toStatus, False)):
            assert (column.type.name, column.type.enum_class) == (
                "order_status",
                models.OrderStatus,
            )
            assert column.type.native_enum and column.type.metadata is models.Base.metadata
            assert column.type.enums == [s.value for s in models.OrderStatus]
            assert column.nullable is nullable
        methods = models.Product.__table__.c.shippingMethods.type.item_type
        assert methods.name == "product_shippingmethods_enum"
