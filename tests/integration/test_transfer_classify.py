"""A refused batch sorted out on the target gives bisection's rejects, reasons and rows.

Each case loads the same source twice, batch by batch, into two copies of the same
target: once bisected from the client (`bisect_batch`, the reference), once classified
on the target (`classified_batch`, which must take its fast path), and compares every
batch's `Loaded` (rows written, checksum, rejects with key, row and reason, the keys
refused, and the target's own keys in the batch's range that rollback must leave) and the
targets' contents.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ormshift.mapping import Mapping, parse_mapping
from ormshift.transfer import ownership, predict
from ormshift.transfer.copy import Span, stream_range
from ormshift.transfer.errors import ROW_ERRORS
from ormshift.transfer.keyset import Key, next_bound
from ormshift.transfer.plan import TablePlan, build_plan
from ormshift.transfer.rejects import (
    Loaded,
    RawJson,
    bisect_batch,
    classified_batch,
    classified_rows,
    settle_batch,
)
from tests.integration.test_transfer_support import digest, query, run_sql

Path = Callable[..., Loaded]


@dataclass(frozen=True)
class Batch:
    rows: int
    checksum: str
    format: str
    rejects: list[tuple[str, dict[str, str], Any, str]]
    rejected_keys: list[Key]
    preexisting: list[Key]


def _bisected(span: Span, first: psycopg.Error) -> Loaded:
    return bisect_batch(span, first)


def _classified(span: Span, first: psycopg.Error) -> Loaded:
    loaded = classified_batch(span)
    assert loaded is not None, "the classifier fell back to bisection"
    return loaded


def load(
    src: str, tgt: str, table: str, batch: int, path: Path, mapping: Mapping | None = None
) -> list[Batch]:
    """Every batch of ``table`` as the engine runs it, refused batches through ``path``."""
    out: list[Batch] = []
    with psycopg.connect(src) as s, psycopg.connect(tgt) as t:
        plan = build_plan(
            s, t, schema="public", target_schema=None, allow_no_key=False, mapping=mapping
        )
        s.rollback()
        t.rollback()
        s.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        tp = plan.table(table)
        lo: Key | None = None
        while True:
            with s.transaction():
                bound = next_bound(s, "public", tp.name, tp.key, lo, batch)
                if bound is None:
                    break
                count, hi = bound
                with t.transaction():
                    span = Span(s, t, tp, "public", lo, hi)
                    try:
                        with t.transaction():
                            copied = stream_range(span)
                        loaded = Loaded(copied, [], [])
                    except ROW_ERRORS as exc:
                        loaded = path(span, exc)
                    pre = loaded.preexisting
                    if pre is None:
                        pre = ownership.preexisting_keys(
                            t, tp, lo, hi, loaded.copied.rows, loaded.written_keys
                        )
            assert loaded.copied.rows + len(loaded.rejects) == count
            out.append(_batch(loaded, pre))
            lo = hi
    return out


def _row(row: Any) -> Any:
    return json.loads(row) if isinstance(row, RawJson) else row


def _batch(loaded: Loaded, preexisting: list[Key]) -> Batch:
    return Batch(
        loaded.copied.rows,
        loaded.copied.checksum,
        loaded.copied.format,
        [(r.table, r.key, _row(r.row), r.error) for r in loaded.rejects],
        list(loaded.rejected_keys),
        preexisting,
    )


def compare(
    make_db: Callable[[str], str],
    source: tuple[str, ...],
    target: tuple[str, ...],
    table: str,
    batch: int,
    *,
    target_table: str | None = None,
    mapping: Mapping | None = None,
    order: str = "1",
) -> list[Batch]:
    """Load ``table`` both ways into two identical targets; both must agree. Returns the
    batches (for the case's own assertions). ``order``: the rows' order for comparing the
    targets (the default, a constant, is the order they were written in)."""
    src, a, b = make_db("src"), make_db("tgt"), make_db("tgt")
    run_sql(src, *source)
    run_sql(a, *target)
    run_sql(b, *target)
    want = load(src, a, table, batch, _bisected, mapping)
    got = load(src, b, table, batch, _classified, mapping)
    assert got == want
    name = target_table or table
    assert digest(a, name, order) == digest(b, name, order)
    assert sum(len(x.rejects) for x in got) > 0, "the case rejected nothing"
    return got


def reasons(batches: list[Batch]) -> list[str]:
    return [r[3] for b in batches for r in b.rejects]


def predicted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each refused batch took the path that copies it straight (`predict`)."""
    taken: list[bool] = []
    real = predict.predicted_batch

    def spy(*args: Any) -> Any:
        out = real(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(predict, "predicted_batch", spy)
    return taken


def test_check_constraint(make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table item (id int primary key, qty int, label text)",
            "insert into item select i, case when i % 7 = 0 then -i else i end, 'l' || i"
            " from generate_series(1, 400) i",
        ),
        ("create table item (id int primary key, qty int check (qty >= 0), label text)",),
        "item",
        64,
    )
    assert got[0].format == "binary"
    assert reasons(got)[0] == (
        'new row for relation "item" violates check constraint "item_qty_check"'
        " (Failing row contains (7, -7, l7).)"
    )
    assert len(reasons(got)) == 400 // 7
    assert taken and all(taken)  # every refused batch copied straight


def test_not_null(make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table item (id int primary key, qty int)",
            "insert into item select i, nullif(i % 5, 0) from generate_series(1, 300) i",
        ),
        ("create table item (id int primary key, qty int not null)",),
        "item",
        50,
    )
    assert reasons(got)[0].startswith('null value in column "qty" of relation "item"')
    assert taken and all(taken)  # every refused batch copied straight


