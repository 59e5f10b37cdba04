"""Health between batches, through `ormshift.monitor`: warn logs, throttle sleeps one
interval, pause waits (a flag file pauses too), abort stops the run cleanly.

`Health` is the small interface the engine sees (``wait`` before each batch,
``record_batch`` after it); behind it a `Monitor` runs the host probe, a PostgreSQL probe
on the target and a probe of the run's own counters, against thresholds that come from
``--monitor-config`` (TOML, re-read while running) with the command-line flags laid
over them. The engine calls `Health.wait` before each batch, so a pause or an abort
always falls between two committed batches and the ledger stays consistent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ormshift.dsn import normalize_url
from ormshift.monitor import (
    HostProbe,
    Level,
    Monitor,
    MonitorAbort,
    MonitorConfig,
    PostgresProbe,
    Probe,
    Rule,
    RunProbe,
    RunStats,
    Snapshot,
    ThresholdSource,
    log_alert,
)
from ormshift.monitor.core import PAUSE_FILE_METRIC
from ormshift.monitor.thresholds import ConfigError, interval_problem, threshold_problem
from ormshift.transfer.errors import TransferAborted

TARGET_CONNECTIONS = "pg_active_connections{db=target}"

#: (pause flag, abort flag, the settings' fields, the metric they set)
_FLAGS = (
    ("--max-cpu", "--critical-cpu", "max_cpu", "critical_cpu", "host_cpu_percent"),
    ("--max-memory", "--critical-memory", "max_memory", "critical_memory", "host_memory_percent"),
    ("--max-connections", "--critical-connections", "max_connections", "critical_connections",
     TARGET_CONNECTIONS),
)  # fmt: skip


@dataclass(frozen=True)
class ThrottleSettings:
    """Thresholds from the command line, laid over ``config`` (a monitor TOML file).

    A flag replaces that metric's whole rule: ``--max-memory 80`` means pause at 80 %
    and nothing else for host memory. ``rules`` are more rules, replacing by metric too.
    """

    pause_file: Path | None = None
    max_cpu: float | None = None
    critical_cpu: float | None = None
    max_memory: float | None = None
    critical_memory: float | None = None
    max_connections: int | None = None
    critical_connections: int | None = None
    interval: float | None = None  # None: the config's (2 s unless it says otherwise)
    config: Path | None = None
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a flag no run could use (``--max-cpu -5`` would pause forever)."""
        for pause_flag, abort_flag, pause_field, abort_field, metric in _FLAGS:
            pause, abort = getattr(self, pause_field), getattr(self, abort_field)
            for flag, value in ((pause_flag, pause), (abort_flag, abort)):
                if value is not None and (problem := threshold_problem(metric, value)):
                    raise ConfigError(f"{flag} {value:g}: {problem}")
            if pause is not None and abort is not None and abort < pause:
                raise ConfigError(
                    f"{abort_flag} {abort:g} is below {pause_flag} {pause:g}: the abort level "
                    "must be at or above the pause level"
                )
        if self.interval is not None and (problem := interval_problem(self.interval)):
            raise ConfigError(f"--poll-seconds {self.interval:g}: {problem}")

    def flag_rules(self) -> list[Rule]:
        out: list[Rule] = []
        for metric, pause, abort in (
            ("host_cpu_percent", self.max_cpu, self.critical_cpu),
            ("host_memory_percent", self.max_memory, self.critical_memory),
            (TARGET_CONNECTIONS, self.max_connections, self.critical_connections),
        ):
            if pause is not None or abort is not None:
                out.append(
                    Rule(
                        metric,
                        pause=None if pause is None else float(pause),
                        abort=None if abort is None else float(abort),
                    )
                )
        return [*out, *self.rules]

    def overlay(self, config: MonitorConfig) -> MonitorConfig:
        """``config`` with these settings' rules, pause file and interval in force."""
        rules = {r.metric: r for r in config.rules}
        for rule in self.flag_rules():
            rule.validate()
            rules[rule.metric] = rule
        return replace(
            config,
            rules=tuple(rules[m] for m in sorted(rules)),
            pause_file=self.pause_file or config.pause_file,
            interval=config.interval if self.interval is None else self.interval,
        )


@dataclass
class _Thresholds(ThresholdSource):
    """The monitor config file (re-read when it changes) with the flags laid over it."""

    settings: ThrottleSettings = field(default_factory=ThrottleSettings)

    def current(self) -> MonitorConfig:
        return self.settings.overlay(super().current())


def _reason(status_metric: str, value: float, rule: Rule | None, config: MonitorConfig) -> str:
    if status_metric == PAUSE_FILE_METRIC:
        return f"pause file {config.pause_file} exists"
    limit = rule.threshold(Level.PAUSE) if rule else None
    return f"{status_metric} = {value:g}" + (f" (pause at {limit:g})" if limit is not None else "")


class Health:
    """The engine's view of the monitor: `wait` before a batch, `record_batch` after."""

    def __init__(
        self,
        settings: ThrottleSettings,
        target_url: str | None,
        extra_probes: Iterable[Probe] = (),
        sinks: Sequence[Callable[..., None]] = (log_alert,),
    ) -> None:
        self.settings = settings
        self.stats = RunStats()
        self._pg = PostgresProbe(normalize_url(target_url), label="target") if target_url else None
        probes: list[Probe] = [HostProbe(), RunProbe(self.stats), *extra_probes]
        if self._pg is not None:
            probes.insert(1, self._pg)
        self.thresholds = _Thresholds(path=settings.config, settings=settings)
        self.thresholds.current()  # the flags must make valid rules: fail before a row moves
        self.monitor = Monitor(probes, self.thresholds, sinks=sinks)
        self.paused_seconds = 0.0
        self._lock = threading.Lock()

    def record_batch(self, rows: int, seconds: float, rejects: int = 0) -> None:
        with self._lock:  # --workers: several writers
            self.stats.record_batch(rows, seconds, rejects)

    def wait(
        self,
        on_pause: Callable[[str], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Snapshot:
        """Return when nothing asks to pause (after one interval's sleep on throttle);
        raise `TransferAborted` when a metric crosses its abort threshold."""
        paused_at: float | None = None

        def paused(snap: Snapshot) -> None:
            nonlocal paused_at
            if paused_at is not None:
                return
            paused_at = time.monotonic()
            if on_pause is not None:
                worst = snap.worst()
                config = self.thresholds.current()
                on_pause(
                    _reason(worst.metric, worst.value, worst.rule, config) if worst else "paused"
                )

        try:
            # probes are read at most once per monitor interval: batches are often shorter
            age = self.thresholds.current().interval
            snap = self.monitor.gate(sleep=sleep, on_pause=paused, max_age=age)
        except MonitorAbort as exc:
            worst = self.monitor.latest()
            status = worst.worst() if worst else None
            what = (
                f"{status.metric} = {status.value:g}"
                + (
                    f", abort at {status.rule.abort:g}"
                    if status.rule and status.rule.abort is not None
                    else ""
                )
                if status
                else str(exc)
            )
            raise TransferAborted(
                f"critical health threshold reached ({what}); the run stopped between batches "
                "and can be resumed with --resume once it clears"
            ) from exc
        if paused_at is not None:
            self.paused_seconds += time.monotonic() - paused_at
            if on_resume is not None:
                on_resume()
        return snap

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
