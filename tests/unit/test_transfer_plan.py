"""Pure parts of the transfer: load order, key predicates, throttle decisions, reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql

from ormshift.monitor import ConfigError, MonitorConfig, Rule, Sample
from ormshift.transfer import (
    Health,
    PreflightError,
    ThrottleSettings,
    TransferAborted,
    dependency_order,
)
from ormshift.transfer.keyset import range_predicate
from ormshift.transfer.ledger import Batch
from ormshift.transfer.plan import cycle_groups
from ormshift.transfer.preflight import disk_verdict
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
    """A monitor probe reading ``load`` from a script (its last value repeats)."""

    values: list[float]
    name: str = "script"

    def collect(self) -> list[Sample]:
        return [Sample("load", self.values.pop(0) if len(self.values) > 1 else self.values[0])]


RULES = ThrottleSettings(rules=(Rule("load", warn=1, throttle=2, pause=3, abort=4),), interval=0.5)


def _health(*values: float, settings: ThrottleSettings = RULES) -> Health:
    return Health(settings, None, extra_probes=[Script(list(values))], sinks=())


def test_pause_waits_until_clear_and_throttle_sleeps_one_interval() -> None:
    events: list[str] = []
    naps: list[float] = []
    health = _health(3, 3, 0)
    health.wait(
        lambda why: events.append(f"pause {why}"), lambda: events.append("resume"), naps.append
    )
    assert events == ["pause load = 3 (pause at 3)", "resume"]
    assert naps == [0.5, 0.5]
    naps.clear()
    _health(2).wait(sleep=naps.append)
    assert naps == [0.5]
    naps.clear()
    _health(1).wait(sleep=naps.append)  # warn only logs
    assert naps == []


def test_abort_threshold_raises_transfer_aborted() -> None:
    with pytest.raises(TransferAborted, match=r"\(load = 4, abort at 4\)"):
        _health(4).wait(sleep=lambda _: None)


def test_flags_become_monitor_rules(tmp_path: Path) -> None:
    flag = tmp_path / "pause"
    settings = ThrottleSettings(pause_file=flag, max_memory=80, critical_cpu=99, interval=0.1)
    config = settings.overlay(MonitorConfig(rules=(Rule("host_memory_percent", warn=1),)))
    assert config.rule("host_memory_percent") == Rule("host_memory_percent", pause=80)
    assert config.rule("host_cpu_percent") == Rule("host_cpu_percent", abort=99)
    assert config.pause_file == flag and config.interval == 0.1
    events: list[str] = []
    flag.touch()
    health = Health(ThrottleSettings(pause_file=flag), None, sinks=())
    health.wait(lambda why: (events.append(why), flag.unlink()), sleep=lambda _: None)
    assert events == [f"pause file {flag} exists"]


def test_bad_flags_fail_before_the_run() -> None:
    with pytest.raises(ConfigError, match="abort"):
        Health(ThrottleSettings(max_cpu=90, critical_cpu=50), None)


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


def test_disk_verdict() -> None:
    gib = 1024**3
    assert disk_verdict(10 * gib, 4 * gib) is None
    problem = disk_verdict(5 * gib, 4 * gib)
    assert problem is not None and "5.0 GiB free" in problem and "about 4.0 GiB" in problem
