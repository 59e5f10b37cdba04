"""The generated models at work on real PostgreSQL: what TypeORM does at run time
(versions, update dates, enums by value, simple-array/-json text, cascades, orphans,
single-table inheritance) happens through SQLAlchemy too."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from ormshift.dsn import sqlalchemy_url

from ..conftest import require_extensions
from ..golden.support import generated, golden_manifest, imported


@pytest.fixture
def engine(fresh_db: str) -> Iterator[Engine]:
    eng = create_engine(sqlalchemy_url(fresh_db))
    try:
        yield eng
    finally:
        eng.dispose()


def models(name: str, tmp_path: Path, engine: Engine) -> Iterator[ModuleType]:
    # the corpus set's defaults may call an extension's functions (uuid_generate_v4)
    require_extensions(engine.url.set(drivername="postgresql"), golden_manifest(name).extensions)
    with imported(generated(name), tmp_path) as pkg:
        pkg.Base.metadata.create_all(engine)
        yield pkg


def test_blog_versions_dates_enums_and_many_to_many(tmp_path: Path, engine: Engine) -> None:
    for pkg in models("blog", tmp_path, engine):
        with Session(engine) as session:
            user = pkg.User(email="a@b.c", username="ann", display_name="Ann")
            post = pkg.Post(
                title="Hi",
                slug="hi",
                body="...",
                author=user,
                status=pkg.PostStatus.IN_REVIEW,
                tags=[pkg.Tag(name="t", label="T")],
            )
            session.add(post)
            session.commit()
            assert post.version == 1 and user.version == 1  # as TypeORM inserts it
            assert user.role == pkg.UserRole.READER  # server default, read back
            first_update = post.updated_at
            post.title = "Hello"
            session.commit()
            assert post.version == 2
            assert post.updated_at >= first_update
            raw = session.execute(text('select status::text, "noIndex" from post')).one()
            assert tuple(raw) == ("in_review", False)  # the value, not the member name
            assert [p.title for p in session.scalars(select(pkg.Tag)).one().posts] == ["Hello"]
            session.delete(user)  # the database cascades; nothing is loaded to delete
            session.commit()
            assert session.scalar(text("select count(*) from post")) == 0


def test_shop_simple_types_cascades_and_orphans(tmp_path: Path, engine: Engine) -> None:
    for pkg in models("shop", tmp_path, engine):
        with Session(engine) as session:
            norway = pkg.Country(code="NO", name="Norway", currency_code="NOK")
            session.add(pkg.Warehouse(code="MAIN", name="Main", country=norway))
            customer = pkg.Customer(
                email="c@d.e",
                full_name="Cy",
                country=norway,
                phone_numbers=["+47 1", "+47 2"],
                preferences={"news": True, "ratio": 1.0},
            )
            order = pkg.Order(order_number="O-1", customer=customer)
            order.lines = [
                pkg.OrderLine(
                    line_no=n, product_name="p", quantity=1, unit_price=decimal.Decimal(2)
                )
                for n in (1, 2)
            ]
            session.add(order)
            session.commit()
            row = session.execute(text('select "phoneNumbers", preferences from customer')).one()
            assert tuple(row) == ("+47 1,+47 2", '{"news":true,"ratio":1}')
            assert order.status == pkg.OrderStatus.PENDING and order.warehouse_code == "MAIN"
            order.lines.pop()  # orphanedRowAction: "delete"
            session.commit()
            assert session.scalar(text("select count(*) from order_line")) == 1
            session.delete(order)  # cascade: remove
            session.commit()
            assert session.scalar(text("select count(*) from order_line")) == 0


def test_cms_single_table_inheritance(tmp_path: Path, engine: Engine) -> None:
    for pkg in models("cms", tmp_path, engine):
        with Session(engine) as session:
            image = pkg.ImageAsset(
                file_name="a.png",
                mime_type="image/png",
                size_bytes=1,
                storage_key="k",
                width=1,
                height=1,
            )
            session.add_all(
                [
                    pkg.Article(title="A", slug="a", body="b", hero_image=image),
                    pkg.Video(title="V", slug="v", stream_url="u"),
                ]
            )
            session.commit()
            kinds = session.execute(text("select kind from content order by slug")).scalars()
            assert list(kinds) == ["article", "video"]
            assert session.scalar(text('select "assetType"::text from asset')) == "image"
            session.expunge_all()
            loaded = session.scalars(select(pkg.Content).order_by(pkg.Content.slug)).all()
            assert [type(c).__name__ for c in loaded] == ["Article", "Video"]
            assert isinstance(loaded[0].hero_image, pkg.ImageAsset)
