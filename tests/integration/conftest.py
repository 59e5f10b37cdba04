"""Fixtures shared by the integration tests of the orm layer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import CORPUS
from tests.models.db import SchemaDatabase


@pytest.fixture(scope="module")
def blog(pg_server_url: str) -> Iterator[SchemaDatabase]:
    """The blog corpus schema (TypeORM's synchronize), one database per test module."""
    database = SchemaDatabase(pg_server_url, CORPUS / "blog")
    try:
        yield database
    finally:
        database.drop()
