"""Verify's parts that need no database: mapping files, kinds, split points, row diffs,
confidence of a sample, exit codes."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ormshift.db.sqlite import trim_number
from ormshift.dsn import sqlite_path
from ormshift.manifest import Column
from ormshift.verify import (
    MappingError,
    OrphanCheck,
    SequenceCheck,
    TableResult,
    VerifyReport,
    load_mapping,
    parse_mapping,
    pgside,
    undetected_at_95,
)
from ormshift.verify.checksum import ColumnView, kind_of
from ormshift.verify.locate import Merge, differing_ranges, segment_count
from ormshift.verify.rowdiff import diff_rows, diff_streams
from ormshift.verify.segments import spread
from ormshift.verify.streams import (
    array_equal,
    diff_keyed_streams,
    float_equal,
    json_equal,
    pg_array,
)


def test_mapping_parses_renames_transforms_and_ignores(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "tables:\n  user:\n    target: app_user\n    columns:\n      fullName: full_name\n"
        "      tags: {transform: simple-array}\n    ignore: [legacy]\n"
    )
    m = load_mapping(path)
    t = m.table("user")
    assert (t.target, t.ignore) == ("app_user", ("legacy",))
    assert t.column("fullName").target == "full_name"
    assert t.column("tags").transform == "simple-array"
    assert t.column("other").target == "other"
    assert m.table("unmapped").target == "unmapped"


@pytest.mark.parametrize(
    "data, message",
    [
        ([1], "one key"),
        ({"tables": {"t": [1]}}, "must be a mapping"),
        ({"tables": {"t": {"columns": {"c": {"transform": "rot13"}}}}}, "unknown transform"),
        ({"tables": {"t": {"columns": {"c": 5}}}}, "target name"),
    ],
)
def test_mapping_errors_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(data)


def test_kinds() -> None:
    def col(t: str, array: bool = False) -> Column:
        return Column("c", t, True, array=array)

    assert kind_of(col("json"), col("jsonb")) == "json"
    assert kind_of(col("text"), col("jsonb"), "simple-json") == "json"
    assert kind_of(col("integer"), col("numeric")) == "number"
    assert kind_of(col("timestamp without time zone"), col("timestamp with time zone")) == (
        "timestamp"
    )
    assert kind_of(col("uuid"), col("uuid")) == "plain"
    assert kind_of(col("text"), col("text", array=True), "simple-array") == "simple-array"
    assert kind_of(col("text"), col("character varying")) == "text"


def test_spread_takes_even_distinct_bounds() -> None:
    keys = [(str(i),) for i in range(100)]
    assert spread(keys, 4) == [("25",), ("50",), ("75",)]
    assert spread(keys[:2], 8) == [("1",)]
    assert spread([], 8) == []


def test_diff_rows_missing_extra_changed() -> None:
    src = [(("1",), ("a", "x"), ("A", "X")), (("2",), ("b", "y"), ("B", "Y"))]
    tgt = [(("2",), ("b", "z"), ("B", "Z")), (("3",), ("c", "w"), ("C", "W"))]
    found = list(diff_rows("t", ["id"], ["p", "q"], src, tgt))
    assert [(d.kind, d.key, d.column, d.source, d.target) for d in found] == [
        ("missing", {"id": "1"}, None, {"p": "A", "q": "X"}, None),
        ("changed", {"id": "2"}, "q", "Y", "Z"),
        ("extra", {"id": "3"}, None, None, {"p": "C", "q": "W"}),
    ]


def test_diff_streams_is_a_multiset_merge() -> None:
    src = iter([("a", ("a",)), ("a", ("a",)), ("c", ("c",))])
    tgt = iter([("a", ("a",)), ("b", ("b",)), ("c", ("c",))])
    found = [(d.kind, d.source or d.target) for d in diff_streams("t", ["v"], src, tgt)]
    assert found == [("missing", {"v": "a"}), ("extra", {"v": "b"})]


def test_sample_confidence_bound() -> None:
    assert undetected_at_95(10) == 29
    assert undetected_at_95(1) == 299
    assert undetected_at_95(100) == 1


def test_exit_codes() -> None:
    assert VerifyReport().exit_code == 0
    assert VerifyReport(tables=[TableResult("t", "t", status="differs")]).exit_code == 1
    assert VerifyReport(tables=[TableResult("t", "t", status="error")]).exit_code == 2
    orphans = [OrphanCheck("c", "fk", ("p",), "p", ("id",), 3)]
    assert VerifyReport(orphans=orphans).exit_code == 1
    behind = [SequenceCheck("t", "id", "public.t_id_seq", 1, 10)]
    assert VerifyReport(sequences=behind).exit_code == 1
    assert VerifyReport(sequences=[SequenceCheck("t", "id", "s", 11, 10)]).exit_code == 0


def test_stream_equality_by_meaning() -> None:
    assert json_equal('{"b": 1.50, "a": [1, 2]}', '{"a":[1,2],"b":1.5}')
    assert not json_equal('{"a": 1}', '{"a": 2}')
    assert json_equal(None, None) and not json_equal("{}", None)
    assert pg_array('{a,"b c","x\\"y",NULL}') == ["a", "b c", 'x"y', None]
    assert array_equal("a,b c", '{a,"b c"}')
    assert array_equal("", "{}")
    assert not array_equal("a,b", "{a}")
    assert float_equal("0.1", "0.10000000000000001")


def test_keyed_streams_merge_in_key_order() -> None:
    views = [ColumnView(Column("v", "text", True), "text")]
    src = iter([(("1",), ("a",)), (("2",), ("b",)), (("10",), ("c",))])
    tgt = iter([(("2",), ("B",)), (("3",), ("x",)), (("10",), ("c",))])
    found = [
        (d.kind, d.key, d.column) for d in diff_keyed_streams("t", ["id"], [True], views, src, tgt)
    ]
    assert found == [
        ("missing", {"id": "1"}, None),
        ("changed", {"id": "2"}, "v"),
        ("extra", {"id": "3"}, None),
    ]


def test_sqlite_helpers() -> None:
    assert [trim_number(v) for v in (2.0, "1.50", 100, "0.00", None, 1e-07)] == [
        "2",
        "1.5",
        "100",
        "0",
        None,
        "0.0000001",
    ]
    assert sqlite_path("sqlite:///app.db") == "app.db"
    assert sqlite_path("sqlite:////tmp/app.db") == "/tmp/app.db"


@pytest.mark.parametrize("seed", range(30))
def test_merge_of_two_sorted_streams_names_every_differing_key(seed: int) -> None:
    rng = random.Random(seed)
    width = rng.choice([1, 2])
    parts = ["", "a", "b", "10", "9", "é"]
    pool = [tuple(rng.choice(parts) + str(i) for _ in range(width)) for i in range(200)]
    src = {k: rng.randint(0, 3) for k in rng.sample(pool, rng.randint(0, 150))}
    tgt = {k: rng.randint(0, 3) for k in rng.sample(pool, rng.randint(0, 150))}

    def batches(side: dict[tuple[str, ...], int]) -> Callable[[], list[tuple[object, ...]]]:
        rows = [(*k, h) for k, h in sorted(side.items())]
        size = rng.choice([1, 2, 7, 1000])
        chunks = iter([rows[i : i + size] for i in range(0, len(rows), size)])
        return lambda: next(chunks, [])

    found = list(Merge(width)(batches(src), batches(tgt)))
    truth = sorted(
        ("missing" if k not in tgt else "extra" if k not in src else "changed", k)
        for k in src.keys() | tgt.keys()
        if src.get(k) != tgt.get(k)
    )
    assert sorted(found, key=lambda f: f[1]) == sorted(truth, key=lambda f: f[1])
    assert [k for _, k in found] == sorted(k for _, k in found)  # in key order


def test_differing_segments_become_ranges_adjacent_ones_joined_ends_open() -> None:
    bounds = [("10",), ("20",), ("30",), ("40",)]  # segments 0..4
    assert differing_ranges(bounds, [0, 1, 3]) == [(None, ("20",)), (("30",), ("40",))]
    assert differing_ranges(bounds, [2, 4]) == [(("20",), ("30",)), (("40",), None)]
    assert differing_ranges(bounds, [1, 2, 3]) == [(("10",), ("40",))]
    assert differing_ranges([], [0]) == [(None, None)]


def test_segment_count_about_segment_rows_each_within_the_caps() -> None:
    assert segment_count(0, True) == 2
    assert segment_count(120_000, True) == 1000
    assert segment_count(1_000_000, True) == 8192
    assert segment_count(1_000_000, False) == 512


def test_picker_gives_a_tuple_of_any_length() -> None:
    row = ("k", "a", "b", "c")
    assert pgside._picker([])(row) == ()
    assert pgside._picker([2])(row) == ("b",)
    assert pgside._picker([3, 1, 3])(row) == ("c", "a", "c")
