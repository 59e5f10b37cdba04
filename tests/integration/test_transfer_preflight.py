"""Preflight beyond the column match: type conversions, extensions, rights, batch bytes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from ormshift.transfer import MigrateOptions, PreflightError, dry_run, migrate
from tests.conftest import require_extensions
from tests.integration.test_transfer_support import query, run_sql, same


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    return make_db("src"), make_db("tgt")


def test_types_that_cannot_convert_are_refused(pair: tuple[str, str]) -> None:
    src, tgt = pair
    run_sql(src, "create table t (id int primary key, doc jsonb, n bigint, s text)")
    run_sql(tgt, "create table t (id int primary key, doc integer, n numeric, s date)")
    with pytest.raises(
        PreflightError, match=r"t\.doc is jsonb and target column t\.doc is integer"
    ):
        dry_run(src, tgt, MigrateOptions())
    # bigint -> numeric has a cast; text -> date depends on the rows (rejects), both pass
    run_sql(tgt, "alter table t alter column doc type jsonb using null")
    dry_run(src, tgt, MigrateOptions())


def test_a_type_from_a_missing_extension_is_refused(pair: tuple[str, str]) -> None:
    src, tgt = pair
    require_extensions(src, ("citext",))
    run_sql(src, "create extension citext", "create table t (id int primary key, e citext)")
    run_sql(tgt, "create table t (id int primary key, e text)")
    with pytest.raises(PreflightError, match=r"t\.e has a type from extension 'citext'.*CREATE"):
        dry_run(src, tgt, MigrateOptions())
    run_sql(tgt, "create extension citext")
    dry_run(src, tgt, MigrateOptions())


@pytest.fixture
def reader_role(pair: tuple[str, str]) -> Iterator[str]:
    role = f"ormshift_ro_{uuid.uuid4().hex[:8]}"
    run_sql(pair[1], f"create role {role} login")
    yield role
    run_sql(pair[1], f"drop owned by {role}", f"drop role {role}")


def test_missing_rights_are_named(pair: tuple[str, str], reader_role: str) -> None:
    src, tgt = pair
    for url in pair:
        run_sql(url, "create table t (id int primary key, v text)")
    run_sql(tgt, f"grant select on t to {reader_role}")
    parts = urlsplit(tgt)
    server = parts.netloc.rpartition("@")[2]  # host:port, or empty with ?host=/socket/dir
    as_role = urlunsplit(parts._replace(netloc=f"{reader_role}@{server}"))
    with pytest.raises(PreflightError, match=rf"user '{reader_role}' may not INSERT on target"):
        dry_run(src, as_role, MigrateOptions())
    run_sql(tgt, f"grant insert on t to {reader_role}")
    with pytest.raises(PreflightError, match="may not create the ledger schema"):
        dry_run(src, as_role, MigrateOptions())


def test_batch_bytes_caps_rows_per_batch(pair: tuple[str, str]) -> None:
    src, tgt = pair
    for url in pair:
        run_sql(url, "create table t (id int primary key, v text)")
    run_sql(src, "insert into t select i, repeat('x', 500) from generate_series(1, 2000) i")
    run_sql(src, "analyze t")
    report = migrate(src, tgt, MigrateOptions(batch_size=10_000, batch_bytes=100_000))
    batches = query(tgt, "select count(*), max(rows_read) from ormshift.ledger")[0]
    assert batches[0] >= 8 and batches[1] <= 250, batches
    assert report.written == 2000
    same(src, tgt, "t", "id")
