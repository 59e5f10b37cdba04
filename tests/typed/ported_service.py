"""A service on `ormshift.orm` as a ported application writes it: no ``Any``, no cast,
no ``type: ignore``. Every result is assigned to a variable of the type it must have,
so ``mypy --strict`` fails here when a public signature loses its types
(tests/unit/test_orm_typing.py); tests/integration/test_orm_ported_service.py runs it."""

from __future__ import annotations

from ormshift.orm import (
    Brackets,
    DataSource,
    DeleteResult,
    EntityManager,
    EntitySubscriber,
    In,
    InsertEvent,
    InsertResult,
    MoreThan,
    Repository,
    UpdateResult,
    to_record,
)
from ormshift.orm.types import FindManyOptions, Row
from tests.models.blog import Post, Tag


class TagAudit(EntitySubscriber[Tag]):
    """Counts the tags inserted (a typed subscriber of one entity)."""

    def __init__(self) -> None:
        self.inserted: list[str] = []

    def listen_to(self) -> type[Tag]:
        return Tag

    def before_insert(self, event: InsertEvent[Tag]) -> None:
        entity = event.entity
        name = entity.name if isinstance(entity, Tag) else str(entity.get("name"))
        self.inserted.append(name)


class PostService:
    def __init__(self, ds: DataSource) -> None:
        self.ds = ds
        self.posts: Repository[Post] = ds.get_repository(Post)

    def published(self, take: int) -> list[str]:
        found: list[Post] = self.posts.find(
            where={"status": "published"},
            order={"publishedAt": "DESC", "author": {"username": "ASC"}},
            relations={"author": True},
            take=take,
        )
        return [post.slug for post in found]

    def by_slugs(self, slugs: list[str]) -> list[int]:
        options: FindManyOptions = {"where": {"slug": In(slugs)}, "order": {"id": "ASC"}}
        return [post.id for post in self.posts.find(**options)]

    def one(self, post_id: int) -> Post | None:
        found: Post | None = self.posts.find_one(where={"id": post_id}, with_deleted=True)
        return found

    def must(self, slug: str) -> Post:
        found: Post = self.posts.find_one_by_or_fail({"slug": slug})
        return found

    def page(self, skip: int, take: int) -> tuple[list[int], int]:
        found, total = self.posts.find_and_count(order={"id": "ASC"}, skip=skip, take=take)
        ids: list[int] = [post.id for post in found]
        counted: int = total
        return ids, counted

    def popular(self, views: int) -> int:
        return self.posts.count(where={"viewCount": MoreThan(views)})

    def has(self, slug: str) -> bool:
        return self.posts.exists_by({"slug": slug})

    def total_views(self) -> float | None:
        return self.posts.sum("viewCount", {"status": "published"})

    def retitle(self, slug: str, title: str) -> Post:
        post = self.must(slug)
        post.title = title
        saved: Post = self.posts.save(post)
        return saved

    def retitle_all(self, posts: list[Post], suffix: str) -> list[Post]:
        for post in posts:
            post.title += suffix
        saved: list[Post] = self.posts.save(posts)
        return saved

    def add_views(self, slugs: list[str], views: int) -> int:
        result: UpdateResult = self.posts.increment({"slug": In(slugs)}, "viewCount", views)
        return result.affected

    def set_excerpt(self, post_id: int, excerpt: str | None) -> int:
        return self.posts.update(post_id, {"excerpt": excerpt}).affected

    def add_tag(self, name: str, label: str) -> object:
        tags = self.ds.get_repository(Tag)
        made: InsertResult = tags.insert({"name": name, "label": label})
        first = made.identifiers[0]
        return None if first is None else first["id"]

    def drop_tag(self, name: str) -> int:
        gone: DeleteResult = self.ds.get_repository(Tag).delete({"name": name})
        return gone.affected

    def tag_names(self) -> list[str]:
        with self.ds.transaction() as manager:
            em: EntityManager = manager
            tags: list[Tag] = em.find(Tag, order={"name": "ASC"})
            return [tag.name for tag in tags]

    def counted_in_transaction(self) -> int:
        def work(manager: EntityManager) -> int:
            repo: Repository[Tag] = manager.get_repository(Tag)
            return repo.count() + manager.count(Post, with_deleted=True)

        total: int = self.ds.transaction(work, isolation="REPEATABLE READ")
        return total

    def new_tag(self, name: str) -> Tag:
        tag: Tag = self.ds.get_repository(Tag).create(name=name, label=name.title())
        return tag

    def record(self, slug: str) -> dict[str, object] | None:
        return to_record(self.must(slug))

    def unpublished_by(self, username: str) -> list[str]:
        found: list[Post] = (
            self.posts.create_query_builder("post")
            .inner_join("post.author", "author")
            .where("author.username = :name", {"name": username})
            .and_where(
                Brackets(
                    lambda qb: qb.where("post.status = :d", {"d": "draft"}).or_where(
                        "post.status = :r", {"r": "in_review"}
                    )
                )
            )
            .order_by("post.id", "ASC")
            .get_many()
        )
        return [post.slug for post in found]

    def first_tag(self) -> Tag | None:
        qb = self.ds.create_query_builder().select("tag").from_(Tag, "tag")
        first: Tag | None = qb.order_by("tag.name").take(1).get_one()
        return first

    def tag_page(self, take: int) -> tuple[list[str], int]:
        qb = self.ds.create_query_builder(Tag, "tag").order_by("tag.id").take(take)
        found, total = qb.get_many_and_count()
        return [tag.name for tag in found], total

    def tag_rows(self) -> list[Row]:
        qb = self.ds.create_query_builder(Tag, "t").select("t.name", "name")
        return qb.order_by("t.name").get_raw_many()

    def delete_tag_with_builder(self, name: str) -> int:
        qb = self.ds.create_query_builder().delete().from_(Tag)
        done: DeleteResult = qb.where("name = :n", {"n": name}).execute()
        return done.affected

    def raw(self) -> list[Row]:
        return self.ds.query("select count(*) as n from post where status = $1", ["draft"])
