"""Thresholds: levels rise at once, fall only past the hysteresis, contradictions are
refused, and config comes from TOML and the environment, reloadable while running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ormshift.monitor import (
    ConfigError,
    Level,
    Monitor,
    MonitorAbort,
    Rule,
    Sample,
    ThresholdSource,
    parse_config,
)
from ormshift.monitor.thresholds import apply_env, load_config

RULE = Rule("lag", warn=10, throttle=20, pause=30, abort=40, hysteresis=3)


def test_levels_climb_and_fall_with_hysteresis() -> None:
    level = Level.OK
    seen = []
    for value in [5, 11, 21, 31, 41, 39, 38, 36, 29, 26, 19, 12, 9, 6]:
        level = RULE.level_for(value, level)
        seen.append(level)
    assert seen == [
        Level.OK, Level.WARN, Level.THROTTLE, Level.PAUSE, Level.ABORT,
        Level.ABORT, Level.ABORT,   # 39, 38: still within 3 of the abort line
        Level.PAUSE,                # 36: clear of abort, still pause
        Level.PAUSE,                # 29: within 3 of the pause line
        Level.THROTTLE,             # 26
        Level.THROTTLE,             # 19: within 3 of the throttle line
        Level.WARN,                 # 12
        Level.WARN,                 # 9: within 3 of the warn line
        Level.OK,                   # 6
    ]  # fmt: skip


def test_hovering_at_the_line_does_not_flap() -> None:
    level = Level.OK
    changes = 0
    for value in [10.2, 9.8, 10.1, 9.9, 10.0, 9.7] * 5:
        new = RULE.level_for(value, level)
        changes += new != level
        level = new
    assert changes == 1 and level == Level.WARN


def test_below_direction() -> None:
    rule = Rule("free", warn=100, abort=10, hysteresis=5, direction="below")
    assert rule.level_for(150) == Level.OK
    assert rule.level_for(90) == Level.WARN
    assert rule.level_for(5) == Level.ABORT
    assert rule.level_for(12, Level.ABORT) == Level.ABORT
    assert rule.level_for(16, Level.ABORT) == Level.WARN


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("cpu", warn=80, pause=50), "pause (50) is below warn (80)"),
        (Rule("free", warn=10, abort=100, direction="below"), "abort (100) is above warn (10)"),
        (Rule("cpu"), "set at least one"),
        (Rule("cpu", warn=1, hysteresis=-1), "hysteresis"),
    ],
)
def test_contradictions_are_refused(rule: Rule, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rule.validate()


def test_toml_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[monitor]\ninterval = 0.5\npause_file = "/tmp/x.pause"\n'
        "[thresholds.pg_waiting_locks]\nwarn = 1\nabort = 9\n"
    )
    monkeypatch.setenv("ORMSHIFT_THRESHOLD__PG_WAITING_LOCKS__PAUSE", "4")
    config = load_config(path)
    assert config.interval == 0.5 and config.pause_file == Path("/tmp/x.pause")
    assert config.rule("pg_waiting_locks") == Rule("pg_waiting_locks", warn=1, pause=4, abort=9)
    assert config.rule("host_memory_percent") is not None  # defaults stay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[thresholds.cpu]\nwarn = 'high'\n", "expected a number"),
        ("[thresholds.cpu]\nwarn = 90\npause = 50\n", "pause (50) is below warn (90)"),
        ("[thresholds.cpu]\nwarm = 90\n", "unknown key 'warm'"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_bad_config_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_bad_environment_value() -> None:
    config = parse_config({})
    with pytest.raises(ConfigError, match="expected a number"):
        apply_env(config, {"ORMSHIFT_THRESHOLD__CPU__WARN": "lots"})


class Fixed:
    name = "fixed"

    def __init__(self, value: float) -> None:
        self.value = value

    def collect(self) -> list[Sample]:
        return [Sample("lag", self.value)]


def test_thresholds_change_while_running(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text("[thresholds.lag]\nwarn = 100\n")
    probe = Fixed(50)
    monitor = Monitor([probe], ThresholdSource(path), sinks=())
    assert monitor.tick().level == Level.OK
    path.write_text("[thresholds.lag]\nwarn = 10\nabort = 40\n")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert monitor.tick().level == Level.ABORT
    path.write_text("[thresholds.lag]\nwarn = 90\npause = 10\n")  # contradiction: kept old
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert monitor.tick().level == Level.ABORT
    assert monitor.thresholds.last_error is not None
    assert "keeping the previous thresholds" in monitor.thresholds.last_error


def test_gate_pauses_on_flag_file_and_aborts(tmp_path: Path) -> None:
    flag = tmp_path / "pause"
    config = tmp_path / "m.toml"
    config.write_text(
        f'[monitor]\ninterval = 0.01\npause_file = "{flag}"\n'
        "[thresholds.lag]\nthrottle = 20\nabort = 40\n"
    )
    probe = Fixed(0)
    alerts = []
    monitor = Monitor([probe], ThresholdSource(config), sinks=[alerts.append])
    flag.touch()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            flag.unlink()  # the operator clears the flag

    snap = monitor.gate(sleep=sleep)
    assert snap.level == Level.OK and len(sleeps) == 3
    assert [(a.metric, a.level) for a in alerts] == [("pause_file", "pause"), ("pause_file", "ok")]
    probe.value = 25
    sleeps.clear()
    assert monitor.gate(sleep=sleep).level == Level.THROTTLE and sleeps == [0.01]
    probe.value = 45
    with pytest.raises(MonitorAbort, match="lag = 45 crossed its abort threshold"):
        monitor.gate(sleep=sleep)


class Counting(Fixed):
    def __init__(self, value: float) -> None:
        super().__init__(value)
        self.reads = 0

    def collect(self) -> list[Sample]:
        self.reads += 1
        return super().collect()


def test_gate_reads_probes_at_most_once_per_max_age(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text("[monitor]\ninterval = 0.01\n[thresholds.lag]\nwarn = 10\nthrottle = 20\n")
    probe = Counting(0)
    monitor = Monitor([probe], ThresholdSource(config), sinks=())
    for _ in range(5):
        assert monitor.gate(max_age=60).level == Level.OK
    assert probe.reads == 1  # one snapshot, used again while young and calm
    for _ in range(3):
        monitor.gate()  # max_age 0: every call reads
    assert probe.reads == 4
    probe.value = 15  # warn: still calm enough to reuse
    monitor.gate()
    monitor.gate(max_age=60)
    assert probe.reads == 5
    probe.value = 25  # throttle: a snapshot that asked for something is never reused
    sleeps: list[float] = []
    assert monitor.gate(max_age=60, sleep=sleeps.append).level == Level.WARN  # stale reuse
    assert probe.reads == 5
    monitor.gate(sleep=sleeps.append)
    assert monitor.gate(max_age=60, sleep=sleeps.append).level == Level.THROTTLE
    assert probe.reads == 7 and sleeps == [0.01, 0.01]