def test_unique_against_existing_rows(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table item (id int primary key, code text)",
            "insert into item select i, 'c' || i from generate_series(1, 300) i",
        ),
        (
            "create table item (id int primary key, code text unique)",
            # keys 7, 14, ... are there already; codes of 10, 20, ... too (under other keys)
            "insert into item select i, 'old' || i from generate_series(7, 300, 7) i",
            "insert into item select 1000 + i, 'c' || i from generate_series(10, 300, 10) i",
        ),
        "item",
        64,
    )
    assert (
        'duplicate key value violates unique constraint "item_pkey" (Key (id)=(7) already'
        in (reasons(got)[0])
    )
    assert any('"item_code_key" (Key (code)=(c10) already exists.)' in r for r in reasons(got))
    assert taken and all(taken)  # every refused batch copied straight


def test_the_targets_own_rows_inside_refused_batches(make_db: Callable[[str], str]) -> None:
    """Rows the target already had between the batch's keys (an --append run) are listed
    for rollback to leave, the same through both paths."""
    got = compare(
        make_db,
        (
            "create table item (id int primary key, qty int)",
            "insert into item select i, case when i % 9 = 0 then -1 else i end"
            " from generate_series(1, 400, 2) i",
        ),
        (
            "create table item (id int primary key, qty int check (qty >= 0))",
            "insert into item select i, 0 from generate_series(2, 300, 4) i",
        ),
        "item",
        50,
    )
    owned = [k for b in got for k in b.preexisting]
    assert owned and all(int(k[0]) % 2 == 0 for k in owned)
    assert len(owned) == len(range(2, 300, 4))


def test_duplicates_within_a_batch(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table item (id int primary key, code text, qty int)",
            # every code appears three times; some first occurrences fail the check, so
            # the second one is the one written
            "insert into item select i, 'c' || (i % 40),"
            " case when i % 11 = 0 then -1 else i end from generate_series(1, 240) i",
        ),
        ("create table item (id int primary key, code text unique, qty int check (qty >= 0))",),
        "item",
        120,
    )
    assert any("already exists" in r for r in reasons(got))
    assert any("check constraint" in r for r in reasons(got))
    assert taken == [False] * len(taken) and taken  # rows share a value: staged whole


def test_foreign_key_to_a_missing_parent(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table child (id int primary key, parent_id int, note text)",
            "insert into child select i, case when i % 9 = 0 then null else i % 30 end, 'n'"
            " from generate_series(1, 300) i",
        ),
        (
            "create table parent (id int primary key)",
            "insert into parent select i from generate_series(0, 30, 2) i",
            "create table child (id int primary key, parent_id int references parent, note text)",
        ),
        "child",
        64,
    )
    assert reasons(got)[0] == (
        'insert or update on table "child" violates foreign key constraint'
        ' "child_parent_id_fkey" (Key (parent_id)=(1) is not present in table "parent".)'
    )
    assert taken and all(taken)  # every refused batch copied straight


