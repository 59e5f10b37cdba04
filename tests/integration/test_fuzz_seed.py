"""The seed builder on schemas real applications have (Vendure, Medusa, n8n): cycles of
foreign keys, one-to-one keys, required self-references, string "increment" columns,
checks that refuse most random rows; every table gets rows, and a table that cannot says
why."""

from __future__ import annotations

import dataclasses
import random

import psycopg
from psycopg import sql

from ormshift.compare.fuzz.schema import FuzzSchema
from ormshift.compare.fuzz.seed import Seed, build_seed
from ormshift.extract.database import reflect
from ormshift.manifest import Manifest
from tests.conftest import DatabaseFactory


def _seed(url: str, ddl: str, rows: int = 10, manifest: Manifest | None = None) -> Seed:
    with psycopg.connect(url) as conn:
        conn.execute(ddl)
        conn.commit()
        schema = FuzzSchema.of(manifest or reflect(conn))
        return build_seed(conn, schema, random.Random("t"), rows)


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            sql.SQL("select count(*) from {}").format(sql.Identifier(table))
        ).fetchone()
        assert row is not None
        return int(row[0])


def test_a_cycle_is_broken_at_its_nullable_key(make_db: DatabaseFactory) -> None:
    # Medusa's customer and address: customer listed first, but its key is the nullable one
    url = make_db("seed")
    with psycopg.connect(url) as conn:
        conn.execute(
            "create table customer (id int primary key, address_id int);"
            "create table address (id int primary key,"
            " customer_id int not null references customer(id));"
            "alter table customer add foreign key (address_id) references address(id);"
        )
        conn.commit()
        reflected = reflect(conn)
    first = sorted(reflected.tables, key=lambda t: t.name != "customer")
    seed = _seed(url, "select 1", manifest=dataclasses.replace(reflected, tables=tuple(first)))
    assert len(seed.rows["customer"]) == 10
    assert len(seed.rows["address"]) == 10
    assert _count(url, "address") == 10


def test_one_to_one_keys_take_each_parent_once(make_db: DatabaseFactory) -> None:
    url = make_db("seed")
    seed = _seed(
        url,
        "create table parent (id int primary key);"
        "create table child (id int primary key,"
        " parent_id int not null unique references parent(id));"
        "create table extra (parent_id int primary key references parent(id));",
    )
    assert len(seed.rows["parent"]) == 10
    # every parent taken exactly once, none refused for a duplicate
    assert sorted(r["parent_id"] for r in seed.rows["child"]) == sorted(
        r["id"] for r in seed.rows["parent"]
    )
    assert len(seed.rows["extra"]) == 10


def test_a_required_self_reference_starts_at_itself(make_db: DatabaseFactory) -> None:
    url = make_db("seed")
    seed = _seed(
        url,
        "create table category (id int primary key,"
        " parent_id int not null references category(id));",
    )
    rows = seed.rows["category"]
    assert len(rows) == 10
    assert rows[0]["parent_id"] == rows[0]["id"]
    ids = {r["id"] for r in rows}
    assert all(r["parent_id"] in ids for r in rows)


def test_a_string_increment_column_gets_values(make_db: DatabaseFactory) -> None:
    # n8n's ExecutionEntity.id: @Generated() on a string column, no default in the database
    url = make_db("seed")
    with psycopg.connect(url) as conn:
        conn.execute("create table execution (id varchar primary key, n int)")
        conn.commit()
        reflected = reflect(conn)
    table = reflected.tables[0]
    columns = tuple(
        dataclasses.replace(c, generation="increment") if c.name == "id" else c
        for c in table.columns
    )
    manifest = dataclasses.replace(reflected, tables=(dataclasses.replace(table, columns=columns),))
    seed = _seed(url, "select 1", manifest=manifest)
    assert len(seed.rows["execution"]) == 10
    assert not any("setval" in s for s in seed.statements)


def test_a_table_left_empty_says_why(make_db: DatabaseFactory) -> None:
    url = make_db("seed")
    seed = _seed(
        url,
        "create table picky (id int primary key, n int not null,"
        " constraint never check (n <> n));"
        "create table strict_child (id int primary key,"
        " picky_id int not null references picky(id));",
    )
    assert seed.rows["picky"] == []
    assert 'check constraint "never"' in seed.refused["picky"]
    assert seed.rows["strict_child"] == []
    assert "no parent row" in seed.refused["strict_child"]


def test_a_broken_cycle_is_closed_afterwards(make_db: DatabaseFactory) -> None:
    # customer's nullable key to address, NULL when its rows were made, is set afterwards;
    # the statements replay the same rows on an empty copy of the schema
    ddl = (
        "create table customer (id int primary key, address_id int unique);"
        "create table address (id int primary key,"
        " customer_id int not null references customer(id));"
        "alter table customer add foreign key (address_id) references address(id);"
    )
    url, replay = make_db("seed"), make_db("seed")
    seed = _seed(url, ddl)
    linked = [r["address_id"] for r in seed.rows["customer"] if r["address_id"] is not None]
    assert len(linked) >= 5
    assert len(set(linked)) == len(linked)
    with psycopg.connect(replay) as conn:
        conn.execute(ddl)
        for statement in seed.statements:
            conn.execute(statement)
        got = conn.execute("select id, address_id from customer order by id").fetchall()
    assert got == sorted((r["id"], r["address_id"]) for r in seed.rows["customer"])
