"""The fuzzer's shrinker and value making, without a database."""

from __future__ import annotations

import random
from typing import Any

from ormshift.compare.fuzz.shrink import shrink
from ormshift.compare.fuzz.values import make_value
from ormshift.manifest.model import Column


def test_ddmin_keeps_only_the_operations_that_matter() -> None:
    ops = [{"op": "find", "entity": "T", "args": [{"n": i}]} for i in range(30)]
    runs: list[int] = []

    def reproduces(candidate: list[dict[str, Any]]) -> bool:
        runs.append(1)
        ns = {op["args"][0].get("n") for op in candidate if op.get("args") and op["args"][0]}
        return {4, 17} <= ns

    small = shrink(ops, reproduces, max_runs=500)
    assert [op["args"][0]["n"] for op in small] == [4, 17]
    assert len(runs) < 200


def test_option_subtrees_are_cut_down() -> None:
    op = {
        "op": "find",
        "entity": "Post",
        "args": [
            {
                "where": {"viewCount": {"$op": "MoreThan", "value": 5}, "title": "x"},
                "order": {"id": "ASC"},
                "relations": {"author": True, "tags": True},
                "take": 2,
            }
        ],
    }

    def reproduces(candidate: list[dict[str, Any]]) -> bool:
        where = (candidate[0].get("args") or [{}])[0].get("where") or {}
        return where.get("viewCount", {}).get("$op") == "MoreThan"

    (small,) = shrink([op], reproduces)
    assert small == {
        "op": "find",
        "entity": "Post",
        "args": [{"where": {"viewCount": {"$op": "MoreThan", "value": 5}}}],
    }


def test_a_failing_reproduction_counts_as_no() -> None:
    def explode(candidate: list[dict[str, Any]]) -> bool:
        if len(candidate) < 2:
            raise RuntimeError("sidecar gone")
        return True

    assert len(shrink([{"op": "a"}, {"op": "b"}], explode)) == 2


def test_values_fit_their_columns() -> None:
    rng = random.Random(1)
    col = Column("c", "character varying", False, length=5)
    assert all(len(make_value("str", col, rng, i).arg) <= 5 for i in range(50))
    num = Column("n", "numeric", False, precision=5, scale=2)
    for i in range(50):
        text = make_value("numeric", num, rng, i).arg
        whole, _, frac = text.removeprefix("-").partition(".")
        assert len(whole) <= 3 and len(frac) == 2
    char = Column("k", "character", False, length=2)
    assert len(make_value("char", char, rng, 1).arg) == 2
    stamp = make_value("timestamptz", Column("t", "timestamp with time zone", True), rng, 1)
    assert stamp.sql is not None and stamp.sql.endswith("Z")
    a = [make_value("uuid", Column("u", "uuid", False), random.Random(9), 0).arg for _ in range(2)]
    assert a[0] == a[1]  # deterministic for the seed


def test_argument_positions_survive_shrinking() -> None:
    op = {"op": "update", "entity": "T", "args": [{"id": 1, "n": 2}, {"title": "x"}]}
    (small,) = shrink([op], lambda c: len(c) == 1 and len(c[0]["args"]) == 2)
    assert small == {"op": "update", "entity": "T", "args": [{}, {}]}
