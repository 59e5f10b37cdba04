"""Golden tests: the exact generated source of every corpus set, then imported and run.

The source is compared byte for byte with ``tests/golden/<set>/*.py.golden``; then the
package is written, imported, and every mapper configured with warnings as errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint, inspect
from sqlalchemy import Table as SaTable
from sqlalchemy.orm import configure_mappers

from ormshift.codegen import render_package
from ormshift.manifest import Table
from ormshift.orm.metadata import entity_info

from ..conftest import CORPUS_SETS
from ..golden.support import GOLDEN, GOLDEN_SETS, generated, golden_manifest, imported

REGEN = os.environ.get("ORMSHIFT_REGEN_GOLDEN") == "1"


def test_every_corpus_set_has_a_golden_manifest() -> None:
    assert GOLDEN_SETS == CORPUS_SETS


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_generated_source_matches_golden(name: str) -> None:
    package = generated(name)
    folder = GOLDEN / name
    if REGEN:
        for old in folder.glob("*.py.golden"):
            old.unlink()
        for file, text in package.files.items():
            (folder / f"{file}.golden").write_text(text, "utf-8")
    expected = {
        p.name.removesuffix(".golden"): p.read_text("utf-8") for p in folder.glob("*.golden")
    }
    assert sorted(package.files) == sorted(expected)
    for file, text in package.files.items():
        assert text == expected[file], f"{name}/{file} differs from its golden copy"


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_generation_is_deterministic(name: str) -> None:
    manifest = golden_manifest(name)
    assert render_package(manifest).files == render_package(manifest).files


def key(table: Table, default_schema: str) -> str:
    """The key of ``table`` in ``MetaData.tables``."""
    schema = table.schema if table.schema != default_schema else None
    return f"{schema}.{table.name}" if schema else table.name


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_generated_package_imports_and_configures(name: str, tmp_path: Path) -> None:
    manifest = golden_manifest(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(generated(name), tmp_path) as pkg:
            configure_mappers()
            tables = pkg.Base.metadata.tables
            real = [t for t in manifest.tables if t.kind == "table"]
            ours = sorted(key(t, manifest.default_schema) for t in real)
            if any(t.kind == "view" for t in manifest.tables):  # TypeORM's bookkeeping too
                ours = sorted([*ours, "typeorm_metadata"])
            assert sorted(tables) == ours
            views = [t.name for t in manifest.tables if t.kind == "view" and t.view_expression]
            if views:
                assert [n.split(".")[-1].strip('"') for n, _ in pkg.VIEW_DEFINITIONS] == views
            for table in (t for t in manifest.tables if t.kind == "table"):
                assert [c.name for c in tables[key(table, manifest.default_schema)].columns] == [
                    c.name for c in table.columns
                ], f"column order of {table.name}"
            mapped = {m.class_.__name__ for m in pkg.Base.registry.mappers}
            classed = {e.name for e in manifest.entities if e.kind in ("regular", "sti-child")}
            assert mapped == classed


def _names(table: SaTable) -> dict[str, set[str | None]]:
    by_kind: dict[str, set[str | None]] = {"pk": {table.primary_key.name}, "fk": set()}
    by_kind.update(uq=set(), ck=set(), ix={i.name for i in table.indexes})
    for c in table.constraints:
        kind = {ForeignKeyConstraint: "fk", UniqueConstraint: "uq", CheckConstraint: "ck"}
        if type(c) in kind:
            by_kind[kind[type(c)]].add(c.name)
    return by_kind


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_every_name_is_typeorms(name: str, tmp_path: Path) -> None:
    """Names stated or left to the naming convention: each one TypeORM's."""
    manifest = golden_manifest(name)
    with imported(generated(name), tmp_path) as pkg:
        configure_mappers()
        for table in (t for t in manifest.tables if t.kind == "table"):
            expected: dict[str, set[str | None]] = {
                "pk": {table.primary_key.name if table.primary_key else None},
                "fk": {fk.name for fk in table.foreign_keys},
                "uq": {uq.name for uq in table.uniques},
                "ck": {ck.name for ck in table.checks},
                "ix": {ix.name for ix in table.indices},
            }
            ours = _names(pkg.Base.metadata.tables[key(table, manifest.default_schema)])
            assert ours == expected, table.name
        stated = sum(text.count('name="') for text in generated(name).files.values())
        every = sum(
            bool(t.primary_key) + len(t.foreign_keys) + len(t.uniques) + len(t.indices)
            for t in manifest.tables
        )
        if manifest.source.naming_strategy == "DefaultNamingStrategy":  # the rule's names
            assert stated < every / 4, "most names are left to the naming convention"
            assert "naming.py" in generated(name).files
        else:  # a strategy of the project's own: every name stated
            assert stated >= every


