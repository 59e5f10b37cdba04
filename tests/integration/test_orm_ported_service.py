"""The typed ported service (tests/typed/ported_service.py) on the blog schema TypeORM
created: what mypy checked is what runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ormshift.orm import DataSource
from tests.models.blog import Post, Tag
from tests.models.db import BLOG_SEED as SEED
from tests.models.db import SchemaDatabase
from tests.typed.ported_service import PostService, TagAudit


@pytest.fixture
def audit() -> TagAudit:
    return TagAudit()


@pytest.fixture
def service(blog: SchemaDatabase, audit: TagAudit) -> Iterator[PostService]:
    with DataSource(blog.reset(SEED), size=2, subscribers=[audit]) as ds:
        yield PostService(ds)
        assert ds.pool_stats().checked_out == 0


def test_reads(service: PostService) -> None:
    assert service.published(2) == ["dancing", "bernoulli"]
    assert service.by_slugs(["building", "dancing", "nope"]) == [3, 6]
    deleted = service.one(5)
    assert deleted is not None and deleted.slug == "old-news"
    assert service.must("bernoulli").id == 2
    assert service.page(1, 2) == ([2, 3], 5)
    assert service.popular(50) == 2
    assert (service.has("dancing"), service.has("old-news")) == (True, False)
    assert service.total_views() == 242.0
    assert service.tag_names() == ["art", "eng", "math"]
    assert service.counted_in_transaction() == 3 + 6
    record = service.record("dancing")
    assert record is not None and record["slug"] == "dancing"
    assert service.raw() == [{"n": 1}]
    assert service.unpublished_by("bob") == ["building", "scaffolds"]
    first = service.first_tag()
    assert first is not None and first.name == "art"
    assert service.tag_page(2) == (["math", "eng"], 3)
    assert service.tag_rows() == [{"name": "art"}, {"name": "eng"}, {"name": "math"}]


def test_writes(service: PostService, audit: TagAudit) -> None:
    saved = service.retitle("building", "Built")
    assert isinstance(saved, Post) and saved.title == "Built"
    assert service.must("building").title == "Built"
    many = service.retitle_all([service.must("dancing"), service.must("scaffolds")], "!")
    assert [p.title for p in many] == ["Dancing!", "Scaffolds!"]
    assert service.must("scaffolds").title == "Scaffolds!"
    assert service.add_views(["building", "scaffolds"], 10) == 2
    assert service.must("building").viewCount == 15
    assert service.set_excerpt(4, "up") == 1
    assert service.must("scaffolds").excerpt == "up"
    new_id = service.add_tag("py", "Python")
    assert isinstance(new_id, int)
    assert audit.inserted == ["py"]
    assert service.tag_names() == ["art", "eng", "math", "py"]
    assert service.delete_tag_with_builder("py") == 1
    assert service.drop_tag("py") == 0
    made = service.new_tag("go")
    assert isinstance(made, Tag) and (made.name, made.label) == ("go", "Go")
    assert service.tag_names() == ["art", "eng", "math"]
