"""Calls whose types are wrong: ``mypy --strict`` must report an error on every line
marked ``# wrong`` and on no other (tests/unit/test_orm_typing.py). Never run."""

from __future__ import annotations

from ormshift.orm import DataSource, EntityManager, Repository
from tests.models.blog import Post, Tag


def wrong(ds: DataSource, posts: Repository[Post], manager: EntityManager) -> None:
    a: list[Tag] = posts.find()  # wrong
    b: Post = posts.find_one(where={"id": 1})  # wrong
    c: str = posts.count()  # wrong
    d: Post = posts.save([Post()])  # wrong
    posts.find(wher={"id": 1})  # wrong
    posts.find(take="2")  # wrong
    posts.find(order={"id": "UP"})  # wrong
    posts.find_one(where={"id": 1}, skip=1)  # wrong
    e: Repository[Tag] = ds.get_repository(Post)  # wrong
    f: str = ds.transaction(lambda m: 1)  # wrong
    with ds.transaction() as m:
        g: str = m  # wrong
    h: tuple[list[Post], str] = posts.find_and_count()  # wrong
    i: list[Tag] = manager.find(Post)  # wrong
    posts.insert(3)  # wrong
    posts.delete(None)  # wrong
    j: int = posts.sum("viewCount")  # wrong
    k: str = ds.get_tree_repository(Tag).find_roots()  # wrong
    qb = posts.create_query_builder("post")
    q: list[Tag] = qb.get_many()  # wrong
    n: Post = qb.get_one()  # wrong
    qb.take("3")  # wrong
    o: Tag = ds.create_query_builder().from_(Post, "p").get_one_or_fail()  # wrong
    p: str = qb.where("post.id = :id", {"id": 1}).get_count()  # wrong
    print(a, b, c, d, e, f, g, h, i, j, k, n, o, p, q)