def test_blog_behaviour(tmp_path: Path) -> None:
    with imported(generated("blog"), tmp_path) as pkg:
        configure_mappers()
        post = inspect(pkg.Post)
        assert post.version_id_col is post.columns["version"]
        assert post.relationships["author"].back_populates == "posts"
        assert post.relationships["tags"].secondary is pkg.POST_TAGS_TAG
        assert inspect(pkg.Tag).relationships["posts"].back_populates == "tags"
        comments = post.relationships["comments"]
        assert comments.passive_deletes is True
        assert comments.cascade.save_update and not comments.cascade.delete
        assert inspect(pkg.Comment).relationships["author"].lazy == "joined"
        assert inspect(pkg.Comment).relationships["parent"].remote_side
        user = inspect(pkg.User)
        assert user.relationships["profile"].cascade.delete
        assert user.relationships["profile"].uselist is False
        assert post.columns["updated_at"].onupdate is not None
        # the key on its column, named by the convention; one path: no foreign_keys=
        (author_fk,) = post.columns["author_id"].foreign_keys
        assert author_fk.ondelete == "CASCADE"
        assert author_fk.constraint is not None
        assert author_fk.constraint.name == "FK_c6fb082a3114f35d0cc27c518e0"
        assert post.relationships["author"].local_columns == {post.columns["author_id"]}
        assert "foreign_keys" not in generated("blog").files["post.py"]
        assert post.local_table.primary_key.name == "PK_be5fda3aac270b134ff9c21cdee"
        # enums store the values, in the order TypeORM declared them
        status = post.columns["status"].type
        assert status.name == "post_status_enum"
        assert status.enums == ["draft", "in_review", "published", "archived"]
        assert pkg.PostStatus("in_review") is pkg.PostStatus.IN_REVIEW
        # embedded entities: flattened columns plus a composite accessor
        profile = pkg.Profile(home=pkg.embedded.Address("Main St", "Oslo", "0150", "NO"))
        assert profile.home_street == "Main St"
        assert profile.home.city == "Oslo"
        assert inspect(pkg.Profile).columns["home_postal_code"].name == "homePostalcode"
        assert profile.home.postal_code == "0150"


def test_shop_behaviour(tmp_path: Path) -> None:
    with imported(generated("shop"), tmp_path) as pkg:
        configure_mappers()
        order = inspect(pkg.Order)
        lines = order.relationships["lines"]
        assert lines.cascade.delete and lines.cascade.delete_orphan
        assert order.columns["status"].type is order.columns["status"].type
        status_type = inspect(pkg.OrderStatusChange).columns["to_status"].type
        assert status_type.name == "order_status"
        assert inspect(pkg.OrderLine).relationships["promotions"].secondary is (
            pkg.ORDER_LINE_PROMOTIONS
        )
        array = inspect(pkg.Customer).columns["phone_numbers"].type
        assert array.process_bind_param(["+47 1", "+47 2"], None) == "+47 1,+47 2"
        assert array.process_bind_param([], None) == ""
        assert array.process_result_value("a,b", None) == ["a", "b"]
        assert array.process_result_value("", None) == []
        json_type = inspect(pkg.Product).columns["dimensions"].type
        assert json_type.process_bind_param({"w": 1.0, "h": 2.5, "tags": ["é"]}, None) == (
            '{"w":1,"h":2.5,"tags":["é"]}'
        )
        assert json_type.process_result_value('{"w":1}', None) == {"w": 1}


def test_cms_behaviour(tmp_path: Path) -> None:
    with imported(generated("cms"), tmp_path) as pkg:
        configure_mappers()
        content = inspect(pkg.Content)
        assert content.polymorphic_on is content.columns["kind"]
        assert content.polymorphic_map["article"].class_ is pkg.Article
        assert content.polymorphic_map["video"].class_ is pkg.Video
        assert inspect(pkg.Article).single and inspect(pkg.Article).local_table is (
            content.local_table
        )
        # Article's relation lives on the root, as in TypeORM's root metadata: a find of
        # Content joins it; Video (a sibling) holds it in SQLAlchemy but not in TypeORM
        assert "hero_image" in content.relationships
        assert content.relationships["hero_image"].info["sti_owner"] == ("Article",)
        assert "hero_image" in entity_info(pkg.Content).relations
        assert "hero_image" in entity_info(pkg.Article).relations
        assert "hero_image" not in entity_info(pkg.Video).relations
        assert "category" in entity_info(pkg.Video).relations
        asset = inspect(pkg.Asset)
        assert asset.polymorphic_map["image"].class_ is pkg.ImageAsset
        assert asset.polymorphic_map["document"].class_ is pkg.DocumentAsset
        assert "category_closure" in pkg.Base.metadata.tables


def test_output_does_not_depend_on_hash_seed() -> None:
    script = (
        "import hashlib, pathlib; from ormshift.codegen import render_package; "
        "from ormshift.manifest import read; h = hashlib.sha256(); "
        f"p = pathlib.Path({str(GOLDEN)!r}); "
        "[h.update((k + v).encode()) for n in sorted(x.name for x in p.iterdir() "
        "if (x / 'manifest.json').is_file()) "
        "for k, v in render_package(read(p / n / 'manifest.json')).files.items()]; "
        "print(h.hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "2")
    }
    assert len(digests) == 1
