"""A batch's upper key and row count read off its COPY stream (`transfer.lastkey`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import psycopg
import pytest
from psycopg import sql

from ormshift.transfer import MigrateOptions, dry_run, migrate
from ormshift.transfer.copy import copy_out
from ormshift.transfer.copyout import copy_out as read_copy
from ormshift.transfer.lastkey import decoder, unescape
from tests.integration.test_transfer_support import query, run_sql, same

KEYS = [
    "plain",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "back\\slash",
    "\\N",
    "é ü 漢字",
    "",
    " trailing space ",
    "\x01\x7f",
]


SERIES = " from generate_series(1, 5) i"


def _twin(make_db: Callable[[str], str], *ddl: str) -> str:
    """An empty target with the same tables, for a dry run's plan."""
    url = make_db("tgt")
    run_sql(url, *ddl)
    return url


CASES = {
    "bigint": ("create table t (id bigint primary key, v int)", "select i, i" + SERIES),
    "smallint": ("create table t (id smallint primary key, v int)", "select -i, i" + SERIES),
    "int": ("create table t (id int primary key, v int)", "select i * 1000003, i" + SERIES),
    "uuid": ("create table t (id uuid primary key, v int)", "select gen_random_uuid(), i" + SERIES),
    "varchar": ("create table t (v int, id varchar(40) primary key)", None),
    "composite": (
        "create table t (a int, b text, v int, primary key (b, a))",
        "select i, 'k' || i, i" + SERIES,
    ),
}


@pytest.mark.parametrize(("ddl", "values"), list(CASES.values()), ids=list(CASES))
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "text"])
def test_last_row_key_is_the_keys_text(
    make_db: Callable[[str], str], ddl: str, values: str | None, binary: bool
) -> None:
    url = make_db("src")
    run_sql(url, ddl)
    with psycopg.connect(url, autocommit=True) as conn:
        if values is None:
            for i, k in enumerate(KEYS):
                conn.execute("insert into t values (%s, %s)", [i, k])
        else:
            conn.execute(sql.SQL("insert into t {}").format(sql.SQL(values)))  # type: ignore[arg-type]
    plan = dry_run(url, _twin(make_db, ddl), MigrateOptions()).table("t")
    table = replace(plan, binary=binary)  # the same rows in either COPY format
    key_sql = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in table.key)
    order = sql.SQL(", ").join(sql.Identifier("s", k) for k in table.key)  # not the ::text
    with psycopg.connect(url) as conn:
        keys = decoder(table, conn.info.encoding)
        assert keys is not None
        listing = sql.SQL("select {} from t as s order by {}").format(key_sql, order)
        every = [tuple(r) for r in conn.execute(listing)]
        for take in range(1, len(every) + 1):
            q, params = copy_out(table, "public", None, None, take)
            with read_copy(conn, q, params, binary=binary) as stream:
                data = b"".join(stream)
            assert data
            assert stream.rows == take
            assert stream.last_row is not None
            assert keys.key(stream.last_row) == every[take - 1]


def test_no_decoder_for_other_key_types_or_cast_keys(make_db: Callable[[str], str]) -> None:
    url = make_db("src")
    ddl = (
        "create table d (day date, seq int, primary key (day, seq))",
        "create table c (id char(4) primary key)",
        "create table n (id numeric primary key)",
    )
    run_sql(url, *ddl)
    plan = dry_run(url, _twin(make_db, *ddl), MigrateOptions())
    for name in ("d", "c", "n"):
        assert decoder(plan.table(name), "utf-8") is None


def test_awkward_text_keys_migrate_in_both_formats(make_db: Callable[[str], str]) -> None:
    src, tgt, tgt2 = make_db("src"), make_db("tgt"), make_db("tgt2")
    run_sql(src, "create table t (id text primary key, n int)")
    run_sql(tgt, "create table t (id text primary key, n int)")
    run_sql(tgt2, "create table t (id text primary key, n bigint)")  # text COPY
    with psycopg.connect(src, autocommit=True) as conn:
        for i, k in enumerate(KEYS * 3):
            conn.execute("insert into t values (%s, %s)", [f"{k}{i // len(KEYS)}", i])
    for target, fmt in ((tgt, "binary"), (tgt2, "text")):
        report = migrate(src, target, MigrateOptions(batch_size=4))
        assert report.tables[0].read == report.tables[0].written == len(KEYS) * 3
        same(src, target, "t", "id")
        assert query(target, "select distinct format from ormshift.ledger") == [(fmt,)]
        ledger = "select key_to->>0 from ormshift.ledger order by batch_no"
        ends = [r[0] for r in query(target, ledger)]
        every = [r[0] for r in query(src, "select id from t order by id")]
        assert ends == every[3::4] + ([every[-1]] if len(every) % 4 else [])


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a\\tb", "a\tb"),
        ("a\\\\b", "a\\b"),
        ("\\n\\r\\b\\f\\v", "\n\r\b\f\v"),
        ("\\101\\x42\\7", "AB\x07"),
        ("no escapes", "no escapes"),
        ("\\q", "q"),
    ],
)
def test_unescape_copy_text(text: str, plain: str) -> None:
    assert unescape(text) == plain
