"""A database that lives for a module (the full-size source is built once)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import DatabaseFactory


@pytest.fixture(scope="module")
def make_db_module(pg_server_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(pg_server_url)
    try:
        yield factory
    finally:
        factory.drop_all()
