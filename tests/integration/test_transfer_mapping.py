"""A TypeORM-shaped source (camelCase, simple-json, simple-array) into a reshaped target."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ormshift.mapping import Mapping, parse_mapping
from ormshift.transfer import (
    MigrateOptions,
    PreflightError,
    TransferAborted,
    dry_run,
    migrate,
    rollback,
)
from ormshift.verify import verify
from tests.integration.test_transfer_mysql import SERVER as MYSQL
from tests.integration.test_transfer_mysql import _mysql, mysql_db  # noqa: F401 (fixture)
from tests.integration.test_transfer_support import TEST_LOAD, CriticalAfter, query, run_sql

BATCH = ["--batch-size", "60", "--json"]
CLI = [sys.executable, "-c", "from ormshift.cli.main import main; main()"]

SOURCE = (
    'create table "userAccount" (id serial primary key, "fullName" text not null,'
    ' "firstName" text, "createdAt" timestamptz not null default now(),'
    ' "legacyFlag" boolean, settings text, tags text, score text)',
    'create table "blogPost" (id serial primary key, "authorId" int not null'
    ' references "userAccount", title varchar(200), "viewCount" int)',
)
TARGET = (
    "create table app_user (id serial primary key, full_name text not null,"
    " first_name text, created_at timestamptz not null, settings jsonb, tags text[],"
    " score numeric(6,2), initials text not null)",
    "create table blog_post (id serial primary key, author_id int not null"
    " references app_user, title varchar(200), view_count int)",
)
MAPPING = """
names = "snake_case"

[tables.userAccount]
target = "app_user"
skip = ["legacyFlag"]

