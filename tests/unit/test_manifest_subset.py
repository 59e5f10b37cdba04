"""A manifest cut down to some tables (``extract --table``) stays consistent: every
golden manifest, cut to each one of its tables, has no dangling reference, and a cut
generates models that import and configure."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import configure_mappers

from ormshift.codegen import render_package
from ormshift.codegen.check import check_configures
from ormshift.manifest import UnknownTable, problems, restrict

from ..golden.support import GOLDEN_SETS, golden_manifest, imported


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_every_single_table_cut_of_every_golden_manifest_is_consistent(name: str) -> None:
    manifest = golden_manifest(name)
    assert problems(manifest) == []
    assert manifest.tables
    for table in manifest.tables:
        subset = restrict(manifest, [table.name])
        kept = [t.name for t in subset.manifest.tables]
        assert table.name in kept
        assert problems(subset.manifest) == [], (name, table.name)
        assert set(subset.added) == set(kept) - {table.name}
        # the order of the tables is the manifest's own
        assert kept == [t.name for t in manifest.tables if t.name in kept]


def test_foreign_keys_pull_in_what_they_reference() -> None:
    shop = golden_manifest("shop")
    subset = restrict(shop, ["order_line"])
    # order_line -> orders -> customer, warehouse -> country; order_line -> product
    assert {t.name for t in subset.manifest.tables} == {
        "order_line", "orders", "customer", "warehouse", "country", "product",
    }  # fmt: skip
    assert {e.name for e in subset.manifest.entities} == {
        "Product", "OrderLine", "Warehouse", "Order", "Customer", "Country",
    }  # fmt: skip
    # Order.statusChanges (to order_status_change) and OrderLine.promotions (a junction to
    # a table left out) are dropped, each said in a warning
    dropped = set(subset.dropped)
    assert "OrderLine.promotions" in dropped
    assert "Product.categories" in dropped
    assert any(d.startswith("Order.") for d in dropped)
    warned = {(w.entity, w.property) for w in subset.manifest.warnings if w.feature == "relation"}
    assert warned == {tuple(d.split(".", 1)) for d in dropped}
    order = subset.manifest.entity("Order")
    assert {r.target for r in order.relations} <= {e.name for e in subset.manifest.entities}


def test_a_junction_comes_along_when_both_ends_are_kept() -> None:
    blog = golden_manifest("blog")
    only_tag = restrict(blog, ["tag"])
    assert [t.name for t in only_tag.manifest.tables] == ["tag"]
    assert only_tag.dropped == ("Tag.posts",)
    both = restrict(blog, ["post", "tag"])
    assert "post_tags_tag" in {t.name for t in both.manifest.tables}
    assert "post_tags_tag" in both.added and "user" in both.added  # post -> user
    tag = both.manifest.entity("Tag")
    assert [r.property_name for r in tag.relations] == ["posts"]


def test_a_closure_table_comes_along_with_its_tree() -> None:
    cms = golden_manifest("cms")
    subset = restrict(cms, ["category"])
    assert {t.name for t in subset.manifest.tables} == {"category", "category_closure"}
    assert {e.name for e in subset.manifest.entities} == {"Category", "category_closure"}
    assert problems(subset.manifest) == []


def test_enum_types_follow_their_columns() -> None:
    blog = golden_manifest("blog")
    assert {e.name for e in restrict(blog, ["user"]).manifest.enums} == {"user_role_enum"}
    assert restrict(blog, ["tag"]).manifest.enums == ()


def test_an_unknown_name_says_which_names_there_are() -> None:
    shop = golden_manifest("shop")
    with pytest.raises(UnknownTable) as caught:
        restrict(shop, ["order_line", "Order", "nosuch"], "the project shop")
    message = str(caught.value)
    assert message.startswith("--table: the project shop has no table 'Order', 'nosuch'")
    assert "'Order' is an entity, its table is 'orders'" in message
    assert "it has category, country, customer, order_line" in message
    assert 'and 3 more (the manifest lists them all under "tables")' in message
    assert "\n" not in message


def test_a_cut_generates_models_that_configure(tmp_path: Path) -> None:
    subset = restrict(golden_manifest("shop"), ["order_line"])
    package = render_package(subset.manifest)
    with imported(package, tmp_path) as module:
        configure_mappers()
        names = {m.class_.__name__ for m in module.Base.registry.mappers}
    assert names == {"Product", "OrderLine", "Warehouse", "Order", "Customer", "Country"}


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_every_single_table_cut_generates_models_that_configure(name: str) -> None:
    """What generate --table runs: each cut's package imports and configure_mappers()
    accepts it (a relation left out takes its columns' relation with it)."""
    manifest = golden_manifest(name)
    for table in manifest.tables:
        package = render_package(restrict(manifest, [table.name]).manifest)
        assert package.files, (name, table.name)
        check_configures(package)  # raises CodegenError when they do not
