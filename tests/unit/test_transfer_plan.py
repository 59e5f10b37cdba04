"""Pure parts of the transfer: load order, key predicates, throttle decisions, reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql

from ormshift.transfer import (
    FlagFileProbe,
    PreflightError,
    Reading,
    Throttle,
    TransferAborted,
    dependency_order,
)
from ormshift.transfer.keyset import range_predicate
from ormshift.transfer.ledger import Batch
from ormshift.transfer.plan import cycle_groups
from ormshift.transfer.report import table_stats


def test_parents_first_ties_by_name() -> None:
    deps = {
        "order_line": {"order", "product"},
        "order": {"customer"},
        "customer": set(),
        "product": set(),
        "audit": set(),
    }
    assert dependency_order(deps) == ["audit", "customer", "product", "order", "order_line"]


def test_self_reference_is_not_a_cycle() -> None:
    assert dependency_order({"emp": {"emp"}, "dept": set()}) == ["dept", "emp"]


def test_cycle_names_its_tables() -> None:
    with pytest.raises(PreflightError, match=r"\(a -> b -> c -> a\)"):
        dependency_order({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})


def test_unknown_parents_are_ignored() -> None:
    assert dependency_order({"t": {"elsewhere"}}) == ["t"]


def _render(part: sql.Composable) -> str:
    return repr(part)


def test_range_predicate_binds_every_bound() -> None:
    where, params = range_predicate(("a", "b"), ("1", "x"), ("5", "y"))
    assert params == ["1", "x", "5", "y"]
    assert "Identifier('a')" in _render(where)
    assert range_predicate(("id",), None, None)[1] == []
    assert range_predicate(("id",), None, ("9",))[1] == ["9"]


@dataclass
class Script:
    readings: list[Reading]
    name: str = "script"

    def check(self) -> Reading:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


def test_throttle_pauses_until_clear_then_aborts_on_critical() -> None:
    events: list[str] = []
    naps: list[float] = []
    probe = Script([Reading("pause", "busy"), Reading("pause", "busy"), Reading("ok")])
    throttle = Throttle(
        [probe],
        interval=0.5,
        on_pause=lambda why: events.append(f"pause {why}"),
        on_resume=lambda: events.append("resume"),
        sleep=naps.append,
    )
    throttle.wait()
    assert events == ["pause script: busy", "resume"]
    assert naps == [0.5, 0.5]
    critical = Throttle([Script([Reading("ok")]), Script([Reading("critical", "on fire")])])
    with pytest.raises(TransferAborted, match="script: on fire"):
        critical.wait()


def test_flag_file_probe(tmp_path: Path) -> None:
    probe = FlagFileProbe(tmp_path / "pause")
    assert probe.check().level == "ok"
    (tmp_path / "pause").touch()
    assert probe.check().level == "pause"


def test_table_stats_add_up_batches() -> None:
    def batch(table: str, n: int, rej: int) -> Batch:
        return Batch(table, 1, None, None, n, n - rej, rej, (), "x", "binary", 0.1, 0.1, 0.5)

    stats = table_stats(["a", "b"], [batch("a", 10, 1), batch("a", 5, 0), batch("c", 1, 0)])
    assert [(s.table, s.read, s.written, s.rejected, s.batches) for s in stats] == [
        ("a", 15, 14, 1, 2),
        ("b", 0, 0, 0, 0),
        ("c", 1, 1, 0, 1),
    ]
    assert stats[0].rows_per_second == 14.0


def test_cycle_groups() -> None:
    deps = {"a": {"b"}, "b": {"a"}, "c": {"a"}, "d": {"d"}, "e": {"f"}, "f": {"g"}, "g": {"e"}}
    assert cycle_groups(deps) == [{"a", "b"}, {"e", "f", "g"}]