def test_value_too_long_and_bad_casts_on_the_text_path(make_db: Callable[[str], str]) -> None:
    got = compare(
        make_db,
        (
            "create table t (id int primary key, code text, n text, day text)",
            "insert into t select i, case when i % 13 = 0 then 'too-long' else 'ok' end,"
            " case when i % 17 = 0 then 'x' || i else i::text end,"
            " case when i % 19 = 0 then '2024-02-30' else '2024-01-01' end"
            " from generate_series(1, 400) i",
        ),
        ("create table t (id int primary key, code varchar(4), n int, day date)",),
        "t",
        80,
    )
    assert got[0].format == "text"
    found = set(reasons(got))
    assert "value too long for type character varying(4)" in found
    assert 'invalid input syntax for type integer: "x17"' in found
    assert 'date/time field value out of range: "2024-02-30"' in found


def test_casts_that_fail_are_set_aside_by_how_the_values_look(
    make_db: Callable[[str], str],
) -> None:
    """Only the columns that do not cast are looked at, and only their rows that do not
    look like the type are tried on their own: numbers, booleans, uuids, lengths."""
    got = compare(
        make_db,
        (
            "create table t (id int primary key, n text, q text, b text, u text, v text, at text)",
            "insert into t select i,"
            " case when i % 11 = 0 then 'x' || i when i % 7 = 0 then ' +' || i || ' ' else"
            " i::text end,"
            " case when i % 13 = 0 then '1.2.3' when i % 5 = 0 then '-.5e1' else"
            " (i / 3.0)::text end,"
            " case when i % 17 = 0 then 'maybe' when i % 2 = 0 then 'YES' else 'f' end,"
            " case when i % 19 = 0 then 'not-a-uuid' else md5(i::text)::uuid::text end,"
            " case when i % 23 = 0 then 'toolong' else 'ok' end,"
            " '2024-01-01 00:00:00+00'"
            " from generate_series(1, 500) i",
        ),
        (
            "create table t (id int primary key, n int, q numeric, b boolean, u uuid,"
            " v varchar(4), at timestamptz)",
        ),
        "t",
        100,
    )
    found = set(reasons(got))
    assert 'invalid input syntax for type integer: "x11"' in found
    assert 'invalid input syntax for type boolean: "maybe"' in found
    assert 'invalid input syntax for type uuid: "not-a-uuid"' in found
    assert "value too long for type character varying(4)" in found
    assert 'invalid input syntax for type numeric: "1.2.3"' in found


def test_a_value_that_does_not_look_like_its_type_but_casts(
    make_db: Callable[[str], str],
) -> None:
    """Ten digits do not look like an int and can be one: when such a row is written
    out of key order, the batch is sorted out again in key order, so the first of two
    rows sharing a unique value wins, as bisection has it (row 5's n is 5, and so is
    row 20's '0000000005', tried first as a suspect)."""
    got = compare(
        make_db,
        (
            "create table t (id int primary key, n text)",
            "insert into t select i, case when i = 20 then '0000000005'"
            " when i % 17 = 0 then 'x' || i else i::text end from generate_series(1, 200) i",
        ),
        ("create table t (id int primary key, n int unique)",),
        "t",
        50,
    )
    assert ("t", {"id": "20"}) in [(r[0], r[1]) for b in got for r in b.rejects]
    assert 'invalid input syntax for type integer: "x17"' in set(reasons(got))


def test_enum_label_missing_on_the_target(make_db: Callable[[str], str]) -> None:
    got = compare(
        make_db,
        (
            "create type mood as enum ('calm', 'sad', 'angry')",
            "create table t (id int primary key, m mood not null)",
            "insert into t select i, (array['calm', 'sad', 'angry'])[1 + i % 3]::mood"
            " from generate_series(1, 200) i",
        ),
        (
            "create type mood as enum ('calm', 'sad')",
            "create table t (id int primary key, m mood not null)",
        ),
        "t",
        64,
    )
    assert reasons(got)[0] == 'invalid input value for enum mood: "angry"'


