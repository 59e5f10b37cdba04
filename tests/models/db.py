"""One database per test module with a corpus set's schema, emptied and reseeded per test.

Creating and dropping databases costs a checkpoint each; resetting with TRUNCATE ...
RESTART IDENTITY does not.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from ormshift.compare import load_scenarios
from ormshift.compare.runner import reset
from ormshift.extract.typeorm import sync_project
from tests.conftest import with_database

#: the blog scenario suite's seed, which the orm tests start from too
BLOG_SEED = load_scenarios(Path(__file__).resolve().parents[1] / "scenarios" / "blog.yaml").seed


class SchemaDatabase:
    """A database synced from a corpus project by TypeORM itself."""

    def __init__(self, server_url: str, project: Path) -> None:
        self.server_url = server_url
        self.name = f"ormshift_orm_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.name)))
        self.url = with_database(server_url, self.name)
        sync_project(project, self.url)

    def reset(self, seed: tuple[str, ...] = ()) -> str:
        """Every table emptied (identities restarted) and ``seed`` run; the URL."""
        reset(self.url, seed)
        return self.url

    def drop(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.name))
            )
