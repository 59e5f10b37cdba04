"""Thresholds: each metric may warn, throttle, pause or abort, with hysteresis.

A level is entered as soon as its threshold is crossed and left only once the value is
back past the threshold by the rule's ``hysteresis``, so a value hovering at the line
does not flap. Rules come from TOML and environment variables and can be reloaded while
running (`ThresholdSource`).
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal

from ormshift.errors import OrmshiftError
from ormshift.files import read_data

ENV_PREFIX = "ORMSHIFT_THRESHOLD__"


class ConfigError(OrmshiftError):
    """A monitor configuration is unreadable or contradicts itself."""


class Level(IntEnum):
    OK = 0
    WARN = 1
    THROTTLE = 2
    PAUSE = 3
    ABORT = 4

    @property
    def label(self) -> str:
        return self.name.lower()


ACTION_LEVELS = (Level.WARN, Level.THROTTLE, Level.PAUSE, Level.ABORT)
Direction = Literal["above", "below"]
MAX_INTERVAL = 86_400.0  # seconds: a day between checks is already no check at all


def threshold_problem(metric: str, value: float) -> str | None:
    """Why ``value`` cannot be a threshold of ``metric`` (None when it can).

    Every value ormshift watches is zero or more, so a threshold at or below 0 would
    always hold (a run would pause forever), and a percentage cannot pass 100."""
    if not math.isfinite(value):
        return "a threshold must be a finite number"
    if value <= 0:
        return (
            "a threshold must be above 0 (what is watched is never below 0: it would always hold)"
        )
    if metric.endswith("_percent") and value > 100:
        return "a percentage threshold must be at most 100"
    return None


def interval_problem(value: float) -> str | None:
    """Why ``value`` cannot be the seconds between checks (0: check before every batch)."""
    if not math.isfinite(value) or not 0 <= value <= MAX_INTERVAL:
        return f"give seconds from 0 to {MAX_INTERVAL:g} (0: check before every batch)"
    return None


@dataclass(frozen=True)
class Rule:
    """Thresholds for one metric (a sample name, or a name with labels like
    ``pg_active_connections{db=target}``). ``direction="below"`` is for metrics where a
    low value is bad, such as free disk."""

    metric: str
    warn: float | None = None
    throttle: float | None = None
    pause: float | None = None
    abort: float | None = None
    hysteresis: float = 0.0
    direction: Direction = "above"

    def threshold(self, level: Level) -> float | None:
        value: float | None = getattr(self, level.label)
        return value

    def validate(self) -> None:
        if not (math.isfinite(self.hysteresis) and self.hysteresis >= 0):
            raise ConfigError(
                f"threshold {self.metric}: hysteresis must be a finite number, 0 or more"
            )
        set_levels = [(lv, self.threshold(lv)) for lv in ACTION_LEVELS]
        present = [(lv, v) for lv, v in set_levels if v is not None]
        if not present:
            raise ConfigError(
                f"threshold {self.metric}: set at least one of warn, throttle, pause or abort"
            )
        for lv, v in present:
            assert v is not None
            problem = threshold_problem(self.metric, v)
            if problem is not None:
                raise ConfigError(f"threshold {self.metric}: {lv.label} = {v:g}: {problem}")
        for (low, a), (high, b) in itertools.pairwise(present):
            assert a is not None and b is not None
            wrong = b < a if self.direction == "above" else b > a
            if wrong:
                side = "below" if self.direction == "above" else "above"
                raise ConfigError(
                    f"threshold {self.metric}: {high.label} ({b:g}) is {side} {low.label} "
                    f"({a:g}); each level must be at least as severe as the one before"
                )

    def crossed(self, value: float, level: Level, margin: float = 0.0) -> bool:
        limit = self.threshold(level)
        if limit is None:
            return False
        if self.direction == "above":
            return value >= limit - margin
        return value <= limit + margin

    def level_for(self, value: float, previous: Level = Level.OK) -> Level:
        """The new level, given the value and the level the metric was at."""
        raw = max((lv for lv in ACTION_LEVELS if self.crossed(value, lv)), default=Level.OK)
        if raw >= previous:
            return raw
        held = max(
            (
                lv
                for lv in ACTION_LEVELS
                if lv <= previous and self.crossed(value, lv, self.hysteresis)
            ),
            default=Level.OK,
        )
        return max(raw, held)


GIB = 1024.0**3

#: What ormshift watches when no config says otherwise; a config file or an environment
#: variable replaces a metric's rule as a whole.
DEFAULT_RULES = (
    Rule("host_cpu_percent", warn=90, hysteresis=5),
    Rule("host_memory_percent", warn=85, throttle=90, pause=95, abort=98, hysteresis=2),
    Rule(
        "host_disk_free_bytes",
        warn=5 * GIB,
        pause=2 * GIB,
        abort=1 * GIB,
        hysteresis=0.5 * GIB,
        direction="below",
    ),
    Rule("pg_waiting_locks", warn=5, throttle=20, hysteresis=2),
    Rule("pg_idle_in_transaction_connections", warn=5, hysteresis=1),
    Rule("pg_longest_transaction_seconds", warn=600),
    Rule("pg_replication_lag_seconds", warn=10, throttle=30, pause=120, hysteresis=5),
)


@dataclass(frozen=True)
class MonitorConfig:
    rules: tuple[Rule, ...] = ()
    interval: float = 2.0
    pause_file: Path | None = None
    webhook: str | None = None

    def rule(self, metric: str) -> Rule | None:
        return next((r for r in self.rules if r.metric == metric), None)


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _rule(metric: str, body: Any, where: str) -> Rule:
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: [thresholds.{metric}] must be a table")
    known = {"warn", "throttle", "pause", "abort", "hysteresis", "direction"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ConfigError(f"{where}: [thresholds.{metric}] has unknown key {unknown[0]!r}")
    direction = body.get("direction", "above")
    if direction not in ("above", "below"):
        raise ConfigError(f"{where}: [thresholds.{metric}] direction must be above or below")
    values = {k: _number(f"{where}: {metric}.{k}", v) for k, v in body.items() if k != "direction"}
    return Rule(metric=metric, direction=direction, **values)


def parse_config(data: dict[str, Any], where: str = "config") -> MonitorConfig:
    monitor = data.get("monitor", {})
    thresholds = data.get("thresholds", {})
    if not isinstance(monitor, dict) or not isinstance(thresholds, dict):
        raise ConfigError(f"{where}: [monitor] and [thresholds] must be tables")
    merged = {r.metric: r for r in DEFAULT_RULES}
    merged.update({metric: _rule(metric, body, where) for metric, body in thresholds.items()})
    rules = [merged[m] for m in sorted(merged)]
    for rule in rules:
        try:
            rule.validate()
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
    pause_file = monitor.get("pause_file")
    interval = _number(f"{where}: monitor.interval", monitor.get("interval", 2.0))
    if (problem := interval_problem(interval)) is not None:
        raise ConfigError(f"{where}: monitor.interval = {interval:g}: {problem}")
    config = MonitorConfig(
        rules=tuple(rules),
        interval=interval,
        pause_file=Path(pause_file) if pause_file else None,
        webhook=monitor.get("webhook"),
    )
    return apply_env(config, os.environ)


def apply_env(config: MonitorConfig, env: Any) -> MonitorConfig:
    """``ORMSHIFT_THRESHOLD__HOST_CPU_PERCENT__PAUSE=90`` sets one threshold."""
    rules = {r.metric: r for r in config.rules}
    set_by: dict[str, str] = {}  # metric -> the variable that set it, for the message
    for key, raw in sorted(env.items()):
        if not key.startswith(ENV_PREFIX):
            continue
        parts = key[len(ENV_PREFIX) :].split("__")
        if len(parts) != 2 or parts[1].lower() not in {
            "warn",
            "throttle",
            "pause",
            "abort",
            "hysteresis",
        }:
            raise ConfigError(f"{key}: expected {ENV_PREFIX}<METRIC>__<WARN|THROTTLE|PAUSE|ABORT>")
        metric, field_name = parts[0].lower(), parts[1].lower()
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"{key}: expected a number, got {raw!r}") from exc
        base = rules.get(metric, Rule(metric))
        rules[metric] = Rule(**{**vars(base), field_name: value})
        set_by[metric] = key
    out = replace(config, rules=tuple(rules[m] for m in sorted(rules)))
    for rule in out.rules:
        try:
            rule.validate()
        except ConfigError as exc:
            if rule.metric not in set_by:
                raise
            raise ConfigError(f"{set_by[rule.metric]}: {exc}") from exc
    return out


def load_config(path: Path) -> MonitorConfig:
    return parse_config(read_data(path, "monitor config", ConfigError, "TOML"), str(path))


@dataclass
class ThresholdSource:
    """The current config, re-read when its file changes (a bad edit keeps the old one)."""

    path: Path | None = None
    config: MonitorConfig = field(default_factory=lambda: MonitorConfig(rules=DEFAULT_RULES))
    last_error: str | None = None
    _mtime: float | None = None

    def __post_init__(self) -> None:
        if self.path is not None:
            self.config = load_config(self.path)
            self._mtime = self.path.stat().st_mtime
        else:
            self.config = apply_env(self.config, os.environ)

    def current(self) -> MonitorConfig:
        if self.path is None:
            return self.config
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            self.last_error = f"{self.path}: {exc.strerror}; keeping the previous thresholds"
            return self.config
        if mtime != self._mtime:
            self._mtime = mtime
            try:
                self.config = load_config(self.path)
                self.last_error = None
            except ConfigError as exc:
                self.last_error = f"{exc}; keeping the previous thresholds"
        return self.config
