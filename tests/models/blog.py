"""The blog corpus set (tests/corpus/blog) as SQLAlchemy models, written by hand.

Attributes are named as ormshift's code generator names them: after the TypeORM
property, embedded columns by their property path joined with ``_``. TypeORM's column
roles are in ``info={"typeorm": ...}``.
"""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import CHAR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


POST_STATUS = Enum("draft", "in_review", "published", "archived", name="post_status_enum")
USER_ROLE = Enum("reader", "author", "editor", "admin", name="user_role_enum")

POST_TAGS_TAG = Table(
    "post_tags_tag",
    Base.metadata,
    Column("postId", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tagId", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


def _created(tz: bool = False) -> Mapped[datetime.datetime]:
    return mapped_column(
        DateTime(timezone=tz), server_default=func.now(), info={"typeorm": "create-date"}
    )


def _updated(tz: bool = False) -> Mapped[datetime.datetime]:
    return mapped_column(
        DateTime(timezone=tz),
        server_default=func.now(),
        onupdate=func.now(),
        info={"typeorm": "update-date"},
    )


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(50))
    displayName: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(USER_ROLE, server_default=text("'reader'"))
    lastLoginAt: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    createdAt: Mapped[datetime.datetime] = _created()
    updatedAt: Mapped[datetime.datetime] = _updated()
    deletedAt: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(), info={"typeorm": "delete-date"}
    )
    version: Mapped[int] = mapped_column(Integer, info={"typeorm": "version"})

    profile: Mapped[Profile | None] = relationship(back_populates="user", uselist=False)
    posts: Mapped[list[Post]] = relationship(back_populates="author")
    comments: Mapped[list[Comment]] = relationship(back_populates="author")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version, "eager_defaults": True}


class Profile(Base):
    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bio: Mapped[str | None] = mapped_column(Text)
    avatarUrl: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(200))
    userId: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), unique=True
    )
    home_street: Mapped[str | None] = mapped_column("homeStreet", String(200))
    home_city: Mapped[str | None] = mapped_column("homeCity", String(100))
    home_postalCode: Mapped[str | None] = mapped_column("homePostalcode", String(20))
    home_countryCode: Mapped[str | None] = mapped_column("homeCountrycode", CHAR(2))
    home_geo_latitude: Mapped[float | None] = mapped_column("homeGeoLatitude", Float)
    home_geo_longitude: Mapped[float | None] = mapped_column("homeGeoLongitude", Float)
    work_street: Mapped[str | None] = mapped_column("workStreet", String(200))
    work_city: Mapped[str | None] = mapped_column("workCity", String(100))
    work_postalCode: Mapped[str | None] = mapped_column("workPostalcode", String(20))
    work_countryCode: Mapped[str | None] = mapped_column("workCountrycode", CHAR(2))
    work_geo_latitude: Mapped[float | None] = mapped_column("workGeoLatitude", Float)
    work_geo_longitude: Mapped[float | None] = mapped_column("workGeoLongitude", Float)

    user: Mapped[User | None] = relationship(back_populates="profile")


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220))
    body: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(POST_STATUS, server_default=text("'draft'"))
    publishedAt: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    viewCount: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    createdAt: Mapped[datetime.datetime] = _created()
    updatedAt: Mapped[datetime.datetime] = _updated()
    deletedAt: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(), info={"typeorm": "delete-date"}
    )
    version: Mapped[int] = mapped_column(Integer, info={"typeorm": "version"})
    authorId: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    seo_metaTitle: Mapped[str | None] = mapped_column("metaTitle", String(70))
    seo_metaDescription: Mapped[str | None] = mapped_column("metaDescription", String(160))
    seo_noIndex: Mapped[bool] = mapped_column("noIndex", Boolean, server_default=text("false"))

    author: Mapped[User] = relationship(back_populates="posts")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="save-update, merge", passive_deletes=True
    )
    ratings: Mapped[list[PostRating]] = relationship(back_populates="post", passive_deletes=True)
    tags: Mapped[list[Tag]] = relationship(secondary=POST_TAGS_TAG, back_populates="posts")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version, "eager_defaults": True}


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    isApproved: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    createdAt: Mapped[datetime.datetime] = _created(tz=True)
    updatedAt: Mapped[datetime.datetime] = _updated(tz=True)
    postId: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    authorId: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    parentId: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))

    post: Mapped[Post] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(back_populates="comments", lazy="joined")
    parent: Mapped[Comment | None] = relationship(
        back_populates="replies", remote_side=[id], foreign_keys=[parentId]
    )
    replies: Mapped[list[Comment]] = relationship(back_populates="parent", passive_deletes=True)

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(60))

    posts: Mapped[list[Post]] = relationship(secondary=POST_TAGS_TAG, back_populates="tags")


class PostRating(Base):
    __tablename__ = "post_rating"
    __table_args__ = (
        UniqueConstraint("postId", "userId"),
        CheckConstraint('"rating" BETWEEN 1 AND 5'),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    postId: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    userId: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    createdAt: Mapped[datetime.datetime] = _created()

    post: Mapped[Post] = relationship(back_populates="ratings")
    user: Mapped[User] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"eager_defaults": True}


ENTITIES = {c.__name__: c for c in (User, Profile, Post, Comment, Tag, PostRating)}
