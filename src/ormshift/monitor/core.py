"""The monitor: runs the probes, applies the thresholds, raises alerts on level changes,
keeps a bounded history for reports, and gates a job between its units of work."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ormshift.errors import OrmshiftError
from ormshift.monitor.alerts import Alert, alert_for, log_alert
from ormshift.monitor.probes import Probe, ProbeError
from ormshift.monitor.samples import Sample
from ormshift.monitor.thresholds import Level, Rule, ThresholdSource

log = logging.getLogger(__name__)

PAUSE_FILE_METRIC = "pause_file"


class MonitorAbort(OrmshiftError):
    """An abort threshold was crossed; the job stops cleanly between two units of work."""


MIN_SLEEP = 0.01  # seconds: the shortest wait on throttle or pause


@dataclass(frozen=True)
class Status:
    metric: str
    value: float
    level: Level
    rule: Rule | None = None


@dataclass(frozen=True)
class Snapshot:
    at: float
    samples: tuple[Sample, ...]
    statuses: tuple[Status, ...]
    level: Level
    probe_errors: tuple[str, ...] = ()

    def worst(self) -> Status | None:
        return max(self.statuses, key=lambda s: s.level, default=None)


class Monitor:
    """Thread-safe: `tick` may be called from the job and from a metrics scrape."""

    def __init__(
        self,
        probes: Iterable[Probe],
        thresholds: ThresholdSource | None = None,
        sinks: Iterable[Callable[[Alert], None]] = (log_alert,),
        history: int = 10_000,
    ) -> None:
        self.probes = list(probes)
        self.thresholds = thresholds or ThresholdSource()
        self.sinks = list(sinks)
        self.history: deque[Snapshot] = deque(maxlen=history)
        self.probe_errors_total = 0
        self.alerts_total = 0
        self._levels: dict[str, Level] = {}
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None

    def _emit(self, alert: Alert) -> None:
        self.alerts_total += 1
        for sink in self.sinks:
            try:
                sink(alert)
            except Exception:  # an alert sink never breaks the job
                log.exception("alert sink failed")

    def _evaluate(self, samples: list[Sample]) -> list[Status]:
        config = self.thresholds.current()
        if self.thresholds.last_error:
            log.error("%s", self.thresholds.last_error)
        statuses: list[Status] = []
        for sample in samples:
            rule = config.rule(sample.key) or config.rule(sample.name)
            previous = self._levels.get(sample.key, Level.OK)
            level = rule.level_for(sample.value, previous) if rule else Level.OK
            if level != previous:
                self._emit(alert_for(sample.key, sample.value, level, previous))
            self._levels[sample.key] = level
            statuses.append(Status(sample.key, sample.value, level, rule))
        if config.pause_file is not None:
            flagged = config.pause_file.exists()
            level = Level.PAUSE if flagged else Level.OK
            previous = self._levels.get(PAUSE_FILE_METRIC, Level.OK)
            if level != previous:
                self._emit(alert_for(PAUSE_FILE_METRIC, float(flagged), level, previous))
            self._levels[PAUSE_FILE_METRIC] = level
            statuses.append(Status(PAUSE_FILE_METRIC, float(flagged), level))
        return statuses

    def tick(self) -> Snapshot:
        with self._lock:
            samples: list[Sample] = []
            errors: list[str] = []
            for probe in self.probes:
                try:
                    samples += probe.collect()
                except ProbeError as exc:
                    self.probe_errors_total += 1
                    errors.append(str(exc))
                    log.warning("probe %s failed: %s", probe.name, exc)
            statuses = self._evaluate(samples)
            level = max((s.level for s in statuses), default=Level.OK)
            snap = Snapshot(time.time(), tuple(samples), tuple(statuses), level, tuple(errors))
            self.history.append(snap)
            self._latest = snap
            return snap

    def latest(self) -> Snapshot | None:
        return self._latest

    def _recent(self, max_age: float) -> Snapshot | None:
        snap = self._latest
        if snap is None or max_age <= 0 or snap.level > Level.WARN:
            return None
        return snap if time.time() - snap.at < max_age else None

    def gate(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_pause: Callable[[Snapshot], None] | None = None,
        max_age: float = 0.0,
    ) -> Snapshot:
        """Call between units of work: returns at once when all is well, sleeps one
        interval on throttle, waits while anything asks to pause, raises `MonitorAbort`
        on an abort threshold.

        ``max_age``: a snapshot younger than this that asked for nothing is used again
        instead of reading every probe (work units much shorter than the monitor's
        interval need not pay for a probe round each).
        """
        while True:
            snap = self._recent(max_age) or self.tick()
            interval = max(self.thresholds.current().interval, MIN_SLEEP)  # never spin
            if snap.level == Level.ABORT:
                worst = snap.worst()
                what = f"{worst.metric} = {worst.value:g}" if worst else "a probe"
                raise MonitorAbort(f"aborted by the monitor: {what} crossed its abort threshold")
            if snap.level == Level.PAUSE:
                if on_pause is not None:
                    on_pause(snap)
                sleep(interval)
                continue
            if snap.level == Level.THROTTLE:
                sleep(interval)
            return snap
