"""Verify on real databases: values equal by meaning, a mapped target, orphaned foreign
keys, sequences behind, tables without a key, --max-diffs, --sample, bad tables."""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
import pytest

from ormshift.manifest import Column, ForeignKey, Manifest, Source, Table
from ormshift.verify import Mapping, Options, OrphanCheck, SequenceCheck, parse_mapping, verify
from ormshift.verify.model import VerificationFailed
from ormshift.verify.pgside import SAMPLE_ABOVE_PAGES

from .test_verify_engine import check, run_sql, scalar


def test_values_equal_by_meaning_verify_identical(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    run_sql(
        source,
        "create table doc (id int primary key, j jsonb, js json, n numeric(14,4), "
        "ts timestamptz, tl timestamp, big bigint)",
        """insert into doc values
           (1, '{"a": 1.000, "b": [1.50, {"x": 2}]}', '{"b": 1,  "a": 2.0}', 1.5000,
            '2024-01-01 10:00+00', '2024-01-01 10:00', 7),
           (2, '[]', 'null', 0, '2024-06-01 00:00+00', '2024-06-01 00:00', null)""",
    )
    run_sql(
        target,
        "create table doc (id int primary key, j jsonb, js jsonb, n numeric(14,2), "
        "ts timestamptz, tl timestamptz, big numeric)",
        "set timezone = 'Asia/Tokyo'",
        """insert into doc values
           (1, '{"b":[1.5,{"x":2.0}],"a":1}', '{"a":2,"b":1}', 1.50,
            '2024-01-01 12:00+02', '2024-01-01 10:00+00', 7.000),
           (2, '[]', 'null', 0.00, '2024-06-01 09:00+09', '2024-06-01 00:00+00', null)""",
    )
    out = check(source, target)
    assert out.differences == []
    assert out.report.exit_code == 0

    run_sql(target, """update doc set j = '{"a": 1.001, "b": [1.5, {"x": 2}]}' where id = 1""")
    out = check(source, target)
    assert out.found() == [("changed", ("1",), "j")]
    assert out.report.exit_code == 1


MAPPING = {
    "tables": {
        "user": {
            "target": "app_user",
            "columns": {
                "fullName": "full_name",
                "tags": {"transform": "simple-array"},
                "settings": {"target": "settings", "transform": "simple-json"},
            },
            "ignore": ["migrated_at"],
        }
    }
}


def test_mapped_target_verifies_against_its_source(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    run_sql(
        source,
        'create table "user" (id serial primary key, "fullName" text, tags text, settings text)',
        """insert into "user" ("fullName", tags, settings) values
           ('Ada', 'admin,dev', '{"theme":"dark","size":1.0}'), ('Bob', '', '{}'),
           ('Cy', null, null)""",
    )
    run_sql(
        target,
        "create table app_user (id int primary key, full_name text, tags text[], "
        "settings jsonb, migrated_at timestamptz default now())",
        """insert into app_user (id, full_name, tags, settings) values
           (1, 'Ada', '{admin,dev}', '{"size": 1, "theme": "dark"}'), (2, 'Bob', '{}', '{}'),
           (3, 'Cy', null, null)""",
    )
    mapping = parse_mapping(MAPPING)
    out = check(source, target, mapping=mapping)
    assert out.tables["user"].status == "identical", out.tables["user"].error
    assert out.tables["user"].target_table == "app_user"

    run_sql(target, "update app_user set tags = '{admin}' where id = 1")
    out = check(source, target, mapping=mapping)
    assert out.found() == [("changed", ("1",), "tags")]
    assert out.differences[0].source == "admin,dev"

    # without the mapping the target has no table "user": a difference naming what to do
    out = check(source, target, options=Options(), tables=["user"], mapping=Mapping())
    assert (out.tables["user"].status, out.tables["user"].only_in) == ("differs", "source")
    assert "--mapping" in (out.tables["user"].reason or "")
    assert out.report.exit_code == 1

    unmapped = parse_mapping({"tables": {"user": {"target": "app_user"}}})
    out = check(source, target, mapping=unmapped)
    error = out.tables["user"].error or ""
    assert "fullName" in error and "full_name" in error and "--mapping" in error


def test_orphans_found_without_target_constraints(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    schema = (
        "create table parent (id int primary key)",
        "create table child (id int primary key, parent_id int {})",
    )
    run_sql(
        source,
        schema[0],
        schema[1].format("references parent (id)"),
        "insert into parent values (1), (2)",
        "insert into child values (10, 1), (11, 2), (12, null)",
    )
    run_sql(
        target,
        schema[0],
        schema[1].format(""),
        "insert into parent values (1)",
        "insert into child values (10, 1), (11, 2), (12, null)",
    )
    out = check(source, target)
    orphans = out.report.orphans
    assert len(orphans) == 1
    o = orphans[0]
    assert isinstance(o, OrphanCheck)
    assert (o.table, o.columns, o.references, o.count) == ("child", ("parent_id",), "parent", 1)
    assert o.samples == ({"id": "11", "parent_id": "2"},)
    assert out.tables["parent"].missing == 1
    assert out.report.exit_code == 1

    run_sql(target, "insert into parent values (2)")
    out = check(source, target)
    assert [o.count for o in out.report.orphans] == [0]
    assert out.report.exit_code == 0


def test_sequence_behind_its_column(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table s (id serial primary key, v text)",
            "create table g (id int generated by default as identity primary key)",
            "insert into s (id, v) select x, 'v' from generate_series(1, 10) x",
            "insert into g (id) select x from generate_series(1, 5) x",
        )
    run_sql(source, "select setval(pg_get_serial_sequence('s', 'id'), 10)")
    out = check(source, target)
    behind = {(s.table, s.column): s for s in out.report.sequences}
    assert isinstance(behind[("s", "id")], SequenceCheck)
    assert behind[("s", "id")].behind and behind[("s", "id")].max_value == 10
    assert behind[("g", "id")].behind and behind[("g", "id")].next_value == 1
    assert out.report.exit_code == 1

    run_sql(
        target,
        "select setval(pg_get_serial_sequence('s', 'id'), 10)",
        "select setval(pg_get_serial_sequence('g', 'id'), 5)",
    )
    out = check(source, target)
    assert not any(s.behind for s in out.report.sequences)
    assert out.report.exit_code == 0


def test_table_without_key_full_ordered_hash(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table log (at int, msg text)",
            "insert into log select x % 5, 'm|' || (x % 3) from generate_series(1, 200) x",
        )
    out = check(source, target)
    assert out.tables["log"].status == "identical"
    assert any("no primary key" in w for w in out.tables["log"].warnings)

    run_sql(target, "delete from log where ctid = (select min(ctid) from log where at = 1)")
    run_sql(target, "insert into log values (9, 'new')")
    out = check(source, target)
    kinds = sorted(d.kind for d in out.differences)
    assert kinds == ["extra", "missing"]
    assert out.tables["log"].status == "differs"


def test_max_diffs_stops_early(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table a (id int primary key, v int)",
            "create table b (id int primary key, v int)",
            "insert into a select x, x from generate_series(1, 500) x",
            "insert into b select x, x from generate_series(1, 500) x",
        )
    run_sql(target, "update a set v = -v where id % 10 = 0", "update b set v = -v")
    out = check(source, target, Options(max_diffs=7))
    assert len(out.differences) == 7
    assert out.report.stopped
    assert out.tables["b"].status == "skipped"
    assert out.report.exit_code == 1


def test_sample_states_its_confidence(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table big (id int primary key, v text)",
            "insert into big select x, 'v' || x from generate_series(1, 5000) x",
        )
    out = check(source, target, Options(sample=10))
    result = out.tables["big"]
    assert result.status == "identical"
    assert result.confidence is not None and "29 or more rows" in result.confidence

    run_sql(target, "update big set v = 'x' where id % 2 = 0")
    out = check(source, target, Options(sample=10))
    assert out.differences and all(d.kind == "changed" for d in out.differences)
    assert out.report.exit_code == 1


def test_a_table_on_one_side_only_is_a_difference(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    run_sql(source, "create table only_here (id int primary key)")
    run_sql(source, "create table both_sides (id int primary key)")
    run_sql(target, "create table both_sides (id int primary key)")
    run_sql(target, "create table only_there (id int primary key)")
    out = check(source, target)
    here, there = out.tables["only_here"], out.tables["only_there"]
    assert (here.status, here.only_in) == ("differs", "source")
    assert "the target has no table 'only_here'" in (here.reason or "")
    assert (there.status, there.only_in) == ("differs", "target")
    assert "only_there is only in the target" in (there.reason or "")
    assert out.tables["both_sides"].status == "identical"
    assert out.report.exit_code == 1
    assert out.report.to_json()["status"] == "differs"

    # naming tables compares those only: a table the target has beyond them is not asked
    out = check(source, target, tables=["both_sides"])
    assert set(out.tables) == {"both_sides"} and out.report.exit_code == 0

    # a mapping that renames a table accounts for its target name
    run_sql(target, "alter table only_there rename to only_here_renamed")
    renamed = parse_mapping({"tables": {"only_here": {"target": "only_here_renamed"}}})
    out = check(source, target, mapping=renamed)
    assert out.tables["only_here"].status == "identical"
    assert "only_here_renamed" not in out.tables and out.report.exit_code == 0


@pytest.mark.parametrize(
    ("tables", "schema", "target_schema", "message"),
    [
        (["nope"], "public", None, "has no table 'nope'; it has both_sides"),
        (["both_sides", "nope", "zz"], "public", None, "has no table 'nope', 'zz'"),
        (None, "nosuch", None, "the source has no schema 'nosuch'"),
        (None, "public", "nosuch", "the target has no schema 'nosuch'"),
        (None, "empty", None, "schema 'empty' of the source has no tables"),
    ],
)
def test_verify_of_nothing_is_an_error(
    make_db: Callable[[], str],
    tables: list[str] | None,
    schema: str,
    target_schema: str | None,
    message: str,
) -> None:
    """A run that would compare nothing (or a table the source lacks) never passes."""
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(url, "create table both_sides (id int primary key)", "create schema empty")
    events: list[object] = []
    with pytest.raises(VerificationFailed, match=re.escape(message)) as caught:
        verify(source, target, tables=tables, schema=schema, target_schema=target_schema,
               on_event=events.append)  # fmt: skip
    assert caught.value.exit_code == 2
    assert events == []  # refused before any table was looked at


def test_large_table_split_from_block_sample(make_db: Callable[[], str]) -> None:
    """Above SAMPLE_ABOVE_PAGES the first split points come from a block sample."""
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table wide (id bigint primary key, body text)",
            "insert into wide select g, repeat(md5(g::text), 8) from generate_series(1, 60000) g",
        )
    pages = scalar(source, "select pg_relation_size('wide') / current_setting('block_size')::int")
    assert int(pages[0]) > SAMPLE_ABOVE_PAGES
    run_sql(target, "update wide set body = 'changed' where id in (9, 20000, 59999)")
    run_sql(target, "delete from wide where id = 12345")
    out = check(source, target, Options())
    assert sorted(out.found()) == [
        ("changed", ("20000",), "body"),
        ("changed", ("59999",), "body"),
        ("changed", ("9",), "body"),
        ("missing", ("12345",), None),
    ]
    assert out.tables["wide"].segments > 32


def test_orphans_from_a_manifest_when_no_database_declares_them(
    make_db: Callable[[], str],
) -> None:
    source, target = make_db(), make_db()
    for url in (source, target):
        run_sql(
            url,
            "create table team (id int primary key)",
            "create table member (id int primary key, team_id int)",
            "insert into team values (1)",
            "insert into member values (1, 1), (2, 7), (3, 8)",
        )
    out = check(source, target)
    assert out.report.orphans == []
    manifest = Manifest(
        source=Source(kind="typeorm"),
        tables=(
            Table(
                name="member",
                columns=(Column("id", "integer", False), Column("team_id", "integer", True)),
                foreign_keys=(ForeignKey("FK_member_team", ("team_id",), "team", ("id",)),),
            ),
        ),
    )
    out = check(source, target, manifest=manifest)
    [orphans] = out.report.orphans
    assert (orphans.constraint, orphans.count) == ("FK_member_team", 2)
    assert {s["team_id"] for s in orphans.samples} == {"7", "8"}
    assert out.report.exit_code == 1


def test_text_keys_under_different_collations(make_db: Callable[[], str]) -> None:
    """The sides sort 'B' and 'a' differently: keys are then compared by their bytes."""
    source, target = make_db(), make_db()
    try:
        scalar(source, "select 'a' collate \"en-x-icu\"")
    except psycopg.errors.UndefinedObject:
        pytest.skip("server lacks the ICU collation en-x-icu for UTF8; CI's server has it")
    fill = (
        "insert into word select case when g % 2 = 0 then upper(md5(g::text)) "
        "else md5(g::text) end, g from generate_series(1, 3000) g"
    )
    run_sql(source, 'create table word (k text collate "en-x-icu" primary key, n int)', fill)
    run_sql(target, 'create table word (k text collate "C" primary key, n int)', fill)
    out = check(source, target)
    assert out.tables["word"].status == "identical"

    first_upper = scalar(target, "select min(k) from word")[0]
    run_sql(target, f"update word set n = -1 where k = '{first_upper}'")
    run_sql(target, "delete from word where k = (select max(k) from word)")
    out = check(source, target)
    kinds = sorted(k for k, _key, _col in out.found())
    assert kinds == ["changed", "missing"]
    assert ("changed", (first_upper,), "n") in out.found()


def test_source_unique_key_stands_in_for_a_primary_key(make_db: Callable[[], str]) -> None:
    source, target = make_db(), make_db()
    run_sql(source, "create table t (id int not null unique, v text)")
    run_sql(target, "create table t (id int primary key, v text)")
    for url in (source, target):
        run_sql(url, "insert into t select g, 'v' || g from generate_series(1, 300) g")
    run_sql(target, "update t set v = 'x' where id = 7")
    out = check(source, target)
    assert out.found() == [("changed", ("7",), "v")]
    assert out.tables["t"].warnings == []
