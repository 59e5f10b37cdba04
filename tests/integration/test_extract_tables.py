"""``ormshift extract --table``: the schema of some tables only, from a live PostgreSQL
database or from a TypeORM project, with what those tables need; and ``--table`` read
alike (repeatable, or comma-separated) by every command that takes it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import pytest

from ormshift.extract.database import reflect
from ormshift.manifest import problems, read, restrict

from ..conftest import CORPUS, ROOT, DatabaseFactory
from .test_cli_vocabulary import ormshift

SHOP = """
create type mood as enum ('calm', 'busy');
create table country (id int primary key, name text not null);
create table customer (id int primary key, country_id int references country);
create table orders (id int primary key, customer_id int not null references customer);
create table tag (id int primary key, label text);
create table note (id int primary key, m mood);
"""


@pytest.fixture
def shop(make_db: DatabaseFactory) -> str:
    url = make_db("cli15")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SHOP)
    return url


def one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tables_of(path: Path) -> list[str]:
    return [t["name"] for t in json.loads(path.read_text())["tables"]]


def test_from_a_database_with_what_the_tables_reference(shop: str, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    proc = ormshift("extract", "--db", shop, "--table", "orders", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    # orders -> customer -> country, in the database's (name) order
    assert tables_of(out) == ["country", "customer", "orders"]
    assert "--table: also extracted country, customer" in proc.stderr
    with psycopg.connect(shop) as conn:
        assert read(out) == restrict(reflect(conn), ["orders"]).manifest
    assert problems(read(out)) == []
    assert read(out).enums == ()  # mood is used by note only


def test_repeated_and_comma_separated(shop: str, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    proc = ormshift(
        "extract", "--db", shop, "--table", "tag,note", "--table", "country", "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert tables_of(out) == ["country", "note", "tag"]
    assert [e.name for e in read(out).enums] == ["mood"]
    assert "also extracted" not in proc.stderr


def test_the_url_from_the_environment_and_the_tables_from_the_project_file(
    shop: str, tmp_path: Path
) -> None:
    env = {"ORMSHIFT_DATABASE_URL": shop}
    # a top-level table names what migrate and verify move: extract takes it from
    # [extract] only
    config = tmp_path / "ormshift.toml"
    config.write_text('table = ["note"]\n[extract]\noutput = "m.json"\n')
    proc = ormshift("extract", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert tables_of(tmp_path / "m.json") == ["country", "customer", "note", "orders", "tag"]
    config.write_text('table = ["note"]\n[extract]\ntable = ["customer"]\noutput = "m.json"\n')
    proc = ormshift("extract", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert tables_of(tmp_path / "m.json") == ["country", "customer"]
    # the command line wins over the file
    proc = ormshift("extract", "--table", "tag", env={"ORMSHIFT_DATABASE_URL": shop}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert tables_of(tmp_path / "m.json") == ["tag"]


def test_an_unknown_table_is_one_line_and_writes_nothing(shop: str, tmp_path: Path) -> None:
    out, report = tmp_path / "m.json", tmp_path / "r.json"
    proc = ormshift(
        "extract", "--db", shop, "--table", "orders,ordr", "-o", str(out), "--report", str(report)
    )
    line = one_error_line(
        proc,
        "--table: schema 'public' of that database has no table 'ordr'",
        "it has country, customer, note, orders, tag",
    )
    assert "orders'" not in line.split("has no table", 1)[1].split(";")[0]
    assert list(tmp_path.iterdir()) == []
    assert proc.stdout == ""


def test_a_table_of_another_schema_is_unknown(shop: str) -> None:
    with psycopg.connect(shop, autocommit=True) as conn:
        conn.execute("create schema billing; create table billing.invoice (id int primary key)")
    one_error_line(
        ormshift("extract", "--db", shop, "--table", "invoice"),
        "schema 'public' of that database has no table 'invoice'",
    )
    proc = ormshift("extract", "--db", shop, "--schema", "billing", "--table", "invoice")
    assert proc.returncode == 0, proc.stderr
    assert [t["name"] for t in json.loads(proc.stdout)["tables"]] == ["invoice"]


@pytest.mark.parametrize(
    "args",
    [
        ("extract", "--db", "postgresql://127.0.0.1/x"),
        ("migrate", "--source", "postgresql://127.0.0.1/x", "--target", "postgresql://127.0.0.1/y"),
        ("schema", "diff", "--source", "postgresql://127.0.0.1/x",
         "--target", "postgresql://127.0.0.1/y"),
        ("verify", "--source", "postgresql://127.0.0.1/x", "--target", "postgresql://127.0.0.1/y"),
    ],
)  # fmt: skip
def test_a_table_option_that_names_nothing(args: tuple[str, ...], tmp_path: Path) -> None:
    """Refused before any database is touched (these URLs name none that exists)."""
    one_error_line(
        ormshift(*args, "--table", " , ", cwd=tmp_path), "--table names no table", "--table item"
    )


def test_migrate_and_schema_diff_read_comma_separated_tables(make_db: DatabaseFactory) -> None:
    source, target = make_db("cli15"), make_db("cli15")
    for url in (source, target):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create table a (id int primary key); create table b (id int primary key)")
            conn.execute("create table c (id int primary key)")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("insert into a values (1); insert into b values (1), (2)")
        conn.execute("insert into c values (1)")
    urls = ("--source", source, "--target", target)
    migrated = ormshift("migrate", *urls, "--table", "a,b", "--json")
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(target) as conn:
        counts = [conn.execute(f"select count(*) from {t}").fetchone() for t in "abc"]
    assert counts == [(1,), (2,), (0,)]
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("alter table c add column extra text")
    diff = ormshift("schema", "diff", *urls, "--table", "a,b")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    diff = ormshift("schema", "diff", *urls, "--table", "a,c")
    assert diff.returncode == 1, diff.stdout + diff.stderr
    assert "extra" in diff.stdout


@pytest.mark.node
def test_from_a_project_with_the_relations_outside_left_out(tmp_path: Path) -> None:
    out = tmp_path / "blog.json"
    proc = ormshift("extract", str(CORPUS / "blog"), "--table", "post", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    manifest = read(out)
    assert {t.name for t in manifest.tables} == {"post", "user"}
    assert {e.name for e in manifest.entities} == {"Post", "User"}
    assert problems(manifest) == []
    assert "--table: also extracted user" in proc.stderr
    post = manifest.entity("Post")
    assert {r.target for r in post.relations} == {"User"}
    # each relation left out is one warning line, and recorded in the manifest
    assert "warning: Post.tags: relation: many-to-many relation to Tag" in proc.stderr
    assert ("Post", "tags", "relation") in {(w.entity, w.property, w.feature)
                                             for w in manifest.warnings}  # fmt: skip
    # an entity's name is not a table's: the error says which table it is
    bad = ormshift("extract", str(CORPUS / "blog"), "--table", "Post", "-o", str(out))
    one_error_line(bad, "has no table 'Post'", "'Post' is an entity, its table is 'post'")
    assert read(out) == manifest, "a failed run leaves the earlier output alone"


def test_generate_the_models_of_some_tables(tmp_path: Path) -> None:
    shop = ROOT / "tests" / "golden" / "shop" / "manifest.json"
    out = tmp_path / "models"
    proc = ormshift("generate", str(shop), "-o", str(out), "--table", "order_line")
    assert proc.returncode == 0, proc.stderr
    modules = sorted(p.stem for p in out.glob("*.py"))
    assert modules == ["__init__", "base", "country", "customer", "enums", "naming", "order",
                       "order_line", "product", "types", "warehouse"]  # fmt: skip
    assert "--table: also generated product, country, warehouse, orders, customer" in proc.stderr
    assert "not carried over: OrderLine.promotions: relation" in proc.stderr
    bad = ormshift("generate", str(shop), "-o", str(tmp_path / "other"), "--table", "Order")
    one_error_line(bad, "has no table 'Order'", "its table is 'orders'", "and 3 more")
    assert not (tmp_path / "other").exists()
