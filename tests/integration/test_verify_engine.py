"""The verify engine on real databases: every key type, a row changed, deleted or added
at the first key, the middle and the last key, found by bisection down to that row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest

from ormshift.verify import Difference, Event, Options, TableResult, VerifyReport, verify

N = 1500
# small factor and threshold: the 3000 rows are bisected over several levels
SMALL = Options(factor=4, threshold=40)


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[call-overload]


def scalar(url: str, query: str) -> tuple[str, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()  # type: ignore[call-overload]
        assert row is not None
        return tuple(str(v) for v in row)


@dataclass
class Outcome:
    report: VerifyReport
    differences: list[Difference]
    tables: dict[str, TableResult]

    def found(self) -> list[tuple[str, tuple[str, ...] | None, str | None]]:
        return [
            (d.kind, tuple(d.key.values()) if d.key else None, d.column) for d in self.differences
        ]


def check(source: str, target: str, options: Options = SMALL, **kw: object) -> Outcome:
    events: list[Event] = []
    report = verify(source, target, options=options, on_event=events.append, **kw)  # type: ignore[arg-type]
    return Outcome(
        report,
        [e for e in events if isinstance(e, Difference)],
        {e.table: e for e in events if isinstance(e, TableResult)},
    )


@dataclass(frozen=True)
class KeyCase:
    columns: str  # DDL of the key columns
    pk: str  # the key columns, comma-separated
    expr: str  # their values from g
    new: tuple[str, str, str]  # values of a new key before the first, in the middle, after the last


KEYS = {
    "integer": KeyCase("id bigint", "id", "g * 2", ("-5", "1001", "99999")),
    "uuid": KeyCase(
        "id uuid",
        "id",
        "md5(g::text)::uuid",
        (
            "'00000000-0000-0000-0000-000000000000'",
            "'80000000-0000-0000-0000-000000000001'",
            "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
        ),
    ),
    "text": KeyCase(
        "id text", "id", "'k' || lpad((g * 2)::text, 6, '0')", ("'a'", "'k001001'", "'z'")
    ),
    "composite": KeyCase(
        "a int, b text",
        "a, b",
        "g % 7, 'b' || lpad(g::text, 5, '0')",
        ("-1, 'x'", "3, 'b01000x'", "99, 'x'"),
    ),
}


def create_items(url: str, case: KeyCase, backup: bool = False) -> None:
    run_sql(
        url,
        f"create table item ({case.columns}, v text, n numeric(12,2), j jsonb, "
        f"ts timestamptz, i int, primary key ({case.pk}))",
        f"insert into item select {case.expr}, 'v' || g, g / 3.0, "
        "jsonb_build_object('g', g, 'tags', jsonb_build_array('a', g % 5)), "
        "'2024-01-01 00:00+00'::timestamptz + g * interval '1 hour', nullif(g % 4, 0) "
        f"from generate_series(1, {N}) g",
    )
    if backup:
        run_sql(url, "create table item_backup as table item")


def key_at(url: str, case: KeyCase, where: str) -> tuple[str, ...]:
    casts = ", ".join(f"{c.strip()}::text as k{i}" for i, c in enumerate(case.pk.split(",")))
    order = {"first": f"order by {case.pk} limit 1", "last": f"order by {case.pk} limit 1"}
    if where == "last":
        order["last"] = (
            "order by " + ", ".join(f"{c} desc" for c in case.pk.split(",")) + " limit 1"
        )
    order["middle"] = f"order by {case.pk} offset {N // 2} limit 1"
    return scalar(url, f"select {casts} from item {order[where]}")


ITEM = ["item"]  # the target also holds item_backup, which the source has not


@pytest.mark.parametrize("key_type", sorted(KEYS))
def test_every_key_type_first_middle_last(make_db: Callable[[], str], key_type: str) -> None:
    case = KEYS[key_type]
    source, target = make_db(), make_db()
    create_items(source, case)
    create_items(target, case, backup=True)
    restore = ("delete from item", "insert into item select * from item_backup")

    same = check(source, target, tables=ITEM)
    assert same.report.exit_code == 0
    assert same.differences == []
    assert same.tables["item"].status == "identical"
    assert same.tables["item"].source_rows == same.tables["item"].target_rows == N

    where_key = f"({case.pk}) = (select {case.pk} from item order by {case.pk} "
    for position in ("first", "middle", "last"):
        key = key_at(source, case, position)
        pick = {
            "first": f"{where_key} limit 1)",
            "middle": f"{where_key} offset {N // 2} limit 1)",
            "last": f"({case.pk}) = (select {case.pk} from item order by "
            + ", ".join(f"{c} desc" for c in case.pk.split(","))
            + " limit 1)",
        }[position]

        run_sql(target, f"update item set v = 'changed' where {pick}")
        out = check(source, target, tables=ITEM)
        assert out.found() == [("changed", key, "v")], position
        assert out.differences[0].source != "changed"
        assert out.differences[0].target == "changed"
        assert out.report.exit_code == 1
        assert out.tables["item"].changed_rows == 1
        run_sql(target, *restore)

        run_sql(target, f"delete from item where {pick}")
        out = check(source, target, tables=ITEM)
        assert out.found() == [("missing", key, None)], position
        assert out.tables["item"].target_rows == N - 1
        run_sql(target, *restore)

    for position, new in zip(("first", "middle", "last"), case.new, strict=True):
        run_sql(
            target,
            f"insert into item ({case.pk}, v, n, j, ts, i) "
            f"values ({new}, 'new', 1.5, '{{}}', now(), null)",
        )
        out = check(source, target, tables=ITEM)
        assert [(k, c) for k, _key, c in out.found()] == [("extra", None)], position
        assert out.differences[0].target is not None
        assert out.differences[0].target["v"] == "new"
        assert out.tables["item"].extra == 1
        run_sql(target, *restore)

    # a large difference: half the target gone, every row named once, bounded by bisection
    run_sql(
        target,
        f"delete from item where ctid in (select ctid from item order by {case.pk} limit {N // 2})",
    )
    out = check(source, target, Options(factor=4, threshold=40))
    missing = [d for d in out.differences if d.kind == "missing"]
    assert out.tables["item"].target_rows is not None
    assert len(missing) == N - out.tables["item"].target_rows
    assert all(d.kind == "missing" for d in out.differences)
