"""A monitor ticking on a thread while some work runs, for reports over time."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ormshift.monitor.core import Monitor, Snapshot


class Sampler:
    """``with Sampler(monitor):`` ticks ``monitor`` every ``interval`` seconds; a probe
    failure is recorded by the monitor and never reaches the work."""

    def __init__(self, monitor: Monitor, interval: float = 0.5) -> None:
        self.monitor = monitor
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ormshift-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.monitor.tick()
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def timeline(history: Sequence[Snapshot], metric: str) -> list[tuple[float, float]]:
    """(seconds since the first snapshot, value) of one metric (a sample key)."""
    if not history:
        return []
    start = history[0].at
    return [(snap.at - start, s.value) for snap in history for s in snap.samples if s.key == metric]