def test_a_mapped_table_with_an_expression(make_db: Callable[[str], str]) -> None:
    mapping = parse_mapping(
        {
            "tables": {
                "src_item": {
                    "target": "item",
                    "columns": {
                        "qty": {"target": "amount"},
                        "doubled": {"expression": "qty * 2"},
                    },
                }
            }
        }
    )
    got = compare(
        make_db,
        (
            "create table src_item (id int primary key, qty int)",
            "insert into src_item select i, case when i % 6 = 0 then -i else i end"
            " from generate_series(1, 200) i",
        ),
        (
            "create table item (id int primary key, amount int not null,"
            " doubled int check (doubled > 0))",
        ),
        "src_item",
        50,
        target_table="item",
        mapping=mapping,
    )
    assert "item_doubled_check" in reasons(got)[0]
    assert got[0].rejects[0][2] == {"id": 6, "qty": -6}


def test_a_trigger_makes_every_suspect_row_go_in_key_order(
    make_db: Callable[[str], str],
) -> None:
    got = compare(
        make_db,
        (
            "create table item (id int primary key, code text, qty int)",
            "insert into item select i, 'c' || (i % 25), case when i % 4 = 0 then -i else i end"
            " from generate_series(1, 200) i",
        ),
        (
            "create table item (id int primary key, code text unique, qty int check (qty > -50))",
            "create table audit (id int)",
            "create function log_item() returns trigger language plpgsql as"
            " $$ begin insert into audit values (new.id); new.qty := new.qty + 1;"
            " return new; end $$",
            "create trigger item_log before insert on item for each row execute function"
            " log_item()",
        ),
        "item",
        100,
    )
    assert any("check constraint" in r for r in reasons(got))


SOURCE_ITEMS = (
    "create table item (id int primary key, code text, slot int, qty int)",
    "insert into item select i, 'c' || (i % 60), i % 45, case when i % 23 = 0 then 0"
    " when i % 7 = 0 then -1 else i end from generate_series(1, 300) i",
)


def test_reasons_written_out_match_the_server_for_every_kind_of_value(
    make_db: Callable[[str], str],
) -> None:
    """The NOT NULL and CHECK reasons are written out on the target (values cut at 64
    bytes on a character boundary, NULL as null); they must read as the server's."""
    got = compare(
        make_db,
        (
            "create table t (id int primary key, a text, b boolean, c numeric(8,3),"
            " d timestamptz, e int[], f jsonb, g text, h char(5))",
            "insert into t select i, case when i % 3 = 0 then repeat('é', 40 + i % 7)"
            " when i % 3 = 1 then repeat('ab', 40) || 'ü' end, i % 2 = 0, i / 7.0,"
            " timestamptz '2024-03-01 12:00' + i * interval '1 hour', array[i, null, -i],"
            " jsonb_build_object('k', i), case when i % 5 = 0 then null else repeat('🙂', i % 30)"
            " end, 'x' from generate_series(1, 300) i",
        ),
        (
            "create table t (id int primary key, a text, b boolean, c numeric(8,3),"
            " d timestamptz, e int[], f jsonb, g text not null, h char(5),"
            " constraint b_small check (id % 4 <> 0), constraint a_first check (id % 6 <> 1))",
        ),
        "t",
        64,
    )
    found = reasons(got)
    assert any("b_small" in r for r in found) and any("a_first" in r for r in found)
    assert any('null value in column "g"' in r for r in found)
    assert any("...," in r for r in found)


def test_what_only_an_insert_can_tell(make_db: Callable[[str], str]) -> None:
    """An exclusion constraint, a deferrable unique and a CHECK that raises on some rows:
    nothing is predicted for them, the database decides row by row."""
    got = compare(
        make_db,
        SOURCE_ITEMS,
        (
            "create table item (id int primary key, code text, slot int, qty int,"
            " exclude using btree (code with =), unique (slot) deferrable initially immediate,"
            " check (100 / qty > 0))",
        ),
        "item",
        64,
    )
    found = " ".join(reasons(got))
    for text in ("exclusion constraint", "division by zero", "item_slot_key"):
        assert text in found, text


