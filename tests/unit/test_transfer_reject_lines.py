"""Reject lines made a batch at a time are the lines a single reject makes."""

from __future__ import annotations

import json

from ormshift.transfer.plan import TablePlan
from ormshift.transfer.rejects import Reject, _rejects
from ormshift.transfer.sourcerows import RawJson


def _plan(key: tuple[str, ...]) -> TablePlan:
    return TablePlan(
        name='we"ird\ttáble', schema="public", columns=(*key, "v"), key=key, binary=True,
        depends_on=(), est_rows=0, est_bytes=0,
    )  # fmt: skip


def test_batch_lines_equal_single_lines() -> None:
    for key in (("id",), ("b", "a"), ("z", "é", "a")):
        table = _plan(key)
        found = [
            (0, tuple(f"{k}-1" for k in key), RawJson('{"v": "x\\ny", "id": 1}')),
            (3, tuple(f'q"\\{k}\n' for k in key), RawJson('{"v": null}')),
        ]
        refused = [(0, "bad value", "Failing row contains (1, x).\ttab"), (3, "ünïcode", "")]
        made = _rejects(table, found, refused)
        for r, (_, k, row) in zip(made, found, strict=True):
            single = Reject(r.table, dict(zip(key, k, strict=True)), row, r.error)
            assert r.line == single.line
            parsed = json.loads(r.line)
            assert parsed["key"] == dict(zip(key, k, strict=True))
            assert parsed["table"] == table.name
            assert list(parsed) == sorted(parsed)
            assert list(parsed["key"]) == sorted(parsed["key"])
        assert [r.error for r in made] == [
            "bad value (Failing row contains (1, x).\ttab)",
            "ünïcode",
        ]