[tables.userAccount.columns]
settings = { transform = "simple-json" }
tags = { transform = "simple-array" }
score = { cast = "numeric(6,2)" }
initials = { expression = "upper(left(\\"fullName\\", 1)) || '%'" }
"""


@pytest.fixture
def pair(make_db: Callable[[str], str]) -> tuple[str, str]:
    src, tgt = make_db("src"), make_db("tgt")
    run_sql(src, *SOURCE)
    run_sql(tgt, *TARGET)
    run_sql(
        src,
        """insert into "userAccount" ("fullName", "firstName", "legacyFlag", settings, tags, score)
        select 'user ' || i, case when i % 5 = 0 then null else 'f' || i end, i % 2 = 0,
          case when i % 4 = 0 then null else '{"theme":"dark","n":' || i || ',"a":[1,2]}' end,
          case i % 4 when 0 then null when 1 then '' when 2 then 'a' else 'x,y,' || i end,
          (i % 100)::text || '.5'
        from generate_series(1, 250) i""",
        """insert into "blogPost" ("authorId", title, "viewCount")
        select 1 + i % 250, 'post ' || i, nullif(i % 7, 0) from generate_series(1, 400) i""",
    )
    return src, tgt


def test_camel_case_typeorm_columns_land_reshaped(pair: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = pair
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING)
    result = subprocess.run(
        [*CLI, "migrate", "--source", src, "--target", tgt, "--mapping", str(path), *BATCH],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    got = query(
        tgt,
        "select count(*), count(settings), sum((settings->>'n')::int),"
        " sum(cardinality(tags)), count(*) filter (where tags = '{}'), sum(score),"
        " count(*) filter (where initials = 'U%'), count(first_name) from app_user",
    )
    want = query(
        src,
        "select count(*), count(settings), sum((settings::jsonb->>'n')::int),"
        " sum(cardinality(string_to_array(nullif(tags, ''), ','))) ,"
        " count(*) filter (where tags = ''), sum(score::numeric), count(*),"
        ' count("firstName") from "userAccount"',
    )
    assert got == want
    rows = query(tgt, "select tags, settings from app_user where id in (2, 3) order by id")
    assert rows == [
        (["a"], {"theme": "dark", "n": 2, "a": [1, 2]}),
        (["x", "y", "3"], {"theme": "dark", "n": 3, "a": [1, 2]}),
    ]
    same_posts = query(
        tgt,
        "select md5(string_agg(concat_ws('|', id, author_id, title, view_count), ','"
        " order by id)) from blog_post",
    )
    src_posts = query(
        src,
        "select md5(string_agg(concat_ws('|', id, \"authorId\", title, \"viewCount\"), ','"
        ' order by id)) from "blogPost"',
    )
    assert same_posts == src_posts
    # sequences follow the copied keys on the renamed tables
    assert query(tgt, "select last_value from app_user_id_seq") == [(250,)]
    (run_id,) = query(tgt, "select run_id from ormshift.runs")[0]
    report = rollback(tgt, str(run_id))
    assert report.deleted == {"blogPost": 400, "userAccount": 250}
    assert query(tgt, "select count(*) from app_user") == [(0,)]


def test_created_at_values_are_kept(pair: tuple[str, str]) -> None:
    src, tgt = pair
    mapping = parse_mapping(
        {
            "names": "snake_case",
            "tables": {
                "userAccount": {
                    "target": "app_user",
                    "skip": ["legacyFlag", "settings", "tags", "score"],
                    "columns": {"initials": {"expression": "'x'"}},
                }
            },
        }
    )
    migrate(src, tgt, MigrateOptions(mapping=mapping))
    src_rows = query(src, 'select id, "createdAt", "fullName" from "userAccount" order by id')
    tgt_rows = query(tgt, "select id, created_at, full_name from app_user order by id")
    assert src_rows == tgt_rows
    assert query(tgt, "select count(*) from app_user where settings is null") == [(250,)]
    # the same mapping file lets verify pair the tables: what was copied is identical
    result = verify(src, tgt, tables=["userAccount"], mapping=mapping)
    assert result.exit_code == 0, [t.error for t in result.tables]
    (table,) = result.tables
    assert table.status == "identical" and table.source_rows == table.target_rows == 250
    assert any("initials" in w for w in table.warnings)  # computed: not compared


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {
                "tables": {
                    "userAccount": {"target": "app_user"},
                    "blogPost": {"target": "blog_post"},
                }
            },
            r"source column \w+\.\w+ has no column of that name in target table",
        ),
        (
            {"names": "snake_case", "tables": {"userAccount": {"columns": {"fulName": "x"}}}},
            r"the mapping names column userAccount.fulName, which the source table does not",
        ),
        (
            {"names": "snake_case", "tables": {"usr": {}}},
            r"the mapping names table 'usr', which the source schema",
        ),
        (
            {"names": "snake_case", "tables": {"userAccount": {"target": "app_user"}}},
            r"the mapping sends userAccount\.\w+ to column app_user\.\w+, which the target",
        ),
        (
            {
                "names": "snake_case",
                "tables": {
                    "userAccount": {
                        "target": "app_user",
                        "skip": ["legacyFlag"],
                        "columns": {"initials": {"expression": "no_such_fn(1)"}},
                    }
                },
            },
            r"the mapping of table 'userAccount' does not run on the source: function no_such_fn",
        ),
    ],
)
def test_mapping_preflight_is_one_line(
    pair: tuple[str, str], mapping: dict[str, object] | None, message: str
) -> None:
    src, tgt = pair
    m = parse_mapping(mapping) if mapping is not None else None
    with pytest.raises(PreflightError, match=message) as info:
        dry_run(src, tgt, MigrateOptions(mapping=m))
    assert "\n" not in str(info.value)
    assert query(tgt, "select count(*) from app_user") == [(0,)]


def test_bad_mapping_file_from_cli(pair: tuple[str, str], tmp_path: Path) -> None:
    src, tgt = pair
    path = tmp_path / "m.yaml"
    path.write_text("tables:\n  userAccount:\n    colums: {}\n")
    result = subprocess.run(
        [*CLI, "migrate", "--source", src, "--target", tgt, "--mapping", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "unknown key 'colums'" in result.stderr and "Traceback" not in result.stderr


def test_mariadb_source_with_a_mapping(
    mysql_db: str,  # noqa: F811 (the fixture imported above)
    make_db: Callable[[str], str],
) -> None:
    with _mysql(mysql_db) as conn, conn.cursor() as cur:
        cur.execute(
            "create table userAccount (id int primary key, fullName varchar(50) not null,"
            " tags text, settings text, legacyFlag tinyint(1))"
        )
        cur.executemany(
            "insert into userAccount values (%s, %s, %s, %s, %s)",
            [
                (i, f"user {i}", ["", "a", f"x,y,{i}"][i % 3], json.dumps({"n": i}), i % 2)
                for i in range(1, 121)
            ],
        )
    tgt = make_db("tgt")
    run_sql(
        tgt,
        "create table app_user (id int primary key, full_name text not null, tags text[],"
        " settings jsonb, initials text not null)",
    )
    mapping = parse_mapping(
        {
            "names": "snake_case",
            "tables": {
                "userAccount": {
                    "target": "app_user",
                    "skip": ["legacyFlag"],
                    "columns": {
                        "tags": {"transform": "simple-array"},
                        "settings": {"transform": "simple-json"},
                        "initials": {"expression": "upper(left(fullName, 1))"},
                    },
                }
            },
        }
    )
    migrate(f"{MYSQL}{mysql_db}", tgt, MigrateOptions(mapping=mapping, batch_size=50))
    assert query(
        tgt,
        "select count(*), sum((settings->>'n')::int), count(*) filter (where tags = '{}'),"
        " sum(cardinality(tags)), count(*) filter (where initials = 'U') from app_user",
    ) == [(120, 7260, 40, 40 + 40 * 3, 120)]


def test_resume_needs_the_same_mapping(pair: tuple[str, str]) -> None:
    src, tgt = pair

    def mapping(initials: str) -> Mapping:
        return parse_mapping(
            {
                "names": "snake_case",
                "tables": {
                    "userAccount": {
                        "target": "app_user",
                        "skip": ["legacyFlag", "settings", "tags", "score"],
                        "columns": {"initials": {"expression": initials}},
                    }
                },
            }
        )

    first = MigrateOptions(mapping=mapping("'x'"), batch_size=100, throttle=TEST_LOAD)
    with pytest.raises(TransferAborted):
        migrate(src, tgt, first, extra_probes=(CriticalAfter(1),))
    with pytest.raises(PreflightError, match="was started with a different --mapping"):
        migrate(src, tgt, MigrateOptions(mapping=mapping("'y'"), batch_size=100))
    migrate(src, tgt, MigrateOptions(mapping=mapping("'x'"), batch_size=100))
    assert query(tgt, "select count(*), min(initials) from app_user") == [(250, "x")]