def test_a_partitioned_target(make_db: Callable[[str], str]) -> None:
    got = compare(
        make_db,
        SOURCE_ITEMS,
        (
            "create table item (id int, code text, slot int, qty int check (qty >= 0),"
            " primary key (id, slot)) partition by range (slot)",
            "create table item_low partition of item for values from (0) to (40)",
        ),
        "item",
        64,
    )
    found = " ".join(reasons(got))
    assert "no partition of relation" in found and "item_qty_check" in found


def test_a_foreign_key_to_the_same_table(make_db: Callable[[str], str]) -> None:
    got = compare(
        make_db,
        (
            "create table node (id int primary key, parent int, qty int)",
            "insert into node select i, case when i > 1 then i / 2 end,"
            " case when i % 9 = 0 then -1 else i end from generate_series(1, 300) i",
        ),
        (
            "create table node (id int primary key, parent int references node,"
            " qty int check (qty >= 0))",
        ),
        "node",
        50,
    )
    assert any("node_parent_fkey" in r for r in reasons(got))


# ------------------------------------------------------------------ randomized


def _random_case(seed: int) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    rng = random.Random(seed)
    n = rng.randint(150, 500)
    rows = []
    for i in range(1, n + 1):
        u = f"u{rng.randint(1, n * 3)}"  # some collide within the batch
        v = rng.randint(1, n * 4) if rng.random() < 0.9 else None
        qty = rng.randint(-3, 100) if rng.random() < 0.15 else rng.randint(0, 100)
        parent = rng.randint(0, 40) if rng.random() < 0.95 else None
        label = "x" * rng.choice([3, 4, 4, 4, 5]) if rng.random() < 0.2 else "ok"
        note = None if rng.random() < 0.05 else "n"
        rows.append((i, u, v, qty, parent, label, note))
    values = ", ".join(
        "(" + ", ".join("null" if x is None else repr(x) for x in r) + ")" for r in rows
    )
    source = (
        "create table item (id int primary key, u text, v int, qty int, parent int,"
        " label text, note text)",
        f"insert into item values {values}".replace('"', "'"),
    )
    held = ", ".join(f"({k}, 'held{k}', {k * 1000}, 0, null, 'ok', 'n')" for k in
                     rng.sample(range(1, n + 1), n // 20))  # fmt: skip
    u_held = ", ".join(f"({10_000 + k}, 'u{k}', null, 0, null, 'ok', 'n')" for k in
                       rng.sample(range(1, n * 3), n // 20))  # fmt: skip
    target = (
        "create table parent (id int primary key)",
        "insert into parent select i from generate_series(0, 40) i where i % 5 <> 0",
        "create table item (id int primary key, u text unique, v int unique,"
        " qty int check (qty >= 0), parent int references parent, label varchar(4),"
        " note text not null)",
        f"insert into item values {held}",
        f"insert into item values {u_held}",
    )
    return source, target, rng.choice([16, 50, 128, 1000])


@pytest.mark.parametrize("seed", range(8))
def test_randomized_against_bisection(make_db: Callable[[str], str], seed: int) -> None:
    source, target, batch = _random_case(seed)
    got = compare(make_db, source, target, "item", batch)
    kinds = {r.split(" ")[0] for r in reasons(got)}
    assert len(kinds) >= 3, kinds


@pytest.mark.parametrize("seed", range(100, 103))
def test_randomized_with_a_trigger(make_db: Callable[[str], str], seed: int) -> None:
    source, target, batch = _random_case(seed)
    trigger = (
        "create function touch() returns trigger language plpgsql as"
        " $$ begin new.note := coalesce(new.note, 'n') || ''; return new; end $$",
        "create trigger item_touch before insert on item for each row execute function touch()",
    )
    compare(make_db, source, (*target, *trigger), "item", batch)


def test_python_rows_are_sorted_out_too(make_db: Callable[[str], str]) -> None:
    """The MySQL reader's path: rows as Python tuples, text COPY."""
    tgt = make_db("tgt")
    run_sql(
        tgt, "create table item (id int primary key, code text unique, qty int check (qty > 0))"
    )
    run_sql(tgt, "insert into item values (3, 'held', 1)")
    rows = [(i, f"c{i % 8}", -1 if i % 5 == 0 else i) for i in range(1, 31)]
    with psycopg.connect(tgt) as t:
        table = TablePlan("item", "public", ("id", "code", "qty"), ("id",), False, (), 30, 0)
        result = classified_rows(t, table, rows)
        assert result is not None
        t.commit()
    written = {r[0] for r in rows} - {rows[i][0] for i, _, _ in result.refused}
    assert {r[0] for r in query(tgt, "select id from item where id <> 3 or code <> 'held'")} == (
        written
    )
    by_row = {rows[i][0]: m for i, m, _ in result.refused}
    assert "item_pkey" in by_row[3]
    assert "check constraint" in by_row[5]
    # c1..c7 first appear at ids 1..7; 9 repeats c1: refused as a duplicate
    assert "item_code_key" in by_row[9]
    assert result.written == len(written)


def test_written_out_reasons_are_the_servers_own(make_db: Callable[[str], str]) -> None:
    """Each reason written out in SQL equals what the server says inserting that row."""
    tgt = make_db("tgt")
    ddl = (
        "(id int primary key, a text, b boolean, c numeric(8,3), e int[], g text not null,"
        " constraint small check (id % 3 <> 0))"
    )
    run_sql(tgt, f"create table item {ddl}", f"create table probe {ddl}")
    rows = [
        (i, ("é" * (30 + i) if i % 2 else "ab" * (20 + i)) + "ü", i % 2 == 0, i / 7, [i, None],
         None if i % 4 == 0 else "🙂" * i)
        for i in range(1, 41)
    ]  # fmt: skip
    with psycopg.connect(tgt) as t:
        table = TablePlan("item", "public", ("id", "a", "b", "c", "e", "g"), ("id",), False, (),
                          40, 0)  # fmt: skip
        result = classified_rows(t, table, rows)
        assert result is not None
        t.commit()
        assert result.written_out == len(result.refused) > 0
        for i, message, detail in result.refused:
            with (
                pytest.raises(psycopg.IntegrityError) as caught,
                t.transaction(),
                t.cursor().copy("copy probe from stdin") as sink,
            ):
                sink.write_row(rows[i])
            assert (message, detail) == (
                caught.value.diag.message_primary.replace('"probe"', '"item"'),
                caught.value.diag.message_detail,
            )


def test_without_temporary_tables_the_batch_is_bisected(make_db: Callable[[str], str]) -> None:
    """A target user who may not create temporary tables gets bisection's result."""
    src, tgt, ref = make_db("src"), make_db("tgt"), make_db("tgt")
    run_sql(src, "create table item (id int primary key, qty int)")
    run_sql(src, "insert into item select i, case when i % 9 = 0 then -1 else i end"
                 " from generate_series(1, 120) i")  # fmt: skip
    ddl = "create table item (id int primary key, qty int check (qty >= 0))"
    run_sql(ref, ddl)
    role = f"ormshift_notemp_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(tgt)
    run_sql(tgt, f"create role {role} login", ddl, f"grant all on item to {role}",
            f"revoke temporary on database {parts.path.lstrip('/')} from public")  # fmt: skip
    as_role = urlunsplit((parts.scheme, f"{role}@{parts.hostname}:{parts.port}", parts.path,
                          parts.query, parts.fragment))  # fmt: skip
    try:
        with (
            psycopg.connect(as_role) as t,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            t.execute("create temp table x (a int)")
        got = load(src, as_role, "item", 50, settle_batch)
        assert got == load(src, ref, "item", 50, _bisected)
        assert sum(len(b.rejects) for b in got) == 120 // 9
    finally:
        run_sql(tgt, "drop table item", f"drop role {role}")


# ------------------------------------------------------------------ how predictions run


def _calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """What each call of ``predict.<name>`` returned."""
    from ormshift.transfer import predict  # noqa: PLC0415

    seen: list[Any] = []
    real = getattr(predict, name)

    def spy(*args: Any) -> Any:
        out = real(*args)
        seen.append(out)
        return out

    monkeypatch.setattr(predict, name, spy)
    return seen


def test_checks_are_judged_on_the_source(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a row's own values can be refused (CHECK, NOT NULL): the source says which
    rows, nothing is staged on the target for the prediction."""
    taken = predicted(monkeypatch)
    on_source = _calls(monkeypatch, "_predict_on_source")
    on_target = _calls(monkeypatch, "_predict")
    got = compare(
        make_db,
        (
            "create table item (id int primary key, qty int, label text)",
            "insert into item select i, case when i % 7 = 0 then -i else i end,"
            " nullif('l' || i, 'l30') from generate_series(1, 400) i",
        ),
        (
            "create table item (id int primary key, qty int check (qty >= 0),"
            " label text not null check (label <> 'l99'))",
        ),
        "item",
        64,
    )
    found = reasons(got)
    assert any("item_qty_check" in r for r in found)
    assert any("item_label_check" in r for r in found)
    assert any(r.startswith('null value in column "label"') for r in found)
    assert taken and all(taken)
    assert on_source and all(isinstance(x, list) and x for x in on_source)
    assert on_target == []


def test_a_check_the_source_cannot_evaluate_is_judged_on_the_target(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CHECK calls a function only the target has: the source's savepoint takes
    the error, and the prediction is made on the target, for this batch and the next."""
    taken = predicted(monkeypatch)
    on_source = _calls(monkeypatch, "_predict_on_source")
    on_target = _calls(monkeypatch, "_predict")
    got = compare(
        make_db,
        (
            "create table item (id int primary key, qty int)",
            "insert into item select i, case when i % 9 = 0 then -i else i end"
            " from generate_series(1, 300) i",
        ),
        (
            "create function nonneg(v int) returns boolean language sql immutable"
            " as 'select v >= 0'",
            "create table item (id int primary key, qty int check (nonneg(qty)))",
        ),
        "item",
        50,
    )
    assert len(reasons(got)) == 300 // 9
    assert on_source == [None]  # tried once on that source connection
    assert len(on_target) == len(taken) and all(taken)


def test_text_copy_batches_are_copied_straight(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Text COPY (the source's text parsed by the target): the columns that change type
    are staged as text, the rows whose text does not look like the type are set aside,
    the rest goes straight in; rejects and rows as bisection has them."""
    taken = predicted(monkeypatch)
    got = compare(
        make_db,
        (
            "create table t (id int primary key, n text, q text, u text, v text, code text,"
            " qty int)",
            "insert into t select i,"
            " case when i % 11 = 0 then 'x' || i when i % 7 = 0 then ' +' || i || ' ' else"
            " i::text end,"
            " case when i % 13 = 0 then '1.2.3' else (i / 3.0)::text end,"
            " case when i % 19 = 0 then 'not-a-uuid' else md5(i::text)::uuid::text end,"
            " case when i % 23 = 0 then 'toolong' else 'ok' end,"
            " 'c' || (i % 290), case when i % 17 = 0 then -1 else i end"
            " from generate_series(1, 500) i",
        ),
        (
            "create table t (id int primary key, n int, q numeric, u uuid, v varchar(4),"
            " code text unique, qty int check (qty >= 0))",
            "insert into t select 1000 + i, 0, 0, null, 'ok', 'c' || i, 0"
            " from generate_series(100, 120) i",
        ),
        "t",
        100,
    )
    assert got[0].format == "text"
    found = set(reasons(got))
    assert 'invalid input syntax for type integer: "x11"' in found
    assert 'invalid input syntax for type numeric: "1.2.3"' in found
    assert 'invalid input syntax for type uuid: "not-a-uuid"' in found
    assert "value too long for type character varying(4)" in found
    assert any("t_qty_check" in r for r in found)
    assert any('"t_code_key" (Key (code)=(c100) already exists.)' in r for r in found)
    assert taken and all(taken)  # every refused batch copied straight


def _blocks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every block the classifier runs on the target."""
    from ormshift.transfer import classify  # noqa: PLC0415

    seen: list[str] = []
    real = classify._run

    def spy(target: psycopg.Connection, block: Any) -> None:
        seen.append(block.as_string(target))
        real(target, block)

    monkeypatch.setattr(classify, "_run", spy)
    return seen


def test_text_copy_casts_are_judged_on_the_source(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a row's own values can be refused, some of them parsed by the target (text
    COPY): the source lists the rows whose text does not look like the type along with
    its CHECK and NOT NULL predictions, nothing is staged for the prediction; the rows
    that do not cast are refused in one statement with the first failing column's error
    in the table's order (row 33: n and u both bad, n's error), ten digits that fit an
    int (row 20) are written, and all is as bisection has it."""
    taken = predicted(monkeypatch)
    on_source = _calls(monkeypatch, "_predict_on_source")
    on_target = _calls(monkeypatch, "_predict")
    blocks = _blocks(monkeypatch)
    got = compare(
        make_db,
        (
            "create table t (id int primary key, n text, u text, v text, qty int, label text)",
            "insert into t select i,"
            " case when i = 20 then '0000000005' when i % 11 = 0 then 'x' || i"
            " when i = 41 then '' when i = 43 then ' -' when i = 47 then '12abc'"
            " when i = 53 then '99999999999' when i = 59 then E'\\t+ 5'"
            " when i % 7 = 0 then ' +' || i || ' ' else i::text end,"
            " case when i % 3 = 0 then 'bad-' || i else md5(i::text)::uuid::text end,"
            " case when i % 23 = 0 then 'toolong' when i % 29 = 0 then 'ok    ' else 'ok' end,"
            " case when i % 17 = 0 then -1 else i end, nullif('l' || i, 'l40')"
            " from generate_series(1, 400) i",
        ),
        (
            "create table t (id int primary key, n int, u uuid, v varchar(4),"
            " qty int check (qty >= 0), label text not null)",
        ),
        "t",
        100,
        order="id",  # rows 20 and 29 are written after the rest of their batch
    )
    assert got[0].format == "text"
    by_key = {r[1]["id"]: r[3] for b in got for r in b.rejects}
    assert by_key["33"] == 'invalid input syntax for type integer: "x33"'
    assert by_key["41"] == 'invalid input syntax for type integer: ""'
    assert by_key["43"] == 'invalid input syntax for type integer: " -"'
    assert by_key["47"] == 'invalid input syntax for type integer: "12abc"'
    assert by_key["53"] == 'value "99999999999" is out of range for type integer'
    assert by_key["59"] == 'invalid input syntax for type integer: "\t+ 5"'
    assert by_key["3"] == 'invalid input syntax for type uuid: "bad-3"'
    assert by_key["23"] == "value too long for type character varying(4)"
    assert "20" not in by_key and "29" not in by_key  # they cast (and 'ok    ' is cut)
    assert by_key["17"].startswith('new row for relation "t" violates check constraint')
    assert by_key["40"].startswith('null value in column "label"')
    assert taken and all(taken)
    assert on_source and all(isinstance(x, list) and x for x in on_source)
    assert on_target == []
    assert any("ormshift_try" in b for b in blocks)


def test_rows_that_do_not_cast_are_refused_in_one_statement(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole batch staged (a CHECK reads a parsed column): the rows whose value of a
    failing column does not cast are refused by the try functions, the others set aside
    tried on their own; as bisection has them, also for a row where two columns fail,
    which the plan lists in another order than the table's (the source's)."""
    blocks = _blocks(monkeypatch)
    got = compare(
        make_db,
        (
            "create table t (id int primary key, b text, a text)",
            "insert into t select i,"
            " case when i % 3 = 0 then 'b' || i else i::text end,"
            " case when i % 5 = 0 then 'a' || i when i = 7 then '0000000007' else i::text end"
            " from generate_series(1, 300) i",
        ),
        ("create table t (id int primary key, a int check (a <> 8), b bigint)",),
        "t",
        60,
        order="id",
    )
    by_key = {r[1]["id"]: r[3] for b in got for r in b.rejects}
    assert by_key["10"] == 'invalid input syntax for type integer: "a10"'
    assert by_key["3"] == 'invalid input syntax for type bigint: "b3"'
    assert by_key["8"].startswith('new row for relation "t" violates check constraint')
    assert "7" not in by_key
    assert len(by_key) == 300 // 5 + 300 // 3 - 300 // 15 + 1
    assert by_key["15"] == 'invalid input syntax for type bigint: "b15"'  # b comes first
    assert any("ormshift_try" in b for b in blocks)
